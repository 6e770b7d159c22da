// Byte sizes as people write them in configuration: "1048576", "64K", "64M", "1G" (binary
// multiples, either case). Shared by Config::from_env and the CLI so both accept the same text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cachedata::core {

// nullopt for anything else: empty, signs, spaces, fractions, or a value that would not fit.
std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace cachedata::core
