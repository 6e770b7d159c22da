#include "crypto/sha256.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace cachedata::crypto {
namespace {

constexpr size_t kBlockSize = 64;

const EVP_MD* sha256_md() {
  // Fetched once: EVP_sha256() would make every EVP_DigestInit look the algorithm up again.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

void check(int ok, const char* what) {
  // These calls fail only when memory runs out or OpenSSL is broken: not recoverable here.
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL failure in ") + what);
}

struct ScratchCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ScratchCtx() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_scratch() {
  thread_local ScratchCtx scratch;
  return scratch.ctx;
}

}  // namespace

Digest sha256(std::string_view data) {
  Digest out{};
  EVP_MD_CTX* ctx = thread_scratch();
  check(EVP_DigestInit_ex(ctx, sha256_md(), nullptr), "DigestInit");
  check(EVP_DigestUpdate(ctx, data.data(), data.size()), "DigestUpdate");
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx, out.data(), &len), "DigestFinal");
  return out;
}

HmacSha256::HmacSha256(std::span<const uint8_t> key) {
  uint8_t block[kBlockSize] = {};
  if (key.size() > kBlockSize) {
    Digest d = sha256(as_chars(key));
    std::memcpy(block, d.data(), d.size());
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlockSize];
  inner_ = EVP_MD_CTX_new();
  outer_ = EVP_MD_CTX_new();
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  check(EVP_DigestInit_ex(inner_, sha256_md(), nullptr), "DigestInit");
  check(EVP_DigestUpdate(inner_, pad, kBlockSize), "DigestUpdate");
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  check(EVP_DigestInit_ex(outer_, sha256_md(), nullptr), "DigestInit");
  check(EVP_DigestUpdate(outer_, pad, kBlockSize), "DigestUpdate");
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

HmacSha256::HmacSha256(const HmacSha256& other)
    : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
  check(EVP_MD_CTX_copy_ex(inner_, other.inner_), "MD_CTX_copy");
  check(EVP_MD_CTX_copy_ex(outer_, other.outer_), "MD_CTX_copy");
}

HmacSha256::~HmacSha256() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
}

Digest HmacSha256::mac(std::string_view message) const {
  std::string_view parts[] = {message};
  return mac(parts);
}

Digest HmacSha256::mac(std::span<const std::string_view> parts) const {
  EVP_MD_CTX* ctx = thread_scratch();
  Digest inner_digest{};
  unsigned int len = 0;
  check(EVP_MD_CTX_copy_ex(ctx, inner_), "MD_CTX_copy");
  for (std::string_view part : parts) {
    check(EVP_DigestUpdate(ctx, part.data(), part.size()), "DigestUpdate");
  }
  check(EVP_DigestFinal_ex(ctx, inner_digest.data(), &len), "DigestFinal");
  Digest out{};
  check(EVP_MD_CTX_copy_ex(ctx, outer_), "MD_CTX_copy");
  check(EVP_DigestUpdate(ctx, inner_digest.data(), inner_digest.size()), "DigestUpdate");
  check(EVP_DigestFinal_ex(ctx, out.data(), &len), "DigestFinal");
  return out;
}

void hkdf_sha256(std::span<const uint8_t> ikm, std::string_view salt, std::string_view info,
                 std::span<uint8_t> out) {
  if (out.size() > 255 * 32) throw std::invalid_argument("HKDF output too long");
  HmacSha256 extract({reinterpret_cast<const uint8_t*>(salt.data()), salt.size()});
  Digest prk = extract.mac(as_chars(ikm));
  HmacSha256 expand(prk);
  OPENSSL_cleanse(prk.data(), prk.size());
  Digest previous{};
  size_t done = 0;
  for (uint8_t counter = 1; done < out.size(); ++counter) {
    std::string_view prev_part = counter == 1 ? std::string_view() : as_chars(previous);
    std::string_view counter_part(reinterpret_cast<const char*>(&counter), 1);
    std::string_view parts[] = {prev_part, info, counter_part};
    previous = expand.mac(parts);
    size_t n = std::min(previous.size(), out.size() - done);
    std::memcpy(out.data() + done, previous.data(), n);
    done += n;
  }
  OPENSSL_cleanse(previous.data(), previous.size());
}

}  // namespace cachedata::crypto
