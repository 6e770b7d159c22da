// KeyChooser: which entry the next get of a load run asks for. A share `hit_ratio` of the gets
// go to a fixed set of `keys` popular entries (uniformly, or by a Zipf law of exponent s: the
// k-th most popular is asked for in proportion to 1/k^s), which stay cached once fetched; the
// rest go to entries never asked for before, which are misses by construction. Pure: the caller
// gives the uniform draws, so a test can pin every choice.
#pragma once

#include <cstdint>
#include <vector>

namespace cachedata::cli::bench {

struct Choice {
  bool fresh_key = false;  // a new entry: a miss
  uint64_t key = 0;        // the popular entry's rank (0 = most popular) when !fresh_key
};

class KeyChooser {
 public:
  // keys >= 1; zipf_s >= 0 (0: uniform); hit_ratio in [0, 1].
  KeyChooser(uint64_t keys, double zipf_s, double hit_ratio);

  // `u1`, `u2` uniform in [0, 1): the first decides popular or fresh, the second which key.
  Choice choose(double u1, double u2) const;
  uint64_t keys() const { return keys_; }

 private:
  uint64_t keys_;
  double hit_ratio_;
  std::vector<double> cdf_;  // Zipf only: cdf_[k] = P(rank <= k)
};

}  // namespace cachedata::cli::bench
