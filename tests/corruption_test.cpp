// Corruption: an altered, truncated, moved or foreign head or body never opens, and a cache that
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
  e.body = std::make_shared<const std::string>(std::move(body));
  e.expires = 1768478700;
  return e;
}

core::SealedEntry seal(std::string body, const crypto::Keyring& keys, bool encrypt = true,
                       const std::string& id = kId) {
  core::Entry e = entry_with(std::move(body));
  return core::seal_entry(e, id, keys.current(), encrypt);
}

bool opens(std::string_view head, std::string_view body, const crypto::Keyring& keys,
           const std::string& id = kId) {
  return core::open_entry(head, std::string(body), id, keys).is_ok();
}

TEST(CorruptionTest, EveryFlippedBitOfHeadOrBodyIsRejected) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    for (const std::string& body : {std::string("small body"), std::string(3000, 'z')}) {
      core::SealedEntry sealed = seal(body, keys, encrypt);
      ASSERT_TRUE(opens(sealed.head, sealed.body, keys));
      for (bool in_head : {true, false}) {
        const std::string& part = in_head ? sealed.head : sealed.body;
        for (size_t byte = 0; byte < part.size(); ++byte) {
          for (int bit = 0; bit < 8; ++bit) {
            std::string altered = part;
            altered[byte] = static_cast<char>(altered[byte] ^ (1 << bit));
            ASSERT_FALSE(in_head ? opens(altered, sealed.body, keys)
                                 : opens(sealed.head, altered, keys))
                << "flip of bit " << bit << " of byte " << byte << " of the "
                << (in_head ? "head" : "body") << " went unnoticed (encrypt=" << encrypt << ")";
          }
        }
      }
    }
  }
}

TEST(CorruptionTest, TruncatedOrExtendedPartsAreRejected) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  core::SealedEntry sealed = seal("body", keys);
  for (size_t n = 0; n < sealed.head.size(); ++n) {
    EXPECT_FALSE(opens(sealed.head.substr(0, n), sealed.body, keys)) << n;
  }
  for (size_t n = 0; n < sealed.body.size(); ++n) {
    EXPECT_FALSE(opens(sealed.head, sealed.body.substr(0, n), keys)) << n;
  }
  EXPECT_FALSE(opens(sealed.head + '\0', sealed.body, keys));
  EXPECT_FALSE(opens(sealed.head, sealed.body + '\0', keys));
}

TEST(CorruptionTest, EntryMovedToAnotherIdIsRejected) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    core::SealedEntry sealed = seal("alice's data", keys, encrypt);
    auto opened = core::open_entry(sealed.head, std::string(sealed.body), kOtherId, keys);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.status().code(), Status::Code::kCorruption);
  }
}

TEST(CorruptionTest, WrongKeyIsRejected) {
  crypto::Keyring writer({DataKey::generate()}, "default");
  crypto::Keyring reader({DataKey::generate()}, "default");
  core::SealedEntry sealed = seal("secret", writer);
  EXPECT_FALSE(opens(sealed.head, sealed.body, reader));
  // Same key, other instance: the derived keys differ too.
  DataKey shared = DataKey::generate();
  crypto::Keyring test_instance({shared}, "test");
  crypto::Keyring prod_instance({shared}, "prod");
  core::SealedEntry sealed_test = seal("x", test_instance);
  EXPECT_FALSE(opens(sealed_test.head, sealed_test.body, prod_instance));
}

TEST(CorruptionTest, GarbageNeverCrashesTheDecoder) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  core::SealedEntry valid = seal("body", keys);
  std::string garbage;
  uint32_t x = 12345;
  for (int len = 0; len < 400; ++len) {
    x = x * 1103515245 + 12345;
    garbage.push_back(static_cast<char>(x >> 16));
    EXPECT_FALSE(opens(garbage, "", keys));
    EXPECT_FALSE(opens(valid.head, garbage, keys));
    uint64_t body_size = 0;
    (void)core::decode_head(garbage, &body_size);  // any outcome but a crash (ASan watches)
  }
}

TEST(CorruptionTest, CacheTreatsACorruptedStoredEntryAsAMiss) {
  testing::ManualClock clock;
  auto store = std::shared_ptr<Store>(store::make_memory_store([&] { return clock.seconds(); }));
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
  record.body[record.body.size() / 2] ^= 0x10;
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
