// Entry: an opened (decrypted, decoded) cache entry, as the memory tier holds it and the
// envelope seals it. Immutable once shared: the cache hands out shared_ptr<const Entry>. The
// body is shared separately so that a revalidated entry (new headers, same body) costs no copy.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "cachedata/headers.hpp"

namespace cachedata::core {

enum class EntryKind : uint8_t {
  kAnswer = 0,   // an origin answer (any status code the policy stores)
  kFailure = 1,  // a remembered origin failure (negative caching); never served as stale
  kVary = 2,     // a pointer: the answer varies on the request headers named in `headers`
                 // ("vary"), and lives under the id that includes them (docs/DESIGN.md, "Vary")
};

// Names the sealed body part a head belongs to: the body part's nonce. All zero: no body.
using BodyRef = std::array<uint8_t, 12>;

struct Entry {
  EntryKind kind = EntryKind::kAnswer;
  int status_code = 0;
  Headers headers;                          // retained origin headers
  std::shared_ptr<const std::string> body;  // null means empty
  std::string etag;                         // validators the origin gave, verbatim
  std::string last_modified;
  std::string error;         // kFailure: why the origin failed
  int64_t stored_at_ms = 0;  // unix milliseconds when the answer was received
  int64_t expires = 0;       // unix seconds; the store record's value wins after a touch
  uint32_t fetch_ms = 0;     // how long the origin took to answer
  BodyRef body_ref{};        // set when sealed or opened; a refreshed head reuses it

  const std::string& body_text() const;
  // Approximate bytes held in memory, for the memory tier's bound.
  size_t memory_size() const;
};

}  // namespace cachedata::core
