// The request id: the key of a cache entry (docs/FORMAT.md, "Request id").
//
// canonical_request() writes the versioned canonical encoding of a request (method, endpoint,
// sorted parameters, key headers, credentials, body digest); request_id() MACs it with the
// instance's id key, so the same request gets unrelated ids under two applications' keys or two
// instances' ids. Pure functions; safe from many threads.
#pragma once

#include <string>

#include "cachedata/profile.hpp"
#include "cachedata/request.hpp"
#include "cachedata/status.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::core {

inline constexpr std::string_view kRequestIdVersion = "cachedata-request-id/v1";

// The canonical bytes, or kInvalidArgument for a request without a valid endpoint.
Result<std::string> canonical_request(const Profile& profile, const Request& request);

// HMAC-SHA-256 of the canonical bytes under `id_mac`, as 64 lowercase hex characters.
Result<std::string> request_id(const crypto::HmacSha256& id_mac, const Profile& profile,
                               const Request& request);

}  // namespace cachedata::core
