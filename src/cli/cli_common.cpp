#include "cli/cli_common.hpp"

#include <date/date.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "open/open_cache.hpp"
#include "store/open_store.hpp"

namespace cachedata::cli {

void add_store_options(CLI::App* command, StoreOptions& options, bool with_key) {
  command->add_option("--store", options.store,
                      "store directory, 'memory' for the memory tier alone, or the shared store "
                      "'aws:table=NAME[,bucket=NAME][,region=R][,endpoint=URL]"
                      "[,dynamodb-endpoint=URL][,s3-endpoint=URL][,inline-max=BYTES]' "
                      "(default: $CACHE_DATA_DYNAMO_DB_TABLE's shared store, else "
                      "$CACHE_DATA_STORE_DIR or ~/.cache/cachedata)");
  if (with_key) {
    command->add_option("--key-file", options.key_file,
                        "file holding the data key as 64 hex characters "
                        "(default: $CACHE_DATA_SECURE_DATA_KEY, else <store>/data.key)");
    command->add_option("--key-param", options.key_param,
                        "SSM SecureString parameter holding the data key "
                        "(default: $CACHE_DATA_SECURE_DATA_KEY_PARAM)");
    command->add_option("--instance", options.instance,
                        "instance id that isolates this instance's entries "
                        "(default: $CACHE_DATA_INSTANCE_ID or 'default')");
  }
}

Status apply_aws_store_uri(std::string_view uri, Config& config) {
  config.store = Config::StoreKind::kAws;
  std::string_view rest = uri.substr(4);  // after "aws:"
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return Status::invalid_argument("--store: '" + std::string(item) +
                                      "' is not of the form name=value");
    }
    std::string_view name = item.substr(0, eq);
    std::string value(item.substr(eq + 1));
    if (name == "table") {
      config.dynamodb_table = value;
    } else if (name == "bucket") {
      config.s3_bucket = value;
    } else if (name == "region") {
      config.aws.region = value;
    } else if (name == "endpoint") {
      config.aws.endpoint_url = value;
    } else if (name == "dynamodb-endpoint") {
      config.aws.dynamodb_endpoint = value;
    } else if (name == "s3-endpoint") {
      config.aws.s3_endpoint = value;
    } else if (name == "inline-max") {
      char* end = nullptr;
      unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0') {
        return Status::invalid_argument("--store: inline-max=" + value + " is not a number");
      }
      config.aws_inline_max_bytes = n;
    } else {
      return Status::invalid_argument(
          "--store: unknown setting '" + std::string(name) +
          "' (table, bucket, region, endpoint, dynamodb-endpoint, s3-endpoint, inline-max)");
    }
  }
  if (config.dynamodb_table.empty()) {
    return Status::invalid_argument("--store " + std::string(uri) + ": table=NAME is required");
  }
  return Status::ok();
}

Result<Config> make_config(const StoreOptions& options) {
  auto config = Config::from_env();
  if (!config) return config;
  if (options.store == "memory") {
    config->store = Config::StoreKind::kMemoryOnly;
  } else if (options.store.rfind("aws:", 0) == 0) {
    if (Status s = apply_aws_store_uri(options.store, *config); !s) return s;
  } else if (!options.store.empty()) {
    config->store = Config::StoreKind::kLocal;
    config->store_dir = options.store;
  }
  if (!options.key_file.empty()) {
    config->keys.clear();
    config->key_file = options.key_file;
  }
  if (!options.key_param.empty()) {
    config->keys.clear();
    config->data_key_param = options.key_param;
  }
  if (!options.instance.empty()) config->instance_id = options.instance;
  if (Status s = config->validate(); !s) return s;
  return config;
}

Result<std::unique_ptr<Cache>> open_cache(const StoreOptions& options) {
  auto config = make_config(options);
  if (!config) return config.status();
  auto parts = wiring::open_cache_parts(*config);
  if (!parts) return parts.status();
  if (wiring::created_key_file(*parts)) {
    std::fprintf(stderr,
                 "cachedata: created a new data key in %s (0600); entries are encrypted with it\n",
                 wiring::key_file_of(*parts).c_str());
  }
  return Cache::open(std::move(config).value(), std::move(parts).value());
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
