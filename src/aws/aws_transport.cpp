#include "aws/aws_transport.hpp"

#include <thread>

#include "base/hex.hpp"
#include "base/jitter_random.hpp"
#include "crypto/sha256.hpp"
#include "http/retry_policy.hpp"

namespace cachedata::aws {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "host[:port]" of "scheme://host[:port]", without the scheme's default port (the Host header
// curl would send, which is the one we sign).
std::string authority(std::string_view endpoint) {
  const bool https = endpoint.starts_with("https://") || endpoint.starts_with("HTTPS://");
  std::string_view host = endpoint.substr(endpoint.find("://") + 3);
  if (https && host.ends_with(":443")) host.remove_suffix(4);
  if (!https && host.ends_with(":80")) host.remove_suffix(3);
  return std::string(host);
}

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

AwsTransport::AwsTransport(ClientConfig config) : config_(std::move(config)) {}

CallResult AwsTransport::call(const AwsRequest& request, Protocol protocol) const {
  const auto started = Clock::now();
  const auto deadline = started + config_.transport.timeout;
  const char* service = service_title(config_.service);
  const std::string& endpoint = request.endpoint.empty() ? config_.endpoint.url : request.endpoint;
  CallResult result;

  auto where = [&](const std::string& why) {
    std::string text =
        " (" + endpoint + "; " + plural(result.attempts, "attempt") + " in " +
        std::to_string(std::chrono::duration_cast<milliseconds>(Clock::now() - started).count()) +
        " ms";
    if (!why.empty()) text += "; " + why;
    return text + ")";
  };
  auto fail = [&](Status::Code code, const std::string& what, const std::string& why) {
    const std::string text =
        std::string(service) + " " + request.operation + ": " + what + where(why);
    result.status =
        code == Status::Code::kTimeout ? Status::timeout(text) : Status::unavailable(text);
    return std::move(result);
  };

  if (!config_.credentials) {
    result.status = Status::invalid_argument(std::string(service) + " " + request.operation +
                                             ": no credentials provider");
    return result;
  }
  const std::string payload_hash = !request.payload_sha256.empty()
                                       ? request.payload_sha256
                                       : base::to_hex(crypto::sha256(request.body));
  std::string url = endpoint + request.path;
  if (!request.query.empty()) url += "?" + encode_query(request.query);

  RetryOptions retry;
  retry.max_attempts = config_.transport.max_attempts;
  retry.base_delay = config_.transport.base_delay;
  retry.max_delay = config_.transport.max_delay;
  retry.max_retry_after = config_.transport.max_retry_after;
  bool refreshed_credentials = false;

  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail(Status::Code::kTimeout,
                  "timed out: timeout = " + std::to_string(config_.transport.timeout.count()) +
                      " ms passed",
                  "");
    }
    auto creds = config_.credentials->get();
    if (!creds) {
      result.status = Status::unavailable(std::string(service) + " " + request.operation +
                                          ": no credentials: " + creds.status().message());
      return result;
    }

    HttpRequestToSign to_sign;
    to_sign.method = request.method;
    to_sign.path = request.path;
    to_sign.query = request.query;
    to_sign.headers.reserve(request.headers.size() + 1);
    to_sign.headers.emplace_back("Host", authority(endpoint));
    for (const auto& h : request.headers) to_sign.headers.push_back(h);
    SigningParams params;
    if (config_.service == Service::kS3) {
      params = s3_params(config_.region, {});
    } else {
      params.region = config_.region;
      params.service = signing_name(config_.service);
    }
    params.time = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    params.payload_hash = payload_hash;
    const auto signing_mac = signing_keys_->get(creds->keys.secret_access_key, amz_day(params.time),
                                                params.region, params.service);
    params.signing_mac = signing_mac.get();
    auto signed_request = sign_headers(to_sign, creds->keys, params);
    if (!signed_request) {
      result.status =
          Status::invalid_argument(std::string(service) + " " + request.operation +
                                   ": cannot sign: " + signed_request.status().message());
      return result;
    }

