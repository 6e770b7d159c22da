// The Store contract (include/cachedata/store.hpp) as one table of cases run on every store: the
// memory store (the reference), the embedded local store (bodies inline and in blob files) and
// the shared store on DynamoDB Local + s3rver (bodies inline and in S3). Each case pins one
// clause: what get, put, touch, replace_head and erase do to a record's parts and times, the
// purge rule at exactly its second, and what sweep, list, clear and stats count. Where the
// contract lets a store differ (the shared store neither sweeps nor clears nor keeps a use
// order), the case says so and checks what that store promises instead.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/local_store.hpp"
#include "store/memory_store.hpp"
#include "store/open_store.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

using Code = Status::Code;

enum class Kind { kMemory, kLocalInline, kLocalBlob, kAwsInline, kAwsS3 };

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::kMemory:
      return "Memory";
    case Kind::kLocalInline:
      return "LocalInline";
    case Kind::kLocalBlob:
      return "LocalBlob";
    case Kind::kAwsInline:
      return "AwsInline";
    case Kind::kAwsS3:
      return "AwsS3";
  }
  return "Unknown";
}

// An id of 64 hex characters whose first two differ per n (the local store fans blob files out
// by them).
std::string id_of(int n) {
  static const char* kHex = "0123456789abcdef";
  std::string id(64, 'a');
  for (int i = 0; i < 8; ++i) id[static_cast<size_t>(i)] = kHex[(n >> (4 * i)) & 0xf];
  return id;
}

class StoreContractTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    const Kind kind = GetParam();
    auto now = [this] { return clock.seconds(); };
    if (kind == Kind::kMemory) {
      store = store::make_memory_store(now);
      return;
    }
    if (kind == Kind::kLocalInline || kind == Kind::kLocalBlob) {
      store::LocalStoreOptions options;
      options.dir = dir.path() + "/store";
      options.now_seconds = now;
      // Every body of a blob variant is a file; no body of the inline variant is.
      options.inline_max_bytes = kind == Kind::kLocalBlob ? 0 : 1 << 20;
      auto opened = store::open_local_store(options);
      ASSERT_TRUE(opened) << opened.status().to_string();
      store = std::move(opened).value();
      return;
    }
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(testing::AwsTestServer::kDynamoDb, dynamodb_endpoint);
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(testing::AwsTestServer::kS3, s3_endpoint);
    stack = std::make_unique<testing::AwsTestStack>(dynamodb_endpoint, s3_endpoint);
    Status created = stack->create();
    ASSERT_TRUE(created) << created.to_string();
    Config config = stack->config();
    config.clock = clock.fn();
    if (kind == Kind::kAwsS3) config.aws_inline_max_bytes = 1;  // every body an S3 object
    auto opened = store::open_configured_store(config);
    ASSERT_TRUE(opened) << opened.status().to_string();
    store = std::move(opened).value();
  }

  bool is_aws() const { return GetParam() == Kind::kAwsInline || GetParam() == Kind::kAwsS3; }
  int64_t now() const { return clock.seconds(); }

  StoredRecord record(int n, std::string body = "the body", int64_t expires_in = 100,
                      int64_t purge_in = 1000) {
    StoredRecord r;
    r.id = id_of(n);
    r.expires = now() + expires_in;
    r.purge_at = now() + purge_in;
    r.head = "head of " + std::to_string(n);
    r.body = std::move(body);
    return r;
  }
  std::optional<StoredRecord> get(int n) {
    auto got = store->get(id_of(n));
    EXPECT_TRUE(got) << got.status().to_string();
    return got ? *got : std::nullopt;
  }
  void put(const StoredRecord& r) {
    Status s = store->put(r);
    ASSERT_TRUE(s) << s.to_string();
  }

  testing::TempDir dir;
  testing::ManualClock clock;
  std::unique_ptr<testing::AwsTestStack> stack;
  std::shared_ptr<Store> store;
};

void expect_same(const StoredRecord& got, const StoredRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.expires, want.expires);
  EXPECT_EQ(got.purge_at, want.purge_at);
  EXPECT_EQ(got.head, want.head);
  EXPECT_EQ(got.body, want.body);
}

TEST_P(StoreContractTest, GetOfAnIdNeverPutIsNoRecord) {
  EXPECT_EQ(get(1), std::nullopt);
}

