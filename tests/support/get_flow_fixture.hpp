// The get-flow fixture: a Cache on each store a Cache sits on (the memory store, the embedded
// local store, and the shared store on DynamoDB Local + s3rver with bodies inline or all in S3),
// behind a FaultyStore that counts calls, with a clock the test moves and a fetcher that counts
// its calls. Used by get_flow_test.cpp (the rows of docs/DESIGN.md's state table) and
// get_flow_revalidation_test.cpp (the 304 merge and failure details). Each shared-store test
// makes its own table and bucket; without the servers those variants skip (fail under CI=true).
#pragma once

#include <gtest/gtest.h>

#include "cachedata/cache.hpp"
#include "store/memory_store.hpp"
#include "store/open_store.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/faulty_store.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {

using std::chrono::seconds;

enum class FlowStore { kMemory, kLocal, kAwsInline, kAwsS3 };

inline std::string flow_store_name(FlowStore kind) {
  switch (kind) {
    case FlowStore::kMemory:
      return "Memory";
    case FlowStore::kLocal:
      return "Local";
    case FlowStore::kAwsInline:
      return "AwsInline";
    case FlowStore::kAwsS3:
      return "AwsS3";
  }
  return "Unknown";
}
inline std::string test_name_suffix(const ::testing::TestParamInfo<FlowStore>& info) {
  return flow_store_name(info.param);
}
// gtest prints the parameter in test names and messages: "AwsS3", not the enum's bytes.
inline void PrintTo(FlowStore kind, std::ostream* out) {
  *out << flow_store_name(kind);
}

class GetFlowTest : public ::testing::TestWithParam<FlowStore> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_store());
    if (IsSkipped()) return;  // no servers for a shared-store variant
    open();
  }
  // The Cache first: its background refresh may still use the store, the origin and the clock.
  void TearDown() override { cache.reset(); }

  // The store as Config opens it for this kind, behind a FaultyStore that counts the calls.
  void open_store() {
    std::shared_ptr<Store> inner;
    if (GetParam() == FlowStore::kMemory) {
      inner = std::shared_ptr<Store>(store::make_memory_store([this] { return clock.seconds(); }));
    } else {
      Config config;
      if (GetParam() == FlowStore::kLocal) {
        config.store = Config::StoreKind::kLocal;
        config.store_dir = dir.path() + "/store";
      } else {
        CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, dynamodb_endpoint);
        CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, s3_endpoint);
        stack = std::make_unique<AwsTestStack>(dynamodb_endpoint, s3_endpoint);
        Status created = stack->create();
        ASSERT_TRUE(created) << created.to_string();
        config = stack->config();
        // 1 byte: every item with a body is over it, so every body is an S3 object.
        if (GetParam() == FlowStore::kAwsS3) config.aws_inline_max_bytes = 1;
      }
      // The store's own expiry checks (purge time) must follow the test's clock too.
      config.clock = clock.fn();
      auto opened = store::open_configured_store(config);
      ASSERT_TRUE(opened) << opened.status().to_string();
      inner = std::move(opened).value();
    }
    store = std::make_shared<FaultyStore>(std::move(inner));
  }

  void open(std::vector<DataKey> keys = {}) {
    Config config;
    config.store = Config::StoreKind::kCustom;
    config.custom_store = store;
    config.keys = keys.empty() ? std::vector<DataKey>{key} : keys;
    config.clock = clock.fn();
    config.log_level = LogLevel::kOff;
    cache = Cache::open(config).value();
  }
  // A new Cache on the same store: its memory tier is empty, as in another process.
  void reopen() { open(); }
  // A second Cache on the same store and key beside `cache`, as another process would open it.
  std::unique_ptr<Cache> open_other_cache() {
    Config config;
    config.store = Config::StoreKind::kCustom;
    config.custom_store = store;
    config.keys = {key};
    config.clock = clock.fn();
    config.log_level = LogLevel::kOff;
    return Cache::open(config).value();
  }

  GetResult get() { return get(request); }
  GetResult get(const Request& r) { return cache->get(profile, r, origin.fetcher()); }
  std::string id() { return cache->id_of(profile, request).value(); }
  StoredRecord record() { return store->get(id()).value().value(); }

  // On the shared store: the entry's body is inline in its item, or (tiny inline limit) the S3
  // object cache/<id> that the item points at, with its size and SHA-256.
  void expect_body_where_the_inline_limit_puts_it() {
    if (!stack) return;
    std::optional<aws::Json> item = stack->item(id());
    ASSERT_TRUE(item.has_value());
    if (GetParam() == FlowStore::kAwsInline) {
      EXPECT_TRUE(aws::attr::get_b(*item, "body").has_value()) << item->dump();
      EXPECT_FALSE(aws::attr::get_s(*item, "s3_key").has_value()) << item->dump();
      return;
    }
    EXPECT_FALSE(aws::attr::get_b(*item, "body").has_value()) << item->dump();
    EXPECT_EQ(aws::attr::get_s(*item, "s3_key"), "cache/" + id()) << item->dump();
    auto object = stack->s3().get_object(stack->bucket(), "cache/" + id());
    ASSERT_TRUE(object) << object.status().to_string();
    EXPECT_EQ(object->body, record().body);
    EXPECT_EQ(aws::attr::get_n(*item, "body_size"), static_cast<int64_t>(object->body.size()));
  }
  // The ETag of the entry's S3 object ("" when it has none).
  std::string s3_etag() {
    if (!stack || GetParam() != FlowStore::kAwsS3) return "";
    auto head = stack->s3().head_object(stack->bucket(), "cache/" + id());
    return head ? head->etag : "";
  }

  TempDir dir;
  std::unique_ptr<AwsTestStack> stack;  // the shared-store variants only
  DataKey key = DataKey::generate();
  std::shared_ptr<FaultyStore> store;
  ManualClock clock;
  CountingFetcher origin;
  std::unique_ptr<Cache> cache;
  Profile profile = [] {
    Profile p;
    p.ttl = seconds(60);
    p.stale_on_error = seconds(30);
    p.negative_ttl = seconds(5);
    return p;
  }();
  Request request = Request::get("https://api.example.com/v1/items");
  int version = 0;

  void answer_versions() {
    origin.respond = [this](const Request&, const Validators&) {
      ++version;
      return ok_response(
          "body v" + std::to_string(version),
          {{"Content-Type", "text/plain"}, {"ETag", "\"v" + std::to_string(version) + "\""}});
    };
  }
};

// Every store kind, for INSTANTIATE_TEST_SUITE_P(Stores, <suite>, kAllFlowStores,
// test_name_suffix).
inline const auto kAllFlowStores = ::testing::Values(FlowStore::kMemory, FlowStore::kLocal,
                                                     FlowStore::kAwsInline, FlowStore::kAwsS3);

}  // namespace cachedata::testing
