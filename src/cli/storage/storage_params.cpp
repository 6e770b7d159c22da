#include "cli/storage/storage_params.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <vector>

namespace cachedata::cli::storage {
namespace {

constexpr std::string_view kPrefixPattern = "^[a-z][a-z0-9-]{0,6}[a-z0-9]$";
constexpr std::string_view kProjectIdPattern = "^[a-z][a-z0-9-]{0,24}[a-z0-9]$";
constexpr std::string_view kOrgPrefixPattern = "^([a-z0-9][a-z0-9-]{0,18}[a-z0-9])?$";
constexpr std::string_view kRolePathPattern = "^/([A-Za-z0-9_+=,.@-]+/)*$";
constexpr size_t kMaxRolePathLength = 512;  // IAM's limit
constexpr std::string_view kRegionPattern = "^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$";
constexpr std::string_view kProfilePattern = "^[A-Za-z0-9_.-]{1,128}$";

std::string quoted(std::string_view value) {
  return "\"" + std::string(value) + "\"";
}

Status broken(std::string_view name, std::string_view value, std::string_view rule) {
  return Status::invalid_argument(std::string(name) + " " + quoted(value) + " breaks the rule " +
                                  std::string(rule));
}

// Character classes of the patterns. The patterns are matched by hand rather than with
// std::regex: they are all "a first character, a run, a last character" or close to it, and
// GCC 12 reports false maybe-uninitialized warnings inside <regex> in the sanitizer build.
bool lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool lower_digit(char c) {
  return lower(c) || digit(c);
}
bool lower_digit_hyphen(char c) {
  return lower_digit(c) || c == '-';
}
bool alnum(char c) {
  return lower(c) || digit(c) || (c >= 'A' && c <= 'Z');
}
bool in(char c, std::string_view set) {
  return set.find(c) != std::string_view::npos;
}

// ^[first][middle]{min-2,max-2}[last]$
bool name_like(std::string_view v, size_t min, size_t max, bool (*first)(char),
               bool (*middle)(char), bool (*last)(char)) {
  if (v.size() < min || v.size() > max || !first(v.front()) || !last(v.back())) return false;
  return std::all_of(v.begin() + 1, v.end() - 1, middle);
}

// ^/([A-Za-z0-9_+=,.@-]+/)*$
bool role_path_like(std::string_view v) {
  if (v.empty() || v.front() != '/' || v.back() != '/') return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '/') {
      if (i > 0 && v[i - 1] == '/') return false;  // an empty segment
    } else if (!alnum(v[i]) && !in(v[i], "_+=,.@-")) {
      return false;
    }
  }
  return true;
}

// ^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$
bool region_like(std::string_view v) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dash = v.find('-', start);
    parts.push_back(v.substr(start, dash == std::string_view::npos ? v.npos : dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  if (parts.size() < 3) return false;
  const auto all = [](std::string_view p, bool (*f)(char)) {
    return !p.empty() && std::all_of(p.begin(), p.end(), f);
  };
  if (parts.front().size() < 2 || parts.front().size() > 4 || !all(parts.front(), lower)) {
    return false;
  }
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    if (!all(parts[i], lower)) return false;
  }
  return parts.back().size() <= 2 && all(parts.back(), digit);
}

bool chars_in(std::string_view v, size_t min, size_t max, std::string_view extra) {
  if (v.size() < min || v.size() > max) return false;
  return std::all_of(v.begin(), v.end(), [&](char c) { return alnum(c) || in(c, extra); });
}

Status check(bool ok, std::string_view name, std::string_view value, std::string_view pattern,
             std::string_view explanation) {
  if (ok) return Status::ok();
  return broken(name, value, std::string(pattern) + " (" + std::string(explanation) + ")");
}

}  // namespace

const std::vector<ParamRule>& param_rules() {
  static const std::vector<ParamRule> rules = {
      {"Prefix", "", kPrefixPattern, "names the table, the bucket and the exports"},
      {"ProjectId", "cache-data", kProjectIdPattern, "second part of the table and bucket names"},
      {"S3BucketNameOrgPrefix", "", kOrgPrefixPattern,
       "optional first part of the bucket name, empty for none"},
      {"CacheDataPurgeAgeOfCachedBucketObjInDays", "15", "a whole number of days, 3 or more",
       "days after which S3 deletes a cached object"},
      {"EnablePointInTimeRecovery", "FALSE", "TRUE or FALSE",
       "DynamoDB point-in-time recovery (the data is a cache)"},
      {"CreateManagedLambdaExecutionRolePolicy", "TRUE", "TRUE or FALSE",
       "create the managed policy applications attach"},
      {"RolePath", "/", kRolePathPattern, "IAM path of the managed policy"},
  };
  return rules;
}

