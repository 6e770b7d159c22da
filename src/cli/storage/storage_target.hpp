// The table and bucket that `storage provision` creates and `storage status` checks, with the
// template's settings for them (infra/template-storage-cache-data.yml) and the clients that reach
// them. Resolved once from the command line, the stack's samconfig file (its parameter values,
// region and profile are the defaults) and the environment, with the rules of storage_params.hpp.
//
// The bucket is named as the template names it: [Org-]Prefix-ProjectId-<account>-<region>. On
// AWS the account id must be given (--account-id: cachedata has no STS client to ask); on a
// custom S3 endpoint it defaults to kPlaceholderAccountId. With custom endpoints and no region
// anywhere, the region is us-east-1.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_endpoints.hpp"
#include "cachedata/status.hpp"
#include "cli/storage/storage_commands.hpp"

namespace cachedata::cli::storage {

inline constexpr std::string_view kHashKey = "id_hash";
inline constexpr std::string_view kTtlAttribute = "purge_ts";
inline constexpr std::string_view kCachePrefix = "cache/";
inline constexpr std::string_view kLifecycleRuleId = "PurgeCachedObjects";  // the template's Id
inline constexpr int kAbortMultipartAfterDays = 1;
inline constexpr std::string_view kPlaceholderAccountId = "000000000000";
inline constexpr std::string_view kDefaultLocalRegion = "us-east-1";

// The options `storage provision` and `storage status` share.
struct TargetOptions {
  StackOptions stack;
  std::string dynamodb_endpoint;
  std::string s3_endpoint;
  std::string region;
  std::string profile;
  std::string account_id;
  std::vector<std::string> params;  // NAME=VALUE
};
void add_target_options(CLI::App* command, TargetOptions& options);

// The template's settings for one stack.
struct StoreSettings {
  std::string table;   // ${Prefix}-${ProjectId}-CacheData
  std::string bucket;  // [Org-]Prefix-ProjectId-Account-Region
  int purge_days = 15;
  bool point_in_time_recovery = false;
};

struct Target {
  StoreSettings settings;
  aws::ClientConfig dynamodb;
  aws::ClientConfig s3;
  // Where the values came from (samconfig file, placeholder account, default region): printed.
  std::vector<std::string> notes;
};

// Every error is a usage error (a rule broken, a value missing): exit 2.
Result<Target> resolve_target(const TargetOptions& options);

// "Target: table T, bucket B (region R, account A); purge age N days, PITR off" and the notes.
void print_target(const Target& target);

}  // namespace cachedata::cli::storage
