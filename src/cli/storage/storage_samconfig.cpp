#include "cli/storage/storage_samconfig.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "base/strings.hpp"
#include "cli/storage/storage_params.hpp"

namespace cachedata::cli::storage {
namespace {

constexpr std::string_view kDeployTable = "default.deploy.parameters";

// One TOML value of the subset SAM writes.
struct Value {
  enum class Kind { kString, kBool, kNumber, kArray } kind = Kind::kString;
  std::string text;  // a string's contents, a number's digits
  bool boolean = false;
  std::vector<std::string> items;  // an array's strings
};

std::string_view trim(std::string_view s) {
  return base::trim(s, base::kLineWhitespace);
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Reads a string at s[0] ('"' or '\'') and advances `s` past it.
Result<std::string> read_string(std::string_view& s) {
  const char quote = s[0];
  std::string out;
  size_t i = 1;
  for (; i < s.size() && s[i] != quote; ++i) {
    char c = s[i];
    if (quote == '"' && c == '\\') {
      if (++i == s.size()) break;
      switch (s[i]) {
        case '"':
          c = '"';
          break;
        case '\\':
          c = '\\';
          break;
        case 't':
          c = '\t';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        default:
          return Status::invalid_argument(std::string("unsupported escape \\") + s[i]);
      }
    }
    out += c;
  }
  if (i >= s.size()) return Status::invalid_argument("a string without its closing quote");
  s.remove_prefix(i + 1);
  return out;
}

// Parses one value and checks that only white space or a comment follows it.
Result<Value> read_value(std::string_view s) {
  Value v;
  if (s.empty()) return Status::invalid_argument("a key without a value");
  if (s[0] == '"' || s[0] == '\'') {
    auto str = read_string(s);
    if (!str) return str.status();
    v.text = std::move(str).value();
  } else if (s[0] == '[') {
    v.kind = Value::Kind::kArray;
    s.remove_prefix(1);
    for (;;) {
      s = trim(s);
      if (!s.empty() && s[0] == ']') break;
      if (s.empty() || (s[0] != '"' && s[0] != '\'')) {
        return Status::invalid_argument("an array of strings on one line was expected");
      }
      auto item = read_string(s);
      if (!item) return item.status();
      v.items.push_back(std::move(item).value());
      s = trim(s);
      if (!s.empty() && s[0] == ',') s.remove_prefix(1);
    }
    s.remove_prefix(1);
  } else {
    const size_t end = std::min(s.find_first_of(" \t#"), s.size());
    const std::string_view word = s.substr(0, end);
    s.remove_prefix(end);
    if (word == "true" || word == "false") {
      v.kind = Value::Kind::kBool;
      v.boolean = word == "true";
    } else if (!word.empty() &&
               word.find_first_not_of("0123456789.+-_") == std::string_view::npos) {
      v.kind = Value::Kind::kNumber;
      v.text = std::string(word);
    } else {
      return Status::invalid_argument("\"" + std::string(word) +
                                      "\" is not a string, a boolean, a number or an array");
    }
  }
  s = trim(s);
  if (!s.empty() && s[0] != '#') {
    return Status::invalid_argument("unexpected \"" + std::string(s) + "\" after the value");
  }
  return v;
}

Result<std::string> as_string(const Value& v, std::string_view key) {
  if (v.kind == Value::Kind::kString) return v.text;
  return Status::invalid_argument(std::string(key) + " must be a string");
}

size_t rule_index(std::string_view name) {
  const auto& rules = param_rules();
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].name == name) return i;
  }
  return rules.size();
}

