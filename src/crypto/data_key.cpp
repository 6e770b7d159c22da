#include "cachedata/data_key.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <fstream>

#include "base/hex.hpp"
#include "crypto/random.hpp"

namespace cachedata {

Result<DataKey> DataKey::from_hex(std::string_view hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front())))
    hex.remove_prefix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  // The error describes the shape only: a key's characters must never reach a log.
  if (hex.size() != 2 * kSize) {
    return Status::invalid_argument("data key must be 64 hex characters, got " +
                                    std::to_string(hex.size()) + " characters");
  }
  auto bytes = base::from_hex(hex);
  if (!bytes) return Status::invalid_argument("data key must be 64 hex characters (0-9, a-f)");
  DataKey key;
  std::copy(bytes->begin(), bytes->end(), key.bytes_.begin());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return key;
}

Result<DataKey> DataKey::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::not_found("cannot read data key file " + path);
  // Read straight into one string that is wiped below (a stream buffer would keep a copy).
  std::string content;
  content.reserve(128);
  char ch;
  while (content.size() < 4096 && in.get(ch)) content.push_back(ch);
  auto key = from_hex(content);
  OPENSSL_cleanse(content.data(), content.size());
  if (!key)
    return Status::invalid_argument("data key file " + path + ": " + key.status().message());
  return key;
}

DataKey DataKey::generate() {
  DataKey key;
  crypto::random_bytes(key.bytes_);
  return key;
}

DataKey::~DataKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string DataKey::to_hex() const {
  return base::to_hex(bytes_);
}

}  // namespace cachedata
