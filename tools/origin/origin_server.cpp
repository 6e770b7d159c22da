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
//       Every response carries a Date header.
//   GET /fail-then-ok/<name>?n=N   the first N hits (default 1) answer 503, later ones are
//                                  /resource/<name> (same parameters)
//   GET /hang                      does not answer for 120 s, or until the server stops
//   GET /_hits                     {"<path>": <hits>, ...} for every path hit since the last reset
//   GET /_hits/<path...>           the hits of /<path...>, as a plain number
//   POST /_reset                   zero all hit counters
//   POST /_shutdown                stop the server
// Routes whose path starts with "/_" are control routes: they are not counted and not delayed.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
    static constexpr std::string_view kPattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
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
  if (!delay) return;
  origin.sleep_ms(*delay);
  res.status = 503;
  res.set_header("Date", http_date_now());
  res.set_content("{\"name\":" + json_string(req.matches[1].str()) +
                      ",\"hit\":" + std::to_string(hit) + ",\"error\":\"planned failure\"}\n",
                  "application/json");
}

void handle_hang(Origin& origin, const Request&, Response& res, long) {
  origin.sleep_ms(120'000);
  answer_text(res, 504, "hung for as long as it could\n");
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

// Every route the origin serves. Control routes (path "/_...") are neither counted nor delayed.
const std::vector<Route> kRoutes = {
    {{"GET", "POST", "PUT", "DELETE", "PATCH"}, "/resource/(.+)", handle_resource},
    {{"GET"}, "/fail-then-ok/(.+)", handle_fail_then_ok},
    {{"GET"}, "/hang", handle_hang},
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
