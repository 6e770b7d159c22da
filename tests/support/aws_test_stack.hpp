// A shared-store stack of one test's own on the local servers (DynamoDB Local and s3rver, see
// aws_test_servers.hpp): a table keyed by id_hash and a bucket, with names unique to the process
// and the call, so tests run in parallel on the same servers. create() makes both; the
// destructor removes them (the objects the table's items point at, the bucket, the table), best
// effort, as the servers live for the whole run. The clients and the configurations it hands out
// use static test credentials (letters and digits: DynamoDB Local wants that; s3rver, as
// scripts/test-servers.sh starts it, takes any access key). Not shared between threads.
#pragma once

#include <optional>
#include <string>

#include "aws/dynamodb_client.hpp"
#include "aws/s3_client.hpp"
#include "cachedata/config.hpp"

namespace cachedata::testing {

// The static credentials of every AWS test (aws_test_support.cpp's local_config uses them too).
inline constexpr const char* kTestAccessKeyId = "AKIDCACHEDATATEST";
inline constexpr const char* kTestSecretAccessKey = "test-secret-key";

class AwsTestStack {
 public:
  // Endpoints as CACHEDATA_REQUIRE_AWS_TEST_SERVER gives them ("http://127.0.0.1:PORT").
  AwsTestStack(std::string dynamodb_endpoint, std::string s3_endpoint);
  ~AwsTestStack();
  AwsTestStack(const AwsTestStack&) = delete;
  AwsTestStack& operator=(const AwsTestStack&) = delete;

  // Creates the table (waits until ACTIVE) and the bucket.
  Status create();

  const std::string& table() const { return table_; }
  const std::string& bucket() const { return bucket_; }
  const std::string& dynamodb_endpoint() const { return dynamodb_endpoint_; }
  const std::string& s3_endpoint() const { return s3_endpoint_; }
  const aws::DynamoDbClient& dynamodb() const { return dynamodb_; }
  const aws::S3Client& s3() const { return s3_; }

  // A Config of the shared store on this table and bucket (StoreKind::kAws, region us-east-1,
  // the two endpoints, the test credentials); keys, clock and limits are the caller's.
  Config config() const;
  // The same as the CLI's --store value: "aws:table=…,bucket=…,region=us-east-1,…-endpoint=…".
  std::string store_uri() const;
  // The item stored under `id_hash`, read consistently; nullopt when there is none.
  std::optional<aws::Json> item(const std::string& id_hash) const;

 private:
  std::string dynamodb_endpoint_;
  std::string s3_endpoint_;
  aws::DynamoDbClient dynamodb_;
  aws::S3Client s3_;
  std::string table_;
  std::string bucket_;
  bool created_ = false;
};

// Deletes a table and a bucket made for a test: first the S3 objects its items point at
// (s3_key), so that the bucket is empty, then the bucket and the table. Best effort: errors
// are ignored (a server shared by the run keeps what could not be removed until it stops).
void remove_test_table_and_bucket(const aws::DynamoDbClient& dynamodb, const aws::S3Client& s3,
                                  const std::string& table, const std::string& bucket);

}  // namespace cachedata::testing