// Applies one key of [default.deploy.parameters]; false when the key is not one this file manages.
Result<bool> apply_deploy_key(StorageConfig& c, std::string_view key, const Value& v) {
  auto string_value = [&]() { return as_string(v, key); };
  if (key == "stack_name") {
    auto s = string_value();
    if (!s) return s.status();
    if (*s != c.stack_name()) {
      return Status::invalid_argument("stack_name is \"" + *s +
                                      "\", but this file is for stack \"" + c.stack_name() + "\"");
    }
  } else if (key == "template_file") {
    auto s = string_value();
    if (!s) return s.status();
    c.template_file = std::move(s).value();
  } else if (key == "capabilities") {
    const std::string caps = v.kind == Value::Kind::kArray && v.items.size() == 1 ? v.items[0]
                             : v.kind == Value::Kind::kString                     ? v.text
                                                                                  : "";
    if (caps != kCapabilities) {
      return Status::invalid_argument("capabilities must be \"" + std::string(kCapabilities) +
                                      "\" (the template names its IAM policy)");
    }
  } else if (key == "region" || key == "profile") {
    auto s = string_value();
    if (!s) return s.status();
    (key == "region" ? c.region : c.profile) = std::move(s).value();
  } else if (key == "confirm_changeset" || key == "fail_on_empty_changeset") {
    if (v.kind != Value::Kind::kBool)
      return Status::invalid_argument(std::string(key) + " must be true or false");
    if (key == "confirm_changeset") c.confirm_changeset = v.boolean;
    // fail_on_empty_changeset is always written false: a rerun without changes is not a failure.
  } else if (key == "parameter_overrides" || key == "tags") {
    auto s = string_value();
    if (!s) return s.status();
    auto pairs = parse_sam_pairs(*s);
    if (!pairs) return Status::invalid_argument(std::string(key) + ": " + pairs.status().message());
    for (auto& [name, value] : *pairs) {
      if (key == "tags") {
        c.set_tag(name, value);
        continue;
      }
      if ((name == "Prefix" && value != c.prefix) ||
          (name == "ProjectId" && value != c.project_id)) {
        return Status::invalid_argument("parameter_overrides sets " + name + "=\"" + value +
                                        "\", but this file is for " + c.stack_name());
      }
      c.set_parameter(name, value);
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string StorageConfig::parameter(std::string_view name) const {
  for (const auto& [n, v] : parameters) {
    if (n == name) return v;
  }
  return "";
}

void StorageConfig::set_parameter(const std::string& name, const std::string& value) {
  for (auto& [n, v] : parameters) {
    if (n == name) {
      v = value;
      return;
    }
  }
  parameters.emplace_back(name, value);
  std::stable_sort(parameters.begin(), parameters.end(), [](const auto& a, const auto& b) {
    return rule_index(a.first) < rule_index(b.first);
  });
}

void StorageConfig::set_tag(const std::string& key, const std::string& value) {
  for (auto& [k, v] : tags) {
    if (k == key) {
      v = value;
      return;
    }
  }
  tags.emplace_back(key, value);
}

std::string samconfig_path(const std::string& dir, const std::string& prefix,
                           const std::string& project_id) {
  return (std::filesystem::path(dir) / "samconfigs" / prefix / project_id /
          ("samconfig-" + prefix + "-" + project_id + "-storage.toml"))
      .string();
}

Status validate_stack_parameters(const StorageConfig& c) {
  for (const auto& [name, value] : c.parameters) {
    if (Status s = validate_param(name, value); !s) return s;
  }
  return validate_bucket_name_length(c.parameter("S3BucketNameOrgPrefix"), c.prefix, c.project_id);
}

Status validate(const StorageConfig& c) {
  for (const ParamRule& rule : param_rules()) {
    bool found = false;
    for (const auto& [name, value] : c.parameters) found = found || name == rule.name;
    if (!found)
      return Status::invalid_argument("parameter " + std::string(rule.name) + " is not set");
  }
  if (Status s = validate_stack_parameters(c); !s) return s;
  for (const auto& [key, value] : c.tags) {
    if (Status s = validate_tag(key, value); !s) return s;
  }
  if (!c.region.empty()) {
    if (Status s = validate_region(c.region); !s) return s;
  }
  if (!c.profile.empty()) {
    if (Status s = validate_profile(c.profile); !s) return s;
  }
  if (c.template_file.empty() || c.template_file.find_first_of("\n\r\t") != std::string::npos) {
    return Status::invalid_argument("template_file must be a path on one line");
  }
  return Status::ok();
}

std::string format_sam_pairs(const KeyValues& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += ' ';
    out += k + "=\"" + v + "\"";
  }
  return out;
}

Result<KeyValues> parse_sam_pairs(std::string_view text) {
  KeyValues pairs;
  std::string_view s = trim(text);
  while (!s.empty()) {
    const size_t eq = s.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::invalid_argument("\"" + std::string(s) +
                                      "\" is not of the form Name=\"value\"");
    }
    std::string name(s.substr(0, eq));
    if (name.find_first_of(" \t\"") != std::string::npos) {
      return Status::invalid_argument("\"" + name + "\" is not a name");
    }
    s.remove_prefix(eq + 1);
    std::string value;
    if (!s.empty() && s[0] == '"') {
      const size_t close = s.find('"', 1);
      if (close == std::string_view::npos) {
        return Status::invalid_argument("the value of " + name + " has no closing quote");
      }
      value = std::string(s.substr(1, close - 1));
      s.remove_prefix(close + 1);
      if (!s.empty() && s[0] != ' ') {
        return Status::invalid_argument("the value of " + name + " is followed by \"" +
                                        std::string(s) + "\"");
      }
    } else {
      const size_t end = std::min(s.find(' '), s.size());
      value = std::string(s.substr(0, end));
      s.remove_prefix(end);
    }
    pairs.emplace_back(std::move(name), std::move(value));
    s = trim(s);
  }
  return pairs;
}

std::string render_samconfig(const StorageConfig& c) {
  std::string out;
  out += "# The storage stack " + c.stack_name() + ", in SAM's samconfig format.\n";
  out += "# Written by `cachedata storage config " + c.prefix + " --project-id " + c.project_id +
         "`, which keeps\n# these values as its defaults when run again. Deploy with\n# `cachedata "
         "storage deploy " +
         c.prefix + " --project-id " + c.project_id +
         "` (or `sam deploy --config-file <this file>`).\n";
  out += "version = 0.1\n\n";
  out += "[" + std::string(kDeployTable) + "]\n";
  out += "stack_name = " + toml_string(c.stack_name()) + "\n";
  out += "template_file = " + toml_string(c.template_file) + "\n";
  out += "capabilities = " + toml_string(kCapabilities) + "\n";
  out += std::string("confirm_changeset = ") + (c.confirm_changeset ? "true" : "false") + "\n";
  out += "fail_on_empty_changeset = false\n";
  if (!c.region.empty()) out += "region = " + toml_string(c.region) + "\n";
  if (!c.profile.empty()) out += "profile = " + toml_string(c.profile) + "\n";
  out += "parameter_overrides = " + toml_string(format_sam_pairs(c.parameters)) + "\n";
  if (!c.tags.empty()) out += "tags = " + toml_string(format_sam_pairs(c.tags)) + "\n";
  for (const std::string& line : c.other_deploy_lines) out += line + "\n";
  for (std::string table : c.other_tables) {
    // Blank lines that ended a table were read into it: one separates tables when written.
    while (table.ends_with("\n\n")) table.pop_back();
    out += "\n" + table;
  }
  return out;
}

Result<StorageConfig> parse_samconfig(std::string_view text, const std::string& where,
                                      const std::string& prefix, const std::string& project_id) {
  StorageConfig c;
  c.prefix = prefix;
  c.project_id = project_id;
  enum class Table { kTop, kDeploy, kOther } table = Table::kTop;
  bool seen_version = false;
  bool seen_deploy = false;
  std::vector<std::string> seen_keys;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = std::min(text.find('\n'), text.size());
    const std::string_view raw = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    ++line_no;
    const auto error = [&](const std::string& message) {
      return Status::invalid_argument(where + ":" + std::to_string(line_no) + ": " + message +
                                      " (not a samconfig file that `cachedata storage config` "
                                      "can read; fix or remove it)");
    };
    const std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') {
      if (table == Table::kOther) c.other_tables.back() += std::string(raw) + "\n";
      continue;
    }
    if (line[0] == '[') {
      const size_t close = line.find(']');
      if (line.size() < 3 || line[1] == '[' || close == std::string_view::npos ||
          !trim(line.substr(close + 1)).empty()) {
        return error("\"" + std::string(line) + "\" is not a table header");
      }
      const std::string_view name = trim(line.substr(1, close - 1));
      if (name == kDeployTable) {
        if (seen_deploy) return error("[" + std::string(kDeployTable) + "] appears twice");
        seen_deploy = true;
        table = Table::kDeploy;
      } else {
        table = Table::kOther;
        c.other_tables.push_back(std::string(line) + "\n");
      }
      continue;
    }
    const size_t eq = line.find('=');
    const std::string_view key = trim(line.substr(0, eq == std::string_view::npos ? 0 : eq));
    if (eq == std::string_view::npos || key.empty() ||
        key.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") !=
            std::string_view::npos) {
      return error("\"" + std::string(line) + "\" is neither a table header nor key = value");
    }
    auto value = read_value(trim(line.substr(eq + 1)));
    if (!value) return error(value.status().message());
    if (table == Table::kTop) {
      if (key != "version") return error("unexpected top-level key " + std::string(key));
      if (value->kind != Value::Kind::kNumber || value->text != "0.1") {
        return error("version must be 0.1");
      }
      seen_version = true;
    } else if (table == Table::kOther) {
      c.other_tables.back() += std::string(raw) + "\n";
    } else {
      if (std::find(seen_keys.begin(), seen_keys.end(), key) != seen_keys.end()) {
        return error(std::string(key) + " appears twice");
      }
      seen_keys.emplace_back(key);
      auto known = apply_deploy_key(c, key, *value);
      if (!known) return error(known.status().message());
      if (!*known) c.other_deploy_lines.emplace_back(line);
    }
  }
  if (!seen_version) {
    return Status::invalid_argument(where + ": no `version = 0.1` line: not a samconfig file");
  }
  if (!seen_deploy) {
    return Status::invalid_argument(where + ": no [" + std::string(kDeployTable) + "] table");
  }
  return c;
}

}  // namespace cachedata::cli::storage
