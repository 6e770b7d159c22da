// The rules of the storage stack's parameters (infra/template-storage-cache-data.yml), checked
// before anything is written or deployed: `storage config` and `storage deploy` share them.
// Every check is a pure function of its text; an error names the parameter, the value and the
// rule it breaks. The patterns are the template's AllowedPattern values, character for character
// (tests/storage_template_test.cpp compares them).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/status.hpp"

namespace cachedata::cli::storage {

// S3's bucket-name limit, and the parts of `[Org-]Prefix-ProjectId-<account>-<region>` that the
// configuration does not choose. The region counts as the longest AWS region name so that a
// configuration that passes fits in every region: us-isof-south-1 (15; the longest commercial
// names, such as ap-southeast-4, have 14).
inline constexpr size_t kMaxBucketNameLength = 63;
inline constexpr size_t kAccountIdLength = 12;
inline constexpr size_t kMaxRegionNameLength = 15;

// One template parameter as `storage config` asks for it.
struct ParamRule {
  std::string_view name;           // the template's parameter name
  std::string_view default_value;  // the template's Default ("" when none)
  std::string_view rule;           // the pattern or allowed values, shown in prompts and errors
  std::string_view help;           // one line for the prompt
};

// The template's parameters in prompt order; Prefix and ProjectId come first.
const std::vector<ParamRule>& param_rules();
// nullptr when `name` is not a parameter of the template.
const ParamRule* find_param(std::string_view name);

Status validate_prefix(std::string_view value);
Status validate_project_id(std::string_view value);
Status validate_org_prefix(std::string_view value);
Status validate_role_path(std::string_view value);
Status validate_purge_age(std::string_view value);
Status validate_true_false(std::string_view name, std::string_view value);
// Checks `value` against the rule of the parameter `name` (an unknown name is an error).
Status validate_param(std::string_view name, std::string_view value);

// The longest the bucket name can be, over every account and region.
size_t max_bucket_name_length(std::string_view org_prefix, std::string_view prefix,
                              std::string_view project_id);
Status validate_bucket_name_length(std::string_view org_prefix, std::string_view prefix,
                                   std::string_view project_id);

// AWS region names (us-east-1, us-gov-west-1...), at most kMaxRegionNameLength characters.
Status validate_region(std::string_view value);
// Stack tags, in AWS's tag character set: a key of 1-128 letters, digits or _ . : / + - @, not
// starting with "aws:"; a value of 0-256 of those, space or '='. Quotes and backslashes are never
// allowed, so SAM's quoted `Key="value"` form needs no escapes.
Status validate_tag(std::string_view key, std::string_view value);
// A named profile of the AWS CLI: letters, digits and _ . - only.
Status validate_profile(std::string_view value);

}  // namespace cachedata::cli::storage
