// cachedata_origin: a small HTTP origin server for the demo and the tests.
//
// It stands in for the slow HTTP origins cachedata sits in front of: it can be slow on purpose,
// answer with any status and caching headers, fail a planned number of times, or hang, and it
// counts the requests it gets, so a test can tell whether an answer came from the cache or from
// the origin.
//
// Usage: cachedata_origin [--port N] [--host 127.0.0.1] [--default-delay-ms N] [--threads N]
//                         [--log] [--exit-on-stdin-eof]
//   --port N              port to bind; 0 (the default) picks a free one
//   --host H              a loopback IPv4 address (default 127.0.0.1); nothing else is accepted
//   --default-delay-ms N  delay of the content routes when a request has no delay_ms (default 0)
//   --threads N           worker threads, i.e. requests served at the same time (default 128)
//   --log                 one line per request on stderr
//   --exit-on-stdin-eof   stop when stdin reaches end of file (the test that started us died)
// Once bound it prints exactly one line to stdout, `listening http://127.0.0.1:PORT`, and flushes.
// It stops cleanly on SIGTERM, SIGINT and `POST /_shutdown`, and then exits with status 0.
//
// Routes (all in kRoutes below; hits are counted per request path, before any delay):
//   GET|POST|PUT|DELETE|PATCH /resource/<name>
//       200 {"name":..., "method":..., "served_at_ms":<epoch ms>, "hit":<n>[, "marker":...]}
//       Query parameters:
//         delay_ms=N        sleep N ms before answering (default --default-delay-ms)
//         status=N          answer with status N (wins over the conditional 304s below)
//         cache_control=V   Cache-Control: V
//         expires=V         Expires: V (verbatim)
//         etag=V            ETag: V (verbatim); If-None-Match matching it gives 304, no body
//         last_modified=V   Last-Modified: V; If-Modified-Since equal to it (and no
//                           If-None-Match) gives 304, no body
//         size=N            the body is exactly N bytes of deterministic text (the marker first,
//                           then a fixed a-z0-9 pattern), Content-Type application/octet-stream
//         marker=S          put S in the body
//         header_<Name>=V   add the response header Name: V
//       Every response carries a Date header and X-Origin-Hit: <n> (304s too, so a test can see
//       which answer's headers a cache kept).
//   GET|POST|PUT|DELETE|PATCH /fail-then-ok/<name>?n=N
//       the first N hits (default 1) fail, later ones are /resource/<name> (same parameters).
//       fail_status=S (400..599, default 503) is the failing status; retry_after=V adds
//       Retry-After: V (verbatim) to the failures.
//   GET|POST|PUT|DELETE|PATCH /ok-then-fail/<name>?n=N
//       the first N hits (default 1) are /resource/<name> (same parameters), later ones fail
//       with fail_status=S (400..599, default 503): an origin that breaks after answering.
//   GET /hang                      does not answer for 120 s, or until the server stops
//   any method /echo               200 {"method":..., "path":..., "query":"<raw query>",
//       "headers":{"<lower-case name>":"<value>", ...}, "body":..., "body_hex":"<hex>",
//       "body_size":N, "remote_port":N, "hit":N}: what the client sent. Repeated headers are
//       joined with ", ". "body" holds the bytes as a JSON string with every byte >= 0x80
//       written as \u00XX (read it as Latin-1); "body_hex" is exact. remote_port tells the
//       connections apart (the same port twice: one kept-alive connection). delay_ms=N, status=N.
//   any method /redirect/<n>?to=<path>&code=C&relative=R
//       answers C (300..399, default 302) with a Location one step down the chain:
//       /redirect/<n-1>?<same query> for n > 1, then `to` (default /echo; an http(s):// URL is
//       used verbatim). R: absent or 0 gives an absolute http://<Host>/... Location, 1 a
//       path-absolute one ("/redirect/1?..."), "path" a path-relative one ("1?...", "../echo").
//   any method /redirect-loop?code=C   answers C (default 302) with Location: /redirect-loop
//       (same query): a redirect loop.
//   GET /gzip/<name>, /deflate/<name>, /br/<name>?size=N&binary=1
//       N bytes (default 4096) of the deterministic body below, encoded with that coding when the
//       request's Accept-Encoding allows it (else sent as is); X-Origin-Encoding says which was
//       used. Content-Type application/octet-stream, Vary: Accept-Encoding.
//   GET /large?size=N&binary=1&chunked=1
//       N bytes (default 1 MiB, at most 256 MiB) of the deterministic body, streamed in 64 KiB
//       pieces (never held whole in memory); chunked=1: chunked, without a Content-Length.
//   any method /status/<code>?retry_after=V&delay_ms=N
//       answers <code> (100..599) with {"status":<code>,"hit":N} (no body for 1xx, 204, 304);
//       retry_after adds Retry-After: V (verbatim, malformed values too).
//   GET /slow-body?chunks=N&chunk_size=B&interval_ms=T
//       sends the headers (Content-Length N*B) at once, then N pieces of B bytes of the
//       deterministic body, T ms apart (defaults 10, 10, 100): a body that trickles.
//   GET /pages/link?n=N&size=S&page=P&link=mixed|absolute|relative
//       page P (default 1) of N (default 3): a JSON array of S (default 2) items {"id":<k>}, ids
//       (P-1)*S .. P*S-1. Link: <…page=1>; rel="first", then for P > 1 <…page=P-1>; rel="prev",
//       and for P < N <…page=P+1>; rel="next last" (the rel list quoted); the next URL is
//       absolute (http://<Host>/...) on odd pages and path-relative ("link?...") on even ones
//       with link=mixed (the default), else always as `link` says.
//   GET /pages/cursor?n=N&size=S&cursor=C
//       {"items":[{"id":<k>},...],"next":"<token>"} with S (default 2) items per page; the first
//       page without `cursor`, the next with cursor=<token>; the last page (N, default 3) has
//       "next":null. An unknown cursor answers 400.
//   GET /pages/offset?total=T&offset=O&limit=L
//       {"items":[{"id":O},...,{"id":min(O+L,T)-1}],"total":T}: items O.. of a list of T
//       (default 5); offset default 0, limit default 10 (1..1000).
//   All three: fail_page=K answers page K with 503 {"error":"planned failure"} every time.
//   GET /_hits                     {"<path>": <hits>, ...} for every path hit since the last reset
//   GET /_hits/<path...>           the hits of /<path...>, as a plain number
//   POST /_reset                   zero all hit counters
//   POST /_shutdown                stop the server
// Routes whose path starts with "/_" are control routes: they are not counted and not delayed.
// The deterministic body: byte i is "abcdefghijklmnopqrstuvwxyz0123456789\n"[i % 37], or with
// binary=1 the byte i % 256 (NUL and bytes over 0x7f included). Keep-alive connections serve up
// to 1000 requests and close after 1 s idle.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "httplib_system.hpp"

