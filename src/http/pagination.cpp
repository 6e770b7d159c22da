// Pagination: the next page, the combined body, and the loop over pages (see pagination.hpp).
#include "http/pagination.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "base/percent_encoding.hpp"
#include "base/strings.hpp"
#include "http/redirect.hpp"

namespace cachedata::http {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kWhitespace = base::kHttpWhitespace;

// Reads a quoted-string starting at s[i] == '"' (RFC 9110 §5.6.4, backslash escapes); moves i
// past the closing quote (or to the end when there is none).
std::string read_quoted(std::string_view s, size_t& i) {
  std::string out;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      ++i;
      return out;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Moves i to the next top-level ',' (outside quotes and <>), or the end.
void skip_to_comma(std::string_view s, size_t& i) {
  while (i < s.size() && s[i] != ',') {
    if (s[i] == '"') {
      read_quoted(s, i);
    } else if (s[i] == '<') {
      const size_t close = s.find('>', i);
      i = close == std::string_view::npos ? s.size() : close + 1;
    } else {
      ++i;
    }
  }
}

bool is_two_xx(int status) {
  return status >= 200 && status < 300;
}

json::json_pointer pointer(const std::string& text) {
  return json::json_pointer(text);
}

// The value at `ptr`, or nullptr when the path does not exist.
const json* find(const json& doc, const std::string& ptr) {
  if (ptr.empty()) return &doc;
  try {
    const auto p = pointer(ptr);
    if (!doc.contains(p)) return nullptr;
    return &doc.at(p);
  } catch (const json::exception&) {
    return nullptr;  // e.g. "/items/x" where items is an array
  }
}

}  // namespace

// ---- Link header --------------------------------------------------------------------------------

std::vector<LinkValue> parse_link_header(std::string_view value) {
  std::vector<LinkValue> links;
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ',' || kWhitespace.find(value[i]) != std::string::npos))
      ++i;
    if (i >= value.size()) break;
    if (value[i] != '<') {  // not a link-value: skip to the next one
      skip_to_comma(value, i);
      continue;
    }
    const size_t close = value.find('>', i);
    if (close == std::string_view::npos) break;  // no end to the URI: nothing more to read
    LinkValue link;
    link.target = std::string(base::trim(value.substr(i + 1, close - i - 1)));
    i = close + 1;
    bool seen_rel = false;
    // link-params: *( OWS ";" OWS name [ "=" ( token / quoted-string ) ] )
    while (i < value.size() && value[i] != ',') {
      if (value[i] != ';') {
        ++i;  // stray characters between parameters are ignored
        continue;
      }
      ++i;
      while (i < value.size() && kWhitespace.find(value[i]) != std::string::npos) ++i;
      const size_t name_start = i;
      while (i < value.size() && value[i] != '=' && value[i] != ';' && value[i] != ',') ++i;
      const std::string name = to_lower(base::trim(value.substr(name_start, i - name_start)));
      std::string param;
      if (i < value.size() && value[i] == '=') {
        ++i;
        while (i < value.size() && kWhitespace.find(value[i]) != std::string::npos) ++i;
        if (i < value.size() && value[i] == '"') {
          param = read_quoted(value, i);
        } else {
          const size_t start = i;
          while (i < value.size() && value[i] != ';' && value[i] != ',') ++i;
          param = std::string(base::trim(value.substr(start, i - start)));
        }
      }
      if (name == "rel" && !seen_rel) {
        seen_rel = true;
        std::string_view rest = param;
        while (!rest.empty()) {
          const size_t space = rest.find_first_of(" \t");
          std::string_view type = rest.substr(0, space);
          if (!type.empty()) link.rels.push_back(to_lower(type));
          rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        }
      } else if (name == "anchor") {
        link.has_anchor = true;
      }
    }
    links.push_back(std::move(link));
  }
  return links;
}

std::optional<std::string> next_link(const Headers& headers, const std::string& base_url) {
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "link")) continue;
    for (const LinkValue& link : parse_link_header(value)) {
      if (link.has_anchor) continue;
      if (std::find(link.rels.begin(), link.rels.end(), "next") == link.rels.end()) continue;
      if (link.target.empty()) return base_url;  // "<>": the page itself (a loop, caught later)
      return resolve_location(base_url, link.target);
    }
  }
  return std::nullopt;
}

// ---- URLs ---------------------------------------------------------------------------------------

std::string with_query_param(std::string_view url, std::string_view name, std::string_view value) {
  url = url.substr(0, url.find('#'));
  const size_t q = url.find('?');
  std::string out(url.substr(0, q));
  std::string query;
  if (q != std::string_view::npos) {
    std::string_view rest = url.substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      if (base::percent_decode(pair.substr(0, pair.find('='))) == name) continue;
      if (!query.empty()) query += '&';
      query += pair;
    }
  }
  if (!query.empty()) query += '&';
  query += base::percent_encode(name) + "=" + base::percent_encode(value);
  return out + "?" + query;
}

