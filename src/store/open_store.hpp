// Opens the store a Config names (the embedded local store, a custom store, or none in
// memory-only mode). The one place that maps configuration to a Store implementation.
#pragma once

#include <memory>

#include "cachedata/config.hpp"
#include "cachedata/store.hpp"

namespace cachedata::store {

enum class OpenMode {
  kUse,      // create when missing; sweep at open (what a Cache does)
  kInspect,  // must exist; no sweep, so the caller sees what is there (CLI inspect/stats/purge)
};

// nullptr (and ok) for StoreKind::kMemoryOnly.
Result<std::shared_ptr<Store>> open_configured_store(const Config& config,
                                                     OpenMode mode = OpenMode::kUse);

}  // namespace cachedata::store
