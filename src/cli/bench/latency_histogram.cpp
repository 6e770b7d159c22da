#include "cli/bench/latency_histogram.hpp"

#include <bit>

namespace cachedata::cli::bench {

int LatencyHistogram::bucket_of(uint64_t nanos) {
  if (nanos < kLinear) return static_cast<int>(nanos);
  const int exponent = std::bit_width(nanos) - 1;  // >= 6
  if (exponent > kMaxExponent) return kBuckets - 1;
  // The 5 bits below the leading one pick the sub-bucket.
  const auto sub = static_cast<int>((nanos >> (exponent - 5)) & (kSubBuckets - 1));
  return kLinear + (exponent - 6) * kSubBuckets + sub;
}

uint64_t LatencyHistogram::upper_edge(int bucket) {
  if (bucket < kLinear) return static_cast<uint64_t>(bucket);
  const int exponent = (bucket - kLinear) / kSubBuckets + 6;
  const auto sub = static_cast<uint64_t>((bucket - kLinear) % kSubBuckets);
  const uint64_t width = uint64_t{1} << (exponent - 5);
  return (uint64_t{1} << exponent) + (sub + 1) * width - 1;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
}

void LatencyHistogram::set_counts(const std::array<uint64_t, kBuckets>& counts) {
  counts_ = counts;
  total_ = 0;
  for (uint64_t c : counts_) total_ += c;
}

uint64_t LatencyHistogram::percentile(double fraction) const {
  if (total_ == 0) return 0;
  if (fraction < 0) fraction = 0;
  if (fraction > 1) fraction = 1;
  // The rank of the value wanted, 1-based: p99 of 1000 values is the 990th.
  auto rank = static_cast<uint64_t>(fraction * static_cast<double>(total_) + 0.5);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<size_t>(b)];
    if (seen >= rank) return upper_edge(b);
  }
  return upper_edge(kBuckets - 1);
}

}  // namespace cachedata::cli::bench
