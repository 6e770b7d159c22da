// Options and helpers shared by the cachedata CLI's commands.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "cachedata/cache.hpp"
#include "cachedata/config.hpp"

namespace cachedata::cli {

struct StoreOptions {
  std::string store;  // a directory, "memory", or empty (CACHE_DATA_* / default dir)
  std::string key_file;
  std::string key_param;  // overrides CACHE_DATA_SECURE_DATA_KEY
  std::string instance;   // overrides CACHE_DATA_INSTANCE_ID
};

void add_store_options(CLI::App* command, StoreOptions& options, bool with_key);
// The environment's configuration with the command line's overrides applied.
Result<Config> make_config(const StoreOptions& options);
// Opens the cache; says once on stderr when a new key file was created.
Result<std::unique_ptr<Cache>> open_cache(const StoreOptions& options);
// Opens the store alone: no key is needed to list or count entries.
Result<std::shared_ptr<Store>> open_store_only(const StoreOptions& options);

// Adds each -H 'Name: value' to the request; an argument without a name and a colon is an error.
Status add_header_options(const std::vector<std::string>& options, Request& request);

std::string iso8601(std::chrono::system_clock::time_point t);
std::string iso8601(int64_t unix_seconds);
std::string human_bytes(uint64_t bytes);
int fail(const Status& status);

void register_get(CLI::App& app);
void register_inspect(CLI::App& app);
void register_purge(CLI::App& app);
void register_stats(CLI::App& app);
void register_bench(CLI::App& app);  // src/cli/bench/

}  // namespace cachedata::cli