namespace {

using httplib::Request;
using httplib::Response;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  long default_delay_ms = 0;
  int threads = 128;
  bool log = false;
  bool exit_on_stdin_eof = false;
};

// Per-path request counters, safe to use from every worker thread.
class HitCounters {
 public:
  long increment(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return ++hits_[path];
  }
  long get(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = hits_.find(path);
    return it == hits_.end() ? 0 : it->second;
  }
  std::map<std::string, long> snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  void reset() {
    std::lock_guard<std::mutex> lock(mu_);
    hits_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, long> hits_;
};

// What the handlers share.
struct Origin {
  Options options;
  HitCounters hits;
  std::atomic<bool> stopping{false};

  // Sleeps for `ms`, in small steps so that a stopping server is not held up.
  void sleep_ms(long ms) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stopping && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
    }
  }
};

// The deterministic body (see the routes above) and how much of it /large writes at a time.
constexpr std::string_view kPattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
constexpr size_t kPiece = 64 << 10;

// ---- small helpers ------------------------------------------------------------------------------

std::optional<long> parse_long(std::string_view text) {
  long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

long long epoch_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string http_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Replaces (rather than adds to) a header; httplib's Headers compare names case-insensitively.
void set_header(Response& res, const std::string& name, const std::string& value) {
  res.headers.erase(name);
  res.set_header(name, value);
}

void answer_text(Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text, "text/plain");
}

// The optional integer query parameter `name`, or `fallback`; nullopt (after answering 400) if
// it is present but not an integer in [min, max].
std::optional<long> int_param(const Request& req, Response& res, const char* name, long fallback,
                              long min, long max) {
  if (!req.has_param(name)) return fallback;
  auto value = parse_long(req.get_param_value(name));
  if (!value || *value < min || *value > max) {
    answer_text(
        res, 400,
        std::string("bad query parameter ") + name + "=" + req.get_param_value(name) + "\n");
    return std::nullopt;
  }
  return value;
}

