#include "store/open_store.hpp"

#include "aws/aws_endpoints.hpp"
#include "core/expiry_policy.hpp"
#include "store/aws_store.hpp"
#include "store/local_store.hpp"

namespace cachedata::store {

namespace {

// The DynamoDB + S3 store, with clients resolved from config.aws and the environment; both
// clients share one credentials provider (one refresh for both).
Result<std::shared_ptr<Store>> open_shared_store(const Config& config) {
  auto dynamodb_config = aws::resolve_client_config(aws::Service::kDynamoDb, config.aws);
  if (!dynamodb_config) return dynamodb_config.status().annotated("shared store");
  std::shared_ptr<const aws::S3Client> s3;
  if (!config.s3_bucket.empty()) {
    auto s3_config = aws::resolve_client_config(aws::Service::kS3, config.aws, aws::process_env(),
                                                dynamodb_config->credentials);
    if (!s3_config) return s3_config.status().annotated("shared store");
    s3 = std::make_shared<const aws::S3Client>(std::move(s3_config).value());
  }
  auto dynamodb = std::make_shared<const aws::DynamoDbClient>(std::move(dynamodb_config).value());
  AwsStoreOptions options;
  options.table = config.dynamodb_table;
  options.bucket = config.s3_bucket;
  options.inline_max_bytes = config.aws_inline_max_bytes;
  if (config.clock) {
    auto clock = config.clock;
    options.now_seconds = [clock] { return core::to_unix_seconds(clock()); };
  }
  auto opened = open_aws_store(std::move(options), std::move(dynamodb), std::move(s3));
  if (!opened) return opened.status();
  return std::shared_ptr<Store>(std::move(opened).value());
}

}  // namespace

Result<std::shared_ptr<Store>> open_configured_store(const Config& config, OpenMode mode) {
  switch (config.store) {
    case Config::StoreKind::kMemoryOnly:
      return std::shared_ptr<Store>();
    case Config::StoreKind::kCustom:
      return config.custom_store;
    case Config::StoreKind::kLocal: {
      LocalStoreOptions options;
      options.dir = config.resolved_store_dir();
      options.max_bytes = config.local_max_bytes;
      options.inline_max_bytes = config.local_inline_max_bytes;
      options.create_if_missing = mode == OpenMode::kUse;
      options.sweep_on_open = mode == OpenMode::kUse;
      if (config.clock) {
        auto clock = config.clock;
        options.now_seconds = [clock] { return core::to_unix_seconds(clock()); };
      }
      auto opened = open_local_store(std::move(options));
      if (!opened) return opened.status();
      return std::shared_ptr<Store>(std::move(opened).value());
    }
    case Config::StoreKind::kAws:
      return open_shared_store(config);
  }
  return Status::invalid_argument("unknown store kind");
}

}  // namespace cachedata::store
