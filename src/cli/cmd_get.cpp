// cachedata get URL: fetch through the cache; body on stdout, -v adds status/expires/time.
// --paginate link|cursor|offset fetches every page of a list into one entry (PaginationOptions).
#include <chrono>
#include <cstdio>
#include <map>

#include "cachedata/http_fetcher.hpp"
#include "cli/cli_common.hpp"
#include "core/byte_size.hpp"
#include "core/url.hpp"

namespace cachedata::cli {
namespace {

struct GetOptions {
  StoreOptions store;
  std::string url;
  std::vector<std::string> headers;
  std::string method = "GET";
  std::string body;
  int64_t ttl = 300;
  int64_t interval = 0;
  std::string tz;
  int64_t stale_on_error = 300;
  bool override_origin = false;
  bool force_refresh = false;
  bool no_encrypt = false;
  int64_t stale_while_revalidate = 0;
  double lease_s = 15;
  double max_wait_s = 0;
  double early_refresh = 0;
  int64_t interval_jitter = 0;
  double timeout_s = 30;
  double connect_timeout_s = 5;
  int attempts = 3;
  long max_redirects = 5;
  bool no_follow = false;
  std::string max_body = "64M";
  bool verbose = false;
  // Pagination: `paginate` empty means none; the rest start as the library's defaults.
  std::string paginate;
  PaginationOptions pagination;
};

// The --paginate value as a kind; the CLI check below lets only these three through.
PaginationOptions::Kind pagination_kind(const std::string& name) {
  static const std::map<std::string, PaginationOptions::Kind> kinds = {
      {"link", PaginationOptions::Kind::kLinkHeader},
      {"cursor", PaginationOptions::Kind::kJsonCursor},
      {"offset", PaginationOptions::Kind::kOffsetLimit}};
  auto it = kinds.find(name);
  return it == kinds.end() ? PaginationOptions::Kind::kNone : it->second;
}

int run_get(const GetOptions& o) {
  Request request = Request::get(o.url);
  request.method = o.method;
  request.body = o.body;
  request.force_refresh = o.force_refresh;
  request.max_wait = std::chrono::milliseconds(static_cast<int64_t>(o.max_wait_s * 1000));
  if (Status s = add_header_options(o.headers, request); !s) return fail(s);
  Profile profile;
  profile.ttl = std::chrono::seconds(o.ttl);
  profile.stale_on_error = std::chrono::seconds(o.stale_on_error);
  profile.stale_while_revalidate = std::chrono::seconds(o.stale_while_revalidate);
  profile.override_origin_expiry = o.override_origin;
  profile.encrypt = !o.no_encrypt;
  profile.refresh_lease = std::chrono::milliseconds(static_cast<int64_t>(o.lease_s * 1000));
  profile.early_refresh_beta = o.early_refresh;
  profile.interval_jitter = std::chrono::seconds(o.interval_jitter);
  if (o.interval > 0) {
    profile.on_interval = true;
    profile.interval = std::chrono::seconds(o.interval);
    profile.time_zone = o.tz;
  }
  if (Status s = profile.validate(); !s) return fail(s);
  // A URL that cannot be fetched is a usage error, found before any store or key is touched.
  if (auto target = core::resolve_target(request); !target) return fail(target.status());
  HttpFetcherOptions fetch_options;
  fetch_options.timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  fetch_options.connect_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(o.connect_timeout_s * 1000));
  fetch_options.retry.max_attempts = o.attempts;
  fetch_options.follow_redirects = !o.no_follow;
  fetch_options.max_redirects = o.max_redirects;
  auto max_body = core::parse_byte_size(o.max_body);
  if (!max_body || *max_body == 0) {
    return fail(Status::invalid_argument("--max-body: '" + o.max_body +
                                         "' is not a byte size (e.g. 1048576 or 64M)"));
  }
  fetch_options.max_body_bytes = *max_body;
  fetch_options.pagination = o.pagination;
  fetch_options.pagination.kind = pagination_kind(o.paginate);
  if (Status s = fetch_options.validate(); !s) return fail(s);

  auto cache = open_cache(o.store);
  if (!cache) return fail(cache.status());
  HttpFetcher fetcher(fetch_options);

  auto t0 = std::chrono::steady_clock::now();
  GetResult result = (*cache)->get(profile, request, fetcher);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);

