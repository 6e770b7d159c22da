#include "crypto/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
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

// Per thread, one context per key, keyed once: each call only sets the nonce. Re-initialising a
// context with the cipher and key on every call (key schedule, GHASH tables, OpenSSL's provider
// context) cost half of opening a 1 KB part. A thread uses a handful of keys at most (the current
// one and the previous ones of a rotation); past kKeyedContexts the oldest is re-keyed.
constexpr size_t kKeyedContexts = 4;

struct KeyedContext {
  AeadKey key{};
  CtxPtr ctx;
};

struct ThreadContexts {
  std::array<KeyedContext, kKeyedContexts> slots;
  size_t next = 0;  // the slot re-keyed when a new key comes
  ~ThreadContexts() {
    for (auto& slot : slots) OPENSSL_cleanse(slot.key.data(), slot.key.size());
  }
};

void check(int ok, const char* what);

// The thread's context holding `key`, initialised for `encrypt` with `nonce` as its IV.
EVP_CIPHER_CTX* keyed_ctx(const AeadKey& key, const AeadNonce& nonce, int encrypt) {
  thread_local ThreadContexts contexts;
  KeyedContext* found = nullptr;
  for (auto& slot : contexts.slots) {
    if (slot.ctx && CRYPTO_memcmp(slot.key.data(), key.data(), key.size()) == 0) {
      found = &slot;
      break;
    }
  }
  if (found == nullptr) {
    found = &contexts.slots[contexts.next];
    contexts.next = (contexts.next + 1) % kKeyedContexts;
    if (!found->ctx) found->ctx.reset(EVP_CIPHER_CTX_new());
    check(found->ctx != nullptr, "CTX_new");
    check(
        EVP_CipherInit_ex2(found->ctx.get(), aes_256_gcm(), key.data(), nullptr, encrypt, nullptr),
        "init key");
    found->key = key;
  }
  // Same cipher and key: a new message needs only its nonce (and the direction).
  check(EVP_CipherInit_ex2(found->ctx.get(), nullptr, nullptr, nonce.data(), encrypt, nullptr),
        "init nonce");
  return found->ctx.get();
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
  EVP_CIPHER_CTX* ctx = keyed_ctx(key, nonce, 1);
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
  EVP_CIPHER_CTX* ctx = keyed_ctx(key, nonce, 0);
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

// Its own context, not the thread's keyed ones: a stream lives across calls (and may interleave
// with aead_open on the same thread); one key schedule per large message is negligible.
struct AeadOpenStream::Ctx {
  CtxPtr evp;
};

AeadOpenStream::AeadOpenStream(const AeadKey& key, const AeadNonce& nonce)
    : ctx_(new Ctx{CtxPtr(EVP_CIPHER_CTX_new())}) {
  check(ctx_->evp != nullptr, "CTX_new");
  check(EVP_DecryptInit_ex2(ctx_->evp.get(), aes_256_gcm(), key.data(), nonce.data(), nullptr),
        "stream init");
}

AeadOpenStream::~AeadOpenStream() = default;

void AeadOpenStream::add_aad(std::string_view aad) {
  int len = 0;
  in_chunks(aad, [&](std::string_view chunk, size_t) {
    check(EVP_DecryptUpdate(ctx_->evp.get(), nullptr, &len,
                            reinterpret_cast<const uint8_t*>(chunk.data()),
                            checked_len(chunk.size())),
          "stream aad");
  });
}

void AeadOpenStream::decrypt(std::string_view ciphertext, uint8_t* plaintext_out) {
  int len = 0;
  in_chunks(ciphertext, [&](std::string_view chunk, size_t off) {
    check(EVP_DecryptUpdate(ctx_->evp.get(), plaintext_out + off, &len,
                            reinterpret_cast<const uint8_t*>(chunk.data()),
                            checked_len(chunk.size())),
          "stream update");
  });
}

bool AeadOpenStream::finish(std::span<const uint8_t, kAeadTagSize> tag) {
  int len = 0;
  check(EVP_CIPHER_CTX_ctrl(ctx_->evp.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagSize,
                            const_cast<uint8_t*>(tag.data())),
        "stream set tag");
  return EVP_DecryptFinal_ex(ctx_->evp.get(), nullptr, &len) == 1;
}

}  // namespace cachedata::crypto
