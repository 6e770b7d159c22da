// LatencyHistogram: latencies in nanoseconds, counted in log-linear buckets (32 per power of two,
// so a percentile is within 3 % of the true value), cheap enough to record every get of a run
// of millions. One per worker thread, merged at the end; its counts are plain integers, so a
// worker process can send them through a pipe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace cachedata::cli::bench {

class LatencyHistogram {
 public:
  // Values below 64 ns have a bucket each; above, 32 buckets per power of two up to 2^40 ns
  // (18 minutes); anything longer lands in the last bucket.
  static constexpr int kLinear = 64;
  static constexpr int kSubBuckets = 32;
  static constexpr int kMaxExponent = 40;
  static constexpr int kBuckets = kLinear + (kMaxExponent - 6 + 1) * kSubBuckets;

  void record(uint64_t nanos) {
    ++counts_[static_cast<size_t>(bucket_of(nanos))];
    ++total_;
  }
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return total_; }
  // The value below which `fraction` (0..1) of the recorded values fall: the upper edge of the
  // bucket holding that rank. 0 when nothing was recorded.
  uint64_t percentile(double fraction) const;

  static int bucket_of(uint64_t nanos);
  static uint64_t upper_edge(int bucket);  // the largest value a bucket holds

  const std::array<uint64_t, kBuckets>& counts() const { return counts_; }
  void set_counts(const std::array<uint64_t, kBuckets>& counts);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

}  // namespace cachedata::cli::bench
