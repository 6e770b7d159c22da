// Pagination in the HTTP fetcher (PaginationOptions in include/cachedata/http_fetcher.hpp says
// what the user sees): finding the next page (an RFC 8288 Link header, a JSON cursor, an
// offset), combining the pages' JSON into one body, and the loop that fetches every page.
//
// Everything but fetch_pages() is pure (no I/O, no clock) and tested without a network;
// fetch_pages() takes the single-page fetch as a function, so it runs over the real fetcher in
// production and over a script in tests. All functions are safe to call from many threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/headers.hpp"
#include "cachedata/http_fetcher.hpp"
#include "cachedata/request.hpp"
#include "cachedata/response.hpp"
#include "cachedata/status.hpp"

namespace cachedata::http {

// ---- Link header (RFC 8288 §3) ------------------------------------------------------------------

// One link-value of a Link field: `<target>; rel="a b"; anchor="…"; …`.
struct LinkValue {
  std::string target;             // the URI reference between < and >, unresolved
  std::vector<std::string> rels;  // the relation types of the first rel parameter, lower-case
  bool has_anchor = false;        // an anchor parameter: the link's context is not this page
};

// Parses a Link field value (several fields may be joined with ", "). Commas inside <…> and in
// quoted strings do not separate links; a link-value that does not start with <…> or whose <
// has no > is skipped, the rest of the field is still read. Parameter names are
// case-insensitive; only the first rel counts (RFC 8288 §3.3); rel="next prev" is two types.
std::vector<LinkValue> parse_link_header(std::string_view value);

// The target of the first link with relation type "next" and no anchor, among every Link field
// of `headers`, resolved against `base_url` (RFC 3986); nullopt when there is none or it does not
// resolve to an http(s) URL.
std::optional<std::string> next_link(const Headers& headers, const std::string& base_url);

// ---- URLs ---------------------------------------------------------------------------------------

// `url` (fragment dropped) with every query parameter named `name` removed and
// `name=value` (percent-encoded) appended.
std::string with_query_param(std::string_view url, std::string_view name, std::string_view value);

// A URL as error texts show it: without userinfo and query (replaced by "?…"), which may carry
// credentials or API keys, since errors reach logs.
std::string url_for_messages(std::string_view url);

// ---- combining pages ----------------------------------------------------------------------------

// Checks the pagination fields (the JSON pointers parse, sizes are in range); the error names
// the field as `pagination.<field>` and the value.
Status validate_pagination(const PaginationOptions& options);

// What one page gave.
struct PageInfo {
  size_t items = 0;        // elements of its items array
  std::string next_token;  // json_cursor: the token ("" when none: the last page)
};

// Collects pages in order and builds the combined body (see PaginationOptions). REQUIRES:
// options valid (validate_pagination). Not thread-safe; one per paginated call.
class PageCombiner {
 public:
  explicit PageCombiner(const PaginationOptions& options);
  ~PageCombiner();
  PageCombiner(const PageCombiner&) = delete;
  PageCombiner& operator=(const PageCombiner&) = delete;

  // Parses a page's body and appends its items. The error (without the page number, which the
  // caller adds) says what is wrong: not JSON, no array at items_pointer, a next token that is
  // neither a string nor a number.
  Result<PageInfo> add(std::string_view body);
  size_t pages() const { return pages_; }
  size_t items() const;
  // The combined document, serialised. REQUIRES: pages() > 0.
  std::string body() const;

 private:
  struct State;
  const PaginationOptions& options_;
  std::unique_ptr<State> state_;
  size_t pages_ = 0;
};

// ---- the fetch loop -----------------------------------------------------------------------------

// Fetches one page: `request` with `options` (pagination off, timeout possibly shortened).
using PageFetch = std::function<Response(const Request&, const HttpFetcherOptions&)>;

// Fetches every page of `request` as options.pagination says and returns the combined answer,
// or the first page's own answer when it is not a 2xx, or a failure (status 0) naming the page.
// REQUIRES: options.validate() is ok and options.pagination.kind != kNone.
Response fetch_pages(const Request& request, const HttpFetcherOptions& options,
                     const PageFetch& fetch_one);

}  // namespace cachedata::http
