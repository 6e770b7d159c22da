// AWS SigV4 signing: the 38 cases of the AWS test suite (header and presigned-query variants,
// byte for byte), then the encoding rules the suite does not reach (S3, UNSIGNED-PAYLOAD...).
//
// The suite is read in place from ${CACHEDATA_SOURCE_DIR}/../shared/testdata/sigv4/v4, or from
// $CACHEDATA_SIGV4_VECTORS. Absent: skipped, except under CI=true where it is a failure.
#include <gtest/gtest.h>

#include "support/test_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "aws/signing_key_cache.hpp"
#include "aws/sigv4.hpp"
#include "base/hex.hpp"

namespace cachedata::aws {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr size_t kSuiteCases = 38;

fs::path vectors_dir() {
  if (const char* env = std::getenv("CACHEDATA_SIGV4_VECTORS"); env != nullptr && *env != '\0') {
    return env;
  }
  return fs::path(CACHEDATA_SOURCE_DIR) / ".." / "shared" / "testdata" / "sigv4" / "v4";
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(vectors_dir(), ec)) return names;
  for (const auto& entry : fs::directory_iterator(vectors_dir(), ec)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& path) {
  return testing::read_file(path.string());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// '+' stays '+': SigV4 does not read queries as form data. A malformed escape stays as is.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A request.txt of the suite: request line, "Name:value" lines (a line starting with
// whitespace continues the previous one), blank line, body. The raw lines are kept to rebuild
// the signed request exactly.
struct RawHttpRequest {
  std::string request_line;
  std::string method;
  std::string path;       // raw, as on the request line
  std::string raw_query;  // raw, after '?'
  std::vector<std::string> header_lines;
  std::string body;
  HttpRequestToSign to_sign;
};

RawHttpRequest parse_raw_request(const std::string& text) {
  RawHttpRequest r;
  size_t pos = text.find('\n');
  r.request_line = text.substr(0, pos);
  // The target may hold raw spaces: everything between the first space and the last " HTTP/".
  size_t first_space = r.request_line.find(' ');
  size_t version = r.request_line.rfind(" HTTP/");
  r.method = r.request_line.substr(0, first_space);
  std::string target = r.request_line.substr(first_space + 1, version - first_space - 1);
  size_t question = target.find('?');
  r.path = target.substr(0, question);
  if (question != std::string::npos) r.raw_query = target.substr(question + 1);

  pos = pos == std::string::npos ? text.size() : pos + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (pos <= text.size()) r.body = text.substr(pos);
      break;
    }
    r.header_lines.push_back(line);
    if ((line[0] == ' ' || line[0] == '\t') && !r.to_sign.headers.empty()) {
      r.to_sign.headers.back().second += ' ' + line;  // obs-fold is a space (RFC 9112)
    } else {
      size_t colon = line.find(':');
      r.to_sign.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
  }

  r.to_sign.method = r.method;
  r.to_sign.path = r.path;
  r.to_sign.body = r.body;
  std::string_view q = r.raw_query;
  while (!q.empty()) {
    size_t amp = std::min(q.find('&'), q.size());
    std::string_view pair = q.substr(0, amp);
    q.remove_prefix(std::min(amp + 1, q.size()));
    if (pair.empty()) continue;
    size_t eq = std::min(pair.find('='), pair.size());
    std::string_view value = eq < pair.size() ? pair.substr(eq + 1) : std::string_view();
    r.to_sign.query.emplace_back(percent_decode(pair.substr(0, eq)), percent_decode(value));
  }
  return r;
}

sys_seconds parse_utc(const std::string& iso) {  // "2015-08-30T12:36:00Z"
  int y = 0;
  unsigned mo = 0, d = 0;
  int h = 0, mi = 0, s = 0;
  std::sscanf(iso.c_str(), "%d-%u-%uT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s);
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{mo} /
                               std::chrono::day{d}} +
         std::chrono::hours{h} + std::chrono::minutes{mi} + seconds{s};
}

struct SuiteCase {
  fs::path dir;
  RawHttpRequest request;
  Credentials creds;
  SigningParams params;
  seconds expires{0};

  std::string expected(const char* file) const { return read_file(dir / file); }