TEST_P(StoreContractTest, PutThenGetGivesTheRecordBack) {
  // Empty, one byte, binary with NULs, and larger than every inline limit in this file.
  const std::vector<std::string> bodies = {"", "x", std::string("\0\x01\xff\0", 4),
                                           std::string(70000, 'b')};
  for (size_t i = 0; i < bodies.size(); ++i) {
    SCOPED_TRACE("body of " + std::to_string(bodies[i].size()) + " bytes");
    StoredRecord r = record(static_cast<int>(i), bodies[i]);
    put(r);
    auto got = get(static_cast<int>(i));
    ASSERT_TRUE(got.has_value());
    expect_same(*got, r);
  }
}

TEST_P(StoreContractTest, PutOverAnExistingRecordReplacesEveryPart) {
  put(record(1, std::string(5000, 'o')));
  StoredRecord newer = record(1, "new", 7, 70);
  newer.head = "new head";
  put(newer);
  auto got = get(1);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, newer);
  // A body that goes away with the replacement stays away.
  StoredRecord bodiless = record(1, "", 8, 80);
  put(bodiless);
  got = get(1);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, bodiless);
}

TEST_P(StoreContractTest, TouchSetsBothTimesAndKeepsBothParts) {
  StoredRecord r = record(1, std::string(3000, 't'));
  put(r);
  ASSERT_TRUE(store->touch(r.id, now() + 5, now() + 50));
  auto got = get(1);
  ASSERT_TRUE(got.has_value());
  r.expires = now() + 5;
  r.purge_at = now() + 50;
  expect_same(*got, r);
}

TEST_P(StoreContractTest, TouchOfAMissingRecordIsNotFound) {
  put(record(2));
  EXPECT_EQ(store->touch(id_of(1), now() + 5, now() + 50).code(), Code::kNotFound);
  EXPECT_EQ(get(1), std::nullopt);  // and makes none
}

TEST_P(StoreContractTest, ReplaceHeadKeepsTheBody) {
  StoredRecord r = record(1, std::string(3000, 'r'));
  put(r);
  ASSERT_TRUE(store->replace_head(r.id, "a longer head than before", now() + 6, now() + 60));
  auto got = get(1);
  ASSERT_TRUE(got.has_value());
  r.head = "a longer head than before";
  r.expires = now() + 6;
  r.purge_at = now() + 60;
  expect_same(*got, r);
}

TEST_P(StoreContractTest, ReplaceHeadOfAMissingRecordIsNotFound) {
  EXPECT_EQ(store->replace_head(id_of(1), "head", now() + 5, now() + 50).code(), Code::kNotFound);
  EXPECT_EQ(get(1), std::nullopt);
}

TEST_P(StoreContractTest, EraseRemovesOnlyThatRecord) {
  put(record(1, std::string(3000, 'e')));
  put(record(2));
  ASSERT_TRUE(store->erase(id_of(1)));
  EXPECT_EQ(get(1), std::nullopt);
  EXPECT_TRUE(get(2).has_value());
  EXPECT_TRUE(store->erase(id_of(1)));  // erasing what is gone is not an error
  EXPECT_TRUE(store->erase(id_of(3)));
}

// A store never looks inside the parts: whatever bytes a record holds, even ones that would not
// open (a corrupted or foreign record), come back byte for byte; judging them is the cache's job.
TEST_P(StoreContractTest, PartsOfAnyBytesComeBackByteForByte) {
  StoredRecord r = record(1, std::string("\xff\xfe\0body\0\x80", 10));
  r.head = std::string("\0", 1);  // the shortest head there is, and a NUL
  put(r);
  auto got = get(1);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, r);
  StoredRecord garbage = record(2, std::string(4096, '\0'));
  garbage.head = std::string(300, '\xff');
  put(garbage);
  got = get(2);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, garbage);
}

// The conditional writes (touch, replace_head) act on the record as it is now, never on the one
// a caller read before: a writer that replaced the record in between is not undone.
TEST_P(StoreContractTest, ReplaceHeadAfterAnotherPutKeepsTheNewerBody) {
  put(record(1, std::string(3000, 'o')));
  StoredRecord newer = record(1, std::string(2000, 'n'));
  newer.head = "newer head";
  put(newer);  // another process refreshed the entry meanwhile
  ASSERT_TRUE(store->replace_head(id_of(1), "head of a 304 to the old", now() + 9, now() + 90));
  auto got = get(1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, newer.body) << "the older body is never brought back";
  EXPECT_EQ(got->head, "head of a 304 to the old");
}

TEST_P(StoreContractTest, TouchAndReplaceHeadAfterAnotherEraseBringNothingBack) {
  put(record(1, std::string(3000, 'x')));
  ASSERT_TRUE(store->erase(id_of(1)));  // another process purged it meanwhile
  EXPECT_EQ(store->touch(id_of(1), now() + 5, now() + 50).code(), Code::kNotFound);
  EXPECT_EQ(store->replace_head(id_of(1), "h", now() + 5, now() + 50).code(), Code::kNotFound);
  EXPECT_EQ(get(1), std::nullopt);
}

