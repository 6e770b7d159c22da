#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "base/hex.hpp"

namespace cachedata::crypto {

void random_bytes(std::span<uint8_t> out) {
  // A failing CSPRNG must never fall back to predictable nonces or keys.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
}

std::string random_hex(size_t n) {
  std::vector<uint8_t> bytes(n);
  random_bytes(bytes);
  return base::to_hex(bytes);
}

}  // namespace cachedata::crypto