std::string url_for_messages(std::string_view url) {
  std::string out(url.substr(0, url.find_first_of("?#")));
  size_t scheme_end = out.find("://");
  size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t path = out.find('/', authority);
  size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
  if (at != std::string::npos && at >= authority) out.erase(authority, at + 1 - authority);
  if (out.size() < url.size() && url.find('?') != std::string_view::npos) out += "?…";
  return out;
}

// ---- options and combining ----------------------------------------------------------------------

Status validate_pagination(const PaginationOptions& o) {
  using Kind = PaginationOptions::Kind;
  auto bad = [](const std::string& field, const std::string& value, const char* rule) {
    return Status::invalid_argument("HttpFetcherOptions.pagination." + field + " = " + value +
                                    ": " + rule);
  };
  auto check_pointer = [&](const char* field, const std::string& text,
                           bool may_be_empty) -> Status {
    if (text.empty() && !may_be_empty) return bad(field, "\"\"", "must be a JSON pointer");
    try {
      (void)pointer(text);
    } catch (const json::exception&) {
      return bad(field, "\"" + text + "\"", "is not a JSON pointer (RFC 6901: \"/a/0/b\")");
    }
    return Status::ok();
  };
  if (o.kind == Kind::kNone) return Status::ok();
  if (o.kind != Kind::kLinkHeader && o.kind != Kind::kJsonCursor && o.kind != Kind::kOffsetLimit) {
    return bad("kind", std::to_string(static_cast<int>(o.kind)), "unknown");
  }
  if (o.max_pages < 1 || o.max_pages > 100000) {
    return bad("max_pages", std::to_string(o.max_pages), "must be in [1, 100000]");
  }
  if (o.total_timeout.count() < 0) {
    return bad("total_timeout", std::to_string(o.total_timeout.count()) + " ms",
               "must be >= 0 (0: none)");
  }
  if (Status s = check_pointer("items_pointer", o.items_pointer, true); !s) return s;
  if (o.kind == Kind::kJsonCursor) {
    if (Status s = check_pointer("next_token_pointer", o.next_token_pointer, false); !s) return s;
  }
  if (o.kind == Kind::kOffsetLimit) {
    if (o.offset_param.empty()) return bad("offset_param", "\"\"", "must be a parameter name");
    if (o.limit_param.empty()) return bad("limit_param", "\"\"", "must be a parameter name");
    if (o.offset_param == o.limit_param) {
      return bad("limit_param", "\"" + o.limit_param + "\"", "must differ from offset_param");
    }
    if (o.page_size < 1 || o.page_size > 1'000'000'000) {
      return bad("page_size", std::to_string(o.page_size), "must be in [1, 1000000000]");
    }
  }
  return Status::ok();
}

struct PageCombiner::State {
  json first;  // the first page, whose items array is replaced at the end
  json items = json::array();
};

PageCombiner::PageCombiner(const PaginationOptions& options)
    : options_(options), state_(std::make_unique<State>()) {}
PageCombiner::~PageCombiner() = default;

size_t PageCombiner::items() const {
  return state_->items.size();
}

Result<PageInfo> PageCombiner::add(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status::invalid_argument("the page is not JSON (" + std::to_string(body.size()) +
                                    " bytes)");
  }
  const std::string& items_at = options_.items_pointer;
  const json* items = find(doc, items_at);
  if (items == nullptr || !items->is_array()) {
    return Status::invalid_argument(
        (items_at.empty() ? std::string("the page is not a JSON array")
                          : "the page has no array at " + items_at) +
        (items == nullptr ? "" : std::string(" (found ") + items->type_name() + ")"));
  }
  PageInfo info;
  info.items = items->size();
  if (options_.kind == PaginationOptions::Kind::kJsonCursor) {
    const json* token = find(doc, options_.next_token_pointer);
    if (token == nullptr || token->is_null()) {
      // The last page: no token.
    } else if (token->is_string()) {
      info.next_token = token->get<std::string>();
    } else if (token->is_number_integer()) {
      info.next_token = token->dump();
    } else {
      return Status::invalid_argument("the next token at " + options_.next_token_pointer +
                                      " is a " + token->type_name() +
                                      ", not a string or an integer");
    }
  }
  auto& all = state_->items;
  if (pages_ == 0) {
    // Keep the first page's document, its items moved out (they are appended below).
    json* in_first = items_at.empty() ? &doc : &doc.at(pointer(items_at));
    all = std::move(*in_first);
    *in_first = json::array();
    state_->first = std::move(doc);
  } else {
    json page_items = items_at.empty() ? std::move(doc) : std::move(doc.at(pointer(items_at)));
    for (auto& item : page_items) all.push_back(std::move(item));
  }
  ++pages_;
  return info;
}

std::string PageCombiner::body() const {
  if (options_.items_pointer.empty()) return state_->items.dump();
  json out = state_->first;
  out.at(pointer(options_.items_pointer)) = state_->items;
  if (options_.kind == PaginationOptions::Kind::kJsonCursor) {
    // The token of the first page points at page 2: meaningless in the whole list.
    const auto token = pointer(options_.next_token_pointer);
    try {
      json& parent = out.at(token.parent_pointer());
      if (parent.is_object()) parent.erase(token.back());
    } catch (const json::exception&) {
      // No token there: nothing to remove.
    }
  }
  return out.dump();
}

