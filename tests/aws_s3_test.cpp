// S3Client against s3rver (started by scripts/test-servers.sh; its endpoint in
// CACHEDATA_TEST_S3_ENDPOINT): buckets, objects with metadata, a 20 MB round trip received
// without regrowing its buffer, lifecycle and encryption settings (s3rver keeps them as sent),
// and NoSuchKey / NoSuchBucket as kNotFound.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "aws/s3_client.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_support.hpp"

namespace cachedata::aws {
namespace {

using cachedata::testing::AwsTestServer;
using cachedata::testing::local_config;
using cachedata::testing::unique_name;

std::string bucket_name() {
  // Lower case, digits and '-': DNS-compatible, as the stack's buckets are.
  return unique_name("cachedata-test");
}

TEST(AwsS3, BucketCreateIsIdempotentAndHeadBucketFindsIt) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  S3Client s3(local_config(Service::kS3, endpoint));
  const std::string bucket = bucket_name();
  EXPECT_EQ(s3.head_bucket(bucket).code(), Status::Code::kNotFound);
  auto created = s3.create_bucket(bucket);
  ASSERT_TRUE(created) << created.status().to_string();
  EXPECT_TRUE(*created);
  auto again = s3.create_bucket(bucket);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_FALSE(*again);
  EXPECT_TRUE(s3.head_bucket(bucket)) << s3.head_bucket(bucket).to_string();
  EXPECT_TRUE(s3.delete_bucket(bucket));
}

TEST(AwsS3, ObjectPutGetHeadDeleteWithMetadata) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  S3Client s3(local_config(Service::kS3, endpoint));
  const std::string bucket = bucket_name();
  ASSERT_TRUE(s3.create_bucket(bucket));
  std::string body;
  for (int i = 0; i < 300; ++i) body.push_back(static_cast<char>(i));
  PutObjectOptions options;
  options.metadata["sha256"] = "abc";
  const std::string key = "cache/0123abcd";
  auto etag = s3.put_object(bucket, key, body, options);
  ASSERT_TRUE(etag) << etag.status().to_string();
  auto got = s3.get_object(bucket, key);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->body, body);
  EXPECT_EQ(got->size, body.size());
  EXPECT_EQ(got->etag, *etag);
  EXPECT_EQ(got->metadata["sha256"], "abc");
  auto head = s3.head_object(bucket, key);
  ASSERT_TRUE(head) << head.status().to_string();
  EXPECT_EQ(head->size, body.size());
  EXPECT_TRUE(head->body.empty());

  // A key with characters that need encoding.
  ASSERT_TRUE(s3.put_object(bucket, "cache/a b+c=d", "x"));
  EXPECT_EQ(s3.get_object(bucket, "cache/a b+c=d")->body, "x");

  ASSERT_TRUE(s3.delete_object(bucket, key));
  EXPECT_TRUE(s3.delete_object(bucket, key)) << "deleting a missing object is not an error";
  ASSERT_TRUE(s3.delete_object(bucket, "cache/a b+c=d"));
  s3.delete_bucket(bucket);
}

TEST(AwsS3, NoSuchKeyAndNoSuchBucketAreNotFound) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  S3Client s3(local_config(Service::kS3, endpoint));
  const std::string bucket = bucket_name();
  ASSERT_TRUE(s3.create_bucket(bucket));
  auto no_key = s3.get_object(bucket, "cache/missing");
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.status().code(), Status::Code::kNotFound);
  EXPECT_NE(no_key.status().message().find("S3 GetObject: HTTP 404 NoSuchKey"), std::string::npos)
      << no_key.status().message();
  EXPECT_EQ(s3.head_object(bucket, "cache/missing").status().code(), Status::Code::kNotFound);
  auto no_bucket = s3.get_object("no-such-bucket-" + bucket, "k");
  ASSERT_FALSE(no_bucket);
  EXPECT_EQ(no_bucket.status().code(), Status::Code::kNotFound);
  EXPECT_NE(no_bucket.status().message().find("NoSuchBucket"), std::string::npos)
      << no_bucket.status().message();
  s3.delete_bucket(bucket);
}