  // The signed request as the suite writes it: request line, original header lines, `added`.
  std::string rebuild(const std::string& request_line, const std::vector<Field>& added) const {
    std::string out = request_line + '\n';
    for (const auto& line : request.header_lines) out += line + '\n';
    for (const auto& [name, value] : added) out += name + ':' + value + '\n';
    return out + '\n' + request.body;
  }
};

SuiteCase load_case(const std::string& name) {
  SuiteCase c;
  c.dir = vectors_dir() / name;
  c.request = parse_raw_request(read_file(c.dir / "request.txt"));
  auto ctx = nlohmann::json::parse(read_file(c.dir / "context.json"));
  const auto& cred = ctx.at("credentials");
  c.creds.access_key_id = cred.at("access_key_id").get<std::string>();
  c.creds.secret_access_key = cred.at("secret_access_key").get<std::string>();
  c.creds.session_token = cred.value("token", "");
  c.params.region = ctx.at("region").get<std::string>();
  c.params.service = ctx.at("service").get<std::string>();
  c.params.time = parse_utc(ctx.at("timestamp").get<std::string>());
  c.params.normalize_path = ctx.at("normalize").get<bool>();
  c.params.sign_body_header = ctx.at("sign_body").get<bool>();
  c.params.omit_session_token = ctx.value("omit_session_token", false);
  c.expires = seconds(ctx.at("expiration_in_seconds").get<int64_t>());
  return c;
}

TEST(Sigv4Suite, AllThirtyEightCasesArePresent) {
  if (!fs::is_directory(vectors_dir())) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << "SigV4 test vectors not found at " << vectors_dir() << " (CI=true)";
    }
    GTEST_SKIP() << "SigV4 test vectors not found at " << vectors_dir()
                 << "; set CACHEDATA_SIGV4_VECTORS to run the suite";
  }
  EXPECT_EQ(case_names().size(), kSuiteCases) << "in " << vectors_dir();
}

class Sigv4Vector : public ::testing::TestWithParam<std::string> {};

TEST_P(Sigv4Vector, HeaderSigning) {
  SuiteCase c = load_case(GetParam());
  auto r = sign_headers(c.request.to_sign, c.creds, c.params);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->canonical_request, c.expected("header-canonical-request.txt"));
  EXPECT_EQ(r->string_to_sign, c.expected("header-string-to-sign.txt"));
  EXPECT_EQ(r->signature, c.expected("header-signature.txt"));
  EXPECT_EQ(c.rebuild(c.request.request_line, r->headers), c.expected("header-signed-request.txt"));
}

TEST_P(Sigv4Vector, QuerySigning) {
  SuiteCase c = load_case(GetParam());
  auto r = presign_query(c.request.to_sign, c.creds, c.params, c.expires);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->canonical_request, c.expected("query-canonical-request.txt"));
  EXPECT_EQ(r->string_to_sign, c.expected("query-string-to-sign.txt"));
  EXPECT_EQ(r->signature, c.expected("query-signature.txt"));
  // The parameters go after the original query, which is left byte for byte as it was.
  std::string query = c.request.raw_query.empty() ? "" : c.request.raw_query + '&';
  std::string line =
      c.request.method + ' ' + c.request.path + '?' + query + encode_query(r->query) + " HTTP/1.1";
  EXPECT_EQ(c.rebuild(line, {}), c.expected("query-signed-request.txt"));
}

// The transport signs with the key its SigningKeyCache keeps: every vector, header and query,
// byte for byte the same signature.
TEST_P(Sigv4Vector, SigningWithACachedSigningKeyGivesTheSameSignatures) {
  SuiteCase c = load_case(GetParam());
  SigningKeyCache cache;
  const auto mac = cache.get(c.creds.secret_access_key, amz_day(c.params.time), c.params.region,
                             c.params.service);
  SigningParams params = c.params;
  params.signing_mac = mac.get();
  auto header = sign_headers(c.request.to_sign, c.creds, params);
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  EXPECT_EQ(header->signature, c.expected("header-signature.txt"));
  auto query = presign_query(c.request.to_sign, c.creds, params, c.expires);
  ASSERT_TRUE(query.is_ok()) << query.status().to_string();
  EXPECT_EQ(query->signature, c.expected("query-signature.txt"));
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, Sigv4Vector, ::testing::ValuesIn(case_names()), test_name);
// No vectors (outside the monorepo): the suite test above reports it.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Sigv4Vector);

// --- Rules the suite does not exercise ---

const sys_seconds kTime = std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} +
                          std::chrono::hours{12} + std::chrono::minutes{36};
const Credentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

HttpRequestToSign get_request(std::string path) {
  HttpRequestToSign r;
  r.method = "GET";
  r.path = std::move(path);
  r.headers = {{"Host", "bucket.s3.amazonaws.com"}};
  return r;
}

SigningParams service_params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "service";
  p.time = kTime;
  return p;
}

