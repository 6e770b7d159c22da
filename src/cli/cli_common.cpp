#include "cli/cli_common.hpp"

#include <date/date.h>

#include <cstdio>

#include "store/open_store.hpp"

namespace cachedata::cli {

void add_store_options(CLI::App* command, StoreOptions& options, bool with_key) {
  command->add_option("--store", options.store,
                      "store directory, or 'memory' for the memory tier alone "
                      "(default: $CACHE_DATA_STORE_DIR or ~/.cache/cachedata)");
  if (with_key) {
    command->add_option("--key-file", options.key_file,
                        "file holding the data key as 64 hex characters "
                        "(default: $CACHE_DATA_SECURE_DATA_KEY, else <store>/data.key)");
    command->add_option("--instance", options.instance,
                        "instance id that isolates this instance's entries "
                        "(default: $CACHE_DATA_INSTANCE_ID or 'default')");
  }
}

Result<Config> make_config(const StoreOptions& options) {
  auto config = Config::from_env();
  if (!config) return config;
  if (options.store == "memory") {
    config->store = Config::StoreKind::kMemoryOnly;
  } else if (!options.store.empty()) {
    config->store = Config::StoreKind::kLocal;
    config->store_dir = options.store;
  }
  if (!options.key_file.empty()) {
    config->keys.clear();
    config->key_file = options.key_file;
  }
  if (!options.instance.empty()) config->instance_id = options.instance;
  return config;
}

Result<std::unique_ptr<Cache>> open_cache(const StoreOptions& options) {
  auto config = make_config(options);
  if (!config) return config.status();
  auto cache = Cache::open(std::move(config).value());
  if (cache && (*cache)->created_key_file()) {
    std::fprintf(stderr,
                 "cachedata: created a new data key in %s (0600); entries are encrypted with it\n",
                 (*cache)->key_file_path().c_str());
  }
  return cache;
}

Result<std::shared_ptr<Store>> open_store_only(const StoreOptions& options) {
  auto config = make_config(options);
  if (!config) return config.status();
  if (config->store == Config::StoreKind::kMemoryOnly) {
    return Status::invalid_argument("the memory tier lives in one process: nothing to inspect");
  }
  return store::open_configured_store(*config, store::OpenMode::kInspect);
}

Status add_header_options(const std::vector<std::string>& options, Request& request) {
  for (const std::string& h : options) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::invalid_argument("-H '" + h + "' is not of the form 'Name: value'");
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    request.headers.add(h.substr(0, colon), value);
  }
  return Status::ok();
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
}

std::string iso8601(int64_t unix_seconds) {
  return iso8601(std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds)));
}

std::string human_bytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  } else if (bytes >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1ull << 20));
  } else if (bytes >= (1ull << 10)) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / (1ull << 10));
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

int fail(const Status& status) {
  std::fprintf(stderr, "cachedata: error: %s\n", status.to_string().c_str());
  return 2;
}

}  // namespace cachedata::cli
