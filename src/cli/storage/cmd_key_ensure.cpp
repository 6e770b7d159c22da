// cachedata key ensure PARAMETER_NAME: makes sure an application instance's data key exists in
// SSM Parameter Store, as a SecureString, without ever replacing one. When the parameter is
// missing it puts a new random key (hex, from OpenSSL's CSPRNG) with Overwrite=false and the tags
// of a CodePipeline template-configuration.json ({"Parameters": {...}, "Tags": {...}}); when it
// exists, or another run created it first (ParameterAlreadyExists), it changes nothing and says
// so. The key itself is never printed, not even with --dry-run.
// Exit 0: created, exists, or (--dry-run) would create; 1: SSM failed; 2: usage errors.
#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "aws/ssm_client.hpp"
#include "base/strings.hpp"
#include "cli/cli_common.hpp"
#include "cli/storage/storage_commands.hpp"
#include "cli/storage/storage_params.hpp"
#include "crypto/random.hpp"

namespace cachedata::cli {
namespace {

constexpr size_t kMaxTags = 50;  // SSM's limit per resource

struct EnsureOptions {
  std::string name;
  int bits = 256;
  std::string tags_file;
  bool dry_run = false;
  std::string endpoint;
  std::string region;
  std::string profile;
};

// SSM's parameter names: letters, digits and _ . - /, a hierarchy when it starts with '/', not
// starting with "aws" or "ssm" (reserved), at most 1011 characters (2048 with the ARN).
Status validate_parameter_name(const std::string& name) {
  const std::string rule =
      "letters, digits and _ . - /, at most 1011 characters, not starting with aws or ssm; "
      "by convention <hierarchy><environment>/<prefix>-<project>-<stage>/CacheData_SecureDataKey";
  const bool chars_ok = !name.empty() && name.size() <= 1011 &&
                        name.find_first_not_of(
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") ==
                            std::string::npos &&
                        name.back() != '/' && name.find("//") == std::string::npos;
  const std::string head = base::to_lower(name.substr(name.starts_with('/') ? 1 : 0, 3));
  if (chars_ok && head != "aws" && head != "ssm") return Status::ok();
  return Status::invalid_argument("parameter name \"" + name + "\" breaks the rule: " + rule);
}

// The `Tags` object of a template-configuration.json, validated by AWS's tag rules.
Result<aws::Tags> read_tags(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::invalid_argument("--tags-file " + path +
                                    ": cannot read it: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::invalid_argument("--tags-file " + path +
                                    ": not a JSON object (expected a template-configuration.json: "
                                    "{\"Parameters\": {...}, \"Tags\": {\"Key\": \"Value\"}})");
  }
  aws::Tags tags;
  auto it = doc.find("Tags");
  if (it == doc.end()) return tags;  // a configuration without tags
  if (!it->is_object()) {
    return Status::invalid_argument("--tags-file " + path +
                                    ": \"Tags\" must be an object of \"Key\": \"Value\" strings");
  }
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      return Status::invalid_argument("--tags-file " + path + ": the tag \"" + key +
                                      "\" has a value that is not a string");
    }
    if (Status s = storage::validate_tag(key, value.get<std::string>()); !s) {
      return Status::invalid_argument("--tags-file " + path + ": " + s.message());
    }
    tags.emplace_back(key, value.get<std::string>());
  }
  if (tags.size() > kMaxTags) {
    return Status::invalid_argument("--tags-file " + path + ": " + std::to_string(tags.size()) +
                                    " tags, over SSM's limit of 50");
  }
  return tags;
}

std::string describe_tags(const aws::Tags& tags) {
  if (tags.empty()) return "no tags";
  std::string out;
  for (const auto& [k, v] : tags) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return "tags " + out;
}

Result<aws::ClientConfig> ssm_config(const EnsureOptions& o) {
  AwsOptions opts;
  opts.ssm_endpoint = o.endpoint;
  opts.region = o.region;
  opts.profile = o.profile;
  auto config = aws::resolve_client_config(aws::Service::kSsm, opts);
  if (!config && opts.region.empty()) {
    // No region anywhere: fine for an endpoint that is not AWS's.
    opts.region = std::string("us-east-1");
    auto local = aws::resolve_client_config(aws::Service::kSsm, opts);
    if (local && local->endpoint.custom) return local;
  }
  return config;
}

