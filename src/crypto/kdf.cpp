#include <openssl/crypto.h>

#include <string>

#include "crypto/keyring.hpp"

namespace cachedata::crypto {
namespace {

// Labels of docs/FORMAT.md, "Key derivation". Changing any of them changes every id.
constexpr std::string_view kSalt = "cachedata/v1";

std::string label(std::string_view purpose, std::string_view instance_id) {
  std::string info(purpose);
  info.push_back('\0');
  info.append(instance_id);
  return info;
}

Digest derive(const DataKey& key, std::string_view purpose, std::string_view instance_id) {
  Digest out{};
  hkdf_sha256(key.bytes(), kSalt, label(purpose, instance_id), out);
  return out;
}

}  // namespace

DerivedKeys::DerivedKeys(const DataKey& key, std::string_view instance_id)
    : id_mac([&] {
        Digest d = derive(key, "cachedata request-id", instance_id);
        HmacSha256 mac(d);
        OPENSSL_cleanse(d.data(), d.size());
        return mac;
      }()) {
  Digest enc = derive(key, "cachedata envelope", instance_id);
  std::copy(enc.begin(), enc.end(), envelope_key.begin());
  OPENSSL_cleanse(enc.data(), enc.size());
  Digest fp = derive(key, "cachedata key-id", instance_id);
  std::copy(fp.begin(), fp.begin() + fingerprint.size(), fingerprint.begin());
}

DerivedKeys::~DerivedKeys() {
  OPENSSL_cleanse(envelope_key.data(), envelope_key.size());
}

Keyring::Keyring(const std::vector<DataKey>& keys, std::string_view instance_id) {
  for (const DataKey& key : keys) keys_.push_back(std::make_unique<DerivedKeys>(key, instance_id));
}

const DerivedKeys* Keyring::find(const KeyFingerprint& fingerprint) const {
  for (const auto& k : keys_) {
    if (k->fingerprint == fingerprint) return k.get();
  }
  return nullptr;
}

}  // namespace cachedata::crypto
