// The embedded store's key file: <store_dir>/data.key holds the data key as 64 hex characters.
// Created on first use (0600) so a new user needs no setup; created atomically (written to a
// temporary file, then link()ed into place, which fails if another process got there first),
// so concurrent first uses agree on one key.
#pragma once

#include <string>
#include <utility>

#include "cachedata/data_key.hpp"
#include "cachedata/key_source.hpp"
#include "cachedata/status.hpp"

namespace cachedata::core {

struct LoadedKey {
  DataKey key;
  bool created = false;
};

Result<LoadedKey> load_or_create_key_file(const std::string& path, bool create);

// A key read from, or created in, a key file: fixed, and it remembers the file (the CLI says
// once where a new key was written).
class KeyFileSource final : public KeySource {
 public:
  KeyFileSource(DataKey key, std::string path, bool created)
      : key_(std::move(key)), path_(std::move(path)), created_(created) {}
  DataKey current() const override { return key_; }
  uint64_t generation() const override { return 1; }
  std::string describe() const override { return "key file " + path_; }
  const std::string& path() const { return path_; }
  bool created() const { return created_; }

 private:
  const DataKey key_;
  const std::string path_;
  const bool created_;
};

}  // namespace cachedata::core
