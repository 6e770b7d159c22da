#include "core/byte_size.hpp"

#include <cstdint>

namespace cachedata::core {

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t multiplier = 1;
  char last = text.back();
  if (last == 'K' || last == 'k') multiplier = 1ull << 10;
  if (last == 'M' || last == 'm') multiplier = 1ull << 20;
  if (last == 'G' || last == 'g') multiplier = 1ull << 30;
  if (multiplier != 1) text.remove_suffix(1);
  if (text.empty() || text.size() > 15) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > UINT64_MAX / multiplier) return std::nullopt;  // would wrap to a wrong size
  return value * multiplier;
}

}  // namespace cachedata::core
