#include "cli/storage/storage_target.hpp"

#include <chrono>
#include <cstdio>

#include "cli/storage/storage_params.hpp"

namespace cachedata::cli::storage {
namespace {

Status validate_account_id(const std::string& value) {
  if (value.size() == 12 && value.find_first_not_of("0123456789") == std::string::npos) {
    return Status::ok();
  }
  return Status::invalid_argument("--account-id \"" + value +
                                  "\" breaks the rule ^[0-9]{12}$ (an AWS account id)");
}

// The template's parameter values: defaults, then the samconfig file, then --param.
Result<StorageConfig> parameters(const TargetOptions& o, std::vector<std::string>& notes) {
  auto existing = read_config(o.stack);
  if (!existing) return existing.status();
  StorageConfig c;
  if (*existing) {
    c = std::move(**existing);
    notes.push_back("defaults from " +
                    samconfig_path(o.stack.dir, o.stack.prefix, o.stack.project_id));
  }
  c.prefix = o.stack.prefix;
  c.project_id = o.stack.project_id;
  for (const ParamRule& rule : param_rules()) {
    if (c.parameter(rule.name).empty()) {
      c.set_parameter(std::string(rule.name), std::string(rule.default_value));
    }
  }
  for (const std::string& p : o.params) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::invalid_argument("--param '" + p + "' is not of the form NAME=VALUE");
    }
    const std::string name = p.substr(0, eq), value = p.substr(eq + 1);
    if ((name == "Prefix" && value != c.prefix) || (name == "ProjectId" && value != c.project_id)) {
      return Status::invalid_argument("--param " + p +
                                      " contradicts the stack's PREFIX/--project-id");
    }
    c.set_parameter(name, value);
  }
  c.set_parameter("Prefix", c.prefix);
  c.set_parameter("ProjectId", c.project_id);
  // The same rules as `storage config`, on every value wherever it came from.
  if (Status s = validate_stack_parameters(c); !s) return s;
  return c;
}

}  // namespace

void add_target_options(CLI::App* command, TargetOptions& o) {
  add_stack_options(command, o.stack);
  command->add_option("--endpoint-dynamodb", o.dynamodb_endpoint,
                      "DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB..., else AWS)");
  command->add_option("--endpoint-s3", o.s3_endpoint,
                      "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3..., else AWS)");
  command->add_option("--region", o.region,
                      "AWS region (default: the samconfig file's, else "
                      "AWS_REGION..., else us-east-1 on custom endpoints)");
  command->add_option("--profile", o.profile, "AWS profile (default: the samconfig file's)");
  command->add_option("--account-id", o.account_id,
                      "account id in the bucket name (required on AWS; default " +
                          std::string(kPlaceholderAccountId) + " on a custom S3 endpoint)");
  command
      ->add_option("--param", o.params,
                   "a template parameter, NAME=VALUE (repeatable; default: the samconfig "
                   "file's, else the template's)")
      ->allow_extra_args(false);
}

Result<Target> resolve_target(const TargetOptions& o) {
  if (Status s = validate_stack_options(o.stack); !s) return s;
  Target t;
  auto c = parameters(o, t.notes);
  if (!c) return c.status();

  AwsOptions opts;
  opts.dynamodb_endpoint = o.dynamodb_endpoint;
  opts.s3_endpoint = o.s3_endpoint;
  opts.region = o.region.empty() ? c->region : o.region;
  opts.profile = o.profile.empty() ? c->profile : o.profile;
  if (!opts.region.empty()) {
    if (Status s = validate_region(opts.region); !s) return s;
  }
  if (!opts.profile.empty()) {
    if (Status s = validate_profile(opts.profile); !s) return s;
  }
  auto dynamodb = aws::resolve_client_config(aws::Service::kDynamoDb, opts);
  auto s3 = aws::resolve_client_config(aws::Service::kS3, opts);
  if ((!dynamodb || !s3) && opts.region.empty()) {
    // No region anywhere: fine for endpoints that are not AWS's.
    opts.region = kDefaultLocalRegion;
    auto d2 = aws::resolve_client_config(aws::Service::kDynamoDb, opts);
    auto s2 = aws::resolve_client_config(aws::Service::kS3, opts);
    if (d2 && s2 && d2->endpoint.custom && s2->endpoint.custom) {
      dynamodb = std::move(d2);
      s3 = std::move(s2);
      t.notes.push_back("region " + opts.region + ": custom endpoints and no region given");
    }
  }
  if (!dynamodb) return dynamodb.status();
  if (!s3) return s3.status();
  t.dynamodb = std::move(dynamodb).value();
  t.s3 = std::move(s3).value();
  // wait_until_active and the settings' read-backs need more than one call's default.
  t.dynamodb.transport.timeout = std::chrono::seconds(30);

  std::string account = o.account_id;
  if (account.empty()) {
    if (!t.s3.endpoint.custom) {
      return Status::invalid_argument(
          "the bucket name holds the AWS account id: pass --account-id (cachedata has no STS "
          "client; `aws sts get-caller-identity --query Account --output text` prints it)");
    }
    account = kPlaceholderAccountId;
    t.notes.push_back("account id " + account + ": a placeholder, on a custom S3 endpoint");
  }
  if (Status s = validate_account_id(account); !s) return s;

  const std::string org = c->parameter("S3BucketNameOrgPrefix");
  t.settings.table = c->prefix + "-" + c->project_id + "-CacheData";
  t.settings.bucket = (org.empty() ? "" : org + "-") + c->prefix + "-" + c->project_id + "-" +
                      account + "-" + t.s3.region;
  t.settings.purge_days = std::stoi(c->parameter("CacheDataPurgeAgeOfCachedBucketObjInDays"));
  t.settings.point_in_time_recovery = c->parameter("EnablePointInTimeRecovery") == "TRUE";
  if (t.settings.bucket.size() > kMaxBucketNameLength) {
    return Status::invalid_argument("the bucket name " + t.settings.bucket + " has " +
                                    std::to_string(t.settings.bucket.size()) +
                                    " characters, over S3's limit of 63");
  }
  return t;
}

void print_target(const Target& t) {
  std::printf(
      "table %s at %s, bucket %s at %s (region %s); purge age %d days, point-in-time "
      "recovery %s\n",
      t.settings.table.c_str(), t.dynamodb.endpoint.url.c_str(), t.settings.bucket.c_str(),
      t.s3.endpoint.url.c_str(), t.s3.region.c_str(), t.settings.purge_days,
      t.settings.point_in_time_recovery ? "on" : "off");
  for (const std::string& n : t.notes) std::printf("  (%s)\n", n.c_str());
}

}  // namespace cachedata::cli::storage
