#include "cachedata/data_source.hpp"

#include <array>

namespace cachedata {
namespace {
constexpr std::array<std::pair<DataSource, std::string_view>, 8> kNames = {{
    {DataSource::kOriginal, "original"},
    {DataSource::kOriginalCacheExpired, "original:cache-expired"},
    {DataSource::kCache, "cache"},
    {DataSource::kCacheMemory, "cache:memory"},
    {DataSource::kCacheOriginalNotModified, "cache:original-not-modified"},
    {DataSource::kOriginalCacheUpdateForced, "original:cache-update-forced"},
    {DataSource::kErrorCache, "error:cache"},
    {DataSource::kErrorOriginal, "error:original"},
}};
}  // namespace

std::string_view to_string(DataSource source) {
  for (const auto& [s, name] : kNames) {
    if (s == source) return name;
  }
  return "unknown";
}

std::optional<DataSource> parse_data_source(std::string_view text) {
  for (const auto& [s, name] : kNames) {
    if (name == text) return s;
  }
  return std::nullopt;
}

}  // namespace cachedata
