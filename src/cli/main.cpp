// cachedata: the command-line interface. Each subcommand lives in its own cmd_*.cpp.
#include <CLI/CLI.hpp>

#include "cli/cli_common.hpp"
#include "cli/storage/storage_commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cachedata: a read-through cache for slow or rate-limited back ends"};
  app.set_version_flag("--version", std::string("cachedata ") + CACHEDATA_VERSION);
  app.require_subcommand(1);
  cachedata::cli::register_get(app);
  cachedata::cli::register_inspect(app);
  cachedata::cli::register_purge(app);
  cachedata::cli::register_stats(app);
  cachedata::cli::register_bench(app);
  cachedata::cli::register_storage(app);
  cachedata::cli::register_key(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command ran: its own exit code
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, whatever CLI11's own code is.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}
