#include "cli/bench/key_chooser.hpp"

#include <algorithm>
#include <cmath>

namespace cachedata::cli::bench {

KeyChooser::KeyChooser(uint64_t keys, double zipf_s, double hit_ratio)
    : keys_(keys < 1 ? 1 : keys), hit_ratio_(hit_ratio) {
  if (zipf_s <= 0) return;
  cdf_.resize(keys_);
  double sum = 0;
  for (uint64_t k = 0; k < keys_; ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), zipf_s);
    cdf_[k] = sum;
  }
  for (double& c : cdf_) c /= sum;
}

Choice KeyChooser::choose(double u1, double u2) const {
  if (u1 >= hit_ratio_) return Choice{true, 0};
  if (cdf_.empty()) {
    auto k = static_cast<uint64_t>(u2 * static_cast<double>(keys_));
    return Choice{false, std::min(k, keys_ - 1)};
  }
  auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u2);
  auto k = static_cast<uint64_t>(it - cdf_.begin());
  return Choice{false, std::min(k, keys_ - 1)};
}

}  // namespace cachedata::cli::bench
