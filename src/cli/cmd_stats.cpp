// cachedata stats: what the store holds (entries, bytes, capacity, stale and purgeable counts).
#include <cstdio>

#include "cli/cli_common.hpp"

namespace cachedata::cli {
namespace {

int run_stats(const StoreOptions& o) {
  auto store = open_store_only(o);
  if (!store) return fail(store.status());
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto stats = (*store)->stats(now);
  if (!stats) return fail(stats.status());
  std::printf("store: %s\n", (*store)->describe().c_str());
  std::printf("entries: %llu\n", static_cast<unsigned long long>(stats->entries));
  std::printf("bytes: %llu (%s)\n", static_cast<unsigned long long>(stats->bytes),
              human_bytes(stats->bytes).c_str());
  if (stats->capacity_bytes > 0) {
    std::printf("capacity: %llu (%s)\n", static_cast<unsigned long long>(stats->capacity_bytes),
                human_bytes(stats->capacity_bytes).c_str());
  } else {
    std::printf("capacity: unbounded\n");
  }
  std::printf("stale: %llu\n", static_cast<unsigned long long>(stats->expired_entries));
  std::printf("purgeable: %llu\n", static_cast<unsigned long long>(stats->purgeable_entries));
  return 0;
}

}  // namespace

void register_stats(CLI::App& app) {
  auto options = std::make_shared<StoreOptions>();
  CLI::App* cmd = app.add_subcommand("stats", "Show what the store holds");
  add_store_options(cmd, *options, false);
  cmd->callback([options] { throw CLI::RuntimeError(run_stats(*options)); });
}

}  // namespace cachedata::cli
