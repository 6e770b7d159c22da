// The wiring layer: Cache::open(Config) in two steps, for a program that needs to know what a
// Config opened (the CLI tells the user once where a new key file was written; tests and
// benchmarks reach the store directly). Cache::open(Config) is exactly
// open_cache_parts(config) followed by Cache::open(config, parts).
#pragma once

#include "cachedata/cache.hpp"
#include "cachedata/config.hpp"

namespace cachedata::wiring {

// Validates `config`, opens the store it names and the source of its key (a key file, the SSM
// parameter, Config::keys, or the embedded store's data.key, created on first use when
// Config::create_key_file); the older keys are the rest of Config::keys and
// Config::previous_keys.
Result<CacheParts> open_cache_parts(const Config& config);

// The key file the parts' key comes from ("" when it comes from elsewhere), and whether opening
// them created it.
const std::string& key_file_of(const CacheParts& parts);
bool created_key_file(const CacheParts& parts);

}  // namespace cachedata::wiring
