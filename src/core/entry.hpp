// Entry: an opened (decrypted, decoded) cache entry, as the memory tier holds it and the
// envelope seals it. Immutable once shared: the cache hands out shared_ptr<const Entry>.
#pragma once

#include <cstdint>
#include <string>

#include "cachedata/headers.hpp"

namespace cachedata::core {

enum class EntryKind : uint8_t {
  kAnswer = 0,   // an origin answer (any status code the policy stores)
  kFailure = 1,  // a remembered origin failure (negative caching); never served as stale
};

struct Entry {
  EntryKind kind = EntryKind::kAnswer;
  int status_code = 0;
  Headers headers;  // retained origin headers
  std::string body;
  std::string etag;  // validators the origin gave, verbatim
  std::string last_modified;
  std::string error;         // kFailure: why the origin failed
  int64_t stored_at_ms = 0;  // unix milliseconds when the answer was received
  int64_t expires = 0;       // unix seconds; the store record's value wins after a touch
  uint32_t fetch_ms = 0;     // how long the origin took to answer

  // Approximate bytes held in memory, for the memory tier's bound.
  size_t memory_size() const;
};

}  // namespace cachedata::core
