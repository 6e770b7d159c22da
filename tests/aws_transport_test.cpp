// The signed-request layer against local servers that fail on purpose: what is retried
// (5xx, throttling, SlowDown, connection errors), what is not, the bound on attempts, the
// deadline on a hanging server, the refresh of expired credentials, and the error messages
// (service, operation, HTTP status, AWS code and message). Also the pure error parsing and
// base64. Runs serially: it measures wall time against deadlines.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "aws/aws_error.hpp"
#include "aws/aws_transport.hpp"
#include "aws/base64.hpp"
#include "aws/dynamodb_client.hpp"
#include "aws/s3_client.hpp"
#include "support/aws_test_support.hpp"

namespace cachedata::aws {
namespace {

using cachedata::testing::local_config;
using cachedata::testing::LocalHttpServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void json_error(httplib::Response& res, int status, const std::string& type,
                const std::string& message) {
  res.status = status;
  res.set_content("{\"__type\":\"com.amazonaws.dynamodb.v20120810#" + type + "\",\"message\":\"" +
                      message + "\"}",
                  "application/x-amz-json-1.0");
}

void xml_error(httplib::Response& res, int status, const std::string& code) {
  res.status = status;
  res.set_header("x-amz-request-id", "REQ123");
  res.set_content(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
          "</Code><Message>msg &amp; more</Message><RequestId>REQ123</RequestId></Error>",
      "application/xml");
}

TEST(AwsErrorParsing, JsonTypeAndMessage) {
  Headers h{{"x-amzn-RequestId", "RID"}};
  AwsError e = parse_error(
      Protocol::kJson, 400, h,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})");
  EXPECT_EQ(e.code, "ConditionalCheckFailedException");
  EXPECT_EQ(e.message, "The conditional request failed");
  EXPECT_EQ(e.request_id, "RID");
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(e.describe("DynamoDB", "PutItem"),
            "DynamoDB PutItem: HTTP 400 ConditionalCheckFailedException: The conditional request "
            "failed (request id RID)");
  AwsError ssm = parse_error(Protocol::kJson, 400, {}, R"({"__type":"ParameterNotFound"})");
  EXPECT_EQ(ssm.code, "ParameterNotFound");
  EXPECT_EQ(ssm.to_status("SSM", "GetParameter").code(), Status::Code::kNotFound);
  AwsError header_only =
      parse_error(Protocol::kJson, 400,
                  Headers{{"x-amzn-ErrorType", "ThrottlingException:http://x"}}, "not json");
  EXPECT_EQ(header_only.code, "ThrottlingException");
  EXPECT_TRUE(header_only.retryable());
}

TEST(AwsErrorParsing, XmlCodeAndHeadStatus) {
  AwsError e = parse_error(Protocol::kRestXml, 404, {},
                           "<Error><Code>NoSuchKey</Code><Message>a &lt;b&gt;</Message></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "a <b>");
  EXPECT_EQ(e.to_status("S3", "GetObject").code(), Status::Code::kNotFound);
  AwsError head = parse_error(Protocol::kRestXml, 404, {}, "");
  EXPECT_EQ(head.code, "NotFound");
  EXPECT_TRUE(
      parse_error(Protocol::kRestXml, 503, {}, "<Error><Code>SlowDown</Code></Error>").retryable());
  EXPECT_EQ(parse_error(Protocol::kRestXml, 403, {}, "<Error><Code>AccessDenied</Code></Error>")
                .to_status("S3", "PutObject")
                .code(),
            Status::Code::kUnavailable);
  EXPECT_EQ(parse_error(Protocol::kJson, 400, {}, R"({"__type":"x#ValidationException"})")
                .to_status("DynamoDB", "PutItem")
                .code(),
            Status::Code::kInvalidArgument);
}

TEST(AwsBase64, RoundTripsEveryByteAndRejectsJunk) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n < 10; ++n) {
    auto back = base64_decode(base64_encode(all.substr(0, n)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all.substr(0, n));
  }
  EXPECT_EQ(*base64_decode(base64_encode(all)), all);
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  // Padding only at the end of the last quad; '=' anywhere else, or junk, is refused.
  for (const char* bad : {"Zg=", "====", "Z===", "Zg=a", "Z=g=", "Zg==Zm9v", "Zm9v=Zm9", "Zm9\n",
                          "Zm 9", "Zm9v\xff\xff\xff\xff", "-_-_"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm8"));
  EXPECT_FALSE(base64_decode("Z=8="));
  EXPECT_FALSE(base64_decode("Zm8*"));
  EXPECT_EQ(content_md5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
}

TEST(AwsTransport, SignsEveryRequestAndS3GetsContentSha256) {
  LocalHttpServer server;
  std::mutex mu;
  httplib::Headers seen;
  server.server().Put(R"(/bucket/(.*))", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen = req.headers;
    res.set_header("ETag", "\"abc\"");
  });
  server.start();
  S3Client s3(local_config(Service::kS3, server.url()));
  auto etag = s3.put_object("bucket", "cache/a b+c", "hello");
  ASSERT_TRUE(etag) << etag.status().to_string();
  EXPECT_EQ(*etag, "\"abc\"");
  std::lock_guard lock(mu);
  auto get = [&](const char* name) {
    auto it = seen.find(name);
    return it == seen.end() ? std::string() : it->second;
  };
  EXPECT_EQ(get("x-amz-content-sha256"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_NE(get("Authorization").find("/us-east-1/s3/aws4_request"), std::string::npos);
  EXPECT_NE(get("Authorization").find("x-amz-content-sha256"), std::string::npos);
  EXPECT_FALSE(get("X-Amz-Date").empty());
  EXPECT_EQ(get("Content-Type"), "application/octet-stream");
}

TEST(AwsTransport, ServerError500IsRetriedUpToMaxAttemptsThenReported) {
  LocalHttpServer server;
  std::atomic<int> hits{0};
  server.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    json_error(res, 500, "InternalServerError", "boom");
  });
  server.start();
  auto config = local_config(Service::kDynamoDb, server.url());
  config.transport.max_attempts = 3;
  DynamoDbClient ddb(config);
  auto r = ddb.get_item("t", Json{{"id_hash", attr::S("k")}});
  EXPECT_EQ(hits.load(), 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("DynamoDB GetItem: HTTP 500 InternalServerError: boom"), std::string::npos) << m;
  EXPECT_NE(m.find("3 attempts"), std::string::npos) << m;
  EXPECT_NE(m.find("max_attempts reached"), std::string::npos) << m;
}

TEST(AwsTransport, ThrottleThenSuccess) {
  LocalHttpServer server;
  std::atomic<int> hits{0};
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_header_value("X-Amz-Target"), "DynamoDB_20120810.GetItem");
    if (++hits <= 2) {
      json_error(res, 400,
                 hits == 1 ? "ThrottlingException" : "ProvisionedThroughputExceededException",
                 "slow down");
      return;
    }
    res.set_content(R"({"Item":{"id_hash":{"S":"k"},"expires":{"N":"7"}}})",
                    "application/x-amz-json-1.0");
  });
  server.start();
  DynamoDbClient ddb(local_config(Service::kDynamoDb, server.url()));
  auto r = ddb.get_item("t", Json{{"id_hash", attr::S("k")}});
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_TRUE(*r);
  EXPECT_EQ(attr::get_n(**r, "expires"), 7);
  EXPECT_EQ(hits.load(), 3);
}

TEST(AwsTransport, S3SlowDownThenSuccessHonoursRetryAfter) {
  LocalHttpServer server;
  std::atomic<int> hits{0};
  server.server().Get(R"(/b/(.*))", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) {
      res.set_header("Retry-After", "0");
      xml_error(res, 503, "SlowDown");
      return;
    }
    res.set_content("payload", "application/octet-stream");
  });
  server.start();
  S3Client s3(local_config(Service::kS3, server.url()));
  auto o = s3.get_object("b", "k");
  ASSERT_TRUE(o) << o.status().to_string();
  EXPECT_EQ(o->body, "payload");
  EXPECT_EQ(hits.load(), 2);
}

