// OriginProcess: runs tools/origin (cachedata_origin) as a child process for one test.
//
//   auto origin = cachedata::testing::OriginProcess::start({"--default-delay-ms", "200"});
//   fetch(origin.url("/resource/users?cache_control=max-age%3D60"));
//   EXPECT_EQ(origin.hits("/resource/users"), 1);
//
// start() runs the binary named by CACHEDATA_ORIGIN_BIN (or `binary`) on a free loopback port and
// waits for its "listening" line; it throws std::runtime_error if that fails (gtest reports it as
// a failure of the test). The destructor stops the process (SIGTERM, then SIGKILL after 5 s). The
// origin also stops by itself if the test process dies, as it watches the pipe on its stdin.
// See tools/origin/origin_server.cpp for the routes and their query parameters.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachedata::testing {

// A plain HTTP answer, as libcurl got it.
struct HttpReply {
  long status = 0;  // 0 if the request failed
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::chrono::milliseconds elapsed{0};
  std::string error;  // libcurl's message if the request failed

  // The first header named `name` (any case), or "".
  std::string header(std::string_view name) const;
};

// A direct HTTP request with libcurl: no cache involved, no redirect followed, no body decoded.
// `headers` are "Name: value" lines; `body` is sent with POST, PUT, PATCH and DELETE.
HttpReply http_request(const std::string& method, const std::string& url,
                       const std::vector<std::string>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30),
                       const std::string& body = {});

class OriginProcess {
 public:
  // Starts the origin with extra command-line `args`; --port 0 is implied unless given.
  static OriginProcess start(std::vector<std::string> args = {});
  static OriginProcess start(const std::string& binary, std::vector<std::string> args);

  OriginProcess() = default;  // not running; assign the result of start() to it
  OriginProcess(OriginProcess&& other) noexcept;
  OriginProcess& operator=(OriginProcess&& other) noexcept;
  OriginProcess(const OriginProcess&) = delete;
  OriginProcess& operator=(const OriginProcess&) = delete;
  ~OriginProcess();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT".
  std::string base_url() const;
  // base_url() + path, e.g. url("/resource/a?delay_ms=0"); a missing leading '/' is added.
  std::string url(std::string_view path) const;

  // The origin's hit counter for a request path (no query), e.g. hits("/resource/a").
  int hits(std::string_view path) const;
  // All hit counters, as the JSON text of GET /_hits.
  std::string hits_json() const;
  // Zeroes all hit counters (POST /_reset).
  void reset() const;

  // Sends SIGTERM and waits (SIGKILL after `grace`); returns the exit status as waitpid() gives
  // it (0 for a clean exit), or -1 if it was not running. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Waits up to `timeout` for the process to exit by itself (e.g. after POST /_shutdown);
  // returns its waitpid() status, or nullopt if it is still running (or is not running at all).
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

 private:
  void release();

  pid_t pid_ = -1;
  int port_ = 0;
  int stdin_fd_ = -1;  // our end of the origin's stdin; closing it stops the origin
};

}  // namespace cachedata::testing
