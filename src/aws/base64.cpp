#include "aws/base64.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

namespace cachedata::aws {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Each byte's 6-bit value, -1 for bytes outside the alphabet ('=' included).
constexpr std::array<int8_t, 256> kValues = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(kAlphabet[n >> 6 & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (bytes.size() - i == 1) {
    const uint32_t n = byte(i) << 16;
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out += "==";
  } else if (bytes.size() - i == 2) {
    const uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(kAlphabet[n >> 6 & 63]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // A table look-up per character into a buffer sized once: DynamoDB answers carry every body
  // as base64, and a byte-at-a-time decoder cost more than the rest of a 1 KB item's parsing.
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  // Padding only in the last quad, at its last one or two places.
  const size_t pad = text.back() != '=' ? 0 : text[text.size() - 2] == '=' ? 2 : 1;
  std::string out(text.size() / 4 * 3 - pad, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  const size_t full_quads = text.size() / 4 - (pad > 0 ? 1 : 0);
  for (size_t q = 0; q < full_quads; ++q, in += 4, o += 3) {
    const int a = kValues[in[0]], b = kValues[in[1]], c = kValues[in[2]], d = kValues[in[3]];
    if ((a | b | c | d) < 0) return std::nullopt;  // '=' or a byte outside the alphabet
    const uint32_t n = static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    o[0] = static_cast<char>(n >> 16 & 0xff);
    o[1] = static_cast<char>(n >> 8 & 0xff);
    o[2] = static_cast<char>(n & 0xff);
  }
  if (pad > 0) {
    const int a = kValues[in[0]], b = kValues[in[1]], c = pad == 2 ? 0 : kValues[in[2]];
    if ((a | b | c) < 0) return std::nullopt;
    const uint32_t n = static_cast<uint32_t>(a << 18 | b << 12 | c << 6);
    o[0] = static_cast<char>(n >> 16 & 0xff);
    if (pad == 1) o[1] = static_cast<char>(n >> 8 & 0xff);
  }
  return out;
}

std::string content_md5(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace cachedata::aws
