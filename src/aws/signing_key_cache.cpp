#include "aws/signing_key_cache.hpp"

#include <openssl/crypto.h>

#include "aws/sigv4.hpp"

namespace cachedata::aws {

std::shared_ptr<const crypto::HmacSha256> SigningKeyCache::get(std::string_view secret_access_key,
                                                               std::string_view day_yyyymmdd,
                                                               std::string_view region,
                                                               std::string_view service) {
  // NUL separators: no two different tuples join to the same text.
  std::string scope;
  scope.reserve(secret_access_key.size() + day_yyyymmdd.size() + region.size() + service.size() +
                3);
  scope.append(secret_access_key).append(1, '\0').append(day_yyyymmdd).append(1, '\0');
  scope.append(region).append(1, '\0').append(service);
  std::lock_guard<std::mutex> lock(mu_);
  if (mac_ == nullptr || scope != scope_) {
    crypto::Digest key = signing_key(secret_access_key, day_yyyymmdd, region, service);
    mac_ = std::make_shared<const crypto::HmacSha256>(key);
    OPENSSL_cleanse(key.data(), key.size());
    if (!scope_.empty()) OPENSSL_cleanse(scope_.data(), scope_.size());
    scope_ = std::move(scope);
  } else {
    OPENSSL_cleanse(scope.data(), scope.size());
  }
  return mac_;
}

}  // namespace cachedata::aws
