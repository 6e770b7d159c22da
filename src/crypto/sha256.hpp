// SHA-256 and HMAC-SHA-256 on OpenSSL 3's EVP interface.
//
// HmacSha256 keeps the inner and outer hash states of its key precomputed, so a MAC over a short
// message costs two small hash finalisations instead of four compressions (the request id is
// computed on every Cache::get). A HmacSha256 is immutable after construction and safe to use
// from many threads.
#pragma once

// The low-level SHA256_* functions are deprecated in OpenSSL 3 but remain its only hash state
// that can be copied without an allocation (see HmacSha256).
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include <openssl/sha.h>

namespace cachedata::crypto {

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::string_view data);

// SHA-256 of data given in pieces, e.g. a response body hashed chunk by chunk as it arrives,
// while each chunk is still in cache (no second pass over a large body). A plain value; one
// object per message, used by one thread.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  // The digest of everything given. Call once.
  Digest finish();

 private:
  SHA256_CTX ctx_;
};

inline std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class HmacSha256 {
 public:
  explicit HmacSha256(std::span<const uint8_t> key);
  ~HmacSha256();
  HmacSha256(const HmacSha256& other) = default;
  HmacSha256& operator=(const HmacSha256&) = delete;

  Digest mac(std::string_view message) const;
  // MAC of the concatenation of `parts`, without joining them first.
  Digest mac(std::span<const std::string_view> parts) const;

 private:
  // Plain structs, copied per call: OpenSSL 3's EVP_MD_CTX_copy_ex allocates on every copy,
  // which costs more than the hashing of a request id itself.
  SHA256_CTX inner_;  // state after absorbing key ^ ipad
  SHA256_CTX outer_;  // state after absorbing key ^ opad
};

// HKDF-SHA-256 (RFC 5869): extract with `salt`, expand with `info` to `out.size()` bytes
// (at most 255 * 32).
void hkdf_sha256(std::span<const uint8_t> ikm, std::string_view salt, std::string_view info,
                 std::span<uint8_t> out);

}  // namespace cachedata::crypto
