// cachedata storage status PREFIX: what exists of the storage stack's table and bucket and
// whether each setting matches the template. Changes nothing. Exit 0 when everything matches
// (a custom endpoint's unreported settings are notes), 1 when something is missing, differs or
// cannot be read, each named; 2 for usage errors.
#include <cstdio>

#include "cli/cli_common.hpp"
#include "cli/storage/storage_bucket.hpp"
#include "cli/storage/storage_commands.hpp"
#include "cli/storage/storage_table.hpp"
#include "cli/storage/storage_target.hpp"

namespace cachedata::cli::storage {
namespace {

int run_status(const TargetOptions& o) {
  auto target = resolve_target(o);
  if (!target) return fail(target.status());
  print_target(*target);
  const aws::DynamoDbClient dynamodb(target->dynamodb);
  const ResourceReport table = reconcile_table(dynamodb, target->settings, Mode::kCheck);
  table.print(stdout);
  const ResourceReport bucket = reconcile_bucket(target->s3, target->settings, Mode::kCheck);
  bucket.print(stdout);
  if (table.ok() && bucket.ok()) {
    std::printf("matches the template\n");
    return 0;
  }
  std::printf("does not match the template%s\n",
              (!table.exists || !bucket.exists)
                  ? ": run `cachedata storage provision` (or `storage deploy`) to create it"
                  : "");
  return 1;
}

}  // namespace

void register_status(CLI::App& storage) {
  auto o = std::make_shared<TargetOptions>();
  CLI::App* cmd = storage.add_subcommand(
      "status", "Show the table and bucket and whether they match the template");
  add_target_options(cmd, *o);
  cmd->callback([o] { throw CLI::RuntimeError(run_status(*o)); });
}

}  // namespace cachedata::cli::storage