// The purge rule at its second: a record is gone from its purge time on, for every operation
// that reads or changes it, though its expiry says nothing about that.
TEST_P(StoreContractTest, ARecordIsGoneFromItsPurgeSecondOn) {
  put(record(1, "b", /*expires_in=*/-50, /*purge_in=*/10));
  clock.advance(std::chrono::seconds(9));
  ASSERT_TRUE(get(1).has_value()) << "a second before its purge time, an expired record is kept";
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(get(1), std::nullopt) << "at its purge time";
  EXPECT_EQ(store->touch(id_of(1), now() + 100, now() + 1000).code(), Code::kNotFound);
  EXPECT_EQ(store->replace_head(id_of(1), "h", now() + 100, now() + 1000).code(), Code::kNotFound);
  clock.advance(std::chrono::seconds(-1));
  EXPECT_TRUE(get(1).has_value()) << "the failed touch and replace_head changed nothing";
}

TEST_P(StoreContractTest, TouchCanMoveThePurgeTimeEitherWay) {
  put(record(1));
  ASSERT_TRUE(store->touch(id_of(1), now(), now() + 1));
  EXPECT_TRUE(get(1).has_value());
  ASSERT_TRUE(store->touch(id_of(1), now(), now()));
  EXPECT_EQ(get(1), std::nullopt);
}

TEST_P(StoreContractTest, SweepDeletesWhatIsAtOrPastItsPurgeTime) {
  put(record(1, "past", -20, -1));
  put(record(2, std::string(3000, 'n'), -20, 0));  // purge time exactly now
  put(record(3, "later", -20, 1));
  auto swept = store->sweep(now());
  ASSERT_TRUE(swept) << swept.status().to_string();
  auto stats = store->stats(now());
  ASSERT_TRUE(stats) << stats.status().to_string();
  if (is_aws()) {
    // DynamoDB's TTL and the bucket's lifecycle rule purge the shared store, not the client.
    EXPECT_EQ(*swept, 0u);
    EXPECT_EQ(stats->entries, 3u);
  } else {
    EXPECT_EQ(*swept, 2u);
    EXPECT_EQ(stats->entries, 1u);
    EXPECT_EQ(store->sweep(now()).value(), 0u);
  }
  EXPECT_TRUE(get(3).has_value());
}

TEST_P(StoreContractTest, StatsCountExpiredAndPurgeableAtTheirSecond) {
  put(record(1, "aaaa", -1, -1));                // expired and purgeable
  put(record(2, "bbbbbbbb", 0, 0));              // both exactly now: counted as both
  put(record(3, std::string(3000, 'c'), 0, 1));  // expired, purgeable a second later
  put(record(4, "", 1, 2));                      // neither
  put(record(5, "e", 50, 100));                  // neither: three of five are not purgeable
  auto stats = store->stats(now());
  ASSERT_TRUE(stats) << stats.status().to_string();
  EXPECT_EQ(stats->entries, 5u);
  EXPECT_EQ(stats->expired_entries, 3u);
  EXPECT_EQ(stats->purgeable_entries, 2u);
  uint64_t bytes = 0;
  for (int n = 1; n <= 5; ++n) {
    StoredRecord r = record(n);
    bytes += r.head.size();
  }
  bytes += 4 + 8 + 3000 + 1;
  EXPECT_EQ(stats->bytes, bytes);
}

TEST_P(StoreContractTest, ListGivesEachRecordsTimesAndSize) {
  StoredRecord small = record(1, "12345", 10, 20);
  StoredRecord large = record(2, std::string(4000, 'l'), 30, 40);
  StoredRecord bodiless = record(3, "", 50, 60);
  for (const auto& r : {small, large, bodiless}) put(r);
  auto listed = store->list(10);
  ASSERT_TRUE(listed) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 3u);
  for (const auto& want : {small, large, bodiless}) {
    auto it = std::find_if(listed->begin(), listed->end(),
                           [&](const EntryInfo& e) { return e.id == want.id; });
    ASSERT_NE(it, listed->end()) << want.id;
    EXPECT_EQ(it->expires, want.expires);
    EXPECT_EQ(it->purge_at, want.purge_at);
    EXPECT_EQ(it->size, want.size()) << want.id;
  }
}

TEST_P(StoreContractTest, ListStopsAtItsLimit) {
  for (int n = 1; n <= 5; ++n) put(record(n));
  for (size_t limit : {size_t{0}, size_t{1}, size_t{4}, size_t{5}, size_t{6}}) {
    auto listed = store->list(limit);
    ASSERT_TRUE(listed) << listed.status().to_string();
    EXPECT_EQ(listed->size(), std::min<size_t>(limit, 5)) << "limit " << limit;
  }
}

