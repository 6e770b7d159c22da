// Pagination in the HTTP fetcher (issue 3, item 2): the pure parts first (RFC 8288 Link header
// parsing, query rewriting, combining JSON pages, the option checks, the page loop over a
// scripted fetch), then every kind end to end against the real origin (tools/origin), through
// HttpFetcher and through Cache::get: one cached entry, one origin call per page, a second get
// served from the cache; a page limit; a failing page fails the whole fetch and caches nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cachedata/cache.hpp"
#include "cachedata/http_fetcher.hpp"
#include "http/pagination.hpp"
#include "support/origin_process.hpp"

namespace cachedata {
namespace {

using json = nlohmann::json;
using Kind = PaginationOptions::Kind;
using std::chrono::milliseconds;
using testing::OriginProcess;

// [{"id":first},...,{"id":last-1}]
json ids(int first, int last) {
  json out = json::array();
  for (int i = first; i < last; ++i) out.push_back({{"id", i}});
  return out;
}

// ---- Link header --------------------------------------------------------------------------------

struct LinkCase {
  const char* name;
  const char* header;
  const char* base;
  const char* next;  // nullptr: no next link
};

TEST(LinkHeaderTest, NextLinkTable) {
  const LinkCase cases[] = {
      {"plain", "<https://a.example/x?page=2>; rel=\"next\"", "https://a.example/x",
       "https://a.example/x?page=2"},
      {"unquoted rel", "<https://a.example/3>; rel=next", "https://a.example/",
       "https://a.example/3"},
      {"second of two", "<https://a.example/1>; rel=\"prev\", <https://a.example/3>; rel=\"next\"",
       "https://a.example/2", "https://a.example/3"},
      {"quoted rel list", "<https://a.example/3>; rel=\"next last\"", "https://a.example/",
       "https://a.example/3"},
      {"rel list, next second", "<https://a.example/3>; rel=\"last   next\"", "https://a.example/",
       "https://a.example/3"},
      {"case-insensitive", "<https://a.example/3>; REL=NEXT", "https://a.example/",
       "https://a.example/3"},
      {"spaces around =", "<https://a.example/3> ; rel = \"next\"", "https://a.example/",
       "https://a.example/3"},
      {"comma inside the URI", "<https://a.example/x?ids=1,2>; rel=next", "https://a.example/",
       "https://a.example/x?ids=1,2"},
      {"comma and semicolon in a quoted title",
       "<https://a.example/1>; title=\"a, b; rel=next\", <https://a.example/2>; rel=next",
       "https://a.example/", "https://a.example/2"},
      {"escaped quote in a title", "<https://a.example/1>; title=\"x\\\"y, z\"; rel=next",
       "https://a.example/", "https://a.example/1"},
      {"only the first rel counts", "<https://a.example/1>; rel=prev; rel=next",
       "https://a.example/", nullptr},
      {"anchor: another context", "<https://a.example/1>; anchor=\"#c\"; rel=next",
       "https://a.example/", nullptr},
      {"path-relative", "<page3>; rel=next", "http://h.example/list/page2",
       "http://h.example/list/page3"},
      {"query-only relative", "<?page=3>; rel=next", "http://h.example/list?page=2",
       "http://h.example/list?page=3"},
      {"path-absolute", "</api?page=3>; rel=next", "http://h.example/v1/list",
       "http://h.example/api?page=3"},
      {"no next", "<https://a.example/1>; rel=prev, <https://a.example/9>; rel=last",
       "https://a.example/", nullptr},
      {"empty", "", "https://a.example/", nullptr},
      {"malformed: no brackets", "https://a.example/3; rel=next", "https://a.example/", nullptr},
      {"malformed: no closing bracket", "<https://a.example/3; rel=next", "https://a.example/",
       nullptr},
      {"garbage before a good link", "garbage;;, <https://a.example/4>; rel=next",
       "https://a.example/", "https://a.example/4"},
      {"rel without a value", "<https://a.example/3>; rel", "https://a.example/", nullptr},
      {"not http(s)", "<ftp://a.example/3>; rel=next", "https://a.example/", nullptr},
      {"nextpage is not next", "<https://a.example/3>; rel=nextpage", "https://a.example/",
       nullptr},
  };
  for (const LinkCase& c : cases) {
    Headers h{{"Link", c.header}};
    auto next = http::next_link(h, c.base);
    if (c.next == nullptr) {
      EXPECT_FALSE(next.has_value()) << c.name << ": got " << next.value_or("");
    } else {
      EXPECT_EQ(next.value_or("<none>"), c.next) << c.name;
    }
  }
}

TEST(LinkHeaderTest, ParsesEveryLinkValueAndItsRels) {
  auto links = http::parse_link_header(
      "<https://a.example/1>; rel=\"first prev\"; title=\"x\", </3>; Rel=\"NEXT\"");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].target, "https://a.example/1");
  EXPECT_EQ(links[0].rels, (std::vector<std::string>{"first", "prev"}));
  EXPECT_EQ(links[1].target, "/3");
  EXPECT_EQ(links[1].rels, (std::vector<std::string>{"next"}));
  EXPECT_FALSE(links[1].has_anchor);
}