std::string line_of(const std::string& text, size_t index) {
  std::istringstream in(text);
  std::string line;
  for (size_t i = 0; i <= index; ++i) std::getline(in, line);
  return line;
}

TEST(Sigv4Rules, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b+c/d=e%", false), "a%20b%2Bc%2Fd%3De%25");
  EXPECT_EQ(uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uri_encode("\xE1\x88\xB4", false), "%E1%88%B4");
}

TEST(Sigv4Rules, NormalizedPathDropsDotSegmentsAndEmptySegments) {
  EXPECT_EQ(canonical_uri("", true, true), "/");
  EXPECT_EQ(canonical_uri("/a/b/../c/./d", true, true), "/a/c/d");
  EXPECT_EQ(canonical_uri("/a/b/..", true, true), "/a/");
  EXPECT_EQ(canonical_uri("/../..", true, true), "/");
  EXPECT_EQ(canonical_uri("/a//b//", true, true), "/a/b/");
}

TEST(Sigv4Rules, S3PathKeepsDoubleSlashesDotsAndIsEncodedOnce) {
  EXPECT_EQ(canonical_uri("//photos//./2015/../a%2fb c", false, false),
            "//photos//./2015/../a%2Fb%20c");
  auto r = sign_headers(get_request("//key//with%20space"), kCreds, s3_params("us-east-1", kTime));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(line_of(r->canonical_request, 1), "//key//with%20space");
}

TEST(Sigv4Rules, OtherServicesEncodeThePathASecondTime) {
  EXPECT_EQ(canonical_uri("/a%20b", true, true), "/a%2520b");
  EXPECT_EQ(canonical_uri("/a%20b", false, true), "/a%2520b");
}

TEST(Sigv4Rules, QueryIsEncodedThenSortedByKeyThenValue) {
  HttpRequestToSign r = get_request("/");
  r.query = {{"b", "2"}, {"a", "x y"}, {"a", "+/"}, {"flag", ""}, {"A", "1"}};
  auto creq = canonical_request(r, service_params(), "hash");
  ASSERT_TRUE(creq.is_ok()) << creq.status().to_string();
  EXPECT_EQ(line_of(creq->text, 2), "A=1&a=%2B%2F&a=x%20y&b=2&flag=");
}

TEST(Sigv4Rules, UnsignedPayloadIsSignedAsGivenAndSentInContentSha256) {
  SigningParams p = s3_params("us-east-1", kTime);
  p.payload_hash = "UNSIGNED-PAYLOAD";
  HttpRequestToSign req = get_request("/key");
  req.body = "ignored when the payload hash is given";
  auto r = sign_headers(req, kCreds, p);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE(
      r->canonical_request.ends_with("\nhost;x-amz-content-sha256;x-amz-date\n"
                                     "UNSIGNED-PAYLOAD"));
  EXPECT_NE(r->canonical_request.find("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"),
            std::string::npos);
  ASSERT_EQ(r->headers.size(), 3u);
  EXPECT_EQ(r->headers[1], (Field{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}));
}

