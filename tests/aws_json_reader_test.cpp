// read_json (src/aws/json_reader.*: RapidJSON's SAX reader building a nlohmann::json) against
// nlohmann::json::parse, the reader it replaces on the DynamoDB client's answers: the same
// document — value types included — or a discarded value for the same inputs, on hand-picked
// cases (escapes, surrogates, UTF-8 edges, numbers, duplicate keys, truncations) and on many
// generated and mutated documents; and the points where it is stricter on purpose (nesting, NUL
// bytes, numbers RapidJSON deems too big). fuzz/fuzz_json_reader.cpp runs the same comparison on
// fuzzed bytes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "aws/json_reader.hpp"

namespace cachedata {
namespace {

using Json = nlohmann::json;

// read_json parses in situ (overwrites its argument): on a copy.
Json read_json(std::string text) {
  return aws::read_json(text);
}

// Equal values of equal types all the way down (nlohmann's == calls 1 and 1u and 1.0 equal).
bool same(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key() || !same(ia.value(), ib.value())) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_discarded()) return true;
  return a == b;
}

void expect_like_nlohmann(const std::string& text) {
  const Json want = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const Json got = read_json(text);
  EXPECT_TRUE(same(got, want)) << "input: " << ::testing::PrintToString(text)
                               << "\n  nlohmann: " << (want.is_discarded() ? "error" : want.dump())
                               << "\n  read_json: " << (got.is_discarded() ? "error" : got.dump());
}

TEST(AwsJsonReader, ReadsADynamoDbAnswerLikeNlohmann) {
  const std::string answer =
      R"({"Item":{"expires":{"N":"1800000000"},"id_hash":{"S":"abc"},"head":{"B":"AAECAw=="},)"
      R"("body":{"B":")" +
      std::string(1400, 'Q') +
      R"("},"purge_ts":{"N":"1800086400"}},)"
      R"("ConsumedCapacity":{"CapacityUnits":0.5,"TableName":"t"}})";
  expect_like_nlohmann(answer);
  const Json doc = read_json(answer);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["Item"]["body"]["B"].get<std::string>().size(), 1400u);
  EXPECT_TRUE(doc["ConsumedCapacity"]["CapacityUnits"].is_number_float());
}

TEST(AwsJsonReader, HandPickedCasesMatchNlohmann) {
  const std::vector<std::string> cases = {
      // values and white space
      "{}", "[]", " { } ", "\t[\n1 ,\r2 ]\n", "true", "false", "null", "\"\"", "0", "-0", "[[[]]]",
      "{\"a\":{\"b\":[1,{\"c\":null}]}}", "\xEF\xBB\xBF{}", "\xEF\xBB{}",
      // numbers: integers, unsigned, overflow to floating point, fractions, exponents
      "1", "-1", "123456789", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "18446744073709551615", "18446744073709551616", "1.5", "-0.25", "1e3",
      "1E+3", "1e-3", "2.5e10", "1e400", "-1e400", "0.1", "123.456e-7", "01", "-", "+1", "1.", ".5",
      "1e", "1e+", "--1", "0x10", "1.5.5", "Infinity", "NaN", "1e-400", "-1e-400", "0.0e308",
      "-0.0", "1e308", "1.7976931348623157e308", "1.7976931348623159e308", "4.9e-324", "0.1e309",
      "100000000000000000000000000000000000000000000000000", "123456789012345678901234567890e-20",
      "0.30000000000000004", "2.2250738585072011e-308", "9007199254740993",
      // strings: escapes, \u, surrogate pairs, lone surrogates, control characters (RapidJSON
      // 1.1.0's SSE2 scan misses 0x1A-0x1F: read_json checks them)
      R"("a\"b\\c\/d\be\ff\ng\rh\ti")", R"("\u0041\u00e9\u4e2d\uFFFF")", R"("\u0000")",
      R"("\ud83d\ude00")", R"("\uD83D\uDE00")", R"("\ud83d")", R"("\ude00")", R"("\ud83dx")",
      R"("\ud83d\u0041")", R"({"\udc00":1})", R"("a\uDFFFb")", R"("\u00ED\u00A0")", R"("\u12")",
      R"("\u12G4")", R"("\x")", "\"\\", "\"a", "\"a\tb\"", "\"a\nb\"", "\"\x7f\"", "\"\x19\"",
      "\"\x1a\"", "\"\x1f\"", "\"" + std::string(100, 'Q') + "\x1d" + std::string(100, 'Q') + "\"",
      "[1]\x1e", "\"\\u001a\"", std::string("\"a\0b\"", 5),
      // UTF-8: well-formed, overlong, surrogates, past U+10FFFF, truncated
      "\"\xC3\xA9\"", "\"\xE4\xB8\xAD\"", "\"\xF0\x9F\x98\x80\"", "\"\xF4\x8F\xBF\xBF\"",
      "\"\xC0\xAF\"", "\"\xC1\xBF\"", "\"\xE0\x80\xAF\"", "\"\xE0\xA0\x80\"", "\"\xED\xA0\x80\"",
      "\"\xED\x9F\xBF\"", "\"\xF0\x80\x80\xAF\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"",
      "\"\xC3\"", "\"\xE4\xB8\"", "\"\xEF", "{\"a\":\"\xF0", "[\"\xF4\x8F", "\"\x80\"", "\"\xFF\"",
      "\"\xC3\x41\"",
      // objects and arrays: duplicates, separators, truncations, trailing data
      "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":{\"c\":3}}", "{\"a\":1,}", "[1,]", "[,1]", "{,}",
      "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{1:2}", "{\"a\":1", "[1", "[1 2]", "{} {}", "{}x", "[] ",
      "", " ", "nul", "tru", "truex", "nulll", "[true,false,null]", "{\"\":\"\"}", "// comment\n{}",
      "{\"a\":1 /* c */}", "'a'", "[\"a\",]"};
  for (const auto& text : cases) expect_like_nlohmann(text);
}