TEST(LinkHeaderTest, NextLinkIsFoundInAnyOfSeveralLinkFields) {
  Headers h{{"Link", "<https://a.example/1>; rel=prev"},
            {"Content-Type", "application/json"},
            {"link", "<https://a.example/3>; rel=next"}};
  EXPECT_EQ(http::next_link(h, "https://a.example/2").value_or(""), "https://a.example/3");
}

// ---- URLs ---------------------------------------------------------------------------------------

TEST(PaginationUrlTest, WithQueryParamReplacesOrAppends) {
  EXPECT_EQ(http::with_query_param("http://h/x", "cursor", "abc"), "http://h/x?cursor=abc");
  EXPECT_EQ(http::with_query_param("http://h/x?a=1&cursor=old&b=2", "cursor", "new"),
            "http://h/x?a=1&b=2&cursor=new");
  EXPECT_EQ(http::with_query_param("http://h/x?cursor=1&cursor=2", "cursor", "3"),
            "http://h/x?cursor=3");
  EXPECT_EQ(http::with_query_param("http://h/x?a=1#frag", "offset", "20"),
            "http://h/x?a=1&offset=20");
  EXPECT_EQ(http::with_query_param("http://h/x?cur%73or=old", "cursor", "a b/c"),
            "http://h/x?cursor=a%20b%2Fc");
}

TEST(PaginationUrlTest, UrlsInMessagesHaveNoQueryOrUserinfo) {
  EXPECT_EQ(http::url_for_messages("http://user:pw@h:1/x?token=SECRET"), "http://h:1/x?…");
  EXPECT_EQ(http::url_for_messages("http://h/x"), "http://h/x");
}

// ---- options ------------------------------------------------------------------------------------

TEST(PaginationOptionsTest, BadOptionsAreRejectedNamingTheField) {
  auto error_of = [](PaginationOptions p) {
    HttpFetcherOptions o;
    o.pagination = std::move(p);
    return o.validate().message();
  };
  PaginationOptions p;
  p.kind = Kind::kJsonCursor;
  EXPECT_EQ(error_of(p), "");
  p.items_pointer = "items";  // no leading '/'
  EXPECT_NE(error_of(p).find("pagination.items_pointer = \"items\""), std::string::npos)
      << error_of(p);
  p.items_pointer = "/items";
  p.next_token_pointer = "";
  EXPECT_NE(error_of(p).find("pagination.next_token_pointer"), std::string::npos);
  p = {};
  p.kind = Kind::kOffsetLimit;
  p.page_size = 0;
  EXPECT_NE(error_of(p).find("pagination.page_size = 0"), std::string::npos);
  p.page_size = 10;
  p.limit_param = "offset";
  EXPECT_NE(error_of(p).find("must differ from offset_param"), std::string::npos);
  p = {};
  p.kind = Kind::kLinkHeader;
  p.max_pages = 0;
  EXPECT_NE(error_of(p).find("pagination.max_pages = 0"), std::string::npos);
  // No pagination: the pagination fields are not looked at.
  p.kind = Kind::kNone;
  EXPECT_EQ(error_of(p), "");
}

// ---- combining pages ----------------------------------------------------------------------------

TEST(PageCombinerTest, ConcatenatesItemsAndDropsTheNextToken) {
  PaginationOptions p;
  p.kind = Kind::kJsonCursor;
  http::PageCombiner c(p);
  auto first = c.add(R"({"items":[{"id":0},{"id":1}],"next":"t2","meta":{"v":1}})");
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->items, 2u);
  EXPECT_EQ(first->next_token, "t2");
  auto second = c.add(R"({"items":[{"id":2}],"next":null,"meta":{"v":2}})");
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second->next_token, "");
  EXPECT_EQ(c.pages(), 2u);
  EXPECT_EQ(json::parse(c.body()), json::parse(R"({"items":[{"id":0},{"id":1},{"id":2}],
                                                   "meta":{"v":1}})"));
}

