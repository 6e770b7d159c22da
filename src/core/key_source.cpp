#include "cachedata/key_source.hpp"

#include <utility>

namespace cachedata {
namespace {

class FixedKeySource final : public KeySource {
 public:
  FixedKeySource(DataKey key, std::string description)
      : key_(std::move(key)), description_(std::move(description)) {}
  DataKey current() const override { return key_; }
  uint64_t generation() const override { return 1; }
  std::string describe() const override { return description_; }

 private:
  const DataKey key_;
  const std::string description_;
};

}  // namespace

std::shared_ptr<KeySource> fixed_key_source(DataKey key, std::string description) {
  return std::make_shared<FixedKeySource>(std::move(key), std::move(description));
}

}  // namespace cachedata
