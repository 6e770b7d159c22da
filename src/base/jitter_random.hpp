// Fast, unpredictable-enough numbers for spreading retries and refreshes in time (full-jitter
// backoff): one generator per thread, seeded from the OS once. Not for secrets: keys, nonces
// and file-name suffixes come from crypto/random.hpp (OpenSSL's CSPRNG).
#pragma once

#include <cstdint>

namespace cachedata::base {

// A uniformly distributed 64-bit number from this thread's generator.
uint64_t jitter_random();

}  // namespace cachedata::base
