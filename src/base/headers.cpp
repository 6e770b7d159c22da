#include "cachedata/headers.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace cachedata {

// The public names of the base helpers (include/cachedata/headers.hpp).
bool iequals(std::string_view a, std::string_view b) {
  return base::iequals(a, b);
}

std::string to_lower(std::string_view s) {
  return base::to_lower(s);
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string_view name, std::string value) {
  remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

size_t Headers::remove(std::string_view name) {
  auto it = std::remove_if(fields_.begin(), fields_.end(),
                           [&](const Field& f) { return iequals(f.first, name); });
  size_t n = static_cast<size_t>(fields_.end() - it);
  fields_.erase(it, fields_.end());
  return n;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

std::optional<std::string> Headers::get_combined(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& f : fields_) {
    if (!iequals(f.first, name)) continue;
    if (out) {
      out->append(", ");
      out->append(f.second);
    } else {
      out = f.second;
    }
  }
  return out;
}

}  // namespace cachedata
