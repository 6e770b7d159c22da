#include "support/origin_process.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace cachedata::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

size_t append_body(char* data, size_t size, size_t count, void* reply) {
  static_cast<HttpReply*>(reply)->body.append(data, size * count);
  return size * count;
}

size_t append_header(char* data, size_t size, size_t count, void* reply) {
  auto& r = *static_cast<HttpReply*>(reply);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") r.headers.clear();  // a new response (e.g. after a 100)
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    r.headers.emplace(lower(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Waits up to `timeout` for `pid` to exit; its waitpid() status, or nullopt.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Reads the first line the child writes to `fd`, waiting up to `timeout`.
std::optional<std::string> read_first_line(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string text;
  while (text.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char buf[256];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // the origin exited
    text.append(buf, static_cast<size_t>(n));
  }
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::string HttpReply::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpReply http_request(const std::string& method, const std::string& url,
                       const std::vector<std::string>& headers, std::chrono::milliseconds timeout,
                       const std::string& body) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  HttpReply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    reply.error = "curl_easy_init failed";
    return reply;
  }
  curl_slist* header_list = nullptr;
  for (const auto& h : headers) header_list = curl_slist_append(header_list, h.c_str());

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method == "POST" || method == "PUT" || method == "PATCH" ||
             (method == "DELETE" && !body.empty())) {
    // The body as bytes (possibly empty, then with Content-Length: 0).
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  const auto started = Clock::now();
  const CURLcode rc = curl_easy_perform(curl);
  reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  } else {
    reply.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(header_list);
  curl_easy_cleanup(curl);
  return reply;
}

OriginProcess OriginProcess::start(std::vector<std::string> args) {
  return start(CACHEDATA_ORIGIN_BIN, std::move(args));
}

OriginProcess OriginProcess::start(const std::string& binary, std::vector<std::string> args) {
  if (std::find(args.begin(), args.end(), "--port") == args.end()) {
    args.insert(args.end(), {"--port", "0"});
  }
  args.push_back("--exit-on-stdin-eof");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  int in[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  if (pipe2(in, O_CLOEXEC) != 0) {
    const std::string error = errno_text("pipe2");
    close(out[0]);
    close(out[1]);
    throw std::runtime_error(error);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attr, &signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &signals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  // The test's environment, but in the ThreadSanitizer build the origin (a test tool, built
  // there too) reports no races: those TSan sees inside Debian's uninstrumented cpp-httplib are
  // not the code under test, and halt_on_error would stop the origin mid-test.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "TSAN_OPTIONS=", 13) != 0) env_strings.emplace_back(*e);
  }
  env_strings.emplace_back("TSAN_OPTIONS=report_bugs=0");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  OriginProcess origin;
  const int spawn_error =
      posix_spawn(&origin.pid_, binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(in[0]);
  if (spawn_error != 0) {
    origin.pid_ = -1;
    close(out[0]);
    close(in[1]);
    throw std::runtime_error("cannot start " + binary + ": " + std::strerror(spawn_error));
  }
  origin.stdin_fd_ = in[1];

  const auto line = read_first_line(out[0], std::chrono::seconds(10));
  close(out[0]);
  static constexpr std::string_view kPrefix = "listening http://127.0.0.1:";
  if (line && line->rfind(kPrefix, 0) == 0) {
    try {
      origin.port_ = std::stoi(line->substr(kPrefix.size()));
    } catch (const std::exception&) {
      origin.port_ = 0;
    }
  }
  if (origin.port_ <= 0) {
    origin.stop(std::chrono::seconds(1));
    throw std::runtime_error(binary + " did not report a port; its first line was: " +
                             (line ? "'" + *line + "'" : "(none)"));
  }
  return origin;
}

OriginProcess::OriginProcess(OriginProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      port_(std::exchange(other.port_, 0)),
      stdin_fd_(std::exchange(other.stdin_fd_, -1)) {}

OriginProcess& OriginProcess::operator=(OriginProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    port_ = std::exchange(other.port_, 0);
    stdin_fd_ = std::exchange(other.stdin_fd_, -1);
  }
  return *this;
}

OriginProcess::~OriginProcess() {
  stop();
}

std::string OriginProcess::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string OriginProcess::url(std::string_view path) const {
  std::string u = base_url();
  if (path.empty() || path.front() != '/') u += '/';
  return u.append(path);
}

int OriginProcess::hits(std::string_view path) const {
  const std::string target =
      url("/_hits" + std::string(path.empty() || path[0] != '/' ? "/" : "") + std::string(path));
  HttpReply reply = http_request("GET", target);
  if (reply.status != 200) {
    throw std::runtime_error("GET " + target + " failed: " + std::to_string(reply.status) + " " +
                             reply.error);
  }
  return std::stoi(reply.body);
}

std::string OriginProcess::hits_json() const {
  HttpReply reply = http_request("GET", url("/_hits"));
  if (reply.status != 200) throw std::runtime_error("GET /_hits failed: " + reply.error);
  return reply.body;
}

void OriginProcess::reset() const {
  HttpReply reply = http_request("POST", url("/_reset"));
  if (reply.status != 200) throw std::runtime_error("POST /_reset failed: " + reply.error);
}

int OriginProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    release();
    return -1;
  }
  kill(pid_, SIGTERM);
  std::optional<int> status = wait_pid(pid_, grace);
  if (!status) {
    kill(pid_, SIGKILL);
    status = wait_pid(pid_, std::chrono::seconds(10));
  }
  release();
  return status.value_or(-1);
}

std::optional<int> OriginProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  std::optional<int> status = wait_pid(pid_, timeout);
  if (status) release();
  return status;
}

void OriginProcess::release() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  pid_ = -1;
  port_ = 0;
}

}  // namespace cachedata::testing
