// The commands of the shared store: `cachedata storage …` (configure and deploy the storage stack
// of infra/template-storage-cache-data.yml) and `cachedata key …` (data keys), and the file
// helpers the storage commands share.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cachedata/status.hpp"
#include "cli/storage/storage_samconfig.hpp"

namespace cachedata::cli {

void register_storage(CLI::App& app);
void register_key(CLI::App& app);
// `key ensure`, registered by register_key.
void register_key_ensure(CLI::App& key);

namespace storage {

void register_config(CLI::App& storage);
void register_deploy(CLI::App& storage);
void register_provision(CLI::App& storage);
void register_status(CLI::App& storage);

// Options every storage subcommand takes.
struct StackOptions {
  std::string prefix;
  std::string project_id = "cache-data";
  std::string dir = ".";  // where samconfigs/ lives
};
void add_stack_options(CLI::App* command, StackOptions& options);
// Prefix and ProjectId by the template's rules, and the bucket-name length they leave.
Status validate_stack_options(const StackOptions& options);

// The template shipped with cachedata: <bin>/../share/cachedata/ beside an installed binary, else
// the source tree's infra/ (a build that was not installed).
Result<std::string> default_template_file();

// The configuration file of the options' stack, parsed; nullopt when there is none.
Result<std::optional<StorageConfig>> read_config(const StackOptions& options);

}  // namespace storage
}  // namespace cachedata::cli
