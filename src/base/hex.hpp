// Lowercase hex encoding and strict decoding.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachedata::base {

std::string to_hex(std::span<const uint8_t> bytes);
// 0..15 for [0-9a-fA-F], -1 for anything else.
int hex_digit_value(char c);
// std::nullopt unless `hex` has an even length and only [0-9a-fA-F].
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
bool is_lower_hex(std::string_view s, size_t length);

}  // namespace cachedata::base