TEST_P(StoreContractTest, ListPutsTheMostRecentlyUsedFirst) {
  // An hour between steps: the local store records a use at a granularity of seconds.
  for (int n = 1; n <= 3; ++n) {
    put(record(n, "b", 100000, 100000));
    clock.advance(std::chrono::hours(1));
  }
  ASSERT_TRUE(get(1).has_value());  // a read is a use
  clock.advance(std::chrono::hours(1));
  auto listed = store->list(3);
  ASSERT_TRUE(listed) << listed.status().to_string();
  std::vector<std::string> order;
  for (const EntryInfo& e : *listed) order.push_back(e.id);
  if (is_aws()) {
    // A DynamoDB Scan lists in the table's order, which the contract allows: every record, once.
    std::sort(order.begin(), order.end());
    EXPECT_EQ(order, (std::vector<std::string>{id_of(1), id_of(2), id_of(3)}));
    return;
  }
  EXPECT_EQ(order, (std::vector<std::string>{id_of(1), id_of(3), id_of(2)}));
  auto first_two = store->list(2);
  ASSERT_TRUE(first_two);
  ASSERT_EQ(first_two->size(), 2u);
  EXPECT_EQ((*first_two)[0].id, id_of(1));
  EXPECT_EQ((*first_two)[1].id, id_of(3));
}

// EntryInfo::last_access: the second of the last put or get, to the store's granularity (the
// local store records a use only when the last is a minute old); the shared store keeps none.
TEST_P(StoreContractTest, ListGivesTheSecondOfTheLastUse) {
  const int64_t put_at = now();
  put(record(1, "b", 100000, 100000));
  clock.advance(std::chrono::hours(2));
  auto listed = store->list(1);
  ASSERT_TRUE(listed && listed->size() == 1u);
  EXPECT_EQ((*listed)[0].last_access, is_aws() ? 0 : put_at);
  ASSERT_TRUE(get(1).has_value());
  listed = store->list(1);
  ASSERT_TRUE(listed && listed->size() == 1u);
  EXPECT_EQ((*listed)[0].last_access, is_aws() ? 0 : now());
}

TEST_P(StoreContractTest, ClearDeletesEveryRecordAndCountsThem) {
  for (int n = 1; n <= 3; ++n) put(record(n, std::string(static_cast<size_t>(n) * 2000, 'c')));
  auto cleared = store->clear();
  if (is_aws()) {
    // Other applications' entries share the table: the shared store refuses.
    EXPECT_EQ(cleared.status().code(), Code::kInvalidArgument);
    EXPECT_TRUE(get(1).has_value());
    return;
  }
  ASSERT_TRUE(cleared) << cleared.status().to_string();
  EXPECT_EQ(*cleared, 3u);
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(get(n), std::nullopt);
  EXPECT_EQ(store->stats(now()).value().entries, 0u);
  EXPECT_EQ(store->clear().value(), 0u);
}

// --- compare-and-set of touch and replace_head ---

TEST_P(StoreContractTest, TouchWithTheExpiryItReadChangesTheTimes) {
  StoredRecord r = record(1);
  put(r);
  ASSERT_TRUE(store->touch(r.id, now() + 500, now() + 900, r.expires));
  EXPECT_EQ(get(1)->expires, now() + 500);
  EXPECT_EQ(get(1)->purge_at, now() + 900);
}

TEST_P(StoreContractTest, TouchAfterAnotherWriterMovedTheExpiryIsAConflictAndChangesNothing) {
  StoredRecord r = record(1);
  put(r);
  ASSERT_TRUE(store->touch(r.id, now() + 500, now() + 900));  // the other writer
  Status late = store->touch(r.id, now() + 50, now() + 90, r.expires);
  EXPECT_EQ(late.code(), Code::kConflict) << late.to_string();
  EXPECT_EQ(get(1)->expires, now() + 500);
  EXPECT_EQ(get(1)->purge_at, now() + 900);
}

TEST_P(StoreContractTest, ReplaceHeadAfterAnotherWriterIsAConflictAndKeepsTheirRecord) {
  StoredRecord r = record(1, "first body");
  put(r);
  StoredRecord theirs = record(1, "their body", 300, 2000);
  theirs.head = "their head";
  put(theirs);
  Status late = store->replace_head(r.id, "my head", now() + 50, now() + 90, r.expires);
  EXPECT_EQ(late.code(), Code::kConflict) << late.to_string();
  expect_same(*get(1), theirs);
  ASSERT_TRUE(store->replace_head(r.id, "my head", now() + 50, now() + 90, theirs.expires));
  EXPECT_EQ(get(1)->head, "my head");
  EXPECT_EQ(get(1)->body, "their body");
}

