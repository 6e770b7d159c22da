// cachedata inspect: list entries by metadata only (id prefix, size, expiry, state). The store
// holds sealed envelopes; nothing here needs, or prints, plaintext.
#include <cstdio>

#include "cli/cli_common.hpp"

namespace cachedata::cli {
namespace {

struct InspectOptions {
  StoreOptions store;
  size_t limit = 50;
};

int run_inspect(const InspectOptions& o) {
  auto store = open_store_only(o.store);
  if (!store) return fail(store.status());
  auto entries = (*store)->list(o.limit);
  if (!entries) return fail(entries.status());
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::printf("store: %s\n", (*store)->describe().c_str());
  std::printf("%-14s %10s  %-20s  %-20s  %s\n", "id", "size", "expires", "purge", "state");
  for (const EntryInfo& e : *entries) {
    const char* state = e.purge_at <= now ? "purgeable" : e.expires <= now ? "stale" : "fresh";
    std::printf("%-14s %10s  %-20s  %-20s  %s\n", e.id.substr(0, 12).c_str(),
                human_bytes(e.size).c_str(), iso8601(e.expires).c_str(),
                iso8601(e.purge_at).c_str(), state);
  }
  std::printf("%zu entr%s shown (limit %zu)\n", entries->size(), entries->size() == 1 ? "y" : "ies",
              o.limit);
  return 0;
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "List cached entries (metadata only; local store: most recent first)");
  cmd->add_option("--limit", options->limit, "at most this many entries")->capture_default_str();
  add_store_options(cmd, options->store, false);
  cmd->callback([options] { throw CLI::RuntimeError(run_inspect(*options)); });
}

}  // namespace cachedata::cli
