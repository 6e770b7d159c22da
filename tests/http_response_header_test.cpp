// http/response_header.hpp: the one parser of libcurl's response header lines (the HTTP fetcher
// and the AWS clients), one row per kind of line it must tell apart.
#include "http/response_header.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cachedata::http {
namespace {

using Kind = HeaderLine::Kind;

struct Row {
  std::string line;
  Kind kind;
  int status;
  std::string name;
  std::string value;
};

TEST(ResponseHeaderLine, EachKindOfLineIsToldApart) {
  const Row rows[] = {
      {"HTTP/1.1 200 OK\r\n", Kind::kStatus, 200, "", ""},
      {"HTTP/2 304\r\n", Kind::kStatus, 304, "", ""},
      {"HTTP/1.1 100 Continue\r\n", Kind::kStatus, 100, "", ""},
      {"HTTP/1.0 404\n", Kind::kStatus, 404, "", ""},
      // Malformed status lines still start a response, with no code.
      {"HTTP/1.1 20\r\n", Kind::kStatus, 0, "", ""},
      {"HTTP/1.1 2x0 OK\r\n", Kind::kStatus, 0, "", ""},
      {"HTTP/1.1 2000 OK\r\n", Kind::kStatus, 0, "", ""},
      {"HTTP/1.1\r\n", Kind::kStatus, 0, "", ""},
      {"\r\n", Kind::kEnd, 0, "", ""},
      {"\n", Kind::kEnd, 0, "", ""},
      {"Content-Type: text/plain\r\n", Kind::kField, 0, "Content-Type", "text/plain"},
      {"ETag:\t \"v1\" \t\r\n", Kind::kField, 0, "ETag", "\"v1\""},
      {"X-Empty:\r\n", Kind::kField, 0, "X-Empty", ""},
      {"X-Colons: a:b:c\r\n", Kind::kField, 0, "X-Colons", "a:b:c"},
      {"Location: /next\n", Kind::kField, 0, "Location", "/next"},
      {"no colon here\r\n", Kind::kOther, 0, "", ""},
      {"", Kind::kOther, 0, "", ""},
  };
  for (const Row& row : rows) {
    const HeaderLine got = parse_header_line(row.line);
    EXPECT_EQ(got.kind, row.kind) << row.line;
    EXPECT_EQ(got.status, row.status) << row.line;
    EXPECT_EQ(got.name, row.name) << row.line;
    EXPECT_EQ(got.value, row.value) << row.line;
  }
}

}  // namespace
}  // namespace cachedata::http
