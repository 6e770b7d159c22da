#include "aws/aws_http.hpp"

#include <algorithm>

#include "http/easy_handle.hpp"
#include "http/response_header.hpp"

namespace cachedata::aws {
namespace {

using Clock = std::chrono::steady_clock;

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
  const http::HeaderLine line = http::parse_header_line(std::string_view(data, n));
  if (line.kind == http::HeaderLine::Kind::kStatus) {
    s->reply->headers = Headers();  // a new response (after a 100 Continue)
    s->status = line.status;
    return n;
  }
  if (line.kind != http::HeaderLine::Kind::kField) return n;
  // Reserve the body once, before it arrives: a 50 MB object is received without regrowth.
  if (!s->head && iequals(line.name, "content-length")) {
    uint64_t length = 0;
    bool digits = !line.value.empty() && line.value.size() < 20;
    for (char c : line.value) {
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
  s->reply->headers.add(std::string(line.name), std::string(line.value));
  return n;
}

}  // namespace

HttpReply http_exchange(const HttpExchange& request) {
  HttpReply reply;
  http::EasyHandle* handle = http::EasyHandle::for_this_thread<on_body, on_header>();
  if (handle == nullptr) {
    reply.code = CURLE_FAILED_INIT;
    reply.error = "libcurl could not create a handle";
    return reply;
  }
  Sink sink{&reply, request.max_response_bytes, request.method == "HEAD", std::nullopt};
  if (request.hash_body) sink.hash.emplace();
  if (request.body_consumer) sink.consumer = &request.body_consumer;
  http::WireOptions wire;
  const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  wire.timeout_ms = timeout_ms;
  wire.connect_timeout_ms =
      std::min<long>(timeout_ms, static_cast<long>(request.connect_timeout.count()));
  wire.no_proxy = request.no_proxy;
  wire.no_default_content_type = true;  // a PUT without a type is stored without one
  wire.callback_data = &sink;
  if (!handle->prepare(
          http::WireRequest{request.method, request.url, request.headers, request.body}, wire)) {
    reply.code = CURLE_OUT_OF_MEMORY;
    reply.error = "out of memory building the request headers";
    return reply;
  }

  const auto started = Clock::now();
  reply.code = curl_easy_perform(handle->get());
  reply.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);

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
    curl_easy_getinfo(handle->get(), CURLINFO_RESPONSE_CODE, &code);
    reply.status = static_cast<int>(code);
    if (sink.hash) reply.body_sha256 = sink.hash->finish();
    return reply;
  }
  reply.error = handle->describe_failure(reply.code, reply.took.count(), "");
  return reply;
}

}  // namespace cachedata::aws
