// read_json: the JSON reader of the DynamoDB client's answers. It builds the same document as
// nlohmann::json::parse(text, nullptr, false) — the same value types (signed, unsigned and
// floating-point numbers as nlohmann reads them), the last of duplicate keys kept, a UTF-8
// byte order mark skipped, strings checked to be well-formed UTF-8 — and a discarded value for
// anything that is not one JSON document (stricter in one point: nlohmann takes a NUL byte
// between tokens for the end of its input and ignores what follows; read_json refuses it). Unlike
// nlohmann's lexer, which copies a string byte by byte, it copies runs of plain characters at once:
// a DynamoDB item carries its bytes as base64 strings, and nlohmann's parse of a 1 KB item's
// answer was a third of the client's instructions for the whole GetItem (BENCHMARKS.md, "Shared
// store").
// Nesting deeper than kMaxJsonDepth is refused (DynamoDB allows 32 levels). A pure function; safe
// from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace cachedata::aws {

inline constexpr int kMaxJsonDepth = 256;

nlohmann::json read_json(std::string_view text);

}  // namespace cachedata::aws
