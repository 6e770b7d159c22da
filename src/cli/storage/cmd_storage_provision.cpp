// cachedata storage provision PREFIX: creates the storage stack's table and bucket directly
// through the DynamoDB and S3 APIs, with the template's settings, on AWS or on any compatible
// endpoint (DynamoDB Local, s3rver...). Idempotent: what exists and matches is left alone, and
// the output says so per resource. Every setting the endpoint refused or did not keep is listed.
// Exit 0 when both resources exist with every setting the endpoint keeps; 1 when something
// failed or differs (on AWS, a setting not kept is a failure); 2 for usage errors.
#include <cstdio>

#include "cli/cli_common.hpp"
#include "cli/storage/storage_bucket.hpp"
#include "cli/storage/storage_commands.hpp"
#include "cli/storage/storage_table.hpp"
#include "cli/storage/storage_target.hpp"

namespace cachedata::cli::storage {
namespace {

int run_provision(const TargetOptions& o) {
  auto target = resolve_target(o);
  if (!target) return fail(target.status());
  print_target(*target);
  const aws::DynamoDbClient dynamodb(target->dynamodb);
  const ResourceReport table = reconcile_table(dynamodb, target->settings, Mode::kProvision);
  table.print(stdout);
  const ResourceReport bucket = reconcile_bucket(target->s3, target->settings, Mode::kProvision);
  bucket.print(stdout);

  const bool changed = [&] {
    for (const ResourceReport* r : {&table, &bucket}) {
      if (r->created) return true;
      for (const SettingReport& s : r->settings) {
        if (s.verdict == Verdict::kChanged) return true;
      }
    }
    return false;
  }();
  if (!table.ok() || !bucket.ok()) {
    std::printf("provision incomplete: see the lines marked DIFFERS, FAILED or error above\n");
    return 1;
  }
  std::printf("%s\n", changed ? "provisioned" : "nothing to change");
  return 0;
}

}  // namespace

void register_provision(CLI::App& storage) {
  auto o = std::make_shared<TargetOptions>();
  CLI::App* cmd = storage.add_subcommand(
      "provision", "Create the table and bucket directly through the APIs (any endpoint)");
  add_target_options(cmd, *o);
  cmd->callback([o] { throw CLI::RuntimeError(run_provision(*o)); });
}

}  // namespace cachedata::cli::storage
