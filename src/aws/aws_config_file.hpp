// The shared AWS files, ~/.aws/credentials and ~/.aws/config, read as the SDKs read them.
//
// Both are INI files: `[section]` lines, `key = value` lines, whole-line comments starting with
// '#' or ';', blank lines and surrounding white space ignored, keys case-insensitive. An
// indented line after a key with an empty value is a sub-property: "s3 =\n  addressing_style =
// path" gives key "s3.addressing_style". In the credentials file a section is the profile name;
// in the config file it is `[profile NAME]`, except `[default]`. Paths come from
// AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else $HOME/.aws/credentials and
// $HOME/.aws/config. Pure functions over the files; safe from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/aws_env.hpp"

namespace cachedata::aws {

// section name -> (lower-case key -> value)
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

IniSections parse_ini(std::string_view text);

struct SharedProfile {
  std::string name;
  bool found = false;  // the profile has a section in either file
  // credentials file values win over config file values for the same key.
  std::map<std::string, std::string> values;

  std::optional<std::string> get(std::string_view key) const;
};

// AWS_PROFILE, else "default".
std::string profile_name(const EnvLookup& env, const std::string& override_name = "");
std::string credentials_file_path(const EnvLookup& env);
std::string config_file_path(const EnvLookup& env);

// The named profile from both files (a missing file is no error: it has no sections).
SharedProfile load_profile(const EnvLookup& env, const std::string& name);

}  // namespace cachedata::aws
