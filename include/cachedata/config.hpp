// Config: everything a Cache needs besides profiles, from code or from environment variables.
//
// Build it in code, or start from Config::from_env() (every variable is listed in the README,
// section "Configuration"); then Cache::open validates it once. Errors name the field or the
// variable and the bad value (never a key's value). A plain value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/aws_options.hpp"
#include "cachedata/data_key.hpp"
#include "cachedata/status.hpp"

namespace cachedata {

class Store;

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };
using LogSink = std::function<void(LogLevel, std::string_view message)>;

struct Config {
  enum class StoreKind {
    kLocal,       // the embedded store (SQLite + files) in `store_dir` — the default
    kMemoryOnly,  // the in-memory tier alone: no store, no key needed
    kCustom,      // `custom_store`
    kAws,         // the shared store: `dynamodb_table` (+ `s3_bucket` for large entries)
  };
  StoreKind store = StoreKind::kLocal;
  std::string store_dir;  // empty: $XDG_CACHE_HOME/cachedata or ~/.cache/cachedata
  std::shared_ptr<Store> custom_store;

  // The shared store of the storage stack (CACHE_DATA_DYNAMO_DB_TABLE, CACHE_DATA_S3_BUCKET):
  // small entries in the table, bodies that would make an item larger than
  // `aws_inline_max_bytes` in the bucket under cache/ (docs/FORMAT.md, "Shared store").
  std::string dynamodb_table;
  std::string s3_bucket;
  uint64_t aws_inline_max_bytes = 10 * 1000;
  // Region, endpoints, credentials, timeouts; empty fields: as the AWS SDKs decide.
  AwsOptions aws;

  // Data keys: the first seals new entries; the others (previous keys after a rotation) still
  // open and find entries written under them. Empty with the local store: `key_file`, else
  // <store_dir>/data.key, created (0600) on first use when `create_key_file` is true.
  std::vector<DataKey> keys;
  std::string key_file;
  bool create_key_file = true;
  // Keys of earlier rotations, tried after the current key, whichever way the current key came
  // (CACHE_DATA_PREVIOUS_DATA_KEYS): entries sealed under them still open and are found.
  std::vector<DataKey> previous_keys;
  // An SSM SecureString parameter holding the current key (64 hex characters), read with
  // decryption at start and re-read every `data_key_refresh_interval`
  // (CACHE_DATA_SECURE_DATA_KEY_PARAM; see src/aws/ssm_data_key.hpp, open_ssm_data_key).
  std::string data_key_param;
  std::chrono::seconds data_key_refresh_interval{300};

  // Isolates instances of one application that share a key and a store (test, beta, prod).
  std::string instance_id = "default";

  uint64_t memory_max_bytes = 64ull << 20;         // in-memory tier bound; 0 disables the tier
  uint64_t local_max_bytes = 1ull << 30;           // local store size cap (LRU eviction)
  uint64_t local_inline_max_bytes = 128ull << 10;  // larger envelopes go to files
  // How long after its expiry an entry is kept (for stale serving and 304 revalidation).
  std::chrono::seconds purge_window{24 * 3600};
  // Default time zone of interval profiles that name none ("" in Profile::time_zone).
  std::string default_time_zone = "UTC";

  LogLevel log_level = LogLevel::kWarn;
  LogSink log_sink;  // empty: stderr

  // Injected clock, for tests. Empty: the system clock.
  std::function<std::chrono::system_clock::time_point()> clock;

  // Defaults overlaid with the CACHE_DATA_* environment variables.
  static Result<Config> from_env();
  // The same with a custom lookup (tests). `lookup` returns nullptr for an unset variable.
  static Result<Config> from_env(const std::function<const char*(const char*)>& lookup);

  Status validate() const;
  // The part of validate() that Cache::open(Config, CacheParts) checks: the settings a Cache
  // uses besides its store and key.
  Status validate_cache_settings() const;
  // The store directory after applying the defaults above.
  std::string resolved_store_dir() const;
};

}  // namespace cachedata
