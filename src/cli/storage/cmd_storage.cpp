// cachedata storage: the group of the storage stack's commands, and the helpers they share.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/storage/storage_commands.hpp"
#include "cli/storage/storage_params.hpp"

namespace cachedata::cli {

namespace storage {

void add_stack_options(CLI::App* command, StackOptions& options) {
  command->add_option("PREFIX", options.prefix, "the stack's Prefix (names the exports)")
      ->required();
  command->add_option("--project-id", options.project_id, "the stack's ProjectId")
      ->capture_default_str();
  command->add_option("--dir", options.dir,
                      "directory holding samconfigs/PREFIX/PROJECT_ID/ (default: the current "
                      "directory)");
}

Status validate_stack_options(const StackOptions& options) {
  if (Status s = validate_prefix(options.prefix); !s) return s;
  return validate_project_id(options.project_id);
}

Result<std::string> default_template_file() {
  namespace fs = std::filesystem;
  constexpr const char* kName = "template-storage-cache-data.yml";
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "cachedata" / kName;
    if (fs::is_regular_file(installed, ec)) return installed.lexically_normal().string();
  }
  const fs::path source = fs::path(CACHEDATA_INFRA_DIR) / kName;
  if (fs::is_regular_file(source, ec)) return source.string();
  return Status::not_found(std::string("cannot find ") + kName + " (looked beside the binary in " +
                           "../share/cachedata/ and in " + CACHEDATA_INFRA_DIR +
                           "); pass --template FILE");
}

Result<std::optional<StorageConfig>> read_config(const StackOptions& options) {
  const std::string path = samconfig_path(options.dir, options.prefix, options.project_id);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<StorageConfig>();
    return Status::io_error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_samconfig(text.str(), path, options.prefix, options.project_id);
  if (!config) return config.status();
  return std::optional<StorageConfig>(std::move(config).value());
}

}  // namespace storage

void register_storage(CLI::App& app) {
  CLI::App* storage = app.add_subcommand("storage",
                                         "Configure, deploy, provision and check the shared store "
                                         "(infra/template-storage-cache-data.yml)");
  storage->require_subcommand(1);
  storage::register_config(*storage);
  storage::register_deploy(*storage);
  storage::register_provision(*storage);
  storage::register_status(*storage);
}

}  // namespace cachedata::cli