TEST(AwsJsonReader, RefusesNestingBeyondTheLimit) {
  const std::string ok =
      std::string(aws::kMaxJsonDepth, '[') + std::string(aws::kMaxJsonDepth, ']');
  EXPECT_TRUE(read_json(ok).is_array());
  const std::string deep =
      std::string(aws::kMaxJsonDepth + 1, '[') + std::string(aws::kMaxJsonDepth + 1, ']');
  EXPECT_TRUE(read_json(deep).is_discarded());
  const std::string very_deep(100000, '[');  // no stack overflow on hostile input
  EXPECT_TRUE(read_json(very_deep).is_discarded());
}

// A NUL byte ends nlohmann's input (what follows is ignored); read_json refuses it.
TEST(AwsJsonReader, RefusesANulByte) {
  EXPECT_FALSE(Json::parse(std::string("{}\0x", 4), nullptr, false).is_discarded());
  EXPECT_TRUE(read_json(std::string("{}\0x", 4)).is_discarded());
  EXPECT_TRUE(read_json(std::string("{}\0", 3)).is_discarded());
  EXPECT_TRUE(read_json(std::string("[1,\0]", 5)).is_discarded());
}

// RapidJSON refuses, while scanning, a positive exponent past 308 (less the fraction's digits)
// and an integer part past DBL_MAX / 10 followed by more digits, before it knows the value:
// nlohmann reads these few ones (a zero mantissa; more than 308 integer digits scaled back down).
// No DynamoDB answer holds such a number; documented in json_reader.hpp.
TEST(AwsJsonReader, RefusesNumbersRapidJsonDeemsTooBig) {
  const std::vector<std::string> cases = {"0e400", "-0.0e999", "[0E+309]",
                                          "1" + std::string(320, '0') + "e-300"};
  for (const auto& text : cases) {
    EXPECT_FALSE(Json::parse(text, nullptr, false).is_discarded()) << text;
    EXPECT_TRUE(read_json(text).is_discarded()) << text;
  }
}

// Random documents (DynamoDB-like and arbitrary), then byte-level mutations of them: every one
// read alike. Deterministic.
std::string random_string(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {"a",
                                                  "Z",
                                                  "0",
                                                  " ",
                                                  "\\\"",
                                                  "\\\\",
                                                  "\\/",
                                                  "\\n",
                                                  "\\t",
                                                  "\\u0041",
                                                  "\\u00e9",
                                                  "\\ud83d\\ude00",
                                                  "\xC3\xA9",
                                                  "\xE4\xB8\xAD",
                                                  "\xF0\x9F\x98\x80",
                                                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                                  "+/=",
                                                  "~"};
  std::string s = "\"";
  const int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) s += pieces[rng() % pieces.size()];
  return s + "\"";
}

std::string random_value(std::mt19937& rng, int depth) {
  switch (rng() % (depth > 4 ? 5 : 7)) {
    case 0:
      return random_string(rng);
    case 1: {
      static const std::vector<std::string> numbers = {
          "0", "-1", "42", "1.5", "-2.5e-3", "1e10", "1E+2", "12345678901234567890"};
      return numbers[rng() % numbers.size()];
    }
    case 2:
      return "true";
    case 3:
      return "null";
    case 4:
      return "{\"B\":\"" + std::string(rng() % 64, 'Q') + "\"}";
    case 5: {
      std::string s = "{";
      const int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        if (i > 0) s += rng() % 2 ? "," : " , ";
        s += random_string(rng) + (rng() % 2 ? ":" : " : ") + random_value(rng, depth + 1);
      }
      return s + "}";
    }
    default: {
      std::string s = "[";
      const int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) s += (i > 0 ? "," : "") + random_value(rng, depth + 1);
      return s + "]";
    }
  }
}

TEST(AwsJsonReader, GeneratedAndMutatedDocumentsMatchNlohmann) {
  std::mt19937 rng(20261126);
  static const char kBytes[] = "{}[]\":,\\ u0e.-+9tfnx\x80\xC3\xED\xF0\xFF\n";
  for (int i = 0; i < 20000; ++i) {
    std::string doc = random_value(rng, 0);
    expect_like_nlohmann(doc);
    if (doc.empty()) continue;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % doc.size();
      switch (rng() % 3) {
        case 0:
          doc[at] = kBytes[rng() % (sizeof kBytes - 1)];
          break;
        case 1:
          doc.erase(at, 1 + rng() % 3);
          break;
        default:
          doc.insert(at, 1, kBytes[rng() % (sizeof kBytes - 1)]);
      }
      if (doc.empty()) break;
    }
    expect_like_nlohmann(doc);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace cachedata
