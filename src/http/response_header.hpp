// The one parser of the response header lines libcurl hands a HEADERFUNCTION, for the HTTP
// fetcher and the AWS clients alike. libcurl calls it once per line of every response on the
// way, 1xx and redirects included: a status line starts a response, fields follow, a blank line
// ends its header block. Pure: no I/O, no allocation.
#pragma once

#include <string_view>

namespace cachedata::http {

struct HeaderLine {
  enum class Kind {
    kStatus,  // "HTTP/1.1 200 OK", "HTTP/2 304": a new response begins
    kField,   // "Name: value"
    kEnd,     // the blank line that ends the header block
    kOther,   // anything else (a line without a colon): ignored
  };
  Kind kind = Kind::kOther;
  int status = 0;          // kStatus: the three-digit code; 0 when the line has none
  std::string_view name;   // kField: as sent
  std::string_view value;  // kField: without the blanks around it and the line end
};

inline HeaderLine parse_header_line(std::string_view line) {
  HeaderLine out;
  if (line == "\r\n" || line == "\n") {
    out.kind = HeaderLine::Kind::kEnd;
    return out;
  }
  if (line.starts_with("HTTP/")) {
    out.kind = HeaderLine::Kind::kStatus;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || line.size() < space + 4) return out;
    int status = 0;
    for (char c : line.substr(space + 1, 3)) {
      if (c < '0' || c > '9') return out;
      status = status * 10 + (c - '0');
    }
    // "HTTP/1.1 2000": not a three-digit code.
    if (line.size() > space + 4 && line[space + 4] >= '0' && line[space + 4] <= '9') return out;
    out.status = status;
    return out;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return out;
  out.kind = HeaderLine::Kind::kField;
  out.name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.remove_suffix(1);
  }
  out.value = value;
  return out;
}

}  // namespace cachedata::http
