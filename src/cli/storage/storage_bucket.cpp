#include "cli/storage/storage_bucket.hpp"

#include <algorithm>
#include <iterator>

namespace cachedata::cli::storage {
namespace {

std::string describe(const aws::PublicAccessBlock& b) {
  const bool all = b.block_public_acls && b.ignore_public_acls && b.block_public_policy &&
                   b.restrict_public_buckets;
  if (all) return "all blocked";
  std::string open;
  auto add = [&](bool on, const char* name) {
    if (!on) open += (open.empty() ? "" : ", ") + std::string(name);
  };
  add(b.block_public_acls, "BlockPublicAcls");
  add(b.ignore_public_acls, "IgnorePublicAcls");
  add(b.block_public_policy, "BlockPublicPolicy");
  add(b.restrict_public_buckets, "RestrictPublicBuckets");
  return "off: " + open;
}

aws::LifecycleRule template_rule(const StoreSettings& s) {
  aws::LifecycleRule rule;
  rule.id = std::string(kLifecycleRuleId);
  rule.prefix = std::string(kCachePrefix);
  rule.enabled = true;
  rule.expiration_days = s.purge_days;
  rule.abort_multipart_after_days = kAbortMultipartAfterDays;
  return rule;
}

// Ours: the template's Id, or any rule on cache/ (one written by hand is replaced, not doubled).
bool ours(const aws::LifecycleRule& r) {
  return r.id == kLifecycleRuleId || r.prefix == kCachePrefix;
}

std::string describe(const aws::LifecycleRule& r) {
  return "on " + r.prefix + (r.enabled ? "" : " (Disabled)") + ": expire after " +
         std::to_string(r.expiration_days) + " days, abort incomplete uploads after " +
         std::to_string(r.abort_multipart_after_days) + " day" +
         (r.abort_multipart_after_days == 1 ? "" : "s");
}

}  // namespace

ResourceReport reconcile_bucket(const aws::ClientConfig& config, const StoreSettings& s,
                                Mode mode) {
  ResourceReport report;
  report.kind = "bucket";
  report.name = s.bucket;
  const aws::S3Client client(config);
  const bool custom = config.endpoint.custom;
  const std::string& bucket = s.bucket;

  Status head = client.head_bucket(bucket);
  if (!head && head.code() == Status::Code::kNotFound && mode == Mode::kProvision) {
    auto created = client.create_bucket(bucket);
    if (!created) {
      report.error = created.status().message();
      return report;
    }
    report.created = *created;
    head = Status::ok();
  }
  if (!head) {
    if (head.code() != Status::Code::kNotFound) report.error = head.message();
    return report;
  }
  report.exists = true;

  run_step(report,
           {.name = "public access block",
            .expected = "all blocked",
            .read =
                [&] {
                  auto b = client.get_public_access_block(bucket);
                  if (!b) return Reading{b.status(), ""};
                  return Reading{Status::ok(), *b ? describe(**b) : std::string("none")};
                },
            .change = [&] { return client.put_public_access_block(bucket); },
            .cannot_change = "",
            .change_when_unreported = true},
           mode, custom);

  run_step(report,
           {.name = "encryption",
            .expected = "AES256",
            .read =
                [&] {
                  auto e = client.get_bucket_encryption(bucket);
                  if (!e) return Reading{e.status(), ""};
                  return Reading{Status::ok(), *e ? **e : std::string("none")};
                },
            .change = [&] { return client.put_bucket_encryption(bucket, "AES256"); },
            .cannot_change = "",
            .change_when_unreported = true},
           mode, custom);

  const aws::LifecycleRule wanted = template_rule(s);
  run_step(report,
           {.name = "lifecycle rule",
            .expected = describe(wanted),
            .read =
                [&] {
                  auto rules = client.get_bucket_lifecycle(bucket);
                  if (!rules) return Reading{rules.status(), ""};
                  std::string found;
                  for (const aws::LifecycleRule& r : *rules) {
                    if (!ours(r)) continue;
                    found += (found.empty() ? "" : "; ") + describe(r);
                  }
                  return Reading{Status::ok(), found.empty() ? "none on cache/" : found};
                },
            .change = [&]() -> Status {
              // PutBucketLifecycleConfiguration replaces every rule: keep the others.
              std::vector<aws::LifecycleRule> rules;
              if (auto old = client.get_bucket_lifecycle(bucket)) {
                std::copy_if(old->begin(), old->end(), std::back_inserter(rules),
                             [](const aws::LifecycleRule& r) { return !ours(r); });
              }
              rules.push_back(wanted);
              return client.put_bucket_lifecycle(bucket, rules);
            },
            .cannot_change = "",
            .change_when_unreported = true},
           mode, custom);

  report.add("not handled here", Verdict::kInfo,
             "TLS-only bucket policy and bucket-owner-enforced ownership: the CloudFormation "
             "stack (storage deploy) sets them");
  return report;
}

}  // namespace cachedata::cli::storage
