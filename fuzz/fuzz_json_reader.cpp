// Fuzz target: read_json (src/aws/json_reader.hpp: RapidJSON's SAX reader building a
// nlohmann::json), the reader of the DynamoDB client's answers — bytes from the network —
// differentially against nlohmann::json::parse, which it replaces.
//
// Input: the bytes are the document.
// Invariants (abort when broken):
//   - read_json accepts exactly what nlohmann accepts, and builds the same document, value types
//     included; but for its documented refusals: nesting past kMaxJsonDepth, a NUL byte (which
//     ends nlohmann's input), a number RapidJSON deems too big while scanning it (an exponent
//     past 308 or an integer part of more than 308 digits, which nlohmann may still read);
//   - nlohmann's dump of the document is read alike too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_reader.hpp"

std::vector<std::string> cachedata_fuzz_seeds();

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const char* what, size_t size) {
  std::fprintf(stderr, "fuzz_json_reader: invariant broken: %s (input of %zu bytes)\n", what, size);
  std::abort();
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
  return a.is_discarded() || a == b;
}

// read_json parses in situ: on a copy.
Json read_json(std::string_view text) {
  std::string copy(text);
  return cachedata::aws::read_json(copy);
}

// A number (outside strings) with an exponent past 308 or more than 308 integer digits:
// RapidJSON refuses it while scanning, nlohmann may read it ("0e400", "1<320 zeros>e-300").
bool huge_number(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    auto digits = [&] {
      const size_t from = i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
      return i - from;
    };
    if (c >= '0' && c <= '9') {
      if (digits() > 308) return true;
      if (i < text.size() && text[i] == '.') {
        ++i;
        digits();
      }
      if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        if (++i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        const size_t from = i;
        const size_t n = digits();
        if (n > 3 || (n == 3 && text.substr(from, 3) > "308")) return true;
      }
      --i;
    }
  }
  return false;
}

// Deeper than read_json's limit (nlohmann has none): the only inputs allowed to differ.
bool too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > cachedata::aws::kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Json want = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    // nlohmann's lexer takes a NUL byte for the end of the input; read_json refuses it. What
    // nlohmann read is then the text before it.
    if (!read_json(text).is_discarded()) fail("read a NUL byte", size);
    text = text.substr(0, nul);
  }
  const Json got = read_json(text);
  if (too_deep(text)) {
    if (!got.is_discarded()) fail("a document nested past the limit was read", size);
    return 0;
  }
  if (got.is_discarded() && !want.is_discarded() && huge_number(text)) return 0;
  if (got.is_discarded() != want.is_discarded()) {
    fail(got.is_discarded() ? "refused what nlohmann reads" : "read what nlohmann refuses", size);
  }
  if (!same(got, want)) fail("a different document than nlohmann's", size);
  if (!got.is_discarded()) {
    // nlohmann's own output (escapes \u00XX, numbers in its formats) is read alike too.
    const std::string dumped = got.dump();
    if (!same(read_json(dumped), Json::parse(dumped, nullptr, false))) {
      fail("reads the document's dump differently", size);
    }
  }
  return 0;
}

std::vector<std::string> cachedata_fuzz_seeds() {
  return {
      R"({"Item":{"expires":{"N":"1800000000"},"id_hash":{"S":"0a1b"},"head":{"B":"AAECAw=="},)"
      R"("body":{"B":"QUJD"},"purge_ts":{"N":"1800086400"}}})",
      R"({"ConsumedCapacity":{"CapacityUnits":0.5,"TableName":"t"},"Count":3,"ScannedCount":3})",
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"})",
      R"({"Table":{"CreationDateTime":1.7324E9,"ItemCount":0,"TableSizeBytes":18446744073709551615}})",
      R"(["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t", -0, 1e400, -9223372036854775809, true, null])",
      R"(["\udc00", 0e400, 1e-400, 0.1e309])",
      "\xEF\xBB\xBF{\"k\":\"\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\",\"k\":[]}",
      "{\"a\":1,}",
      "\"\xED\xA0\x80\"",
      "{\"body\":{\"B\":\"" + std::string(1000, 'Q') + "\\\"\xC3\xA9\tQQQQQQQQQQQQQQQQ\"}}",
      "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
      "",
  };
}
