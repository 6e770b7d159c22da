// An in-process Store over a map: for tests, and as the reference behaviour of the Store
// contract (tests that inject faults wrap it). Not a tier: the memory tier holds opened
// entries; this holds sealed records exactly as a real store would. Thread-safe.
#pragma once

#include <memory>

#include "cachedata/store.hpp"

namespace cachedata::store {

std::unique_ptr<Store> make_memory_store();

}  // namespace cachedata::store