// True if an If-None-Match header value matches `etag` (weak comparison, as for GET).
bool if_none_match_matches(const std::string& header, const std::string& etag) {
  auto strip_weak = [](std::string_view tag) {
    return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag;
  };
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "*" || (!item.empty() && strip_weak(item) == strip_weak(etag))) return true;
  }
  return false;
}

// ---- routes -------------------------------------------------------------------------------------

// `hit` is this request's number among the requests to its path (0 for the control routes).
using RouteHandler = void (*)(Origin& origin, const Request& req, Response& res, long hit);

void handle_resource(Origin& origin, const Request& req, Response& res, long hit) {
  const std::string name = req.matches[1];
  auto delay = int_param(req, res, "delay_ms", origin.options.default_delay_ms, 0, 3'600'000);
  auto status = int_param(req, res, "status", 200, 100, 599);
  auto size = int_param(req, res, "size", -1, 0, 256L << 20);
  if (!delay || !status || !size) return;
  origin.sleep_ms(*delay);

  const std::string marker = req.get_param_value("marker");
  for (const auto& [key, value] : req.params) {
    if (key.rfind("header_", 0) == 0 && key.size() > 7) set_header(res, key.substr(7), value);
  }
  if (!res.has_header("Date")) res.set_header("Date", http_date_now());
  res.set_header("X-Origin-Hit", std::to_string(hit));
  const std::pair<const char*, const char*> verbatim[] = {{"cache_control", "Cache-Control"},
                                                          {"expires", "Expires"},
                                                          {"etag", "ETag"},
                                                          {"last_modified", "Last-Modified"}};
  for (const auto& [param, header] : verbatim) {
    if (req.has_param(param)) set_header(res, header, req.get_param_value(param));
  }

  if (!req.has_param("status")) {
    bool not_modified = false;
    if (req.has_header("If-None-Match")) {
      not_modified =
          req.has_param("etag") &&
          if_none_match_matches(req.get_header_value("If-None-Match"), req.get_param_value("etag"));
    } else if (req.has_header("If-Modified-Since") && req.has_param("last_modified")) {
      not_modified =
          req.get_header_value("If-Modified-Since") == req.get_param_value("last_modified");
    }
    if (not_modified) {
      res.status = 304;
      return;
    }
  }

  res.status = static_cast<int>(*status);
  if (res.status < 200 || res.status == 204 || res.status == 304) return;  // no body allowed
  if (*size >= 0) {
    std::string body = marker.substr(0, static_cast<size_t>(*size));
    while (body.size() < static_cast<size_t>(*size)) {
      body += kPattern.substr(0, static_cast<size_t>(*size) - body.size());
    }
    if (!res.has_header("Content-Type"))
      res.set_content(body, "application/octet-stream");
    else
      res.body = std::move(body);
    return;
  }
  std::string json = "{\"name\":" + json_string(name) + ",\"method\":" + json_string(req.method) +
                     ",\"served_at_ms\":" + std::to_string(epoch_ms()) +
                     ",\"hit\":" + std::to_string(hit);
  if (req.has_param("marker")) json += ",\"marker\":" + json_string(marker);
  json += "}\n";
  if (!res.has_header("Content-Type"))
    res.set_content(json, "application/json");
  else
    res.body = std::move(json);
}

void handle_fail_then_ok(Origin& origin, const Request& req, Response& res, long hit) {
  auto failures = int_param(req, res, "n", 1, 0, 1'000'000);
  if (!failures) return;
  if (hit > *failures) return handle_resource(origin, req, res, hit);
  auto delay = int_param(req, res, "delay_ms", origin.options.default_delay_ms, 0, 3'600'000);
  auto fail_status = int_param(req, res, "fail_status", 503, 400, 599);
  if (!delay || !fail_status) return;
  origin.sleep_ms(*delay);
  res.status = static_cast<int>(*fail_status);
  res.set_header("Date", http_date_now());
  if (req.has_param("retry_after"))
    res.set_header("Retry-After", req.get_param_value("retry_after"));
  res.set_content("{\"name\":" + json_string(req.matches[1].str()) +
                      ",\"hit\":" + std::to_string(hit) + ",\"error\":\"planned failure\"}\n",
                  "application/json");
}

