#include "aws/aws_error.hpp"

#include <nlohmann/json.hpp>

#include <array>

namespace cachedata::aws {
namespace {

constexpr size_t kMaxMessage = 400;  // a service message is one sentence; cap what reaches logs

std::string truncated(std::string_view s) {
  if (s.size() <= kMaxMessage) return std::string(s);
  return std::string(s.substr(0, kMaxMessage)) + "…";
}

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    std::string_view entity =
        semi == std::string_view::npos ? std::string_view() : s.substr(i + 1, semi - i - 1);
    static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities{
        {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}}};
    bool done = false;
    for (const auto& [name, c] : kEntities) {
      if (entity == name) {
        out.push_back(c);
        i = semi;
        done = true;
        break;
      }
    }
    if (!done) out.push_back('&');
  }
  return out;
}

}  // namespace

std::string xml_text(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return {};
  return decode_entities(xml.substr(start, end - start));
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

AwsError parse_error(Protocol protocol, int http_status, const Headers& headers,
                     std::string_view body) {
  AwsError e;
  e.http_status = http_status;
  if (auto id = headers.get("x-amzn-requestid")) e.request_id = std::string(*id);
  if (auto id = headers.get("x-amz-request-id")) e.request_id = std::string(*id);
  if (protocol == Protocol::kJson) {
    auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object()) {
      // "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
      if (auto t = doc.find("__type"); t != doc.end() && t->is_string()) {
        std::string type = t->get<std::string>();
        size_t hash = type.rfind('#');
        e.code = hash == std::string::npos ? type : type.substr(hash + 1);
      }
      for (const char* key : {"message", "Message"}) {
        if (auto m = doc.find(key); m != doc.end() && m->is_string()) {
          e.message = truncated(m->get<std::string>());
          break;
        }
      }
    }
    if (e.code.empty()) {
      // "ThrottlingException:http://internal.amazon.com/coral/..."
      if (auto t = headers.get("x-amzn-errortype"))
        e.code = std::string(t->substr(0, t->find(':')));
    }
  } else {
    e.code = xml_text(body, "Code");
    e.message = truncated(xml_text(body, "Message"));
    if (e.request_id.empty()) e.request_id = xml_text(body, "RequestId");
  }
  if (e.code.empty()) {
    switch (http_status) {
      case 301:
        e.code = "PermanentRedirect";
        break;
      case 400:
        e.code = "BadRequest";
        break;
      case 403:
        e.code = "Forbidden";
        break;
      case 404:
        e.code = "NotFound";
        break;
      case 409:
        e.code = "Conflict";
        break;
      case 412:
        e.code = "PreconditionFailed";
        break;
      case 413:
        e.code = "EntityTooLarge";
        break;
      case 429:
        e.code = "TooManyRequests";
        break;
      case 500:
        e.code = "InternalError";
        break;
      case 503:
        e.code = "ServiceUnavailable";
        break;
      default:
        break;
    }
  }
  if (http_status == 301 && e.message.empty()) {
    if (auto region = headers.get("x-amz-bucket-region")) {
      e.message = "the bucket is in region " + std::string(*region);
    }
  }
  return e;
}

bool AwsError::retryable() const {
  static constexpr std::array<std::string_view, 14> kTransient{
      "ThrottlingException",
      "Throttling",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "RequestLimitExceeded",
      "TransactionInProgressException",
      "SlowDown",
      "RequestTimeout",
      "RequestTimeoutException",
      "InternalError",
      "InternalServerError",
      "ServiceUnavailable",
  };
  if (http_status == 429 || (http_status >= 500 && http_status <= 599)) return true;
  for (auto c : kTransient) {
    if (code == c) return true;
  }
  return false;
}

bool AwsError::expired_credentials() const {
  return code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired" ||
         code == "InvalidToken";
}

std::string AwsError::describe(std::string_view service, std::string_view operation) const {
  std::string text =
      std::string(service) + " " + std::string(operation) + ": HTTP " + std::to_string(http_status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (!request_id.empty()) text += " (request id " + request_id + ")";
  return text;
}

Status AwsError::to_status(std::string_view service, std::string_view operation) const {
  std::string text = describe(service, operation);
  static constexpr std::array<std::string_view, 6> kNotFound{
      "ResourceNotFoundException", "ParameterNotFound", "NoSuchKey", "NoSuchBucket", "NotFound",
      "TableNotFoundException"};
  for (auto c : kNotFound) {
    if (code == c) return Status::not_found(std::move(text));
  }
  if (code == "ItemCollectionSizeLimitExceededException" || code == "EntityTooLarge" ||
      http_status == 413) {
    return Status::too_large(std::move(text));
  }
  if (http_status == 404) return Status::not_found(std::move(text));
  if (retryable() || http_status == 401 || http_status == 403 || expired_credentials() ||
      code == "UnrecognizedClientException" || code == "AccessDeniedException" ||
      code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" ||
      code == "MissingAuthenticationTokenException") {
    return Status::unavailable(std::move(text));
  }
  return Status::invalid_argument(std::move(text));
}

}  // namespace cachedata::aws
