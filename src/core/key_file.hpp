// The embedded store's key file: <store_dir>/data.key holds the data key as 64 hex characters.
// Created on first use (0600) so a new user needs no setup; created atomically (written to a
// temporary file, then link()ed into place, which fails if another process got there first),
// so concurrent first uses agree on one key.
#pragma once

#include <string>

#include "cachedata/data_key.hpp"
#include "cachedata/status.hpp"

namespace cachedata::core {

struct LoadedKey {
  DataKey key;
  bool created = false;
};

Result<LoadedKey> load_or_create_key_file(const std::string& path, bool create);

}  // namespace cachedata::core
