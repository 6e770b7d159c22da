#include "core/cache_control.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "base/strings.hpp"
#include "cachedata/headers.hpp"

namespace cachedata::core {
namespace {

constexpr int64_t kMaxDelta = 2147483648LL;

// Delta-seconds (RFC 9111 §1.2.2); -1 when invalid.
int64_t parse_delta(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty()) return -1;
  int64_t out = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    out = out * 10 + (c - '0');
    if (out > kMaxDelta) return kMaxDelta;
  }
  return out;
}

void keep_min(std::optional<int64_t>& slot, int64_t value) {
  slot = slot ? std::min(*slot, value) : value;
}

// Splits on commas outside quoted strings.
template <typename Fn>
void for_each_directive(std::string_view header, Fn&& fn) {
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= header.size(); ++i) {
    if (i < header.size() && header[i] == '"') quoted = !quoted;
    if (i == header.size() || (header[i] == ',' && !quoted)) {
      std::string_view d = base::trim(header.substr(start, i - start));
      if (!d.empty()) fn(d);
      start = i + 1;
    }
  }
}

}  // namespace

CacheControl parse_cache_control(std::string_view header) {
  CacheControl cc;
  for_each_directive(header, [&](std::string_view directive) {
    size_t eq = directive.find('=');
    std::string name = to_lower(base::trim(directive.substr(0, eq)));
    std::string_view value =
        eq == std::string_view::npos ? "" : base::trim(directive.substr(eq + 1));
    auto delta = [&](std::optional<int64_t>& slot, bool invalid_means_zero) {
      int64_t d = parse_delta(value);
      if (d >= 0) {
        keep_min(slot, d);
      } else if (invalid_means_zero) {
        keep_min(slot, 0);
      }
    };
    if (name == "max-age")
      delta(cc.max_age, true);
    else if (name == "s-maxage")
      delta(cc.s_maxage, true);
    else if (name == "stale-if-error")
      delta(cc.stale_if_error, false);
    else if (name == "stale-while-revalidate")
      delta(cc.stale_while_revalidate, false);
    else if (name == "no-store")
      cc.no_store = true;
    else if (name == "no-cache")
      cc.no_cache = true;
    else if (name == "must-revalidate")
      cc.must_revalidate = true;
    else if (name == "proxy-revalidate")
      cc.proxy_revalidate = true;
    else if (name == "immutable")
      cc.immutable = true;
    else if (name == "private")
      cc.is_private = true;
    else if (name == "public")
      cc.is_public = true;
  });
  return cc;
}

}  // namespace cachedata::core