TEST(PageCombinerTest, NestedPointersAndNumericTokens) {
  PaginationOptions p;
  p.kind = Kind::kJsonCursor;
  p.items_pointer = "/data/list";
  p.next_token_pointer = "/paging/next";
  http::PageCombiner c(p);
  auto first = c.add(R"({"data":{"list":[1,2]},"paging":{"next":42,"size":2}})");
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->next_token, "42");
  ASSERT_TRUE(c.add(R"({"data":{"list":[3]},"paging":{"size":1}})").is_ok());
  EXPECT_EQ(json::parse(c.body()), json::parse(R"({"data":{"list":[1,2,3]},"paging":{"size":2}})"));
}

TEST(PageCombinerTest, RootArraysAreConcatenated) {
  PaginationOptions p;
  p.kind = Kind::kLinkHeader;
  p.items_pointer = "";
  http::PageCombiner c(p);
  ASSERT_TRUE(c.add("[1,2]").is_ok());
  ASSERT_TRUE(c.add("[]").is_ok());
  ASSERT_TRUE(c.add("[3]").is_ok());
  EXPECT_EQ(c.body(), "[1,2,3]");
}

TEST(PageCombinerTest, PagesThatCannotBeCombinedAreErrorsSayingWhy) {
  PaginationOptions p;
  p.kind = Kind::kJsonCursor;
  auto error = [&](const char* body) {
    http::PageCombiner c(p);
    auto r = c.add(body);
    return r.is_ok() ? std::string("<ok>") : r.status().message();
  };
  EXPECT_NE(error("<html>").find("not JSON"), std::string::npos);
  EXPECT_NE(error(R"({"things":[]})").find("no array at /items"), std::string::npos);
  EXPECT_NE(error(R"({"items":{"a":1}})").find("found object"), std::string::npos);
  EXPECT_NE(error(R"({"items":[],"next":{"a":1}})").find("not a string or an integer"),
            std::string::npos);
  EXPECT_EQ(error(R"({"items":[],"next":""})"), "<ok>");  // "" is the end, like null
  p.items_pointer = "";
  EXPECT_NE(error(R"({"items":[]})").find("not a JSON array"), std::string::npos);
  p.items_pointer = "/items/x";  // a pointer that cannot apply to an array: a miss, no throw
  EXPECT_NE(error(R"({"items":[1]})").find("no array at /items/x"), std::string::npos);
}

// ---- the page loop, over a scripted fetch -------------------------------------------------------

struct Scripted {
  std::vector<std::string> urls;           // every URL asked for, in order
  std::vector<std::string> authorization;  // its Authorization header ("" when absent)
  std::function<Response(const std::string& url)> answer;

  http::PageFetch fetch() {
    return [this](const Request& r, const HttpFetcherOptions& o) {
      EXPECT_EQ(o.pagination.kind, Kind::kNone);  // a page is never paginated itself
      urls.push_back(r.uri);
      authorization.emplace_back(r.headers.get("authorization").value_or(""));
      return answer(r.uri);
    };
  }
};

