// The current time in unix seconds, from a clock a caller may inject (tests move time by hand;
// every store judges expiry, purge and file ages by it) or else the system clock.
#pragma once

#include <cstdint>
#include <functional>

namespace cachedata::base {

using UnixSecondsClock = std::function<int64_t()>;

// `injected()` when it is set, else the system clock.
int64_t unix_seconds(const UnixSecondsClock& injected = {});

}  // namespace cachedata::base
