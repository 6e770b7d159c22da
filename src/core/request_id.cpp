#include "core/request_id.hpp"

#include <algorithm>

#include "cachedata/headers.hpp"
#include "core/url.hpp"
#include "crypto/hex.hpp"

namespace cachedata::core {
namespace {

// One item of the encoding: "<decimal byte length>:<bytes>," (a netstring), so no choice of
// bytes in one field can be mistaken for another field.
void put_item(std::string& out, std::string_view item) {
  out.append(std::to_string(item.size()));
  out.push_back(':');
  out.append(item);
  out.push_back(',');
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

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
  put_item(out, upper(request.method.empty() ? "GET" : request.method));
  put_item(out, target->scheme);
  put_item(out, target->host);
  put_item(out, target->path);

  auto params = std::move(target->params);
  std::sort(params.begin(), params.end());
  put_item(out, std::to_string(params.size()));
  for (const auto& [k, v] : params) {
    put_item(out, k);
    put_item(out, v);
  }

  // Credentials are taken out of the headers into their own field, always part of the id
  // (even when the profile names key headers): two users' answers must never share an entry.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string authorization;
  for (const auto& [name, value] : request.headers) {
    std::string lower = to_lower(name);
    if (lower == "authorization") {
      if (!authorization.empty()) authorization.append(", ");
      authorization.append(trim(value));
      continue;
    }
    if (is_key_header(profile, lower)) headers.emplace_back(std::move(lower), trim(value));
  }
  std::sort(headers.begin(), headers.end());
  put_item(out, std::to_string(headers.size()));
  for (const auto& [k, v] : headers) {
    put_item(out, k);
    put_item(out, v);
  }

  put_item(out, authorization);
  put_item(out, target->userinfo);
  put_item(out, request.auth);

  crypto::Digest body_digest = crypto::sha256(request.body);
  put_item(out, crypto::to_hex(body_digest));
  return out;
}

Result<std::string> request_id(const crypto::HmacSha256& id_mac, const Profile& profile,
                               const Request& request) {
  auto canonical = canonical_request(profile, request);
  if (!canonical) return canonical.status();
  return crypto::to_hex(id_mac.mac(*canonical));
}

}  // namespace cachedata::core