TEST(AwsS3, TwentyMegabyteRoundTripIntoOneReservedBuffer) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  S3Client s3(local_config(Service::kS3, endpoint));
  const std::string bucket = bucket_name();
  ASSERT_TRUE(s3.create_bucket(bucket));
  std::string body(20u << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= body.size(); i += 8) {
    const uint64_t v = rng();
    std::memcpy(&body[i], &v, 8);
  }
  ASSERT_TRUE(s3.put_object(bucket, "cache/big", body));
  auto got = s3.get_object(bucket, "cache/big");
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->body.size(), body.size());
  EXPECT_TRUE(got->body == body);
  // Reserved once to the Content-Length: no regrowth (which would copy the payload).
  EXPECT_EQ(got->body.capacity(), body.size());
  EXPECT_FALSE(got->sha256.has_value());
  // Hashed while received, chunk by chunk: the same digest as hashing the whole body.
  GetObjectOptions hashed;
  hashed.sha256 = true;
  auto again = s3.get_object(bucket, "cache/big", hashed);
  ASSERT_TRUE(again) << again.status().to_string();
  ASSERT_TRUE(again->sha256.has_value());
  EXPECT_EQ(*again->sha256, crypto::sha256(body));
  ASSERT_TRUE(s3.delete_object(bucket, "cache/big"));
  s3.delete_bucket(bucket);
}

TEST(AwsS3, StreamedGetHandsEveryChunkOverAndKeepsNone) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  S3Client s3(local_config(Service::kS3, endpoint));
  const std::string bucket = bucket_name();
  ASSERT_TRUE(s3.create_bucket(bucket));
  std::string body(3u << 20, '\0');
  std::mt19937_64 rng(7);
  for (char& c : body) c = static_cast<char>(rng());
  ASSERT_TRUE(s3.put_object(bucket, "cache/streamed", body));

  std::string received;
  size_t chunks = 0;
  GetObjectOptions streamed;
  streamed.sha256 = true;
  streamed.on_body = [&](std::string_view chunk) {
    received.append(chunk);
    ++chunks;
    return true;
  };
  auto got = s3.get_object(bucket, "cache/streamed", streamed);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_TRUE(received == body);
  EXPECT_GT(chunks, 1u);  // it arrived in pieces, each handed over as it came
  EXPECT_TRUE(got->body.empty());
  EXPECT_EQ(got->body.capacity(), std::string().capacity());  // nothing reserved for it
  EXPECT_EQ(got->size, body.size());
  ASSERT_TRUE(got->sha256.has_value());
  EXPECT_EQ(*got->sha256, crypto::sha256(body));

  // The consumer stops the transfer: an error, no retry, and no more chunks after the refusal.
  size_t calls = 0;
  streamed.on_body = [&](std::string_view) { return ++calls < 2; };
  auto stopped = s3.get_object(bucket, "cache/streamed", streamed);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(calls, 2u);
  EXPECT_NE(stopped.status().message().find("stopped the transfer"), std::string::npos)
      << stopped.status().to_string();

  // An error answer is not streamed: NoSuchKey still maps to kNotFound, the consumer unused.
  calls = 0;
  auto missing = s3.get_object(bucket, "cache/absent", streamed);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(calls, 0u);
  ASSERT_TRUE(s3.delete_object(bucket, "cache/streamed"));
  s3.delete_bucket(bucket);
}

TEST(AwsS3, LifecycleAndEncryptionAsSent) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  S3Client s3(local_config(Service::kS3, endpoint));
  const std::string bucket = bucket_name();
  ASSERT_TRUE(s3.create_bucket(bucket));
  auto none = s3.get_bucket_lifecycle(bucket);
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(s3.put_bucket_lifecycle(bucket, {{"cache-expiry", "cache/", true, 3, 1}}));
  auto rules = s3.get_bucket_lifecycle(bucket);
  ASSERT_TRUE(rules) << rules.status().to_string();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].prefix, "cache/");
  EXPECT_EQ((*rules)[0].expiration_days, 3);
  EXPECT_TRUE(s3.put_bucket_encryption(bucket));
  EXPECT_EQ(s3.put_bucket_lifecycle("no-such-bucket-" + bucket, {}).code(),
            Status::Code::kNotFound);
  s3.delete_bucket(bucket);
}

}  // namespace
}  // namespace cachedata::aws
