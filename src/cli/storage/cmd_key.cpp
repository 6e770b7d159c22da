// cachedata key generate (key ensure: cmd_key_ensure.cpp): prints a new random data key as hex, for
// local use (a key file or CACHE_DATA_SECURE_DATA_KEY). From OpenSSL's CSPRNG; nothing is stored.
#include <cstdio>

#include "cli/cli_common.hpp"
#include "cli/storage/storage_commands.hpp"
#include "crypto/random.hpp"

namespace cachedata::cli {
namespace {

constexpr int kDataKeyBits = 256;  // what cachedata's DataKey takes

int run_generate(int bits) {
  if (bits < 128 || bits > 4096 || bits % 8 != 0) {
    return fail(Status::invalid_argument("--bits " + std::to_string(bits) +
                                         ": a multiple of 8 from 128 to 4096 (cachedata's data "
                                         "key has 256)"));
  }
  if (bits != kDataKeyBits) {
    std::fprintf(stderr, "cachedata: note: cachedata's data key has %d bits; this key has %d\n",
                 kDataKeyBits, bits);
  }
  std::printf("%s\n", crypto::random_hex(static_cast<size_t>(bits / 8)).c_str());
  return 0;
}

}  // namespace

void register_key(CLI::App& app) {
  CLI::App* key = app.add_subcommand("key", "Data keys");
  key->require_subcommand(1);
  auto bits = std::make_shared<int>(kDataKeyBits);
  CLI::App* generate = key->add_subcommand("generate", "Print a new random key as hex");
  generate->add_option("--bits", *bits, "key size in bits")->capture_default_str();
  generate->callback([bits] { throw CLI::RuntimeError(run_generate(*bits)); });
  register_key_ensure(*key);
}

}  // namespace cachedata::cli