// The body hashed as it arrives is the final answer's: an error answer before a retry (its
// own body) does not leak into the digest.
TEST(AwsTransport, S3BodyHashedAsItArrivesCoversOnlyTheFinalAnswer) {
  LocalHttpServer server;
  std::atomic<int> hits{0};
  const std::string payload(3 << 20, 'p');  // many chunks
  server.server().Get(R"(/b/(.*))", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) {
      res.set_header("Retry-After", "0");
      xml_error(res, 503, "SlowDown");
      return;
    }
    res.set_content(payload, "application/octet-stream");
  });
  server.start(2);
  S3Client s3(local_config(Service::kS3, server.url()));
  GetObjectOptions options;
  options.sha256 = true;
  auto o = s3.get_object("b", "k", options);
  ASSERT_TRUE(o) << o.status().to_string();
  EXPECT_EQ(o->body, payload);
  ASSERT_TRUE(o->sha256.has_value());
  EXPECT_EQ(*o->sha256, crypto::sha256(payload));
  EXPECT_EQ(hits.load(), 2);
  // Not asked: not computed.
  auto plain = s3.get_object("b", "k");
  ASSERT_TRUE(plain) << plain.status().to_string();
  EXPECT_FALSE(plain->sha256.has_value());
}

// A streamed body (GetObjectOptions::on_body): an error answer before it is not streamed and is
// retried as usual, so the consumer sees the final answer's bytes exactly once; a body cut off
// after some bytes were handed over is not retried (the consumer would see them twice), while the
// same cut without a consumer is retried.
TEST(AwsTransport, StreamedBodyIsNeverRetriedOnceBytesWereHandedOver) {
  LocalHttpServer server;
  std::atomic<int> hits{0};
  const std::string payload(1 << 20, 's');
  server.server().Get(R"(/b/whole)", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) {
      res.set_header("Retry-After", "0");
      xml_error(res, 503, "SlowDown");
      return;
    }
    res.set_content(payload, "application/octet-stream");
  });
  std::atomic<int> cut_hits{0};
  server.server().Get(R"(/b/cut)", [&](const httplib::Request&, httplib::Response& res) {
    ++cut_hits;
    // Announces 1 MiB, sends 64 KiB, then drops the connection.
    res.set_content_provider(payload.size(), "application/octet-stream",
                             [&](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset >= 64 * 1024) return false;
                               sink.write(payload.data(), 64 * 1024);
                               return true;
                             });
  });
  server.start(8);
  S3Client s3(local_config(Service::kS3, server.url()));

  std::string received;
  GetObjectOptions streamed;
  streamed.on_body = [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  };
  auto whole = s3.get_object("b", "whole", streamed);
  ASSERT_TRUE(whole) << whole.status().to_string();
  EXPECT_EQ(hits.load(), 2);
  EXPECT_TRUE(received == payload);  // the 503's XML never reached the consumer

  received.clear();
  auto cut = s3.get_object("b", "cut", streamed);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut_hits.load(), 1) << cut.status().to_string();
  EXPECT_TRUE(received == payload.substr(0, 64 * 1024)) << received.size() << " bytes handed over";
  EXPECT_NE(cut.status().message().find("not retried"), std::string::npos)
      << cut.status().to_string();

  cut_hits = 0;
  auto retried = s3.get_object("b", "cut");
  ASSERT_FALSE(retried);
  EXPECT_GT(cut_hits.load(), 1) << retried.status().to_string();
}

