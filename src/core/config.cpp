#include "cachedata/config.hpp"

#include <date/tz.h>

#include <unistd.h>
#include <cstdlib>

#include <sstream>

#include "cachedata/store.hpp"
#include "core/byte_size.hpp"

namespace cachedata {
namespace {

using Lookup = std::function<const char*(const char*)>;

Status bad_value(const char* var, std::string_view value, std::string_view expected) {
  return Status::invalid_argument(std::string(var) + ": '" + std::string(value) + "' is not " +
                                  std::string(expected));
}

std::optional<int64_t> parse_non_negative(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<LogLevel> parse_level(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  if (text == "off" || text == "none") return LogLevel::kOff;
  return std::nullopt;
}

}  // namespace

Result<Config> Config::from_env() {
  return from_env([](const char* name) { return std::getenv(name); });
}

Result<Config> Config::from_env(const Lookup& lookup) {
  Config c;
  auto get = [&](const char* name) -> std::optional<std::string_view> {
    const char* v = lookup(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string_view(v);
  };

  if (auto v = get("CACHE_DATA_STORE")) {
    if (*v == "local")
      c.store = StoreKind::kLocal;
    else if (*v == "memory")
      c.store = StoreKind::kMemoryOnly;
    else if (*v == "aws")
      c.store = StoreKind::kAws;
    else
      return bad_value("CACHE_DATA_STORE", *v, "a store kind (local, memory or aws)");
  }
  // The names the storage stack's application templates set: their presence selects the shared
  // store unless CACHE_DATA_STORE says otherwise.
  if (auto v = get("CACHE_DATA_DYNAMO_DB_TABLE")) {
    c.dynamodb_table = std::string(*v);
    if (!get("CACHE_DATA_STORE")) c.store = StoreKind::kAws;
  }
  if (auto v = get("CACHE_DATA_S3_BUCKET")) c.s3_bucket = std::string(*v);

  if (auto v = get("CACHE_DATA_STORE_DIR")) c.store_dir = std::string(*v);
  if (auto v = get("CACHE_DATA_SECURE_DATA_KEY")) {
    auto key = DataKey::from_hex(*v);
    // Never echo a key: the message says what is wrong with its shape only.
    if (!key) {
      return Status::invalid_argument("CACHE_DATA_SECURE_DATA_KEY: " + key.status().message());
    }
    c.keys.push_back(std::move(key).value());
  }
  if (auto v = get("CACHE_DATA_SECURE_DATA_KEY_FILE")) c.key_file = std::string(*v);
  if (auto v = get("CACHE_DATA_SECURE_DATA_KEY_PARAM")) c.data_key_param = std::string(*v);
  if (auto v = get("CACHE_DATA_PREVIOUS_DATA_KEYS")) {
    std::string_view rest = *v;
    int index = 0;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      auto key = DataKey::from_hex(rest.substr(0, comma));
      ++index;
      if (!key) {
        return Status::invalid_argument("CACHE_DATA_PREVIOUS_DATA_KEYS: key " +
                                        std::to_string(index) + ": " + key.status().message());
      }
      c.previous_keys.push_back(std::move(key).value());
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (auto v = get("CACHE_DATA_INSTANCE_ID")) c.instance_id = std::string(*v);
  struct SizeVar {
    const char* name;
    uint64_t* slot;
  };
  for (SizeVar s : {SizeVar{"CACHE_DATA_MEMORY_MAX_BYTES", &c.memory_max_bytes},
                    SizeVar{"CACHE_DATA_LOCAL_MAX_BYTES", &c.local_max_bytes},
                    SizeVar{"CACHE_DATA_LOCAL_INLINE_MAX_BYTES", &c.local_inline_max_bytes},
                    SizeVar{"CACHE_DATA_DYNAMO_DB_INLINE_MAX_BYTES", &c.aws_inline_max_bytes}}) {
    if (auto v = get(s.name)) {
      auto bytes = core::parse_byte_size(*v);
      if (!bytes) return bad_value(s.name, *v, "a byte size (e.g. 67108864 or 64M)");
      *s.slot = *bytes;
    }
  }
  if (auto v = get("CACHE_DATA_PURGE_EXPIRED_CACHE_ENTRIES_AFTER_X_HRS")) {
    auto hours = parse_non_negative(*v);
    if (!hours) {
      return bad_value("CACHE_DATA_PURGE_EXPIRED_CACHE_ENTRIES_AFTER_X_HRS", *v,
                       "a whole number of hours");
    }
    c.purge_window = std::chrono::hours(*hours);
  }
  if (auto v = get("CACHE_DATA_TIME_ZONE_FOR_INTERVAL")) {
    try {
      date::locate_zone(*v);
    } catch (const std::exception&) {
      return bad_value("CACHE_DATA_TIME_ZONE_FOR_INTERVAL", *v, "an IANA time zone name");
    }
    c.default_time_zone = std::string(*v);
  }
  if (auto v = get("CACHE_DATA_LOG_LEVEL")) {
    auto level = parse_level(*v);
    if (!level) return bad_value("CACHE_DATA_LOG_LEVEL", *v, "debug, info, warn, error or off");
    c.log_level = *level;
  }
  Status s = c.validate();
  if (!s) return s;
  return c;
}

Status Config::validate() const {
  if (store == StoreKind::kCustom && !custom_store) {
    return Status::invalid_argument("config.custom_store must be set when store is kCustom");
  }
  if (store == StoreKind::kAws && dynamodb_table.empty()) {
    return Status::invalid_argument(
        "config.dynamodb_table must be set for the shared store (CACHE_DATA_DYNAMO_DB_TABLE)");
  }
  if (store == StoreKind::kLocal && local_max_bytes != 0 && local_max_bytes < (1u << 20)) {
    return Status::invalid_argument(
        "config.local_max_bytes must be 0 (unbounded) or at least 1 MiB, got " +
        std::to_string(local_max_bytes));
  }
  if (!key_file.empty() && !data_key_param.empty()) {
    return Status::invalid_argument(
        "config.key_file and config.data_key_param both name the current key; set one "
        "(CACHE_DATA_SECURE_DATA_KEY_FILE or CACHE_DATA_SECURE_DATA_KEY_PARAM)");
  }
  return validate_cache_settings();
}

Status Config::validate_cache_settings() const {
  if (instance_id.empty()) return Status::invalid_argument("config.instance_id must not be empty");
  if (purge_window.count() < 0) {
    return Status::invalid_argument("config.purge_window must not be negative, got " +
                                    std::to_string(purge_window.count()));
  }
  try {
    date::locate_zone(default_time_zone);
  } catch (const std::exception&) {
    return Status::invalid_argument("config.default_time_zone: unknown time zone '" +
                                    default_time_zone + "'");
  }
  return Status::ok();
}

std::string Config::resolved_store_dir() const {
  if (!store_dir.empty()) return store_dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::string(xdg) + "/cachedata";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.cache/cachedata";
  }
  return "/tmp/cachedata-" + std::to_string(::getuid());
}

}  // namespace cachedata
