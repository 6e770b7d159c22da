#include "base/jitter_random.hpp"

#include <random>

namespace cachedata::base {

uint64_t jitter_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

}  // namespace cachedata::base
