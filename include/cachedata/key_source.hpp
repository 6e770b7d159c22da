// KeySource: where a Cache gets the data key it seals new entries with, and how it learns that
// the key changed (a rotation). The Cache reads generation() on every get, so it must be cheap
// (an atomic); when it changed, the Cache takes current() as its new sealing key and keeps the
// keys it used before for opening what they sealed.
//
// Sources the library provides: a fixed key (fixed_key_source: a key given in code, or read once
// from a file), and the per-instance key in SSM Parameter Store, re-read in the background
// (Config::data_key_param; src/aws/ssm_data_key.hpp). Cache::open(Config) picks one from the
// Config; a program with keys from elsewhere implements this and passes it in CacheParts.
//
// Implementations are safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cachedata/data_key.hpp"

namespace cachedata {

class KeySource {
 public:
  virtual ~KeySource() = default;
  // The key to seal new entries with.
  virtual DataKey current() const = 0;
  // Changes whenever current() starts returning another key; never changes for a fixed key.
  virtual uint64_t generation() const = 0;
  // For logs: what the key comes from ("fixed key", "key file /path", "SSM parameter /name").
  // Never the key itself.
  virtual std::string describe() const = 0;
};

std::shared_ptr<KeySource> fixed_key_source(DataKey key, std::string description = "fixed key");

}  // namespace cachedata
