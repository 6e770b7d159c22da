#include "store/open_store.hpp"

#include "core/expiry_policy.hpp"
#include "store/local_store.hpp"

namespace cachedata::store {

Result<std::shared_ptr<Store>> open_configured_store(const Config& config, OpenMode mode) {
  switch (config.store) {
    case Config::StoreKind::kMemoryOnly:
      return std::shared_ptr<Store>();
    case Config::StoreKind::kCustom:
      return config.custom_store;
    case Config::StoreKind::kLocal: {
      LocalStoreOptions options;
      options.dir = config.resolved_store_dir();
      options.max_bytes = config.local_max_bytes;
      options.inline_max_bytes = config.local_inline_max_bytes;
      options.create_if_missing = mode == OpenMode::kUse;
      options.sweep_on_open = mode == OpenMode::kUse;
      if (config.clock) {
        auto clock = config.clock;
        options.now_seconds = [clock] { return core::to_unix_seconds(clock()); };
      }
      auto opened = open_local_store(std::move(options));
      if (!opened) return opened.status();
      return std::shared_ptr<Store>(std::move(opened).value());
    }
  }
  return Status::invalid_argument("unknown store kind");
}

}  // namespace cachedata::store
