#include "core/request_id.hpp"

#include <algorithm>
#include <charconv>

#include "base/hex.hpp"
#include "base/strings.hpp"
#include "cachedata/headers.hpp"
#include "core/url.hpp"

namespace cachedata::core {
namespace {

// One item of the encoding: "<decimal byte length>:<bytes>," (a netstring), so no choice of
// bytes in one field can be mistaken for another field.
void put_item(std::string& out, std::string_view item) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, item.size()).ptr;
  out.append(digits, end);
  out.push_back(':');
  out.append(item);
  out.push_back(',');
}

void put_count(std::string& out, size_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  put_item(out, std::string_view(digits, static_cast<size_t>(end - digits)));
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Headers that carry who is asking (docs/FORMAT.md, item 8), in their order in the id.
constexpr std::string_view kCredentialHeaders[] = {"authorization", "proxy-authorization",
                                                   "cookie"};

bool is_key_header(const Profile& profile, std::string_view lower_name) {
  if (profile.key_headers.empty()) return true;
  return std::any_of(profile.key_headers.begin(), profile.key_headers.end(),
                     [&](const std::string& h) { return iequals(h, lower_name); });
}

}  // namespace

Result<std::string> canonical_request(const Profile& profile, const Request& request) {
  auto target = resolve_target(request);
  if (!target) return target.status();

  std::string out;
  out.reserve(256 + request.headers.size() * 48);
  put_item(out, kRequestIdVersion);
  std::string_view method = request.method.empty() ? std::string_view("GET") : request.method;
  if (std::any_of(method.begin(), method.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; })) {
    put_item(out, upper(method));
  } else {
    put_item(out, method);
  }
  put_item(out, target->scheme);
  put_item(out, target->host);
  put_item(out, target->path);

  auto params = std::move(target->params);
  std::sort(params.begin(), params.end());
  put_count(out, params.size());
  for (const auto& [k, v] : params) {
    put_item(out, k);
    put_item(out, v);
  }

  // Credential headers are taken out into their own items, always part of the id (even when the
  // profile names key headers): two users' answers must never share an entry. Values are views
  // into the request; only the lower-cased names are new strings.
  std::vector<std::pair<std::string, std::string_view>> headers;
  headers.reserve(request.headers.size());
  std::string credentials[std::size(kCredentialHeaders)];
  for (const auto& [name, value] : request.headers) {
    const auto* credential =
        std::find_if(std::begin(kCredentialHeaders), std::end(kCredentialHeaders),
                     [&name = name](std::string_view h) { return iequals(name, h); });
    if (credential != std::end(kCredentialHeaders)) {
      std::string& joined = credentials[credential - std::begin(kCredentialHeaders)];
      if (!joined.empty()) joined.append(", ");
      joined.append(base::trim(value));
      continue;
    }
    std::string lower = to_lower(name);
    if (is_key_header(profile, lower)) headers.emplace_back(std::move(lower), base::trim(value));
  }
  std::sort(headers.begin(), headers.end());
  put_count(out, headers.size());
  for (const auto& [k, v] : headers) {
    put_item(out, k);
    put_item(out, v);
  }

  for (const std::string& c : credentials) put_item(out, c);
  put_item(out, target->userinfo);
  put_item(out, request.auth);

  // Most requests have no body: skip hashing the empty string on every get.
  static constexpr std::string_view kEmptySha256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  if (request.body.empty()) {
    put_item(out, kEmptySha256);
  } else {
    put_item(out, base::to_hex(crypto::sha256(request.body)));
  }
  return out;
}

Result<std::string> request_id(const crypto::HmacSha256& id_mac, const Profile& profile,
                               const Request& request) {
  auto canonical = canonical_request(profile, request);
  if (!canonical) return canonical.status();
  return base::to_hex(id_mac.mac(*canonical));
}

}  // namespace cachedata::core
