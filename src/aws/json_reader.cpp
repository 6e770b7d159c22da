// read_json: RapidJSON's SAX reader builds the nlohmann::json document the DynamoDB client works
// on. Why not nlohmann::json::parse: its lexer copies a string byte by byte, and a DynamoDB item
// carries its bytes as big base64 strings — the parse of a 1 KB item's answer was a third of the
// client's instructions for the whole GetItem. RapidJSON scans strings 16 bytes at a time (SIMD)
// and parses in situ: a string is decoded where it lies, then copied once, into the document.

// RapidJSON's SIMD loops where the CPU baseline has them; before its headers, in this file only.
// (RapidJSON 1.1.0 has SSE2 ones only; RAPIDJSON_NEON is for its later versions.)
#if defined(__SSE2__)
#define RAPIDJSON_SSE2
#elif defined(__ARM_NEON)
#define RAPIDJSON_NEON
#endif

#include "aws/json_reader.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

// RapidJSON 1.1.0's internal::Stack adds to its null pointer before the first allocation
// (harmless; fixed after 1.1.0), which Clang's UndefinedBehaviorSanitizer reports: not checked in
// RapidJSON's functions.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/reader.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

namespace cachedata::aws {
namespace {

using Json = nlohmann::json;

// Iterative: no recursion on hostile nesting. Numbers as strings: converted by nlohmann below,
// so that their types and values are exactly nlohmann's.
constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag |
                            rapidjson::kParseNumbersAsStringsFlag;
// RapidJSON checks UTF-8 byte by byte, without its SIMD scan: only for a text that is not ASCII
// (an ASCII text is well-formed UTF-8; DynamoDB answers with base64 and hex strings are ASCII).
constexpr unsigned kFlagsValidating = kFlags | rapidjson::kParseValidateEncodingFlag;

// One pass over the text (a loop the compiler vectorizes): whether it is ASCII, and whether it
// holds a byte from 0x1A to 0x1F. RapidJSON 1.1.0's SSE2 string scan takes these for plain
// characters inside a string (it tests `<= 0x19`; fixed after 1.1.0); JSON allows such a control
// character nowhere, so a text that holds one is refused here.
struct Bytes {
  bool ascii;
  bool control_1a_1f;
};
Bytes scan(const std::string& text) {
  unsigned char bits = 0;
  unsigned char control = 0;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    bits |= b;
    control |= static_cast<unsigned char>(static_cast<unsigned char>(b - 0x1A) < 6);
  }
  return {bits < 0x80, control != 0};
}

// Receives RapidJSON's events and builds the document: `open_` holds the containers being
// filled, outermost first (a container's address is stable while its children are added).
class Builder {
 public:
  Json& document() { return root_; }

  bool Null() { return put(nullptr) != nullptr; }
  bool Bool(bool b) { return put(b) != nullptr; }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    Json number = Json::parse(text, text + length, nullptr, /*allow_exceptions=*/false);
    // Discarded: out of a double's range (RapidJSON checked the grammar).
    return !number.is_discarded() && put(std::move(number)) != nullptr;
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (lone_low_surrogate(text, length)) return false;
    return put(std::string(text, length)) != nullptr;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    if (lone_low_surrogate(text, length)) return false;
    key_.assign(text, length);
    return true;
  }
  bool StartObject() { return open(Json::object()); }
  bool StartArray() { return open(Json::array()); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }
  // Never called with kParseNumbersAsStringsFlag.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }

 private:
  // The value's place: the document, the next element of an array, or the pending key's value
  // in an object (a repeated key keeps its last value, as with nlohmann).
  Json* put(Json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    auto& members = parent.get_ref<Json::object_t&>();
    return &members.insert_or_assign(key_, std::move(value)).first->second;
  }

  bool open(Json&& container) {
    if (open_.size() == static_cast<size_t>(kMaxJsonDepth)) return false;
    open_.push_back(put(std::move(container)));
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  // RapidJSON decodes "\uDC00" (a low surrogate without its high one; nlohmann refuses it) into
  // the bytes ED B0 80, which a string of well-formed UTF-8 never holds: ED is followed by 80-9F.
  static bool lone_low_surrogate(const char* text, size_t length) {
    const char* end = text + length;
    for (const char* p = text;
         (p = static_cast<const char*>(std::memchr(p, '\xED', static_cast<size_t>(end - p))));) {
      if (++p == end || static_cast<unsigned char>(*p) >= 0xA0) return true;
    }
    return false;
  }

  Json root_;
  std::vector<Json*> open_;
  std::string key_;
};

}  // namespace

nlohmann::json read_json(std::string& text) {
  const Bytes bytes = scan(text);
  if (bytes.control_1a_1f) return Json(Json::value_t::discarded);
  const size_t size = text.size();
  const size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // nlohmann skips a UTF-8 BOM
  // RapidJSON reads past the NUL that ends its text: its SIMD loops load the whole aligned 16-byte
  // block that holds it, and its UTF-8 check takes a truncated sequence's missing bytes (up to 3).
  // 16 NUL bytes of padding keep both within the string (AddressSanitizer checks it).
  text.append(16, '\0');
  rapidjson::InsituStringStream in(text.data() + start);
  Builder builder;
  rapidjson::Reader reader;
  const bool ok = bytes.ascii ? !reader.Parse<kFlags>(in, builder).IsError()
                              : !reader.Parse<kFlagsValidating>(in, builder).IsError();
  text.resize(size);
  // The text ends at its first NUL byte for RapidJSON: one before the end is refused.
  if (!ok || start + in.Tell() != size) return Json(Json::value_t::discarded);
  return std::move(builder.document());
}

}  // namespace cachedata::aws
