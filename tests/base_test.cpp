// The base layer (src/base/): the string helpers every layer shares, the injectable unix clock
// and the jitter generator. Hex has its own cases in crypto_test.cpp (vectors of the primitives
// that use it).
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/jitter_random.hpp"
#include "base/percent_encoding.hpp"
#include "base/strings.hpp"
#include "base/unix_clock.hpp"

namespace cachedata::base {
namespace {

TEST(BaseStringsTest, TrimRemovesOnlyTheGivenCharactersAtBothEnds) {
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim("a"), "a");
  EXPECT_EQ(trim(" \ta b\t "), "a b");
  EXPECT_EQ(trim("\ra\r"), "\ra\r") << "HTTP whitespace is space and tab only";
  EXPECT_EQ(trim("\r a\t\r", kLineWhitespace), "a");
  EXPECT_EQ(trim("\n a \n", kLineWhitespace), "\n a \n") << "a line has no newline left to trim";
  EXPECT_EQ(trim("xxaxx", "x"), "a");
}

TEST(BaseStringsTest, CaseHelpersFoldAsciiLettersOnly) {
  EXPECT_EQ(to_lower("Content-TYPE: A-Z@[`{"), "content-type: a-z@[`{");
  EXPECT_EQ(to_lower("\xC3\x84"), "\xC3\x84") << "bytes of UTF-8 are not letters to fold";
  EXPECT_TRUE(iequals("ETag", "etag"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("etag", "etags"));
  EXPECT_FALSE(iequals("@", "`")) << "'@' and '`' differ by the case bit but are not letters";
  EXPECT_FALSE(iequals("[", "{"));
  static_assert(ascii_lower('A') == 'a' && ascii_lower('Z') == 'z' && ascii_lower('a') == 'a');
}

TEST(BasePercentEncodingTest, EncodesAllButUnreservedWithUppercaseHex) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b/c?d=e&f+g%"), "a%20b%2Fc%3Fd%3De%26f%2Bg%25");
  EXPECT_EQ(percent_encode(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(percent_encode("/a b/", "/"), "/a%20b/") << "SigV4 keeps the slashes of a path";
  EXPECT_EQ(percent_encode(""), "");
}

TEST(BasePercentEncodingTest, DecodesWellFormedEscapesAndKeepsTheRest) {
  EXPECT_EQ(percent_decode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%4g"), "%zz%4g");
  EXPECT_EQ(percent_decode("%%41"), "%A");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  for (const std::string s : {"", "x", "a b", "\xff\x01%", "~/?#[]@!$&'()*+,;="}) {
    EXPECT_EQ(percent_decode(percent_encode(s)), s);
  }
}

TEST(BaseClockTest, AnInjectedClockWinsOverTheSystemClock) {
  EXPECT_EQ(unix_seconds([] { return int64_t{42}; }), 42);
  const int64_t before = unix_seconds();
  EXPECT_GT(before, 1'700'000'000);  // after November 2023: the system clock, in seconds
  EXPECT_LE(unix_seconds() - before, 60);
}

TEST(BaseJitterTest, EachThreadDrawsItsOwnSpreadOfNumbers) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(jitter_random());
  EXPECT_EQ(seen.size(), 100u);
  uint64_t other = 0;
  std::thread([&] { other = jitter_random(); }).join();
  EXPECT_EQ(seen.count(other), 0u);
}

}  // namespace
}  // namespace cachedata::base
