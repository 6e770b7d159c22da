#include "crypto/sha256.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cachedata::crypto {
namespace {
constexpr size_t kBlockSize = 64;
}  // namespace

Digest sha256(std::string_view data) {
  // The one-shot SHA256() goes through EVP's algorithm fetch in OpenSSL 3; the plain state
  // does not.
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  Digest out{};
  SHA256_Final(out.data(), &ctx);
  return out;
}

Sha256::Sha256() {
  SHA256_Init(&ctx_);
}

void Sha256::update(std::string_view data) {
  SHA256_Update(&ctx_, data.data(), data.size());
}

Digest Sha256::finish() {
  Digest out{};
  SHA256_Final(out.data(), &ctx_);
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
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, kBlockSize);
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, kBlockSize);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

HmacSha256::~HmacSha256() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

Digest HmacSha256::mac(std::string_view message) const {
  std::string_view parts[] = {message};
  return mac(parts);
}

Digest HmacSha256::mac(std::span<const std::string_view> parts) const {
  SHA256_CTX ctx = inner_;
  for (std::string_view part : parts) SHA256_Update(&ctx, part.data(), part.size());
  Digest inner_digest{};
  SHA256_Final(inner_digest.data(), &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, inner_digest.data(), inner_digest.size());
  Digest out{};
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
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
