// cachedata storage config PREFIX: writes the storage stack's samconfig file. On a terminal it asks
// for each parameter (default and rule shown, asked again until the answer is valid); otherwise,
// or with --no-prompt, it takes --param/--tag/--region/--profile alone. A rerun starts from the
// values of the existing file.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string_view>

#include "cli/cli_common.hpp"
#include "cli/storage/storage_commands.hpp"
#include "cli/storage/storage_params.hpp"

namespace cachedata::cli::storage {
namespace {

struct ConfigOptions {
  StackOptions stack;
  std::vector<std::string> params;
  std::vector<std::string> tags;
  std::string profile;
  std::string region;
  std::string template_file;
  bool no_prompt = false;
};

// "NAME=VALUE" split at the first '='.
Result<std::pair<std::string, std::string>> split_assignment(const std::string& text,
                                                             const char* option) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::invalid_argument(std::string(option) + " '" + text + "' is not of the form " +
                                    (std::string_view(option) == "--tag" ? "KEY" : "NAME") +
                                    "=VALUE");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

// Asks until the answer passes `check`; an empty answer takes the default, "-" clears an optional
// value. Fails only when the input ends.
Result<std::string> ask(const std::string& label, const std::string& help, const std::string& rule,
                        const std::string& current, bool clearable,
                        const std::function<Status(const std::string&)>& check) {
  std::printf("\n%s: %s\n  rule: %s%s\n", label.c_str(), help.c_str(), rule.c_str(),
              clearable ? " (- for none)" : "");
  for (;;) {
    std::printf("%s [%s]: ", label.c_str(), current.c_str());
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) {
      std::printf("\n");
      return Status::invalid_argument("the input ended before " + label + " was answered");
    }
    while (!answer.empty() && (answer.back() == ' ' || answer.back() == '\r')) answer.pop_back();
    answer.erase(0, answer.find_first_not_of(' '));
    if (answer.empty()) answer = current;
    if (clearable && answer == "-") answer.clear();
    if (Status s = check(answer); !s) {
      std::printf("  %s; try again\n", s.message().c_str());
      continue;
    }
    return answer;
  }
}

Status prompt(StorageConfig& c, const std::vector<std::string>& given, bool ask_region) {
  std::printf("Storage stack %s (Prefix %s, ProjectId %s). Press Enter to keep a value.\n",
              c.stack_name().c_str(), c.prefix.c_str(), c.project_id.c_str());
  for (const ParamRule& rule : param_rules()) {
    const std::string name(rule.name);
    if (name == "Prefix" || name == "ProjectId") continue;
    if (std::find(given.begin(), given.end(), name) != given.end()) continue;
    const bool org = name == "S3BucketNameOrgPrefix";
    auto value =
        ask(name, std::string(rule.help), std::string(rule.rule), c.parameter(name), org,
            [&](const std::string& v) {
              if (Status s = validate_param(name, v); !s) return s;
              // The organisation prefix is the only part of the bucket name asked here.
              return org ? validate_bucket_name_length(v, c.prefix, c.project_id) : Status::ok();
            });
    if (!value) return value.status();
    c.set_parameter(name, *value);
  }
  if (ask_region) {
    auto region =
        ask("region", "AWS region to deploy to, - for the AWS CLI's default",
            "an AWS region name such as us-east-1", c.region, true,
            [](const std::string& v) { return v.empty() ? Status::ok() : validate_region(v); });
    if (!region) return region.status();
    c.region = *region;
  }
  return Status::ok();
}

// Writes through a temporary file and a rename: a failed write never leaves half a file.
Status write_file(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::io_error("cannot create the directory of " + path + ": " + ec.message());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Status::io_error("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::io_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::ok();
}

int run_config(const ConfigOptions& o) {
  if (Status s = validate_stack_options(o.stack); !s) return fail(s);
  auto existing = read_config(o.stack);
  if (!existing) return fail(existing.status());

  StorageConfig c;
  if (*existing) {
    c = std::move(**existing);
  } else {
    c.prefix = o.stack.prefix;
    c.project_id = o.stack.project_id;
  }
  // Defaults first; then the existing file (already in c); then the command line.
  for (const ParamRule& rule : param_rules()) {
    if (c.parameter(rule.name).empty() && rule.name != "S3BucketNameOrgPrefix") {
      c.set_parameter(std::string(rule.name), std::string(rule.default_value));
    }
  }
  c.set_parameter("Prefix", c.prefix);
  c.set_parameter("ProjectId", c.project_id);
  if (c.parameter("S3BucketNameOrgPrefix").empty()) c.set_parameter("S3BucketNameOrgPrefix", "");

  std::vector<std::string> given;
  for (const std::string& p : o.params) {
    auto kv = split_assignment(p, "--param");
    if (!kv) return fail(kv.status());
    auto& [name, value] = *kv;
    if (Status s = validate_param(name, value); !s) return fail(s);
    if ((name == "Prefix" && value != c.prefix) || (name == "ProjectId" && value != c.project_id)) {
      return fail(Status::invalid_argument("--param " + name + "=" + value +
                                           " contradicts the stack's PREFIX/--project-id"));
    }
    c.set_parameter(name, value);
    given.push_back(name);
  }
  for (const std::string& t : o.tags) {
    auto kv = split_assignment(t, "--tag");
    if (!kv) return fail(kv.status());
    if (Status s = validate_tag(kv->first, kv->second); !s) return fail(s);
    c.set_tag(kv->first, kv->second);
  }
  if (!o.region.empty()) {
    if (Status s = validate_region(o.region); !s) return fail(s);
    c.region = o.region;
  }
  if (!o.profile.empty()) {
    if (Status s = validate_profile(o.profile); !s) return fail(s);
    c.profile = o.profile;
  }
  if (!o.template_file.empty()) {
    c.template_file = std::filesystem::absolute(o.template_file).lexically_normal().string();
  } else if (c.template_file.empty()) {
    auto t = default_template_file();
    if (!t) return fail(t.status());
    c.template_file = *t;
  }

  if (std::error_code ec; !std::filesystem::is_regular_file(c.template_file, ec)) {
    return fail(Status::not_found("the template " + c.template_file + " is not a file"));
  }

  if (!o.no_prompt && isatty(STDIN_FILENO)) {
    if (Status s = prompt(c, given, o.region.empty()); !s) return fail(s);
  }
  if (Status s = validate(c); !s) return fail(s);

  const std::string path = samconfig_path(o.stack.dir, c.prefix, c.project_id);
  if (Status s = write_file(path, render_samconfig(c)); !s) return fail(s);
  std::printf("%s %s\nNext: cachedata storage deploy %s --project-id %s%s\n",
              *existing ? "updated" : "wrote", path.c_str(), c.prefix.c_str(), c.project_id.c_str(),
              o.stack.dir == "." ? "" : (" --dir " + o.stack.dir).c_str());
  return 0;
}

}  // namespace

void register_config(CLI::App& storage) {
  auto o = std::make_shared<ConfigOptions>();
  CLI::App* cmd = storage.add_subcommand(
      "config", "Write samconfigs/PREFIX/PROJECT_ID/samconfig-PREFIX-PROJECT_ID-storage.toml");
  add_stack_options(cmd, o->stack);
  cmd->add_option("--param", o->params, "a template parameter, NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--tag", o->tags, "a stack tag, KEY=VALUE (repeatable)")->allow_extra_args(false);
  cmd->add_option("--profile", o->profile, "AWS CLI profile to deploy with");
  cmd->add_option("--region", o->region, "AWS region to deploy to");
  cmd->add_option("--template", o->template_file,
                  "the storage template (default: the one shipped with cachedata)");
  cmd->add_flag("--no-prompt", o->no_prompt, "never ask, even on a terminal");
  cmd->callback([o] { throw CLI::RuntimeError(run_config(*o)); });
}

}  // namespace cachedata::cli::storage