void handle_ok_then_fail(Origin& origin, const Request& req, Response& res, long hit) {
  auto answers = int_param(req, res, "n", 1, 0, 1'000'000);
  auto fail_status = int_param(req, res, "fail_status", 503, 400, 599);
  if (!answers || !fail_status) return;
  if (hit <= *answers) return handle_resource(origin, req, res, hit);
  res.status = static_cast<int>(*fail_status);
  res.set_header("Date", http_date_now());
  res.set_header("X-Origin-Hit", std::to_string(hit));
  res.set_content("{\"name\":" + json_string(req.matches[1].str()) +
                      ",\"hit\":" + std::to_string(hit) + ",\"error\":\"planned failure\"}\n",
                  "application/json");
}

void handle_hang(Origin& origin, const Request&, Response& res, long) {
  origin.sleep_ms(120'000);
  answer_text(res, 504, "hung for as long as it could\n");
}

// ---- bodies, encodings --------------------------------------------------------------------------

// Bytes [offset, offset + n) of the deterministic body (see the routes above).
std::string deterministic_bytes(size_t offset, size_t n, bool binary) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[i] = binary ? static_cast<char>((offset + i) & 0xff) : kPattern[(offset + i) % 37];
  }
  return out;
}

// JSON string of arbitrary bytes: valid JSON whatever the bytes, each byte >= 0x80 as \u00XX.
std::string json_bytes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x",
                    static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      const std::string one = json_string(std::string_view(&c, 1));
      out.append(one, 1, one.size() - 2);  // without its quotes
    }
  }
  return out + "\"";
}

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// True if the Accept-Encoding header value allows `coding` (listed, or "*", with q != 0).
bool accepts_encoding(const std::string& header, std::string_view coding) {
  bool star = false;
  std::string_view rest = header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::string_view params;
    if (size_t semi = item.find(';'); semi != std::string_view::npos) {
      params = item.substr(semi + 1);
      item = item.substr(0, semi);
    }
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    std::string p = lower(params);
    p.erase(std::remove(p.begin(), p.end(), ' '), p.end());
    const bool refused =
        p.rfind("q=0", 0) == 0 && p.find_first_of("123456789", 3) == std::string::npos;
    const std::string name = lower(item);
    if (name == coding) return !refused;
    if (name == "*") star = !refused;
  }
  return star;
}