Response json_page(std::string body, Headers h = {}) {
  Response r;
  r.status_code = 200;
  r.headers = std::move(h);
  r.headers.add("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

HttpFetcherOptions paged(Kind kind) {
  HttpFetcherOptions o;
  o.pagination.kind = kind;
  return o;
}

TEST(FetchPagesTest, LinkPagesCombineAndTheEntryKeepsNoValidators) {
  Scripted s;
  s.answer = [](const std::string& url) {
    if (url.ends_with("/list")) {
      return json_page("[1,2]", {{"Link", "</list?p=2>; rel=next"},
                                 {"ETag", "\"v1\""},
                                 {"Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT"},
                                 {"Cache-Control", "max-age=60"}});
    }
    return json_page("[3]", {{"Cache-Control", "max-age=5"}});
  };
  HttpFetcherOptions o = paged(Kind::kLinkHeader);
  o.pagination.items_pointer = "";
  Response r = http::fetch_pages(Request::get("https://api.example/list"), o, s.fetch());
  EXPECT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(r.body, "[1,2,3]");
  EXPECT_EQ(s.urls,
            (std::vector<std::string>{"https://api.example/list", "https://api.example/list?p=2"}));
  EXPECT_EQ(r.headers.get("cache-control").value_or(""), "max-age=60");  // the first page's
  EXPECT_FALSE(r.headers.contains("etag"));
  EXPECT_FALSE(r.headers.contains("last-modified"));
  EXPECT_FALSE(r.headers.contains("link"));
  EXPECT_EQ(r.headers.get("x-cachedata-pages").value_or(""), "2");
}

TEST(FetchPagesTest, FailingPageFailsTheWholeFetchNamingThePageAndUrl) {
  Scripted s;
  s.answer = [](const std::string& url) {
    if (url.find("cursor=") == std::string::npos) return json_page(R"({"items":[1],"next":"b"})");
    Response failed;
    failed.status_code = 503;
    failed.error = "origin answered 503 (GET …; 3 attempts in 5 ms)";
    return failed;
  };
  Request req = Request::get("https://api.example/list?api_key=SECRET");
  Response r = http::fetch_pages(req, paged(Kind::kJsonCursor), s.fetch());
  EXPECT_EQ(r.status_code, 0);
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(r.error.find("pagination: page 2 of https://api.example/list?… failed"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("origin answered 503"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("SECRET"), std::string::npos) << r.error;
}

TEST(FetchPagesTest, FirstPageThatIsNotASuccessIsReturnedAsItIs) {
  Scripted s;
  s.answer = [](const std::string&) {
    Response r;
    r.status_code = 404;
    r.body = "no such list";
    return r;
  };
  Response r = http::fetch_pages(Request::get("https://api.example/list"), paged(Kind::kLinkHeader),
                                 s.fetch());
  EXPECT_EQ(r.status_code, 404);
  EXPECT_EQ(r.body, "no such list");
  EXPECT_EQ(s.urls.size(), 1u);
}

TEST(FetchPagesTest, LaterPageThatIsNotJsonFailsTheFetch) {
  Scripted s;
  s.answer = [](const std::string& url) {
    if (url.ends_with("/list")) return json_page("[1]", {{"Link", "</list?p=2>; rel=next"}});
    return json_page("<html>oops</html>");
  };
  HttpFetcherOptions o = paged(Kind::kLinkHeader);
  o.pagination.items_pointer = "";
  Response r = http::fetch_pages(Request::get("https://api.example/list"), o, s.fetch());
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("page 2"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("not JSON"), std::string::npos) << r.error;
}

TEST(FetchPagesTest, PaginationLoopIsAnError) {
  Scripted s;
  s.answer = [](const std::string&) { return json_page(R"({"items":[1],"next":"same"})"); };
  Response r = http::fetch_pages(Request::get("https://api.example/list"), paged(Kind::kJsonCursor),
                                 s.fetch());
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("pagination loop"), std::string::npos) << r.error;
  EXPECT_EQ(s.urls.size(), 2u);  // the first page, then the one that points at itself
}

TEST(FetchPagesTest, CredentialsGoOnlyToTheFirstPagesOrigin) {
  Scripted s;
  s.answer = [](const std::string& url) {
    if (url == "https://api.example/list")
      return json_page("[1]", {{"Link", "<https://api.example/list?p=2>; rel=next"}});
    if (url == "https://api.example/list?p=2")
      return json_page("[2]", {{"Link", "<https://other.example/list?p=3>; rel=next"}});
    return json_page("[3]");
  };
  HttpFetcherOptions o = paged(Kind::kLinkHeader);
  o.pagination.items_pointer = "";
  Request req = Request::get("https://api.example/list");
  req.headers.add("Authorization", "Bearer T");
  Response r = http::fetch_pages(req, o, s.fetch());
  EXPECT_EQ(r.body, "[1,2,3]");
  EXPECT_EQ(s.authorization, (std::vector<std::string>{"Bearer T", "Bearer T", ""}));
}

TEST(FetchPagesTest, NextTokenAsUrlWhenThereIsNoCursorParam) {
  Scripted s;
  s.answer = [](const std::string& url) {
    if (url.ends_with("/list")) return json_page(R"({"items":[1],"next":"/list?page=2"})");
    return json_page(R"({"items":[2]})");
  };
  HttpFetcherOptions o = paged(Kind::kJsonCursor);
  o.pagination.cursor_param = "";
  Response r = http::fetch_pages(Request::get("https://api.example/v1/list"), o, s.fetch());
  EXPECT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(s.urls.back(), "https://api.example/list?page=2");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"items":[1,2]})"));
}

TEST(FetchPagesTest, CombinedBodyOverTheLimitFails) {
  Scripted s;
  s.answer = [](const std::string& url) {
    if (url.find("cursor=") == std::string::npos)
      return json_page(R"({"items":["aaaaaaaaaa"],"next":"2"})");
    return json_page(R"({"items":["bbbbbbbbbb"]})");
  };
  HttpFetcherOptions o = paged(Kind::kJsonCursor);
  o.max_body_bytes = 36;  // each page (35 bytes) fits, the two combined (37) do not
  Response r = http::fetch_pages(Request::get("https://api.example/list"), o, s.fetch());
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("over max_body_bytes = 36"), std::string::npos) << r.error;
}