const ParamRule* find_param(std::string_view name) {
  for (const ParamRule& r : param_rules()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Status validate_prefix(std::string_view value) {
  return check(name_like(value, 2, 8, lower, lower_digit_hyphen, lower_digit), "Prefix", value,
               kPrefixPattern,
               "2 to 8 lowercase letters, digits or hyphens; starts with a letter, does "
               "not end with a hyphen");
}

Status validate_project_id(std::string_view value) {
  return check(name_like(value, 2, 26, lower, lower_digit_hyphen, lower_digit), "ProjectId", value,
               kProjectIdPattern,
               "2 to 26 lowercase letters, digits or hyphens; starts with a letter, does "
               "not end with a hyphen");
}

Status validate_org_prefix(std::string_view value) {
  const bool ok =
      value.empty() || name_like(value, 2, 20, lower_digit, lower_digit_hyphen, lower_digit);
  return check(ok, "S3BucketNameOrgPrefix", value, kOrgPrefixPattern,
               "empty, or 2 to 20 lowercase letters, digits or hyphens, not starting or "
               "ending with a hyphen");
}

Status validate_role_path(std::string_view value) {
  if (value.size() > kMaxRolePathLength) {
    return broken("RolePath", value.substr(0, 40), "of IAM: at most 512 characters");
  }
  return check(role_path_like(value), "RolePath", value, kRolePathPattern,
               "starts and ends with a slash, such as / or /service-role/");
}

Status validate_purge_age(std::string_view value) {
  constexpr std::string_view kName = "CacheDataPurgeAgeOfCachedBucketObjInDays";
  constexpr std::string_view kRule = "a whole number of days, 3 or more (the template's MinValue)";
  int32_t days = 0;
  const char* end = value.data() + value.size();
  // Digits only: from_chars alone would accept a leading minus sign.
  if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) {
    return broken(kName, value, kRule);
  }
  auto [ptr, ec] = std::from_chars(value.data(), end, days);
  if (ec != std::errc() || ptr != end || days < 3) return broken(kName, value, kRule);
  return Status::ok();
}

Status validate_true_false(std::string_view name, std::string_view value) {
  if (value == "TRUE" || value == "FALSE") return Status::ok();
  return broken(name, value, "TRUE or FALSE (upper case, the template's AllowedValues)");
}

Status validate_param(std::string_view name, std::string_view value) {
  if (name == "Prefix") return validate_prefix(value);
  if (name == "ProjectId") return validate_project_id(value);
  if (name == "S3BucketNameOrgPrefix") return validate_org_prefix(value);
  if (name == "RolePath") return validate_role_path(value);
  if (name == "CacheDataPurgeAgeOfCachedBucketObjInDays") return validate_purge_age(value);
  if (name == "EnablePointInTimeRecovery" || name == "CreateManagedLambdaExecutionRolePolicy") {
    return validate_true_false(name, value);
  }
  std::string known;
  for (const ParamRule& r : param_rules())
    known += (known.empty() ? "" : ", ") + std::string(r.name);
  return Status::invalid_argument("\"" + std::string(name) +
                                  "\" is not a parameter of the storage template (" + known + ")");
}

size_t max_bucket_name_length(std::string_view org_prefix, std::string_view prefix,
                              std::string_view project_id) {
  // [org-]prefix-project-account-region: three hyphens, plus one after the org prefix.
  size_t n = prefix.size() + project_id.size() + kAccountIdLength + kMaxRegionNameLength + 3;
  if (!org_prefix.empty()) n += org_prefix.size() + 1;
  return n;
}

Status validate_bucket_name_length(std::string_view org_prefix, std::string_view prefix,
                                   std::string_view project_id) {
  const size_t n = max_bucket_name_length(org_prefix, prefix, project_id);
  if (n <= kMaxBucketNameLength) return Status::ok();
  return Status::invalid_argument(
      "the bucket name [S3BucketNameOrgPrefix-]Prefix-ProjectId-<account>-<region> could be " +
      std::to_string(n) + " characters, over S3's limit of " +
      std::to_string(kMaxBucketNameLength) + " (rule: counting 12 for the account and " +
      std::to_string(kMaxRegionNameLength) +
      " for the longest region name, the lengths of S3BucketNameOrgPrefix plus its hyphen, "
      "Prefix and ProjectId add up to at most " +
      std::to_string(kMaxBucketNameLength - kAccountIdLength - kMaxRegionNameLength - 3) +
      "); shorten them by " + std::to_string(n - kMaxBucketNameLength));
}

Status validate_region(std::string_view value) {
  if (value.size() <= kMaxRegionNameLength && region_like(value)) return Status::ok();
  return broken("region", value,
                std::string(kRegionPattern) + " (an AWS region name such as us-east-1, at most " +
                    std::to_string(kMaxRegionNameLength) + " characters)");
}

Status validate_tag(std::string_view key, std::string_view value) {
  const std::string tag = std::string(key) + "=" + std::string(value);
  // Keys leave out space and '=' so that `--tag KEY=VALUE` and SAM's `Key="value"` split cleanly.
  if (!chars_in(key, 1, 128, "_.:/+@-")) {
    return broken("tag", tag, "of AWS tags: a key of 1 to 128 letters, digits or _ . : / + - @");
  }
  if (key.rfind("aws:", 0) == 0)
    return broken("tag", tag, "of AWS tags: keys starting with aws: are reserved");
  if (!chars_in(value, 0, 256, " _.:/=+@-")) {
    return broken("tag", tag,
                  "of AWS tags: a value of 0 to 256 letters, digits, spaces or _ . : / = + - @");
  }
  return Status::ok();
}

Status validate_profile(std::string_view value) {
  return check(chars_in(value, 1, 128, "_.-"), "profile", value, kProfilePattern,
               "an AWS CLI profile name");
}

}  // namespace cachedata::cli::storage
