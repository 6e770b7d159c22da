// The storage stack's deployment configuration and its file: SAM's samconfig TOML
// (samconfigs/PREFIX/PROJECT_ID/samconfig-PREFIX-PROJECT_ID-storage.toml), which `sam deploy
// --config-file` reads directly and from which `storage deploy` builds an `aws cloudformation
// deploy` command line. Pure: text in, text out; reading and writing files is the caller's.
//
// The parser reads the TOML subset SAM writes (comments, tables, strings, booleans, numbers,
// arrays of strings). Lines it does not know are kept verbatim and written back, so a key added by
// hand survives a rerun of `storage config`. Anything else is an error naming the line.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/status.hpp"

namespace cachedata::cli::storage {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct StorageConfig {
  std::string prefix;
  std::string project_id;
  std::string template_file;  // absolute path
  std::string region;         // empty: the AWS CLI's default
  std::string profile;        // empty: the AWS CLI's default
  KeyValues parameters;       // template parameters, in param_rules() order
  KeyValues tags;             // stack tags, in the order given
  bool confirm_changeset = true;
  // Lines of [default.deploy.parameters] that this file does not manage, and whole other tables.
  std::vector<std::string> other_deploy_lines;
  std::vector<std::string> other_tables;

  std::string stack_name() const { return prefix + "-" + project_id + "-storage"; }
  // The value of a parameter, or "" when it is not set.
  std::string parameter(std::string_view name) const;
  void set_parameter(const std::string& name, const std::string& value);
  void set_tag(const std::string& key, const std::string& value);
};

// The named IAM policy needs CAPABILITY_NAMED_IAM.
inline constexpr std::string_view kCapabilities = "CAPABILITY_NAMED_IAM";

// <dir>/samconfigs/PREFIX/PROJECT_ID/samconfig-PREFIX-PROJECT_ID-storage.toml
std::string samconfig_path(const std::string& dir, const std::string& prefix,
                           const std::string& project_id);

// The one check of a stack's parameters, wherever they came from (a samconfig file, --param,
// the defaults): each value by its rule in storage_params.hpp, and the bucket name they make
// within S3's length limit. Used by validate() and by the provision/status target.
Status validate_stack_parameters(const StorageConfig& config);
// Every parameter set, validate_stack_parameters(), the tags, region, profile and template file.
Status validate(const StorageConfig& config);

std::string render_samconfig(const StorageConfig& config);
// Parses a file written by render_samconfig (or edited by hand within the subset above) for
// `prefix` and `project_id`; `where` names the file in errors. Values are not validated here.
Result<StorageConfig> parse_samconfig(std::string_view text, const std::string& where,
                                      const std::string& prefix, const std::string& project_id);

// SAM's `Name="value" Name2="value2"` form of parameter_overrides and tags.
std::string format_sam_pairs(const KeyValues& pairs);
Result<KeyValues> parse_sam_pairs(std::string_view text);

}  // namespace cachedata::cli::storage