// ---- end to end, against the real origin --------------------------------------------------------

class PaginationOriginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The origin is on 127.0.0.1: never reach it through a proxy the environment may name.
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  }
  void SetUp() override { origin_ = OriginProcess::start(); }

  static HttpFetcherOptions options(Kind kind) {
    HttpFetcherOptions o;
    o.timeout = milliseconds(20000);
    o.retry.base_delay = milliseconds(10);
    o.retry.max_delay = milliseconds(50);
    o.pagination.kind = kind;
    return o;
  }
  Response fetch(const std::string& path, const HttpFetcherOptions& o) const {
    return HttpFetcher(o)(Request::get(origin_.url(path)), Validators{});
  }
  static std::unique_ptr<Cache> memory_cache() {
    Config config;
    config.store = Config::StoreKind::kMemoryOnly;
    config.log_level = LogLevel::kOff;
    return Cache::open(config).value();
  }

  OriginProcess origin_;
};

TEST_F(PaginationOriginTest, LinkHeaderWithAbsoluteAndRelativeNextLinks) {
  HttpFetcherOptions o = options(Kind::kLinkHeader);
  o.pagination.items_pointer = "";
  // Page 1 links to page 2 with an absolute URL, page 2 to page 3 with a relative one.
  Response r = fetch("/pages/link?n=4&size=2", o);
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(json::parse(r.body), ids(0, 8));
  EXPECT_EQ(origin_.hits("/pages/link"), 4);
  EXPECT_EQ(r.headers.get("x-cachedata-pages").value_or(""), "4");
  EXPECT_FALSE(r.headers.contains("link"));
  EXPECT_EQ(r.headers.get("content-type").value_or(""), "application/json");
}

TEST_F(PaginationOriginTest, JsonCursorPagesCombineIntoTheFirstPagesShape) {
  Response r = fetch("/pages/cursor?n=3&size=2", options(Kind::kJsonCursor));
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(json::parse(r.body), json({{"items", ids(0, 6)}}));
  EXPECT_EQ(origin_.hits("/pages/cursor"), 3);
}

TEST_F(PaginationOriginTest, OffsetLimitStopsOnAShortPage) {
  HttpFetcherOptions o = options(Kind::kOffsetLimit);
  o.pagination.page_size = 2;
  Response r = fetch("/pages/offset?total=5", o);
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(json::parse(r.body), json({{"items", ids(0, 5)}, {"total", 5}}));
  EXPECT_EQ(origin_.hits("/pages/offset"), 3);  // 2 + 2 + 1
  origin_.reset();
  // A total that is a multiple of the page size costs one empty page more.
  Response even = fetch("/pages/offset?total=4", o);
  ASSERT_EQ(even.status_code, 200) << even.error;
  EXPECT_EQ(json::parse(even.body)["items"], ids(0, 4));
  EXPECT_EQ(origin_.hits("/pages/offset"), 3);  // 2 + 2 + 0
}

TEST_F(PaginationOriginTest, PageLimitIsAnErrorNotATruncatedList) {
  HttpFetcherOptions o = options(Kind::kJsonCursor);
  o.pagination.max_pages = 3;
  Response r = fetch("/pages/cursor?n=5", o);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("more than pagination.max_pages = 3 pages"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("page 4"), std::string::npos) << r.error;
  EXPECT_EQ(origin_.hits("/pages/cursor"), 3);  // the fourth page is not fetched
}

TEST_F(PaginationOriginTest, PageLimitWithAllowTruncatedFlagsTheAnswer) {
  HttpFetcherOptions o = options(Kind::kJsonCursor);
  o.pagination.max_pages = 2;
  o.pagination.allow_truncated = true;
  Response r = fetch("/pages/cursor?n=5&size=2", o);
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(json::parse(r.body)["items"], ids(0, 4));
  EXPECT_EQ(r.headers.get("x-cachedata-truncated").value_or(""), "true");
  EXPECT_EQ(origin_.hits("/pages/cursor"), 2);
}