TEST(AwsTransport, ClientErrorsAreNotRetriedAndNameCodeMessageAndRequestId) {
  LocalHttpServer server;
  std::atomic<int> hits{0};
  server.server().Get(R"(/b/(.*))", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    xml_error(res, 404, "NoSuchKey");
  });
  server.start();
  S3Client s3(local_config(Service::kS3, server.url()));
  auto o = s3.get_object("b", "k");
  ASSERT_FALSE(o);
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(o.status().code(), Status::Code::kNotFound);
  EXPECT_NE(
      o.status().message().find("S3 GetObject: HTTP 404 NoSuchKey: msg & more (request id REQ123)"),
      std::string::npos)
      << o.status().message();
}

TEST(AwsTransport, ConnectionRefusedIsRetriedThenUnavailable) {
  LocalHttpServer closed;
  closed.start();
  const std::string url = closed.url();
  closed.stop();
  auto config = local_config(Service::kDynamoDb, url);
  config.transport.max_attempts = 2;
  DynamoDbClient ddb(config);
  auto r = ddb.describe_table("t");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("connection refused"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("2 attempts"), std::string::npos) << r.status().message();
}

TEST(AwsTransport, DeadlineOnAHangingServer) {
  LocalHttpServer server;
  std::atomic<bool> release{false};
  server.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 100 && !release; ++i) std::this_thread::sleep_for(milliseconds(50));
    res.set_content("{}", "application/x-amz-json-1.0");
  });
  server.start();
  auto config = local_config(Service::kDynamoDb, server.url());
  config.transport.timeout = milliseconds(500);
  DynamoDbClient ddb(config);
  const auto start = Clock::now();
  auto r = ddb.get_item("t", Json{{"id_hash", attr::S("k")}});
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  release = true;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout) << r.status().to_string();
  EXPECT_GE(took.count(), 450);
  EXPECT_LE(took.count(), 550 + 200) << "the deadline was not kept";
}

