#include "crypto/aead.hpp"

#include <openssl/evp.h>

#include <climits>
#include <memory>
#include <stdexcept>

namespace cachedata::crypto {
namespace {

const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

// One context per thread, re-initialised with the key on every call: allocating a context per
// envelope cost more than opening a 1 KB one.
EVP_CIPHER_CTX* thread_ctx() {
  thread_local CtxPtr ctx(EVP_CIPHER_CTX_new());
  return ctx.get();
}

void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL AES-GCM failure in ") + what);
}

int checked_len(size_t n) {
  if (n > static_cast<size_t>(INT_MAX)) throw std::length_error("AES-GCM input over 2 GiB");
  return static_cast<int>(n);
}

// EVP wants `int` lengths: feed large inputs in chunks.
template <typename Fn>
void in_chunks(std::string_view data, Fn&& fn) {
  constexpr size_t kChunk = 1u << 30;
  for (size_t off = 0; off < data.size(); off += kChunk) {
    fn(data.substr(off, kChunk), off);
  }
}

}  // namespace

void aead_seal(const AeadKey& key, const AeadNonce& nonce, std::span<const std::string_view> aad,
               std::string_view plaintext, std::span<uint8_t> ciphertext_out,
               std::span<uint8_t, kAeadTagSize> tag_out) {
  if (ciphertext_out.size() != plaintext.size()) throw std::invalid_argument("aead_seal size");
  EVP_CIPHER_CTX* ctx = thread_ctx();
  check(ctx != nullptr, "CTX_new");
  check(EVP_EncryptInit_ex2(ctx, aes_256_gcm(), key.data(), nonce.data(), nullptr), "init");
  int len = 0;
  for (std::string_view part : aad) {
    in_chunks(part, [&](std::string_view chunk, size_t) {
      check(EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(chunk.data()),
                              checked_len(chunk.size())),
            "aad");
    });
  }
  in_chunks(plaintext, [&](std::string_view chunk, size_t off) {
    check(EVP_EncryptUpdate(ctx, ciphertext_out.data() + off, &len,
                            reinterpret_cast<const uint8_t*>(chunk.data()),
                            checked_len(chunk.size())),
          "update");
  });
  check(EVP_EncryptFinal_ex(ctx, nullptr, &len), "final");
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kAeadTagSize, tag_out.data()), "get tag");
}

bool aead_open(const AeadKey& key, const AeadNonce& nonce, std::span<const std::string_view> aad,
               std::string_view ciphertext, std::span<const uint8_t, kAeadTagSize> tag,
               std::span<uint8_t> plaintext_out) {
  if (plaintext_out.size() != ciphertext.size()) throw std::invalid_argument("aead_open size");
  EVP_CIPHER_CTX* ctx = thread_ctx();
  check(ctx != nullptr, "CTX_new");
  check(EVP_DecryptInit_ex2(ctx, aes_256_gcm(), key.data(), nonce.data(), nullptr), "init");
  int len = 0;
  for (std::string_view part : aad) {
    in_chunks(part, [&](std::string_view chunk, size_t) {
      check(EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(chunk.data()),
                              checked_len(chunk.size())),
            "aad");
    });
  }
  in_chunks(ciphertext, [&](std::string_view chunk, size_t off) {
    check(EVP_DecryptUpdate(ctx, plaintext_out.data() + off, &len,
                            reinterpret_cast<const uint8_t*>(chunk.data()),
                            checked_len(chunk.size())),
          "update");
  });
  // The tag is set before Final, which compares it in constant time.
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kAeadTagSize,
                            const_cast<uint8_t*>(tag.data())),
        "set tag");
  return EVP_DecryptFinal_ex(ctx, nullptr, &len) == 1;
}

}  // namespace cachedata::crypto
