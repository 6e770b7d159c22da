// read_json: the JSON reader of the DynamoDB client's answers, RapidJSON's (in situ, SIMD) instead
// of nlohmann::json::parse, which copies a string byte by byte: a DynamoDB item carries its bytes
// as base64 strings, and nlohmann's parse of a 1 KB item's answer was a third of the client's
// instructions for the whole GetItem (BENCHMARKS.md, "Shared store").
// It builds the same nlohmann::json document as nlohmann::json::parse(text, nullptr, false) — the
// same value types (numbers are converted by nlohmann: a non-negative integer is unsigned, a
// negative one signed, one out of 64 bits or with a fraction or exponent floating-point), the
// last of duplicate keys kept, a UTF-8 byte order mark skipped, strings checked to be well-formed
// UTF-8 (a lone surrogate escape refused) — and a discarded value for anything that is not one JSON
// document. Stricter in these points, which no DynamoDB answer holds:
//   - a NUL byte: nlohmann takes one between tokens for the end of its input and ignores what
//     follows; read_json refuses it;
//   - nesting deeper than kMaxJsonDepth is refused (DynamoDB allows 32 levels);
//   - a number RapidJSON deems too big before its value is known is refused: a zero with an
//     exponent past 308 ("0e400", nlohmann: 0.0), an integer part of more than 308 digits
//     brought back in range by a negative exponent.
// Parses in situ: the content of `text` is overwritten (its size is kept; its capacity may grow);
// pass a copy to keep it. Safe from any thread on distinct texts.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace cachedata::aws {

inline constexpr int kMaxJsonDepth = 256;

nlohmann::json read_json(std::string& text);

}  // namespace cachedata::aws