TEST(Sigv4Rules, SessionTokenIsSignedUnlessOmittedButAlwaysSent) {
  Credentials creds = kCreds;
  creds.session_token = "token/with+chars=";
  SigningParams p = service_params();
  auto signed_in = sign_headers(get_request("/"), creds, p);
  ASSERT_TRUE(signed_in.is_ok());
  EXPECT_NE(signed_in->canonical_request.find("\nx-amz-security-token:token/with+chars=\n"),
            std::string::npos);
  EXPECT_EQ(signed_in->headers.front(), (Field{"X-Amz-Security-Token", creds.session_token}));

  p.omit_session_token = true;
  auto added_after = sign_headers(get_request("/"), creds, p);
  ASSERT_TRUE(added_after.is_ok());
  EXPECT_EQ(added_after->canonical_request.find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(added_after->headers.front(), (Field{"X-Amz-Security-Token", creds.session_token}));
  EXPECT_NE(added_after->signature, signed_in->signature);

  auto query = presign_query(get_request("/"), creds, p, seconds(60));
  ASSERT_TRUE(query.is_ok());
  EXPECT_NE(encode_query(query->query).find("&X-Amz-Security-Token=token%2Fwith%2Bchars%3D&"),
            std::string::npos);
}

TEST(Sigv4Rules, HeadersRewrittenByIntermediariesAreNotSigned) {
  HttpRequestToSign r = get_request("/");
  r.headers.emplace_back("User-Agent", "curl/8");
  r.headers.emplace_back("X-Amzn-Trace-Id", "Root=1");
  auto creq = canonical_request(r, service_params(), "hash");
  ASSERT_TRUE(creq.is_ok());
  EXPECT_EQ(creq->signed_headers, "host");
}

TEST(Sigv4Rules, SigningKeyMatchesTheAwsDocumentationExample) {
  // AWS General Reference, "Derive a signing key" (service iam).
  EXPECT_EQ(base::to_hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                     "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(Sigv4Rules, SigningKeyCacheDerivesAgainForANewSecretDayRegionOrService) {
  SigningKeyCache cache;
  const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  const auto first = cache.get(secret, "20150830", "us-east-1", "iam");
  EXPECT_EQ(cache.get(secret, "20150830", "us-east-1", "iam"), first);  // kept for its day
  const std::string message = "the string to sign";
  const auto expect_derived = [&](std::string_view s, std::string_view day, std::string_view region,
                                  std::string_view service) {
    const auto mac = cache.get(s, day, region, service);
    EXPECT_NE(mac, first);
    EXPECT_EQ(mac->mac(message),
              crypto::HmacSha256(signing_key(s, day, region, service)).mac(message));
  };
  expect_derived(secret + "2", "20150830", "us-east-1", "iam");  // rotated credentials
  expect_derived(secret, "20150831", "us-east-1", "iam");        // the next day
  expect_derived(secret, "20150830", "eu-west-1", "iam");
  expect_derived(secret, "20150830", "us-east-1", "s3");
  // A holder of an older key keeps a valid object after the cache moved on.
  EXPECT_EQ(first->mac(message),
            crypto::HmacSha256(signing_key(secret, "20150830", "us-east-1", "iam")).mac(message));
}

TEST(Sigv4Rules, AmzDateIsUtcBasicFormat) {
  EXPECT_EQ(amz_date(kTime + seconds(5)), "20150830T123605Z");
  EXPECT_EQ(amz_day(kTime), "20150830");
}

TEST(Sigv4Failures, MissingHostIsAnInvalidArgument) {
  HttpRequestToSign r = get_request("/");
  r.headers.clear();
  auto s = sign_headers(r, kCreds, service_params());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
}

TEST(Sigv4Failures, HeaderValueWithNewlineIsRejected) {
  HttpRequestToSign r = get_request("/");
  r.headers.emplace_back("X-Injected", "a\r\nAuthorization: forged");
  EXPECT_EQ(sign_headers(r, kCreds, service_params()).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(Sigv4Failures, MalformedHeaderNameIsRejected) {
  HttpRequestToSign r = get_request("/");
  r.headers.emplace_back("Bad Name", "v");
  EXPECT_FALSE(sign_headers(r, kCreds, service_params()).is_ok());
}

TEST(Sigv4Failures, AlreadySignedRequestIsRejected) {
  HttpRequestToSign r = get_request("/");
  r.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 ...");
  EXPECT_FALSE(sign_headers(r, kCreds, service_params()).is_ok());
  HttpRequestToSign q = get_request("/");
  q.query.emplace_back("X-Amz-Signature", "abc");
  EXPECT_FALSE(presign_query(q, kCreds, service_params(), seconds(60)).is_ok());
}

TEST(Sigv4Failures, PathWithQueryOrWithoutLeadingSlashIsRejected) {
  EXPECT_FALSE(sign_headers(get_request("/a?b=c"), kCreds, service_params()).is_ok());
  EXPECT_FALSE(sign_headers(get_request("a/b"), kCreds, service_params()).is_ok());
}

TEST(Sigv4Failures, MissingCredentialsOrScopeAreRejected) {
  Credentials no_secret = kCreds;
  no_secret.secret_access_key.clear();
  EXPECT_FALSE(sign_headers(get_request("/"), no_secret, service_params()).is_ok());
  SigningParams bad_region = service_params();
  bad_region.region = "us/east";
  EXPECT_FALSE(sign_headers(get_request("/"), kCreds, bad_region).is_ok());
}

TEST(Sigv4Failures, PresignExpiryOutsideOneSecondToSevenDaysIsRejected) {
  EXPECT_FALSE(presign_query(get_request("/"), kCreds, service_params(), seconds(0)).is_ok());
  EXPECT_FALSE(presign_query(get_request("/"), kCreds, service_params(), seconds(604801)).is_ok());
  EXPECT_TRUE(presign_query(get_request("/"), kCreds, service_params(), seconds(604800)).is_ok());
}

}  // namespace
}  // namespace cachedata::aws
