// cachedata storage deploy PREFIX: deploys the storage stack from its samconfig file with the SAM
// CLI (`sam deploy --config-file`) when `sam` is on PATH, else with the AWS CLI (`aws
// cloudformation deploy` given the same template, parameters and tags), then prints the stack's
// exports. --dry-run prints the command instead. The file is validated again first: a hand edit
// that breaks a rule stops here, before CloudFormation.
#include <cstdio>
#include <filesystem>

#include "cli/cli_common.hpp"
#include "cli/storage/storage_commands.hpp"
#include "cli/storage/storage_process.hpp"

namespace cachedata::cli::storage {
namespace {

struct DeployOptions {
  StackOptions stack;
  bool dry_run = false;
};

struct Commands {
  std::string program;               // the path found on PATH
  std::vector<std::string> deploy;   // argv, argv[0] the name as typed
  std::vector<std::string> outputs;  // argv of the command that prints the exports
};

void add_region_profile(std::vector<std::string>& argv, const StorageConfig& c) {
  if (!c.region.empty()) argv.insert(argv.end(), {"--region", c.region});
  if (!c.profile.empty()) argv.insert(argv.end(), {"--profile", c.profile});
}

Commands sam_commands(const std::string& program, const std::string& config_file,
                      const StorageConfig& c) {
  Commands cmd{program, {"sam", "deploy", "--config-file", config_file}, {}};
  cmd.outputs = {"sam",          "list",     "stack-outputs", "--stack-name",
                 c.stack_name(), "--output", "table"};
  add_region_profile(cmd.outputs, c);
  return cmd;
}

Commands aws_commands(const std::string& program, const StorageConfig& c) {
  Commands cmd{program,
               {"aws", "cloudformation", "deploy", "--template-file", c.template_file,
                "--stack-name", c.stack_name(), "--parameter-overrides"},
               {}};
  for (const auto& [name, value] : c.parameters) cmd.deploy.push_back(name + "=" + value);
  if (!c.tags.empty()) {
    cmd.deploy.push_back("--tags");
    for (const auto& [key, value] : c.tags) cmd.deploy.push_back(key + "=" + value);
  }
  cmd.deploy.insert(cmd.deploy.end(),
                    {"--capabilities", std::string(kCapabilities), "--no-fail-on-empty-changeset"});
  add_region_profile(cmd.deploy, c);
  // Only the outputs that are exports: name and value, what an application imports.
  cmd.outputs = {"aws",
                 "cloudformation",
                 "describe-stacks",
                 "--stack-name",
                 c.stack_name(),
                 "--query",
                 "Stacks[0].Outputs[?ExportName].[ExportName,OutputValue]",
                 "--output",
                 "table"};
  add_region_profile(cmd.outputs, c);
  return cmd;
}

int run_deploy(const DeployOptions& o) {
  if (Status s = validate_stack_options(o.stack); !s) return fail(s);
  auto existing = read_config(o.stack);
  if (!existing) return fail(existing.status());
  const std::string path = samconfig_path(o.stack.dir, o.stack.prefix, o.stack.project_id);
  if (!*existing) {
    return fail(Status::not_found("no configuration " + path + ": run `cachedata storage config " +
                                  o.stack.prefix + " --project-id " + o.stack.project_id +
                                  "` first"));
  }
  const StorageConfig& c = **existing;
  if (Status s = validate(c); !s) return fail(Status::invalid_argument(path + ": " + s.message()));

  Commands cmd;
  if (auto sam = find_on_path("sam")) {
    cmd = sam_commands(*sam, std::filesystem::absolute(path).lexically_normal().string(), c);
  } else if (auto aws = find_on_path("aws")) {
    cmd = aws_commands(*aws, c);
  } else {
    return fail(Status::not_found(
        "neither the SAM CLI (sam) nor the AWS CLI (aws) is on PATH: install one of them "
        "(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"
        "install-sam-cli.html, https://docs.aws.amazon.com/cli/latest/userguide/"
        "getting-started-install.html)"));
  }
  if (o.dry_run) {
    std::printf("%s\n", shell_join(cmd.deploy).c_str());
    return 0;
  }

  std::fprintf(stderr, "cachedata: running %s\n", shell_join(cmd.deploy).c_str());
  std::fflush(stdout);
  auto code = run_program(cmd.program, cmd.deploy);
  if (!code) return fail(code.status());
  if (*code != 0) {
    std::fprintf(stderr, "cachedata: error: %s %s failed (exit %d)\n", cmd.deploy[0].c_str(),
                 cmd.deploy[1].c_str(), *code);
    return 1;
  }
  std::printf(
      "Exports of %s (import them with Fn::ImportValue; see README, Deploying the "
      "shared store):\n",
      c.stack_name().c_str());
  std::fflush(stdout);
  auto listed = run_program(cmd.program, cmd.outputs);
  if (!listed) return fail(listed.status());
  if (*listed != 0) {
    std::fprintf(stderr,
                 "cachedata: error: the stack deployed, but listing its exports failed "
                 "(exit %d)\n",
                 *listed);
    return 1;
  }
  return 0;
}

}  // namespace

void register_deploy(CLI::App& storage) {
  auto o = std::make_shared<DeployOptions>();
  CLI::App* cmd = storage.add_subcommand(
      "deploy", "Deploy the storage stack from its samconfig file with sam, else the AWS CLI");
  add_stack_options(cmd, o->stack);
  cmd->add_flag("--dry-run", o->dry_run, "print the command instead of running it");
  cmd->callback([o] { throw CLI::RuntimeError(run_deploy(*o)); });
}

}  // namespace cachedata::cli::storage
