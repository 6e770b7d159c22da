#include "aws/aws_http.hpp"

#include <cerrno>
#include <memory>
#include <mutex>

namespace cachedata::aws {
namespace {

using Clock = std::chrono::steady_clock;

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// One handle per thread: curl keeps its connection cache in the handle, so a thread's calls
// reuse their kept-alive connections, and no lock is needed.
CURL* thread_handle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  return handle.get();
}

struct Sink {
  HttpReply* reply;
  uint64_t max_bytes;
  bool head;
  std::optional<crypto::Sha256> hash;  // set when the body is hashed as it arrives
  const std::function<bool(std::string_view)>* consumer = nullptr;
  int status = 0;  // of the response being received, from its status line
  uint64_t received = 0;
  bool too_large = false;
  bool stopped = false;

  bool consumes() const { return consumer != nullptr && status >= 200 && status <= 299; }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (s->received + n > s->max_bytes) {
    s->too_large = true;
    return 0;
  }
  s->received += n;
  const std::string_view chunk(data, n);
  if (s->hash) s->hash->update(chunk);
  if (s->consumes()) {
    if (!(*s->consumer)(chunk)) {
      s->stopped = true;
      return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
    }
    s->reply->streamed_bytes += n;
    return n;
  }
  s->reply->body.append(chunk);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    s->reply->headers = Headers();  // a new response (after a 100 Continue)
    s->status = 0;
    const size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      for (char c : line.substr(space + 1, 3)) {
        s->status = c >= '0' && c <= '9' ? s->status * 10 + (c - '0') : 0;
      }
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.remove_suffix(1);
  }
  // Reserve the body once, before it arrives: a 50 MB object is received without regrowth.
  if (!s->head && iequals(name, "content-length")) {
    uint64_t length = 0;
    bool digits = !value.empty() && value.size() < 20;
    for (char c : value) {
      if (c < '0' || c > '9') digits = false;
      if (digits) length = length * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits && length > s->max_bytes) {
      s->too_large = true;
      return 0;
    }
    // A consumed body is not kept here: nothing to reserve.
    if (digits && !s->consumes()) s->reply->body.reserve(static_cast<size_t>(length));
  }
  s->reply->headers.add(std::string(name), std::string(value));
  return n;
}

}  // namespace

HttpReply http_exchange(const HttpExchange& request) {
  HttpReply reply;
  CURL* h = thread_handle();
  if (h == nullptr) {
    reply.code = CURLE_FAILED_INIT;
    reply.error = "libcurl could not create a handle";
    return reply;
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  for (const auto& [name, value] : request.headers) {
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  add_header("Expect:");  // no 100-continue round trip before a large body
  if (request.method == "PUT" || request.method == "POST") {
    bool has_type = false;
    for (const auto& [name, value] : request.headers) has_type |= iequals(name, "content-type");
    if (!has_type) add_header("Content-Type:");  // not curl's form-urlencoded default
  }

  Sink sink{&reply, request.max_response_bytes, request.method == "HEAD", std::nullopt};
  if (request.hash_body) sink.hash.emplace();
  if (request.body_consumer) sink.consumer = &request.body_consumer;
  // The reset keeps the connection cache, DNS cache and TLS sessions; options of the previous
  // call (another client's) must not leak into this one.
  curl_easy_reset(h);
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min<long>(timeout_ms, static_cast<long>(request.connect_timeout.count())));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  if (request.no_proxy) curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  const std::string& method = request.method;
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (!request.body.empty() || method == "PUT" || method == "POST") {
    // POSTFIELDS points at the caller's buffer: curl sends it from there, no copy is made.
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                     request.body.data() != nullptr ? request.body.data() : "");
    if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  const auto started = Clock::now();
  reply.code = curl_easy_perform(h);
  reply.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  // The handle outlives this call: no pointer into this frame may stay in it.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);

  if (sink.stopped) {
    reply.consumer_stopped = true;
    reply.error = "the reader of the body stopped the transfer after " +
                  std::to_string(reply.streamed_bytes) + " bytes";
    return reply;
  }
  if (sink.too_large) {
    reply.code = CURLE_FILESIZE_EXCEEDED;
    reply.error =
        "the answer is larger than " + std::to_string(request.max_response_bytes) + " bytes";
    reply.body.clear();
    reply.body.shrink_to_fit();
    return reply;
  }
  if (reply.code == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    reply.status = static_cast<int>(code);
    if (sink.hash) reply.body_sha256 = sink.hash->finish();
    return reply;
  }
  const std::string detail =
      error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(reply.code);
  switch (reply.code) {
    case CURLE_OPERATION_TIMEDOUT:
      reply.error =
          "timed out after " + std::to_string(reply.took.count()) + " ms (curl: " + detail + ")";
      break;
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
      reply.error =
          std::string(os_errno == ECONNREFUSED ? "connection refused" : "could not connect") +
          " (curl: " + detail + ")";
      break;
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      reply.error = "could not resolve the host (curl: " + detail + ")";
      break;
    default:
      reply.error = "curl: " + detail;
  }
  return reply;
}

}  // namespace cachedata::aws
