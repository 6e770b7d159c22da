// AES-256-GCM (OpenSSL EVP): authenticated encryption of envelopes.
//
// seal() encrypts `plaintext` and authenticates it together with every part of `aad`; open()
// fails (returns false) when the key, the nonce, the associated data, the ciphertext or the tag
// differ in any bit. With an empty plaintext the pair is a MAC over `aad` (GMAC), which is how
// unencrypted entries are still integrity-checked. Stateless; safe from many threads.
//
// AeadOpenStream opens one message that arrives in pieces (a large body read from the network):
// associated data first, then ciphertext chunk by chunk, then the tag. Plaintext comes out as the
// ciphertext goes in, but it is unauthenticated until finish() returns true: the caller must not
// hand any of it out before that. One stream per message; not shared between threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cachedata::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

using AeadKey = std::array<uint8_t, kAeadKeySize>;
using AeadNonce = std::array<uint8_t, kAeadNonceSize>;

// Writes the ciphertext (same length as the plaintext) to `ciphertext_out` and the tag to
// `tag_out`. REQUIRES: ciphertext_out.size() == plaintext.size().
void aead_seal(const AeadKey& key, const AeadNonce& nonce, std::span<const std::string_view> aad,
               std::string_view plaintext, std::span<uint8_t> ciphertext_out,
               std::span<uint8_t, kAeadTagSize> tag_out);

// Decrypts into `plaintext_out` (REQUIRES: same size as the ciphertext). False when the tag
// does not verify; `plaintext_out` must then be discarded.
bool aead_open(const AeadKey& key, const AeadNonce& nonce, std::span<const std::string_view> aad,
               std::string_view ciphertext, std::span<const uint8_t, kAeadTagSize> tag,
               std::span<uint8_t> plaintext_out);

class AeadOpenStream {
 public:
  AeadOpenStream(const AeadKey& key, const AeadNonce& nonce);
  ~AeadOpenStream();
  AeadOpenStream(const AeadOpenStream&) = delete;
  AeadOpenStream& operator=(const AeadOpenStream&) = delete;

  // REQUIRES: no decrypt() yet (GCM authenticates all associated data before the ciphertext).
  void add_aad(std::string_view aad);
  // Decrypts `ciphertext` to `plaintext_out` (REQUIRES: the same size; may be the same bytes).
  void decrypt(std::string_view ciphertext, uint8_t* plaintext_out);
  // True when the tag verifies every byte given. Once only.
  bool finish(std::span<const uint8_t, kAeadTagSize> tag);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace cachedata::crypto
