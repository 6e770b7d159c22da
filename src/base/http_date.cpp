#include "base/http_date.hpp"

#include <date/date.h>

#include <sstream>

#include "base/strings.hpp"

namespace cachedata::base {

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  static const char* const kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %e %H:%M:%S %Y",       // asctime
  };
  std::string input(trim(text));
  for (const char* format : kFormats) {
    std::istringstream in(input);
    date::sys_seconds t;
    in >> date::parse(format, t);
    if (!in.fail()) {
      // The whole value must be consumed: "Thu, 01 Jan 1970 00:00:00 GMT junk" is invalid.
      in >> std::ws;
      if (in.peek() == std::char_traits<char>::eof()) return t;
    }
  }
  return std::nullopt;
}

std::string format_http_date(std::chrono::sys_seconds t) {
  return date::format("%a, %d %b %Y %H:%M:%S GMT", t);
}

}  // namespace cachedata::base
