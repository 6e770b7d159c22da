// DataKey: an application instance's 256-bit secret. Cache ids are keyed by it and entries are
// encrypted with keys derived from it, so instances with different keys never read each
// other's entries. It is written as 64 hex characters, the form the storage stack keeps in SSM
// Parameter Store. The bytes are wiped when the key is destroyed and never printed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "cachedata/status.hpp"

namespace cachedata {

class DataKey {
 public:
  static constexpr size_t kSize = 32;

  // Parses 64 hex characters (surrounding white space allowed). The error never echoes the text.
  static Result<DataKey> from_hex(std::string_view hex);
  // Reads a file that holds the key as 64 hex characters.
  static Result<DataKey> from_file(const std::string& path);
  // A new random key from the OS's CSPRNG.
  static DataKey generate();

  DataKey(const DataKey&) = default;
  DataKey& operator=(const DataKey&) = default;
  ~DataKey();

  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }
  // The 64 hex characters, for writing a new key to its file or parameter only.
  std::string to_hex() const;

 private:
  DataKey() = default;
  std::array<uint8_t, kSize> bytes_{};
};

}  // namespace cachedata
