#include "support/aws_test_stack.hpp"

#include <chrono>
#include <utility>

#include "support/aws_test_support.hpp"

namespace cachedata::testing {

namespace attr = aws::attr;

AwsTestStack::AwsTestStack(std::string dynamodb_endpoint, std::string s3_endpoint)
    : dynamodb_endpoint_(std::move(dynamodb_endpoint)),
      s3_endpoint_(std::move(s3_endpoint)),
      dynamodb_(local_config(aws::Service::kDynamoDb, dynamodb_endpoint_)),
      s3_(local_config(aws::Service::kS3, s3_endpoint_)),
      // Lower case, digits and '-': a valid DNS-compatible bucket name and a valid table name.
      table_(unique_name("cachedata-stack")),
      bucket_(unique_name("cachedata-stack")) {}

AwsTestStack::~AwsTestStack() {
  if (created_) remove_test_table_and_bucket(dynamodb_, s3_, table_, bucket_);
}

Status AwsTestStack::create() {
  aws::TableSpec spec;
  spec.name = table_;
  spec.hash_key = "id_hash";
  auto table = dynamodb_.create_table(spec);
  if (!table) return table.status().annotated("create table " + table_);
  created_ = true;
  if (Status s = dynamodb_.wait_until_active(table_, std::chrono::seconds(20)); !s) return s;
  auto bucket = s3_.create_bucket(bucket_);
  if (!bucket) return bucket.status().annotated("create bucket " + bucket_);
  return Status::ok();
}

Config AwsTestStack::config() const {
  Config c;
  c.store = Config::StoreKind::kAws;
  c.dynamodb_table = table_;
  c.s3_bucket = bucket_;
  c.aws.region = "us-east-1";
  c.aws.dynamodb_endpoint = dynamodb_endpoint_;
  c.aws.s3_endpoint = s3_endpoint_;
  c.aws.access_key_id = kTestAccessKeyId;
  c.aws.secret_access_key = kTestSecretAccessKey;
  return c;
}

std::string AwsTestStack::store_uri() const {
  return "aws:table=" + table_ + ",bucket=" + bucket_ +
         ",region=us-east-1,dynamodb-endpoint=" + dynamodb_endpoint_ +
         ",s3-endpoint=" + s3_endpoint_;
}

std::optional<aws::Json> AwsTestStack::item(const std::string& id_hash) const {
  auto got = dynamodb_.get_item(table_, aws::Json{{"id_hash", attr::S(id_hash)}}, true);
  if (!got || !got->has_value()) return std::nullopt;
  return **got;
}

void remove_test_table_and_bucket(const aws::DynamoDbClient& dynamodb, const aws::S3Client& s3,
                                  const std::string& table, const std::string& bucket) {
  // s3rver refuses to delete a bucket that still has objects: remove the ones items point at.
  aws::Json start;
  for (int page = 0; page < 100; ++page) {
    aws::Json request = {
        {"TableName", table}, {"ProjectionExpression", "s3_key"}, {"ConsistentRead", true}};
    if (!start.is_null()) request["ExclusiveStartKey"] = start;
    auto scanned = dynamodb.call("Scan", request);
    if (!scanned) break;
    for (const aws::Json& item : (*scanned)["Items"]) {
      if (auto key = attr::get_s(item, "s3_key")) (void)s3.delete_object(bucket, *key);
    }
    if (!scanned->contains("LastEvaluatedKey")) break;
    start = (*scanned)["LastEvaluatedKey"];
  }
  (void)s3.delete_bucket(bucket);
  (void)dynamodb.delete_table(table);
}

}  // namespace cachedata::testing
