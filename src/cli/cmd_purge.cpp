// cachedata purge URL | --expired | --all: remove entries.
#include <cstdio>

#include "cli/cli_common.hpp"

namespace cachedata::cli {
namespace {

struct PurgeOptions {
  StoreOptions store;
  std::string url;
  std::vector<std::string> headers;
  std::string method = "GET";
  bool expired = false;
  bool all = false;
};

int run_purge(const PurgeOptions& o) {
  int chosen = (o.url.empty() ? 0 : 1) + (o.expired ? 1 : 0) + (o.all ? 1 : 0);
  if (chosen != 1) {
    return fail(Status::invalid_argument("give exactly one of URL, --expired or --all"));
  }
  if (!o.url.empty()) {
    auto config = make_config(o.store);
    if (!config) return fail(config.status());
    // Purging must not create a key: without one, nothing was ever cached under it.
    config->create_key_file = false;
    auto cache = Cache::open(std::move(config).value());
    if (!cache && cache.status().code() == Status::Code::kNotFound) {
      std::printf("nothing to purge: %s\n", cache.status().message().c_str());
      return 0;
    }
    if (!cache) return fail(cache.status());
    Request request = Request::get(o.url);
    request.method = o.method;
    if (Status s = add_header_options(o.headers, request); !s) return fail(s);
    if (Status s = (*cache)->purge(Profile{}, request); !s) return fail(s);
    std::printf("purged %s\n", o.url.c_str());
    return 0;
  }
  auto store = open_store_only(o.store);
  if (!store) return fail(store.status());
  Result<uint64_t> removed =
      o.all ? (*store)->clear()
            : (*store)->sweep(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  if (!removed) return fail(removed.status());
  std::printf("purged %llu entr%s\n", static_cast<unsigned long long>(*removed),
              *removed == 1 ? "y" : "ies");
  return 0;
}

}  // namespace

void register_purge(CLI::App& app) {
  auto options = std::make_shared<PurgeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "purge", "Remove one URL's entry, the entries past their purge time, or all entries");
  cmd->add_option("url", options->url, "remove this request's entry");
  cmd->add_option("-H,--header", options->headers, "request header of that request (repeatable)");
  cmd->add_option("-X,--method", options->method, "request method of that request");
  cmd->add_flag("--expired", options->expired, "remove entries past their purge time");
  cmd->add_flag("--all", options->all, "remove every entry");
  add_store_options(cmd, options->store, true);
  cmd->callback([options] { throw CLI::RuntimeError(run_purge(*options)); });
}

}  // namespace cachedata::cli