    HttpExchange exchange;
    exchange.method = request.method;
    exchange.url = url;
    exchange.headers = std::move(to_sign.headers);
    for (auto& h : signed_request->headers) exchange.headers.push_back(std::move(h));
    exchange.body = request.body;
    exchange.connect_timeout = config_.transport.connect_timeout;
    exchange.timeout = left;
    exchange.max_response_bytes = config_.transport.max_response_bytes;
    exchange.hash_body = request.hash_response_body;
    exchange.body_consumer = request.response_body_consumer;

    result.reply = http_exchange(exchange);
    ++result.attempts;
    const HttpReply& reply = result.reply;

    std::optional<milliseconds> retry_after;
    bool transient = false;
    if (reply.code != CURLE_OK) {
      if (reply.consumer_stopped || reply.streamed_bytes > 0) {
        // The consumer has seen part of the body: another attempt would start it over.
        return fail(reply.code == CURLE_OPERATION_TIMEDOUT ? Status::Code::kTimeout
                                                           : Status::Code::kUnavailable,
                    reply.error,
                    reply.consumer_stopped ? "" : "not retried: the body was being streamed");
      }
      if (reply.code == CURLE_FILESIZE_EXCEEDED) {
        result.status =
            Status::too_large(std::string(service) + " " + request.operation + ": " + reply.error);
        return result;
      }
      transient = http::is_retryable_curl_error(reply.code);
    } else if (reply.status >= 200 && reply.status <= 299) {
      result.status = Status::ok();
      return result;
    } else {
      result.error = parse_error(protocol, reply.status, reply.headers, reply.body);
      if (result.error->expired_credentials() && !refreshed_credentials) {
        refreshed_credentials = true;
        config_.credentials->invalidate();
        continue;
      }
      transient = result.error->retryable();
      if (transient) {
        if (auto value = reply.headers.get("retry-after")) {
          retry_after = http::parse_retry_after(*value, std::chrono::system_clock::now());
        }
      }
    }

    auto final_status = [&](const std::string& why) {
      if (reply.code != CURLE_OK) {
        return fail(reply.code == CURLE_OPERATION_TIMEDOUT ? Status::Code::kTimeout
                                                           : Status::Code::kUnavailable,
                    reply.error, why);
      }
      Status s = result.error->to_status(service, request.operation);
      std::string text = s.message() + where(why);
      switch (s.code()) {
        case Status::Code::kNotFound:
          result.status = Status::not_found(std::move(text));
          break;
        case Status::Code::kTooLarge:
          result.status = Status::too_large(std::move(text));
          break;
        case Status::Code::kUnavailable:
          result.status = Status::unavailable(std::move(text));
          break;
        default:
          result.status = Status::invalid_argument(std::move(text));
          break;
      }
      return std::move(result);
    };
    if (!transient) return final_status("");

    const auto time_left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const http::RetryDecision decision =
        http::decide_retry(retry, result.attempts, retry_after, time_left, base::jitter_random());
    if (!decision.retry()) {
      std::string why;
      switch (decision.stop) {
        case http::RetryDecision::Stop::kOutOfAttempts:
          why = result.attempts > 1 ? "max_attempts reached" : "";
          break;
        case http::RetryDecision::Stop::kRetryAfterTooLong:
          why = "Retry-After of " + std::to_string(decision.delay.count()) + " ms is too long";
          break;
        case http::RetryDecision::Stop::kNoTimeLeft:
          why = reply.code == CURLE_OPERATION_TIMEDOUT
                    ? ""
                    : "no time left within timeout = " +
                          std::to_string(config_.transport.timeout.count()) + " ms";
          break;
        case http::RetryDecision::Stop::kNo:
          break;
      }
      return final_status(why);
    }
    std::this_thread::sleep_for(decision.delay);
  }
}

}  // namespace cachedata::aws