TEST_F(PaginationOriginTest, FailingPageAfterRetriesFailsTheFetchNamingPageAndUrl) {
  HttpFetcherOptions o = options(Kind::kLinkHeader);
  o.pagination.items_pointer = "";
  o.retry.max_attempts = 2;
  Response r = fetch("/pages/link?n=3&fail_page=2&api_key=SECRET", o);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(r.error.find("pagination: page 2 of " + origin_.url("/pages/link?…") + " failed"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("origin answered 503"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("2 attempts"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("SECRET"), std::string::npos) << r.error;
  EXPECT_EQ(origin_.hits("/pages/link"), 3);  // page 1, then page 2 twice
}

TEST_F(PaginationOriginTest, PerRequestOptionsSelectPagination) {
  HttpFetcherOptions o = options(Kind::kNone);
  o.per_request = [](const Request& r, HttpFetcherOptions& adjusted) {
    if (r.uri.find("/pages/cursor") != std::string::npos) {
      adjusted.pagination.kind = Kind::kJsonCursor;
    }
  };
  HttpFetcher fetcher(o);
  Response r = fetcher(Request::get(origin_.url("/pages/cursor?n=2&size=1")), Validators{});
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(json::parse(r.body), json({{"items", ids(0, 2)}}));
  // Another URL through the same fetcher: one page, the origin's bytes.
  Response plain = fetcher(Request::get(origin_.url("/pages/offset?total=3&limit=2")), {});
  EXPECT_EQ(json::parse(plain.body)["items"], ids(0, 2));
  EXPECT_FALSE(plain.headers.contains("x-cachedata-pages"));
}

TEST_F(PaginationOriginTest, CacheGetStoresEveryKindAsOneEntry) {
  struct KindCase {
    Kind kind;
    std::string path;
    std::string route;
    int pages;
  };
  const KindCase cases[] = {
      {Kind::kLinkHeader, "/pages/link?n=3&size=2", "/pages/link", 3},
      {Kind::kJsonCursor, "/pages/cursor?n=3&size=2", "/pages/cursor", 3},
      {Kind::kOffsetLimit, "/pages/offset?total=5", "/pages/offset", 3},
  };
  for (const KindCase& c : cases) {
    SCOPED_TRACE(c.path);
    auto cache = memory_cache();
    HttpFetcherOptions o = options(c.kind);
    o.pagination.page_size = 2;
    if (c.kind == Kind::kLinkHeader) o.pagination.items_pointer = "";
    HttpFetcher fetcher(o);
    Profile profile;
    Request request = Request::get(origin_.url(c.path));
    GetResult first = cache->get(profile, request, fetcher);
    ASSERT_EQ(first.status_code(), 200) << first.error();
    EXPECT_EQ(first.source(), DataSource::kOriginal);
    json items = json::parse(first.body());
    if (c.kind != Kind::kLinkHeader) items = items["items"];
    EXPECT_EQ(items, ids(0, c.kind == Kind::kOffsetLimit ? 5 : 6));
    EXPECT_EQ(origin_.hits(c.route), c.pages);

    GetResult second = cache->get(profile, request, fetcher);
    EXPECT_EQ(second.source(), DataSource::kCacheMemory);
    EXPECT_EQ(second.body(), first.body());
    EXPECT_EQ(origin_.hits(c.route), c.pages);  // no origin call at all
    EXPECT_EQ(cache->stats().fetches, 1u);
  }
}

TEST_F(PaginationOriginTest, FailingPageThroughCacheGetCachesNothing) {
  auto cache = memory_cache();
  HttpFetcherOptions o = options(Kind::kJsonCursor);
  o.retry.max_attempts = 1;
  HttpFetcher fetcher(o);
  Profile profile;
  profile.negative_ttl = std::chrono::seconds(0);  // failures are not remembered either
  Request request = Request::get(origin_.url("/pages/cursor?n=3&fail_page=3"));
  GetResult first = cache->get(profile, request, fetcher);
  EXPECT_EQ(first.source(), DataSource::kErrorOriginal);
  EXPECT_FALSE(first.ok());
  EXPECT_NE(first.error().find("page 3"), std::string::npos) << first.error();
  EXPECT_EQ(origin_.hits("/pages/cursor"), 3);
  // Nothing was stored: the next get goes to the origin again, and fails the same way.
  GetResult second = cache->get(profile, request, fetcher);
  EXPECT_EQ(second.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(origin_.hits("/pages/cursor"), 6);
}

}  // namespace
}  // namespace cachedata
