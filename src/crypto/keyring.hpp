// Keyring: the keys derived from an application instance's data keys (docs/FORMAT.md, "Key
// derivation"). For each data key, HKDF-SHA-256 derives, bound to the instance id:
//   - the request-id key (HMAC-SHA-256), so ids differ between applications and instances;
//   - the envelope key (AES-256-GCM);
//   - a 4-byte key fingerprint stored in each envelope, to pick the key that opens it.
// The first key is current; the others are previous keys kept for rotation. Immutable after
// construction; safe to share between threads.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/data_key.hpp"
#include "crypto/aead.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::crypto {

using KeyFingerprint = std::array<uint8_t, 4>;

struct DerivedKeys {
  explicit DerivedKeys(const DataKey& key, std::string_view instance_id);
  ~DerivedKeys();
  HmacSha256 id_mac;
  AeadKey envelope_key{};
  KeyFingerprint fingerprint{};
};

class Keyring {
 public:
  // REQUIRES: !keys.empty().
  Keyring(const std::vector<DataKey>& keys, std::string_view instance_id);

  const DerivedKeys& current() const { return *keys_.front(); }
  const std::vector<std::unique_ptr<DerivedKeys>>& all() const { return keys_; }
  const DerivedKeys* find(const KeyFingerprint& fingerprint) const;

 private:
  std::vector<std::unique_ptr<DerivedKeys>> keys_;
};

}  // namespace cachedata::crypto