// ---- the loop -----------------------------------------------------------------------------------

Response fetch_pages(const Request& request, const HttpFetcherOptions& options,
                     const PageFetch& fetch_one) {
  using Kind = PaginationOptions::Kind;
  const PaginationOptions& p = options.pagination;
  const auto started = Clock::now();
  const std::string first_url = request_url(request);
  const std::string first_origin = origin_of(first_url);

  std::string url = first_url;
  int64_t offset = 0;
  if (p.kind == Kind::kOffsetLimit) {
    url = with_query_param(with_query_param(url, p.offset_param, "0"), p.limit_param,
                           std::to_string(p.page_size));
  }
  std::set<std::string> visited{url};
  PageCombiner combiner(p);
  Response answer;  // the first page's status and headers, the combined body at the end
  bool truncated = false;

  // "pagination: page 3 of <list> failed (<page url>): <why>"
  auto failure_at = [&](int page, const std::string& page_url, const std::string& why) {
    return Response::failure("pagination: page " + std::to_string(page) + " of " +
                             url_for_messages(first_url) + " failed (" +
                             url_for_messages(page_url) + "): " + why);
  };
  auto page_failure = [&](int page, const std::string& why) { return failure_at(page, url, why); };

  for (int page = 1;; ++page) {
    HttpFetcherOptions page_options = options;
    page_options.pagination.kind = Kind::kNone;
    page_options.per_request = nullptr;
    if (p.total_timeout.count() > 0) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(started + p.total_timeout - Clock::now());
      if (left.count() <= 0) {
        return page_failure(
            page, "pagination.total_timeout = " + std::to_string(p.total_timeout.count()) +
                      " ms passed after " + std::to_string(page - 1) + " pages");
      }
      page_options.timeout = std::min(page_options.timeout, left);
    }
    Request page_request = request;
    page_request.uri = url;
    page_request.params.clear();  // they are in `url` already
    if (origin_of(url) != first_origin) {
      // As on a redirect: credentials go only to the origin the caller named.
      Headers kept;
      for (const auto& [name, value] : page_request.headers) {
        if (!iequals(name, "authorization") && !iequals(name, "proxy-authorization") &&
            !iequals(name, "cookie") && !iequals(name, "host")) {
          kept.add(name, value);
        }
      }
      page_request.headers = std::move(kept);
    }

    Response r = fetch_one(page_request, page_options);
    if (page == 1 && r.status_code != 0 && !is_two_xx(r.status_code)) return r;
    if (r.status_code == 0) return page_failure(page, r.error);
    if (!is_two_xx(r.status_code)) {
      return page_failure(
          page, r.error.empty() ? "origin answered " + std::to_string(r.status_code) : r.error);
    }
    Result<PageInfo> info = combiner.add(r.body);
    if (!info) return page_failure(page, info.status().message());
    if (page == 1) {
      answer.status_code = r.status_code;
      answer.headers = std::move(r.headers);
    }

    std::optional<std::string> next;
    switch (p.kind) {
      case Kind::kLinkHeader:
        next = next_link(page == 1 ? answer.headers : r.headers, url);
        break;
      case Kind::kJsonCursor:
        if (!info->next_token.empty()) {
          next = p.cursor_param.empty() ? resolve_location(url, info->next_token)
                                        : with_query_param(url, p.cursor_param, info->next_token);
          if (!next) {
            return page_failure(page, "the next token at " + p.next_token_pointer +
                                          " is not a URL (pagination.cursor_param is \"\")");
          }
        }
        break;
      case Kind::kOffsetLimit:
        if (static_cast<int64_t>(info->items) >= p.page_size) {
          offset += p.page_size;
          next = with_query_param(url, p.offset_param, std::to_string(offset));
        }
        break;
      case Kind::kNone:
        break;
    }
    if (!next) break;
    if (page >= p.max_pages) {
      if (p.allow_truncated) {
        truncated = true;
        break;
      }
      return page_failure(page + 1,
                          "more than pagination.max_pages = " + std::to_string(p.max_pages) +
                              " pages (set allow_truncated to keep the first ones)");
    }
    if (!visited.insert(*next).second) {
      return failure_at(page + 1, *next,
                        "page " + std::to_string(page) + " points back to " +
                            url_for_messages(*next) +
                            ", a page already fetched: a pagination loop");
    }
    url = std::move(*next);
  }

  answer.body = combiner.body();
  if (answer.body.size() > options.max_body_bytes) {
    return Response::failure(
        "pagination: the " + std::to_string(combiner.pages()) + " pages of " +
        url_for_messages(first_url) + " combined are " + std::to_string(answer.body.size()) +
        " bytes, over max_body_bytes = " + std::to_string(options.max_body_bytes));
  }
  // Validators and framing of page 1 do not describe the combined list.
  for (const char* name : {"etag", "last-modified", "link", "content-length", "content-range"}) {
    answer.headers.remove(name);
  }
  answer.headers.set("X-Cachedata-Pages", std::to_string(combiner.pages()));
  if (truncated) answer.headers.set("X-Cachedata-Truncated", "true");
  return answer;
}

}  // namespace cachedata::http
