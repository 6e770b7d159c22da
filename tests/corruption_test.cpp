// Corruption: an altered, truncated, moved or foreign envelope never opens, and a cache that
// meets one treats it as a miss (the source is called; nothing wrong is served).
#include <gtest/gtest.h>

#include "core/envelope.hpp"
#include "crypto/keyring.hpp"
#include "store/memory_store.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

const std::string kId(64, 'a');
const std::string kOtherId(64, 'b');

core::Entry entry_with(std::string body) {
  core::Entry e;
  e.status_code = 200;
  e.headers.add("Content-Type", "text/plain");
  e.body = std::move(body);
  e.expires = 1768478700;
  return e;
}

TEST(CorruptionTest, EveryFlippedBitIsRejected) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    for (const std::string& body : {std::string("small body"), std::string(3000, 'z')}) {
      std::string sealed = core::seal_envelope(entry_with(body), kId, keys.current(), encrypt);
      ASSERT_TRUE(core::open_envelope(sealed, kId, keys));
      for (size_t byte = 0; byte < sealed.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
          std::string altered = sealed;
          altered[byte] = static_cast<char>(altered[byte] ^ (1 << bit));
          ASSERT_FALSE(core::open_envelope(altered, kId, keys))
              << "flip of bit " << bit << " of byte " << byte
              << " went unnoticed (encrypt=" << encrypt << ")";
        }
      }
    }
  }
}

TEST(CorruptionTest, TruncatedOrExtendedEnvelopeIsRejected) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string sealed = core::seal_envelope(entry_with("body"), kId, keys.current(), true);
  for (size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_FALSE(core::open_envelope(sealed.substr(0, n), kId, keys)) << n;
  }
  EXPECT_FALSE(core::open_envelope(sealed + '\0', kId, keys));
}

TEST(CorruptionTest, EnvelopeMovedToAnotherIdIsRejected) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    std::string sealed =
        core::seal_envelope(entry_with("alice's data"), kId, keys.current(), encrypt);
    auto opened = core::open_envelope(sealed, kOtherId, keys);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.status().code(), Status::Code::kCorruption);
  }
}

TEST(CorruptionTest, WrongKeyIsRejected) {
  crypto::Keyring writer({DataKey::generate()}, "default");
  crypto::Keyring reader({DataKey::generate()}, "default");
  std::string sealed = core::seal_envelope(entry_with("secret"), kId, writer.current(), true);
  EXPECT_FALSE(core::open_envelope(sealed, kId, reader));
  // Same key, other instance: the derived keys differ too.
  DataKey shared = DataKey::generate();
  crypto::Keyring test_instance({shared}, "test");
  crypto::Keyring prod_instance({shared}, "prod");
  std::string sealed_test =
      core::seal_envelope(entry_with("x"), kId, test_instance.current(), true);
  EXPECT_FALSE(core::open_envelope(sealed_test, kId, prod_instance));
}

TEST(CorruptionTest, GarbageNeverCrashesTheDecoder) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string garbage;
  uint32_t x = 12345;
  for (int len = 0; len < 400; ++len) {
    x = x * 1103515245 + 12345;
    garbage.push_back(static_cast<char>(x >> 16));
    EXPECT_FALSE(core::open_envelope(garbage, kId, keys));
    (void)core::decode_entry(garbage);  // any outcome but a crash (ASan watches)
  }
}

TEST(CorruptionTest, CacheTreatsACorruptedStoredEntryAsAMiss) {
  auto store = std::shared_ptr<Store>(store::make_memory_store());
  testing::ManualClock clock;
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = store;
  config.keys = {DataKey::generate()};
  config.memory_max_bytes = 0;  // force every read to the store
  config.clock = clock.fn();
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  testing::CountingFetcher origin;
  origin.respond = [](const Request&, const Validators&) { return testing::ok_response("v1"); };
  Profile profile;
  Request request = Request::get("https://api.example.com/data");
  ASSERT_EQ(cache->get(profile, request, origin.fetcher()).source(), DataSource::kOriginal);

  std::string id = cache->id_of(profile, request).value();
  auto record = store->get(id).value().value();
  record.envelope[record.envelope.size() / 2] ^= 0x10;
  ASSERT_TRUE(store->put(record));

  origin.respond = [](const Request&, const Validators&) { return testing::ok_response("v2"); };
  GetResult r = cache->get(profile, request, origin.fetcher());
  EXPECT_EQ(r.source(), DataSource::kOriginal);
  EXPECT_EQ(r.body(), "v2");
  EXPECT_EQ(origin.calls, 2);
  EXPECT_EQ(cache->stats().corrupt_entries, 1u);
  // The fresh answer replaced the corrupted entry.
  EXPECT_EQ(cache->get(profile, request, origin.fetcher()).source(), DataSource::kCache);
}

TEST(CorruptionTest, EntryCopiedUnderAnotherRequestsIdIsNotServed) {
  auto store = std::shared_ptr<Store>(store::make_memory_store());
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = store;
  config.keys = {DataKey::generate()};
  config.memory_max_bytes = 0;
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  testing::CountingFetcher origin;
  origin.respond = [](const Request& r, const Validators&) { return testing::ok_response(r.uri); };
  Profile profile;
  Request alice = Request::get("https://api.example.com/users/alice");
  Request bob = Request::get("https://api.example.com/users/bob");
  cache->get(profile, alice, origin.fetcher());
  // An attacker with write access to the store copies alice's entry over bob's id.
  auto record = store->get(cache->id_of(profile, alice).value()).value().value();
  record.id = cache->id_of(profile, bob).value();
  ASSERT_TRUE(store->put(record));
  GetResult r = cache->get(profile, bob, origin.fetcher());
  EXPECT_EQ(r.body(), "https://api.example.com/users/bob");
  EXPECT_EQ(r.source(), DataSource::kOriginal);
}

}  // namespace
}  // namespace cachedata