  std::fwrite(result.body().data(), 1, result.body().size(), stdout);
  std::fflush(stdout);
  if (o.verbose) {
    std::fprintf(stderr, "status: %.*s\n", static_cast<int>(result.source_name().size()),
                 result.source_name().data());
    std::fprintf(stderr, "http-status: %d\n", result.status_code());
    std::fprintf(stderr, "stale: %s\n", result.stale() ? "yes" : "no");
    std::fprintf(stderr, "joined: %s\n", result.joined() ? "yes" : "no");
    std::fprintf(stderr, "expires: %s\n", iso8601(result.expires()).c_str());
    std::fprintf(stderr, "time: %.0f ms\n", ms.count());
  }
  if (!result.error().empty()) std::fprintf(stderr, "cachedata: %s\n", result.error().c_str());
  // A stale answer within stale-while-revalidate has its refresh queued: this process is about
  // to exit, and the destructor would drop it, so let it finish (the answer is already out).
  (*cache)->wait_for_background_refreshes();
  return result.ok() ? 0 : 1;
}

}  // namespace

void register_get(CLI::App& app) {
  auto options = std::make_shared<GetOptions>();
  CLI::App* cmd =
      app.add_subcommand("get", "Fetch a URL through the cache; the body goes to stdout");
  cmd->add_option("url", options->url, "absolute http(s) URL")->required();
  cmd->add_option("-H,--header", options->headers, "request header 'Name: value' (repeatable)");
  cmd->add_option("-X,--method", options->method, "request method")->capture_default_str();
  cmd->add_option("-d,--data", options->body, "request body");
  cmd->add_option("--ttl", options->ttl,
                  "seconds an answer stays fresh when the origin says nothing")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--interval", options->interval,
                  "expire at clock-aligned boundaries every S seconds (from local midnight)")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--tz", options->tz, "IANA time zone of --interval (default UTC)");
  cmd->add_option("--stale-on-error", options->stale_on_error,
                  "seconds a stale entry is served and extended when the origin fails")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--stale-while-revalidate", options->stale_while_revalidate,
                  "seconds past expiry an entry is answered at once while it is refreshed "
                  "(when the origin sends no stale-while-revalidate)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--lease", options->lease_s,
                  "seconds one process holds the lease on an entry it is fetching, so that "
                  "processes sharing the store make one origin call (0: no lease)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--max-wait", options->max_wait_s,
                  "seconds to wait for another process's fetch of the same entry before "
                  "answering stale or failing (0: as long as the lease)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--early-refresh", options->early_refresh,
                  "XFetch beta: refresh a hot entry shortly before it expires (1 is usual; 0: off)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--interval-jitter", options->interval_jitter,
                  "spread --interval expiries over this many seconds past the boundary")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--override-origin-expiry", options->override_origin,
                "ignore the origin's Cache-Control / Expires");
  cmd->add_flag("--force-refresh", options->force_refresh, "skip the cached entry and replace it");
  cmd->add_flag("--no-encrypt", options->no_encrypt,
                "store entries unencrypted (still authenticated)");
  cmd->add_option("--timeout", options->timeout_s, "total deadline of the origin call, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--connect-timeout", options->connect_timeout_s,
                  "deadline of one connection attempt, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--attempts", options->attempts,
                  "tries per origin call, the first included (1: no retries)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  cmd->add_option("--max-redirects", options->max_redirects, "redirects followed; more is an error")
      ->capture_default_str()
      ->check(CLI::Range(0L, 50L));
  cmd->add_flag("--no-follow", options->no_follow,
                "do not follow redirects: the 3xx is the answer");
  cmd->add_option(
         "--max-body", options->max_body,
         "largest answer body (bytes, or with K/M/G); a larger one is an error, not cached")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", options->verbose, "print status, expires and time on stderr");
  PaginationOptions& p = options->pagination;
  const char* group = "Pagination (every page into one entry; pages must be JSON)";
  cmd->add_option("--paginate", options->paginate,
                  "follow Link rel=next (link), a next token in the JSON (cursor), or "
                  "offset/limit parameters (offset)")
      ->check(CLI::IsMember({"link", "cursor", "offset"}))
      ->group(group);
  cmd->add_option("--items-pointer", p.items_pointer,
                  "JSON pointer of a page's items array; '' when the page is the array")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--next-pointer", p.next_token_pointer, "cursor: JSON pointer of the next token")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--cursor-param", p.cursor_param,
                  "cursor: query parameter that carries the token; '' when the token is a URL")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--offset-param", p.offset_param, "offset: the offset query parameter")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--limit-param", p.limit_param, "offset: the limit query parameter")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--page-size", p.page_size, "offset: items asked per page")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--max-pages", p.max_pages, "more pages than this is an error")
      ->capture_default_str()
      ->group(group);
  cmd->add_flag("--allow-truncated", p.allow_truncated,
                "over --max-pages, keep the first pages (flagged X-Cachedata-Truncated: true)")
      ->group(group);
  add_store_options(cmd, options->store, true);
  cmd->callback([options] { throw CLI::RuntimeError(run_get(*options)); });
}

}  // namespace cachedata::cli