void say_exists(const std::string& name, const std::string& type, int64_t version) {
  std::printf(
      "parameter %s exists%s; not changed (a data key is never overwritten)\n", name.c_str(),
      version > 0 ? (" (version " + std::to_string(version) + ", " + type + ")").c_str() : "");
  if (!type.empty() && type != "SecureString") {
    std::fprintf(stderr,
                 "cachedata: warning: %s is a %s, not a SecureString: the key is stored "
                 "unencrypted; delete it and run key ensure again\n",
                 name.c_str(), type.c_str());
  }
}

int run_ensure(const EnsureOptions& o) {
  if (Status s = validate_parameter_name(o.name); !s) return fail(s);
  if (o.bits < 128 || o.bits > 4096 || o.bits % 8 != 0) {
    return fail(Status::invalid_argument("--bits " + std::to_string(o.bits) +
                                         ": a multiple of 8 from 128 to 4096 (cachedata's data "
                                         "key has 256)"));
  }
  aws::Tags tags;
  if (!o.tags_file.empty()) {
    auto t = read_tags(o.tags_file);
    if (!t) return fail(t.status());
    tags = std::move(t).value();
  }
  if (!o.region.empty()) {
    if (Status s = storage::validate_region(o.region); !s) return fail(s);
  }
  auto config = ssm_config(o);
  if (!config) return fail(config.status());
  const aws::SsmClient ssm(*config);

  // Without decryption: knowing that it exists needs no kms:Decrypt, and the value stays in SSM.
  auto existing = ssm.get_parameter(o.name, /*with_decryption=*/false);
  if (existing) {
    say_exists(o.name, existing->type, existing->version);
    return 0;
  }
  if (existing.status().code() != Status::Code::kNotFound) {
    std::fprintf(stderr, "cachedata: error: %s\n", existing.status().to_string().c_str());
    return 1;
  }
  const int hex_chars = o.bits / 4;
  if (o.dry_run) {
    std::printf(
        "dry run: would create SecureString parameter %s with a new %d-bit random key "
        "(%d hex characters, not shown), Overwrite=false, %s, at %s\n",
        o.name.c_str(), o.bits, hex_chars, describe_tags(tags).c_str(),
        config->endpoint.url.c_str());
    return 0;
  }
  aws::PutParameterRequest put;
  put.name = o.name;
  put.value = crypto::random_hex(static_cast<size_t>(o.bits / 8));
  put.type = "SecureString";
  put.overwrite = false;
  put.description = "cachedata data key (cachedata key ensure)";
  put.tags = tags;
  auto outcome = ssm.put_parameter(put);
  if (!outcome) {
    std::fprintf(stderr, "cachedata: error: %s\n", outcome.status().to_string().c_str());
    return 1;
  }
  if (outcome->already_exists) {  // created by someone else since GetParameter
    say_exists(o.name, "", 0);
    return 0;
  }
  std::printf(
      "created SecureString parameter %s (version %lld): a new %d-bit key (%d hex "
      "characters, not shown), %s\n",
      o.name.c_str(), static_cast<long long>(outcome->version), o.bits, hex_chars,
      describe_tags(tags).c_str());
  return 0;
}

}  // namespace

void register_key_ensure(CLI::App& key) {
  auto o = std::make_shared<EnsureOptions>();
  CLI::App* cmd = key.add_subcommand(
      "ensure", "Create the data key's SecureString parameter in SSM once; never overwrite it");
  cmd->add_option("PARAMETER_NAME", o->name,
                  "e.g. /app/PROD/acme-orders-prod/CacheData_SecureDataKey")
      ->required();
  cmd->add_option("--bits", o->bits, "key size in bits")->capture_default_str();
  cmd->add_option("--tags-file", o->tags_file,
                  "a CodePipeline template-configuration.json; its \"Tags\" are applied");
  cmd->add_flag("--dry-run", o->dry_run, "say what would be done; change nothing");
  cmd->add_option("--endpoint-ssm", o->endpoint, "SSM endpoint URL (default: AWS)");
  cmd->add_option("--region", o->region, "AWS region");
  cmd->add_option("--profile", o->profile, "AWS profile");
  cmd->callback([o] { throw CLI::RuntimeError(run_ensure(*o)); });
}

}  // namespace cachedata::cli
