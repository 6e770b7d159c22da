// Small string helpers every layer uses, kept once. ASCII only, on purpose: HTTP field names,
// methods, AWS names and config keys are ASCII, and a locale must never change what they mean
// (std::tolower depends on the C locale).
#pragma once

#include <string>
#include <string_view>

namespace cachedata::base {

// Optional whitespace as HTTP defines it (RFC 9110 §5.6.3): space and horizontal tab.
inline constexpr std::string_view kHttpWhitespace = " \t";
// ... and the carriage return a file written on Windows leaves at the end of each line.
inline constexpr std::string_view kLineWhitespace = " \t\r";

// `s` without leading and trailing characters from `chars`.
std::string_view trim(std::string_view s, std::string_view chars = kHttpWhitespace);

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

}  // namespace cachedata::base
