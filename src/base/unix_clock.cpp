#include "base/unix_clock.hpp"

#include <chrono>

namespace cachedata::base {

int64_t unix_seconds(const UnixSecondsClock& injected) {
  if (injected) return injected();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cachedata::base
