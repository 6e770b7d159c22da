// The wiring layer's Cache::open(Config): the parts a Config names, built from the layers that
// provide them (the store from store/open_store, the key from a key file, SSM Parameter Store,
// Config::keys or the embedded store's data.key), then handed to core's
// Cache::open(Config, CacheParts). Core itself knows none of these implementations.
#include "open/open_cache.hpp"
#include <memory>
#include <utility>
#include <vector>

#include "aws/ssm_data_key.hpp"
#include "core/key_file.hpp"
#include "store/open_store.hpp"

namespace cachedata {
namespace {

// The source of the key that seals new entries, in the order of precedence Config documents;
// a key it takes from `older` (Config::keys) is removed from there.
Result<std::shared_ptr<KeySource>> open_key_source(const Config& config,
                                                   std::vector<DataKey>& older) {
  if (!config.key_file.empty()) {
    auto key = DataKey::from_file(config.key_file);
    if (!key) return key.status();
    return std::shared_ptr<KeySource>(std::make_shared<core::KeyFileSource>(
        std::move(key).value(), config.key_file, /*created=*/false));
  }
  if (!config.data_key_param.empty()) {
    // The key in SSM Parameter Store (production); re-read in the background.
    auto provider = aws::open_ssm_data_key(
        config.data_key_param,
        std::chrono::duration_cast<std::chrono::milliseconds>(config.data_key_refresh_interval),
        config.aws);
    if (!provider) return provider.status();
    return std::shared_ptr<KeySource>(std::move(provider).value());
  }
  if (!older.empty()) {
    DataKey first = older.front();
    older.erase(older.begin());
    return fixed_key_source(std::move(first), "Config::keys");
  }
  if (config.store == Config::StoreKind::kMemoryOnly) {
    // Nothing outlives the process, so a key that dies with it is enough.
    return fixed_key_source(DataKey::generate(), "a key of this process only");
  }
  if (config.store == Config::StoreKind::kLocal) {
    const std::string path = config.resolved_store_dir() + "/data.key";
    auto loaded = core::load_or_create_key_file(path, config.create_key_file);
    if (!loaded) return loaded.status();
    return std::shared_ptr<KeySource>(
        std::make_shared<core::KeyFileSource>(std::move(loaded->key), path, loaded->created));
  }
  return Status::invalid_argument(
      "no data key configured (config.keys, config.key_file, config.data_key_param, "
      "CACHE_DATA_SECURE_DATA_KEY or CACHE_DATA_SECURE_DATA_KEY_PARAM)");
}

}  // namespace

namespace wiring {

Result<CacheParts> open_cache_parts(const Config& config) {
  if (Status s = config.validate(); !s) return s;
  CacheParts parts;
  auto store = store::open_configured_store(config);
  if (!store) return store.status();
  parts.store = std::move(store).value();
  parts.older_keys = config.keys;
  auto source = open_key_source(config, parts.older_keys);
  if (!source) return source.status();
  parts.key_source = std::move(source).value();
  parts.older_keys.insert(parts.older_keys.end(), config.previous_keys.begin(),
                          config.previous_keys.end());
  parts.clock = config.clock;
  parts.log_sink = config.log_sink;
  return parts;
}

const std::string& key_file_of(const CacheParts& parts) {
  static const std::string kNone;
  auto* file = dynamic_cast<const core::KeyFileSource*>(parts.key_source.get());
  return file != nullptr ? file->path() : kNone;
}

bool created_key_file(const CacheParts& parts) {
  auto* file = dynamic_cast<const core::KeyFileSource*>(parts.key_source.get());
  return file != nullptr && file->created();
}

}  // namespace wiring

Result<std::unique_ptr<Cache>> Cache::open(Config config) {
  auto parts = wiring::open_cache_parts(config);
  if (!parts) return parts.status();
  return open(std::move(config), std::move(parts).value());
}

}  // namespace cachedata
