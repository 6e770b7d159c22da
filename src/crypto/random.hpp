// Random bytes from OpenSSL's CSPRNG (seeded from the OS): nonces, keys, file name suffixes.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace cachedata::crypto {

void random_bytes(std::span<uint8_t> out);
// `n` random bytes as 2n lowercase hex characters.
std::string random_hex(size_t n);

}  // namespace cachedata::crypto
