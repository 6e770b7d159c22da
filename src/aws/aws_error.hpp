// What an AWS service said when a call failed, and what that means for cachedata: the error
// code and message from the body (JSON `__type` / `message` for DynamoDB and SSM, XML
// <Error><Code>/<Message> for S3), whether another attempt may succeed (throttling, 5xx), and
// the Status a caller gets. Pure functions, safe from any thread.
//
// Status mapping (AwsError::to_status):
//   kNotFound     ResourceNotFoundException, ParameterNotFound, NoSuchKey, NoSuchBucket, any 404
//   kUnavailable  throttling and 5xx after the retries, access / credential errors (403)
//   kTooLarge     ItemCollectionSizeLimitExceeded, EntityTooLarge, 413
//   kInvalidArgument  any other 4xx (ValidationException, a malformed request...)
// Outcomes that callers expect as part of a normal flow (a failed ConditionExpression, a
// table / bucket / parameter that already exists) are not errors: the clients return them as
// values (see dynamodb_client.hpp, s3_client.hpp, ssm_client.hpp).
#pragma once

#include <string>
#include <string_view>

#include "cachedata/headers.hpp"
#include "cachedata/status.hpp"

namespace cachedata::aws {

enum class Protocol { kJson, kRestXml };

struct AwsError {
  int http_status = 0;
  std::string code;        // "ConditionalCheckFailedException", "NoSuchKey"; may be empty
  std::string message;     // the service's message, truncated; never request data of ours
  std::string request_id;  // x-amzn-RequestId / x-amz-request-id, for AWS support

  bool is(std::string_view c) const { return code == c; }
  // Throttling codes, 5xx and 429: another attempt after a wait may succeed.
  bool retryable() const;
  // The credentials are expired or were rejected as such: refresh them and try again.
  bool expired_credentials() const;
  // "DynamoDB PutItem: HTTP 400 ValidationException: <message> (request id R)"
  std::string describe(std::string_view service, std::string_view operation) const;
  Status to_status(std::string_view service, std::string_view operation) const;
};

// The error carried by a non-2xx answer. For HEAD (no body), the code is derived from the
// status (404 → "NotFound", 403 → "Forbidden"...).
AwsError parse_error(Protocol protocol, int http_status, const Headers& headers,
                     std::string_view body);

// The text of the first <tag>…</tag> in `xml` (entities decoded), or "" when absent. Enough for
// the flat documents S3 answers with; not a general XML parser.
std::string xml_text(std::string_view xml, std::string_view tag);
// XML escaping for element text.
std::string xml_escape(std::string_view text);

}  // namespace cachedata::aws
