// Opens the store a Config names (the embedded local store, a custom store, or none in
// memory-only mode). The one place that maps configuration to a Store implementation.
#pragma once

#include <memory>

#include "cachedata/config.hpp"
#include "cachedata/store.hpp"

namespace cachedata::store {

// nullptr (and ok) for StoreKind::kMemoryOnly.
Result<std::shared_ptr<Store>> open_configured_store(const Config& config);

}  // namespace cachedata::store
