// An in-process Store over a map: for tests, and as the reference behaviour of the Store
// contract (tests that inject faults wrap it; tests/store_contract_test.cpp holds it and the
// real stores to one table of cases). Not a tier: the memory tier holds opened entries; this
// holds sealed records exactly as a real store would, including the purge rule: a record at or
// past its purge time is gone for get, touch and replace_head, though it still takes space (and
// counts in stats and list) until a sweep. list() orders by use, most recent first, exactly
// (a counter, not a clock). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "cachedata/store.hpp"

namespace cachedata::store {

// `now_seconds`: the clock of the purge rule (unix seconds). Empty: the system clock.
std::unique_ptr<Store> make_memory_store(std::function<int64_t()> now_seconds = {});

}  // namespace cachedata::store
