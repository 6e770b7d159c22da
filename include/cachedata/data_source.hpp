// DataSource: where the answer of a Cache::get came from. Its text form is written into the
// result headers as `x-cprxy-data-source`, the header name the Node cache-data library uses.
#pragma once

#include <optional>
#include <string_view>

namespace cachedata {

enum class DataSource {
  kOriginal,                   // "original": a miss, answered by the source
  kOriginalCacheExpired,       // "original:cache-expired": the entry had expired; source answered
  kCache,                      // "cache": a fresh entry from the store
  kCacheMemory,                // "cache:memory": a fresh entry from the in-memory tier
  kCacheOriginalNotModified,   // "cache:original-not-modified": expired, source said 304
  kOriginalCacheUpdateForced,  // "original:cache-update-forced": force_refresh
  kErrorCache,                 // "error:cache": the source failed; a stale entry was served
  kErrorOriginal,              // "error:original": the source failed and nothing could be served
};

inline constexpr std::string_view kDataSourceHeader = "x-cprxy-data-source";

std::string_view to_string(DataSource source);
std::optional<DataSource> parse_data_source(std::string_view text);

}  // namespace cachedata
