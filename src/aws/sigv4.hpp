// AWS Signature Version 4: signs an HTTP request with an Authorization header or presigns it
// with X-Amz-* query parameters, so cachedata can talk to S3 and DynamoDB without an AWS SDK.
//
// Pure functions, no I/O and no clock: the signing time is a parameter. Nothing is shared, so
// every call is safe from any thread. Failures (a bad header name, a missing Host...) come back
// as kInvalidArgument Status values. The rules follow the AWS SigV4 test suite reproduced by
// tests/sigv4_test.cpp (shared/testdata/sigv4, 38 cases).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/status.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::aws {

using Field = std::pair<std::string, std::string>;  // a header or a query parameter

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary (STS) credentials
};

struct HttpRequestToSign {
  std::string method;  // "GET", as sent
  // The path as on the request line, without the query: percent-encoded for the wire (raw
  // bytes such as a space or UTF-8 are tolerated and encoded). Empty means "/".
  std::string path;
  // Query parameters, percent-DECODED; the signer encodes them. Order does not matter for the
  // signature. A parameter without '=' is a key with an empty value.
  std::vector<Field> query;
  // Header fields in request order; a repeated name is signed as one field, values joined
  // with ',' in order. Must contain Host. Values are trimmed and inner blanks collapsed.
  // User-Agent, Expect and X-Amzn-Trace-Id are left unsigned: intermediaries rewrite them.
  std::vector<Field> headers;
  // The payload; ignored when SigningParams::payload_hash is set (large or streamed bodies).
  std::string body;
};

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // "s3", "dynamodb"
  std::chrono::sys_seconds time;
  // RFC 3986 dot-segment removal and merging of "//". S3 never normalises: false for S3.
  bool normalize_path = true;
  // Every service but S3 signs the path encoded once more than on the wire ("%20" is signed
  // as "%2520"). S3 (false) signs the wire encoding as it is, only encoding bytes that are
  // not yet encoded.
  bool double_encode_path = true;
  // Adds and signs x-amz-content-sha256: <payload hash> (header signing only). S3 requires it.
  bool sign_body_header = false;
  // Used instead of hex(sha256(body)), e.g. "UNSIGNED-PAYLOAD" or a precomputed hash.
  std::optional<std::string> payload_hash;
  // Adds the session token after signing, so it stays out of the signature (the
  // post-sts-header-after case; a few services want this). False: the token is signed.
  bool omit_session_token = false;
  // The HMAC keyed with signing_key() of these credentials, params.time's day, region and
  // service, for a caller that keeps it (SigningKeyCache); null: derived for this signature.
  // REQUIRES: it matches them, or the signature is wrong.
  const crypto::HmacSha256* signing_mac = nullptr;
};

// Settings for S3: no path normalisation, single path encoding, x-amz-content-sha256 signed.
SigningParams s3_params(std::string region, std::chrono::sys_seconds time);

struct CanonicalRequest {
  std::string text;            // the canonical request itself
  std::string signed_headers;  // "host;x-amz-date"
};

// What the signer adds, and the intermediate strings (for tests and for debugging a 403).
struct SigningResult {
  // Header signing: X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256, Authorization
  // (those that apply, in this order). Query signing: empty.
  std::vector<Field> headers;
  // Query signing: X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Expires,
  // -Security-Token, -Signature, percent-DECODED (see encode_query). Header signing: empty.
  std::vector<Field> query;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
};

// Signs for an Authorization header. The request must not already carry the headers the
// signer adds.
Result<SigningResult> sign_headers(const HttpRequestToSign& request, const Credentials& creds,
                                   const SigningParams& params);

// Presigns for a URL valid `expires` long (1 s to 7 days). The request's headers (at least
// Host) are signed and must be sent unchanged.
Result<SigningResult> presign_query(const HttpRequestToSign& request, const Credentials& creds,
                                    const SigningParams& params, std::chrono::seconds expires);

// The building blocks, exposed for tests. `request` here is complete: it already carries
// every header and query parameter that is to be signed.
Result<CanonicalRequest> canonical_request(const HttpRequestToSign& request,
                                           const SigningParams& params,
                                           std::string_view payload_hash);
std::string string_to_sign(std::string_view canonical_request, const SigningParams& params);
// kSigning from kDate -> kRegion -> kService. Depends only on its arguments and changes once
// a day, so a caller signing many requests may keep it.
crypto::Digest signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                           std::string_view region, std::string_view service);

// "20150830T123600Z" and "20150830".
std::string amz_date(std::chrono::sys_seconds time);
std::string amz_day(std::chrono::sys_seconds time);

// SigV4 URI encoding: A-Z a-z 0-9 - _ . ~ kept, '/' kept when `keep_slash`, every other byte
// as %XX with uppercase hex.
std::string uri_encode(std::string_view s, bool keep_slash);
// The path line of the canonical request (see SigningParams for the two flags).
std::string canonical_uri(std::string_view path, bool normalize, bool double_encode);
// "k=v&k=v" from decoded parameters, in the given order (to append to a URL).
std::string encode_query(const std::vector<Field>& query);

}  // namespace cachedata::aws