uint32_t adler32(std::string_view data) {
  uint32_t a = 1, b = 0;
  for (unsigned char c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

// `body` encoded with `coding` ("gzip", "deflate" or "br"), with httplib's own compressors.
// "deflate" is the zlib format (RFC 1950), built from the gzip stream: its raw deflate data
// between the 10-byte header and the 8-byte trailer, framed by a zlib header and Adler-32.
std::optional<std::string> encode(std::string_view coding, const std::string& body) {
  std::string out;
  auto sink = [&out](const char* data, size_t n) {
    out.append(data, n);
    return true;
  };
  if (coding == "br") {
    httplib::detail::brotli_compressor br;
    if (!br.compress(body.data(), body.size(), true, sink)) return std::nullopt;
    return out;
  }
  httplib::detail::gzip_compressor gz;
  if (!gz.compress(body.data(), body.size(), true, sink)) return std::nullopt;
  if (coding == "gzip") return out;
  // gzip without optional fields (FLG = 0) has a 10-byte header.
  if (out.size() < 18 || out[3] != 0) return std::nullopt;
  std::string zlib = "\x78\x9c";
  zlib.append(out, 10, out.size() - 18);
  const uint32_t sum = adler32(body);
  for (int shift = 24; shift >= 0; shift -= 8) zlib += static_cast<char>((sum >> shift) & 0xff);
  return zlib;
}

// The raw query string of a request ("a=1&b=2"), as the client sent it.
std::string raw_query(const Request& req) {
  const size_t q = req.target.find('?');
  return q == std::string::npos ? std::string() : req.target.substr(q + 1);
}

// ---- more routes --------------------------------------------------------------------------------

// ---- paginated lists ----------------------------------------------------------------------------

// The raw query of `req` with every `name` parameter replaced by name=value (value is plain).
std::string query_with(const Request& req, const std::string& name, const std::string& value) {
  std::string out;
  const std::string query = raw_query(req);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(start, amp - start);
    if (!pair.empty() && pair.substr(0, pair.find('=')) != name) out += pair + "&";
    start = amp + 1;
  }
  return out + name + "=" + value;
}

// {"id":first},...,{"id":last-1}
std::string items_json(long first, long last) {
  std::string out = "[";
  for (long id = first; id < last; ++id) {
    if (id > first) out += ",";
    out += "{\"id\":" + std::to_string(id) + "}";
  }
  return out + "]";
}

// Answers 503 when `page` is the one fail_page names; true if it did.
bool failed_page(const Request& req, Response& res, long page) {
  if (!req.has_param("fail_page") || parse_long(req.get_param_value("fail_page")) != page) {
    return false;
  }
  res.status = 503;
  res.set_content("{\"error\":\"planned failure\",\"page\":" + std::to_string(page) + "}\n",
                  "application/json");
  return true;
}

void handle_pages_link(Origin&, const Request& req, Response& res, long) {
  auto pages = int_param(req, res, "n", 3, 1, 100'000);
  auto size = int_param(req, res, "size", 2, 0, 10'000);
  auto page = int_param(req, res, "page", 1, 1, 100'000);
  if (!pages || !size || !page) return;
  if (failed_page(req, res, *page)) return;
  const std::string mode = req.has_param("link") ? req.get_param_value("link") : "mixed";
  const bool relative = mode == "relative" || (mode == "mixed" && *page % 2 == 0);
  const std::string absolute_base = "http://" + req.get_header_value("Host") + "/pages/link?";
  auto link_to = [&](long to, bool rel_url) {
    return "<" + (rel_url ? "link?" : absolute_base) + query_with(req, "page", std::to_string(to)) +
           ">";
  };
  std::string links = link_to(1, false) + "; rel=\"first\"";
  if (*page > 1) links += ", " + link_to(*page - 1, false) + "; rel=prev";
  if (*page < *pages) links += ", " + link_to(*page + 1, relative) + "; rel=\"next last\"";
  res.set_header("Link", links);
  res.set_content(items_json((*page - 1) * *size, *page * *size) + "\n", "application/json");
}

void handle_pages_cursor(Origin&, const Request& req, Response& res, long) {
  auto pages = int_param(req, res, "n", 3, 1, 100'000);
  auto size = int_param(req, res, "size", 2, 0, 10'000);
  if (!pages || !size) return;
  // Tokens look opaque to the client: "c<page>x".
  long page = 1;
  if (req.has_param("cursor")) {
    const std::string cursor = req.get_param_value("cursor");
    auto n = cursor.size() > 2 && cursor.front() == 'c' && cursor.back() == 'x'
                 ? parse_long(std::string_view(cursor).substr(1, cursor.size() - 2))
                 : std::nullopt;
    if (!n || *n < 2 || *n > *pages) return answer_text(res, 400, "unknown cursor\n");
    page = *n;
  }
  if (failed_page(req, res, page)) return;
  const std::string next =
      page < *pages ? "\"c" + std::to_string(page + 1) + "x\"" : std::string("null");
  res.set_content(
      "{\"items\":" + items_json((page - 1) * *size, page * *size) + ",\"next\":" + next + "}\n",
      "application/json");
}

void handle_pages_offset(Origin&, const Request& req, Response& res, long) {
  auto total = int_param(req, res, "total", 5, 0, 1'000'000);
  auto offset = int_param(req, res, "offset", 0, 0, 1'000'000);
  auto limit = int_param(req, res, "limit", 10, 1, 1000);
  if (!total || !offset || !limit) return;
  if (failed_page(req, res, *offset / *limit + 1)) return;
  const long first = std::min(*offset, *total);
  const long last = std::min(*offset + *limit, *total);
  res.set_content(
      "{\"items\":" + items_json(first, last) + ",\"total\":" + std::to_string(*total) + "}\n",
      "application/json");
}

void handle_echo(Origin& origin, const Request& req, Response& res, long hit) {
  auto delay = int_param(req, res, "delay_ms", 0, 0, 3'600'000);
  auto status = int_param(req, res, "status", 200, 200, 599);
  if (!delay || !status) return;
  origin.sleep_ms(*delay);
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : req.headers) {
    // httplib adds these itself; they were not sent.
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT") {
      continue;
    }
    std::string& joined = headers[lower(name)];
    joined += joined.empty() ? value : ", " + value;
  }
  std::string json = "{\"method\":" + json_string(req.method) +
                     ",\"path\":" + json_bytes(req.path) +
                     ",\"query\":" + json_bytes(raw_query(req)) + ",\"headers\":{";
  bool first = true;
  for (const auto& [name, value] : headers) {
    if (!first) json += ",";
    first = false;
    json += json_bytes(name) + ":" + json_bytes(value);
  }
  json += "},\"body\":" + json_bytes(req.body) + ",\"body_hex\":\"" + hex(req.body) +
          "\",\"body_size\":" + std::to_string(req.body.size()) +
          ",\"remote_port\":" + std::to_string(req.remote_port) +
          ",\"hit\":" + std::to_string(hit) + "}\n";
  res.status = static_cast<int>(*status);
  if (res.status == 204 || res.status == 304) return;
  res.set_content(json, "application/json");
}

void answer_redirect(Response& res, long code, const std::string& location) {
  res.status = static_cast<int>(code);
  res.set_header("Location", location);
  res.set_content("redirecting to " + location + "\n", "text/plain");
}

void handle_redirect(Origin&, const Request& req, Response& res, long) {
  auto n = parse_long(req.matches[1].str());
  if (!n || *n < 1 || *n > 1000) return answer_text(res, 400, "bad redirect count\n");
  auto code = int_param(req, res, "code", 302, 300, 399);
  if (!code) return;
  const std::string relative = req.get_param_value("relative");
  const std::string query = raw_query(req);
  std::string to = req.has_param("to") ? req.get_param_value("to") : "/echo";
  if (to.empty() ||
      (to.front() != '/' && to.rfind("http://", 0) != 0 && to.rfind("https://", 0) != 0)) {
    return answer_text(res, 400, "bad query parameter to=" + to + "\n");
  }
  const bool absolute_target = to.front() != '/';
  std::string location;
  if (*n > 1) {
    const std::string step = std::to_string(*n - 1) + (query.empty() ? "" : "?" + query);
    location = relative == "path" ? step : "/redirect/" + step;
  } else if (absolute_target) {
    location = to;
  } else {
    location = relative == "path" ? ".." + to : to;
  }
  if ((relative.empty() || relative == "0") && location.front() == '/') {
    location = "http://" + req.get_header_value("Host") + location;
  }
  answer_redirect(res, *code, location);
}

void handle_redirect_loop(Origin&, const Request& req, Response& res, long) {
  auto code = int_param(req, res, "code", 302, 300, 399);
  if (!code) return;
  const std::string query = raw_query(req);
  answer_redirect(res, *code, "/redirect-loop" + (query.empty() ? "" : "?" + query));
}

void handle_encoded(Origin&, const Request& req, Response& res, long) {
  const std::string coding = req.matches[1];
  auto size = int_param(req, res, "size", 4096, 0, 64L << 20);
  if (!size) return;
  std::string body =
      deterministic_bytes(0, static_cast<size_t>(*size), req.get_param_value("binary") == "1");
  res.set_header("Vary", "Accept-Encoding");
  std::string used = "identity";
  if (accepts_encoding(req.get_header_value("Accept-Encoding"), coding)) {
    auto encoded = encode(coding, body);
    if (!encoded) return answer_text(res, 500, "cannot encode with " + coding + "\n");
    body = std::move(*encoded);
    used = coding;
    res.set_header("Content-Encoding", coding);
  }
  res.set_header("X-Origin-Encoding", used);
  // application/octet-stream: httplib compresses only text-like types, so it leaves this alone.
  res.set_content(body, "application/octet-stream");
}

void handle_large(Origin&, const Request& req, Response& res, long) {
  auto size = int_param(req, res, "size", 1L << 20, 0, 256L << 20);
  if (!size) return;
  const bool binary = req.get_param_value("binary") == "1";
  const size_t total = static_cast<size_t>(*size);
  if (req.get_param_value("chunked") == "1") {
    res.set_chunked_content_provider(
        "application/octet-stream", [total, binary](size_t offset, httplib::DataSink& sink) {
          if (offset >= total) {
            sink.done();
            return true;
          }
          const std::string piece =
              deterministic_bytes(offset, std::min(kPiece, total - offset), binary);
          return sink.write(piece.data(), piece.size());
        });
    return;
  }
  res.set_content_provider(total, "application/octet-stream",
                           [binary](size_t offset, size_t length, httplib::DataSink& sink) {
                             const std::string piece =
                                 deterministic_bytes(offset, std::min(kPiece, length), binary);
                             return sink.write(piece.data(), piece.size());
                           });
}

void handle_status(Origin& origin, const Request& req, Response& res, long hit) {
  auto code = parse_long(req.matches[1].str());
  if (!code || *code < 100 || *code > 599) return answer_text(res, 400, "bad status\n");
  auto delay = int_param(req, res, "delay_ms", origin.options.default_delay_ms, 0, 3'600'000);
  if (!delay) return;
  origin.sleep_ms(*delay);
  res.status = static_cast<int>(*code);
  res.set_header("Date", http_date_now());
  if (req.has_param("retry_after"))
    res.set_header("Retry-After", req.get_param_value("retry_after"));
  if (res.status < 200 || res.status == 204 || res.status == 304) return;
  res.set_content(
      "{\"status\":" + std::to_string(*code) + ",\"hit\":" + std::to_string(hit) + "}\n",
      "application/json");
}

void handle_slow_body(Origin& origin, const Request& req, Response& res, long) {
  auto chunks = int_param(req, res, "chunks", 10, 1, 100'000);
  auto chunk_size = int_param(req, res, "chunk_size", 10, 1, 1L << 20);
  auto interval = int_param(req, res, "interval_ms", 100, 0, 3'600'000);
  if (!chunks || !chunk_size || !interval) return;
  const size_t piece = static_cast<size_t>(*chunk_size);
  const long pause = *interval;
  Origin* o = &origin;
  res.set_content_provider(
      static_cast<size_t>(*chunks) * piece, "application/octet-stream",
      [o, piece, pause](size_t offset, size_t length, httplib::DataSink& sink) {
        if (offset > 0) o->sleep_ms(pause);
        if (o->stopping) return false;
        const std::string bytes = deterministic_bytes(offset, std::min(piece, length), false);
        return sink.write(bytes.data(), bytes.size());
      });
}

void handle_hits(Origin& origin, const Request&, Response& res, long) {
  std::string json = "{";
  for (const auto& [path, count] : origin.hits.snapshot()) {
    if (json.size() > 1) json += ",";
    json += json_string(path) + ":" + std::to_string(count);
  }
  res.set_content(json + "}\n", "application/json");
}

void handle_hits_of_path(Origin& origin, const Request& req, Response& res, long) {
  answer_text(res, 200, std::to_string(origin.hits.get(req.matches[1])) + "\n");
}

void handle_reset(Origin& origin, const Request&, Response& res, long) {
  origin.hits.reset();
  answer_text(res, 200, "reset\n");
}

void handle_shutdown(Origin&, const Request&, Response& res, long) {
  answer_text(res, 200, "shutting down\n");
  // The signal thread in main() does the stopping, once this answer is on its way.
  kill(getpid(), SIGTERM);
}

struct Route {
  std::vector<const char*> methods;
  const char* pattern;  // a std::regex for the whole (decoded) path; groups go to req.matches
  RouteHandler handler;
};

// GET also serves HEAD.
const std::vector<const char*> kAllMethods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

// Every route the origin serves. Control routes (path "/_...") are neither counted nor delayed.
const std::vector<Route> kRoutes = {
    {{"GET", "POST", "PUT", "DELETE", "PATCH"}, "/resource/(.+)", handle_resource},
    {{"GET", "POST", "PUT", "DELETE", "PATCH"}, "/fail-then-ok/(.+)", handle_fail_then_ok},
    {{"GET", "POST", "PUT", "DELETE", "PATCH"}, "/ok-then-fail/(.+)", handle_ok_then_fail},
    {{"GET"}, "/hang", handle_hang},
    {kAllMethods, "/echo", handle_echo},
    {kAllMethods, "/redirect/([0-9]+)", handle_redirect},
    {kAllMethods, "/redirect-loop", handle_redirect_loop},
    {{"GET"}, "/(gzip|deflate|br)/(.+)", handle_encoded},
    {{"GET"}, "/large", handle_large},
    {kAllMethods, "/status/([0-9]+)", handle_status},
    {{"GET"}, "/slow-body", handle_slow_body},
    {{"GET"}, "/pages/link", handle_pages_link},
    {{"GET"}, "/pages/cursor", handle_pages_cursor},
    {{"GET"}, "/pages/offset", handle_pages_offset},
    {{"GET"}, "/_hits", handle_hits},
    {{"GET"}, "/_hits(/.*)", handle_hits_of_path},
    {{"POST"}, "/_reset", handle_reset},
    {{"POST"}, "/_shutdown", handle_shutdown},
};

void register_routes(httplib::Server& server, Origin& origin) {
  for (const Route& route : kRoutes) {
    const bool counted = std::string_view(route.pattern).substr(0, 2) != "/_";
    httplib::Server::Handler handler = [&origin, &route, counted](const Request& req,
                                                                  Response& res) {
      const long hit = counted ? origin.hits.increment(req.path) : 0;
      route.handler(origin, req, res, hit);
    };
    for (std::string_view method : route.methods) {
      if (method == "GET") server.Get(route.pattern, handler);  // also serves HEAD
      if (method == "POST") server.Post(route.pattern, handler);
      if (method == "PUT") server.Put(route.pattern, handler);
      if (method == "DELETE") server.Delete(route.pattern, handler);
      if (method == "PATCH") server.Patch(route.pattern, handler);
      if (method == "OPTIONS") server.Options(route.pattern, handler);
    }
  }
}

// ---- main ---------------------------------------------------------------------------------------

constexpr const char* kUsage =
    "usage: cachedata_origin [--port N] [--host 127.0.0.1] [--default-delay-ms N] [--threads N]\n"
    "                        [--log] [--exit-on-stdin-eof]\n";

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto number = [&](long min, long max) -> std::optional<long> {
      if (i + 1 >= argc) return std::nullopt;
      auto value = parse_long(argv[++i]);
      if (!value || *value < min || *value > max) return std::nullopt;
      return value;
    };
    std::optional<long> value;
    if (arg == "--port" && (value = number(0, 65535))) {
      options.port = static_cast<int>(*value);
    } else if (arg == "--default-delay-ms" && (value = number(0, 3'600'000))) {
      options.default_delay_ms = *value;
    } else if (arg == "--threads" && (value = number(1, 1024))) {
      options.threads = static_cast<int>(*value);
    } else if (arg == "--host" && i + 1 < argc) {
      options.host = argv[++i];
      if (options.host == "localhost") options.host = "127.0.0.1";
      if (options.host.rfind("127.", 0) != 0) {
        std::fprintf(stderr, "cachedata_origin: --host must be a loopback IPv4 address\n");
        return std::nullopt;
      }
    } else if (arg == "--log") {
      options.log = true;
    } else if (arg == "--exit-on-stdin-eof") {
      options.exit_on_stdin_eof = true;
    } else {
      if (arg != "--help" && arg != "-h") {
        std::fprintf(stderr, "cachedata_origin: bad argument: %s\n", argv[i]);
      }
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    const bool help =
        argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0);
    std::fputs(kUsage, help ? stdout : stderr);
    return help ? 0 : 2;
  }
  Origin origin;
  origin.options = *parsed;

  // SIGTERM and SIGINT are taken by sigwait() in one thread; block them before any other thread
  // exists so that every thread inherits the mask. (A shell's background job starts with SIGINT
  // ignored; restore the default so the signal is not discarded.)
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  httplib::Server server;
  const int threads = origin.options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_timeout(1);  // idle keep-alive connections must not delay a stop
  // A client that reuses its connection (as the fetcher does) keeps it for many requests.
  server.set_keep_alive_max_count(1000);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle and the client's
  // delayed ACK hold every answer with a body back by ~40 ms on loopback.
  server.set_tcp_nodelay(true);
  if (origin.options.log) {
    server.set_logger([](const Request& req, const Response& res) {
      std::fprintf(stderr, "cachedata_origin: %s %s -> %d\n", req.method.c_str(),
                   req.target.c_str(), res.status);
    });
  }
  // httplib listens with a backlog of 5, so a burst of concurrent connections (a test of request
  // coalescing, say) would see SYNs dropped and retried a second later; raise it after binding.
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](int sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  register_routes(server, origin);

  int port = origin.options.port;
  if (port == 0) {
    port = server.bind_to_any_port(origin.options.host);
  } else if (!server.bind_to_port(origin.options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "cachedata_origin: cannot bind %s:%d\n", origin.options.host.c_str(),
                 origin.options.port);
    return 1;
  }
  if (listen_fd >= 0) listen(listen_fd, SOMAXCONN);
  std::printf("listening http://%s:%d\n", origin.options.host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> server_done{false};
  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    origin.stopping = true;
    // stop() is a no-op until listen_after_bind() runs, so wait for it to be running.
    while (!server_done && !server.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!server_done) server.stop();
  });
  if (origin.options.exit_on_stdin_eof) {
    // Detached: it touches nothing but stdin, and it may stay blocked until the process exits.
    std::thread([] {
      char buf[256];
      ssize_t n = 0;
      while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      }
      kill(getpid(), SIGTERM);
    }).detach();
  }

  const bool ok = server.listen_after_bind();
  server_done = true;
  const bool asked_to_stop = origin.stopping;
  if (!asked_to_stop) kill(getpid(), SIGTERM);  // listening failed: release the stopper
  stopper.join();
  if (!ok && !asked_to_stop) {
    std::fprintf(stderr, "cachedata_origin: the server failed\n");
    return 1;
  }
  return 0;
}