TEST_P(StoreContractTest, ACompareAndSetOnAMissingOrPurgedRecordIsNotFound) {
  EXPECT_EQ(store->touch(id_of(1), now() + 5, now() + 9, now()).code(), Code::kNotFound);
  EXPECT_EQ(store->replace_head(id_of(1), "h", now() + 5, now() + 9, now()).code(),
            Code::kNotFound);
  StoredRecord r = record(2, "body", 10, 20);
  put(r);
  clock.advance(std::chrono::seconds(20));  // at its purge second
  EXPECT_EQ(store->touch(r.id, now() + 5, now() + 9, r.expires).code(), Code::kNotFound);
}

// --- refresh leases ---

// Lease times are milliseconds from the test clock's now (t), as a cache would give them.
bool lease(Store& store, int n, const char* holder, int64_t until_ms, int64_t now_ms) {
  auto granted = store.try_lease(id_of(n), holder, until_ms, now_ms);
  EXPECT_TRUE(granted) << granted.status().to_string();
  return granted && *granted;
}

TEST_P(StoreContractTest, ALeaseIsGrantedToOneTakerUntilItEnds) {
  const int64_t t = now() * 1000;
  EXPECT_TRUE(lease(*store, 1, "a", t + 5000, t + 1000));
  EXPECT_FALSE(lease(*store, 1, "b", t + 6000, t + 1000));
  EXPECT_FALSE(lease(*store, 1, "b", t + 6000, t + 4999));  // its last millisecond
  EXPECT_TRUE(lease(*store, 1, "b", t + 9000, t + 5000));   // ended: taken over
  EXPECT_FALSE(lease(*store, 1, "a", t + 9000, t + 5001));  // the first holder lost it
}

TEST_P(StoreContractTest, TheHolderRenewsItsOwnLease) {
  const int64_t t = now() * 1000;
  EXPECT_TRUE(lease(*store, 1, "a", t + 5000, t + 1000));
  EXPECT_TRUE(lease(*store, 1, "a", t + 8000, t + 2000));
  EXPECT_FALSE(lease(*store, 1, "b", t + 9000, t + 6000));  // the renewed end holds
}

TEST_P(StoreContractTest, ReleaseFreesTheLeaseOnlyForItsHolder) {
  const int64_t t = now() * 1000;
  EXPECT_TRUE(lease(*store, 1, "a", t + 5000, t + 1000));
  ASSERT_TRUE(store->release_lease(id_of(1), "b"));  // not b's: nothing happens
  EXPECT_FALSE(lease(*store, 1, "b", t + 5000, t + 1000));
  ASSERT_TRUE(store->release_lease(id_of(1), "a"));
  EXPECT_TRUE(lease(*store, 1, "b", t + 5000, t + 1000));
  ASSERT_TRUE(store->release_lease(id_of(2), "a"));  // no lease at all: fine
}

TEST_P(StoreContractTest, LeasesOfTwoIdsAreIndependentAndAreNotEntries) {
  const int64_t t = now() * 1000;
  EXPECT_TRUE(lease(*store, 1, "a", t + 5000, t + 1000));
  EXPECT_TRUE(lease(*store, 2, "b", t + 5000, t + 1000));
  EXPECT_EQ(get(1), std::nullopt);
  EXPECT_TRUE(store->list(10).value().empty());
  EXPECT_EQ(store->stats(now()).value().entries, 0u);
  put(record(1));
  EXPECT_TRUE(get(1).has_value());
  EXPECT_EQ(store->list(10).value().size(), 1u);
  EXPECT_FALSE(lease(*store, 1, "c", t + 5000, t + 1000));  // a write does not end the lease
}

TEST_P(StoreContractTest, ALeaseOnAnInvalidIdIsRefused) {
  const int64_t t = now() * 1000;
  auto granted = store->try_lease("not-an-id", "a", t + 5000, t + 1000);
  if (GetParam() == Kind::kMemory) {
    GTEST_SKIP() << "the memory store takes any id (it never makes a path or a key of it)";
  }
  EXPECT_EQ(granted.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreContractTest,
                         ::testing::Values(Kind::kMemory, Kind::kLocalInline, Kind::kLocalBlob,
                                           Kind::kAwsInline, Kind::kAwsS3),
                         [](const auto& param_info) { return kind_name(param_info.param); });

}  // namespace
}  // namespace cachedata