// Credentials that the server rejects as expired once: the provider is invalidated and the call
// goes through with the new ones.
class RotatingProvider : public CredentialsProvider {
 public:
  Result<AwsCredentials> get() override {
    AwsCredentials c;
    c.keys = {"AKID" + std::to_string(generation.load()), "SECRET", "TOKEN"};
    return c;
  }
  void invalidate() override { ++generation; }
  std::atomic<int> generation{1};
};

TEST(AwsTransport, ExpiredTokenRefreshesCredentialsOnce) {
  LocalHttpServer server;
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization").find("Credential=AKID1/") != std::string::npos) {
      json_error(res, 400, "ExpiredTokenException",
                 "The security token included in the request is expired");
      return;
    }
    res.set_content("{}", "application/x-amz-json-1.0");
  });
  server.start();
  auto config = local_config(Service::kDynamoDb, server.url());
  auto provider = std::make_shared<RotatingProvider>();
  config.credentials = provider;
  DynamoDbClient ddb(config);
  auto r = ddb.get_item("t", Json{{"id_hash", attr::S("k")}});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_FALSE(*r);
  EXPECT_EQ(provider->generation.load(), 2);
}

TEST(AwsTransport, ErrorsNeverContainTheSecretKeyOrToken) {
  LocalHttpServer server;
  server.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    json_error(res, 400, "UnrecognizedClientException",
               "The security token included in the request is invalid.");
  });
  server.start();
  auto config = local_config(Service::kSsm, server.url());
  config.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDX", "VERYSECRETKEY", "VERYSECRETTOKEN"});
  DynamoDbClient ddb(config);  // any JSON client will do
  auto r = ddb.describe_table("t");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message().find("VERYSECRET"), std::string::npos);
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
}

TEST(AwsS3Client, BucketConfigurationsCarryContentMd5AndTheDocuments) {
  LocalHttpServer server;
  std::mutex mu;
  std::map<std::string, std::pair<std::string, std::string>> seen;  // query -> md5, body
  server.server().Put("/bkt", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    std::string which = req.has_param("publicAccessBlock") ? "publicAccessBlock"
                        : req.has_param("encryption")      ? "encryption"
                        : req.has_param("lifecycle")       ? "lifecycle"
                                                           : "create";
    seen[which] = {req.get_header_value("Content-MD5"), req.body};
    res.status = 200;
  });
  server.start();
  S3Client s3(local_config(Service::kS3, server.url()));
  ASSERT_TRUE(s3.put_public_access_block("bkt"));
  ASSERT_TRUE(s3.put_bucket_encryption("bkt"));
  ASSERT_TRUE(s3.put_bucket_lifecycle("bkt", {{"cache-expiry", "cache/", true, 2, 1}}));
  std::lock_guard lock(mu);
  for (const auto& [which, md5_body] : seen) {
    EXPECT_EQ(md5_body.first, content_md5(md5_body.second)) << which;
  }
  EXPECT_NE(seen["publicAccessBlock"].second.find("<BlockPublicAcls>true</BlockPublicAcls>"),
            std::string::npos);
  EXPECT_NE(seen["encryption"].second.find("<SSEAlgorithm>AES256</SSEAlgorithm>"),
            std::string::npos);
  auto rules = S3Client::parse_lifecycle_xml(seen["lifecycle"].second);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].id, "cache-expiry");
  EXPECT_EQ(rules[0].prefix, "cache/");
  EXPECT_EQ(rules[0].expiration_days, 2);
  EXPECT_EQ(rules[0].abort_multipart_after_days, 1);
  EXPECT_TRUE(rules[0].enabled);
}

TEST(AwsTransport, ConnectionsAreKeptAliveBetweenCallsOfAThread) {
  LocalHttpServer server;
  std::mutex mu;
  std::set<int> ports;
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    ports.insert(req.remote_port);
    res.set_content("{}", "application/x-amz-json-1.0");
  });
  server.start(/*keep_alive_requests=*/100);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, server.url()));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ddb.get_item("t", Json{{"id_hash", attr::S("k")}}));
  std::lock_guard lock(mu);
  EXPECT_EQ(ports.size(), 1u) << "each call opened a new connection";
}

}  // namespace
}  // namespace cachedata::aws
