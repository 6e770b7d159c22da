// The shared store (src/store/aws_store.*) against the real local servers: DynamoDB Local (AWS's
// own emulator) and s3rver, started by scripts/test-servers.sh. Where an entry lands (item or
// item + S3 object), the 400 KB guard, a deleted or tampered object (a miss, never an error),
// client-side expiry, head replacement without touching the object, isolation between
// applications and instances sharing one table and bucket, a store that stops answering, and
// purge_ts written as DynamoDB's TTL sweeper needs it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>

#include "aws/dynamodb_client.hpp"
#include "aws/s3_client.hpp"
#include "base/hex.hpp"
#include "cachedata/cache.hpp"
#include "crypto/sha256.hpp"
#include "store/aws_store.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_support.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

using aws::Json;
using testing::AwsTestServer;
using testing::local_config;
using testing::unique_name;
namespace attr = aws::attr;

std::string id_for(int n) {
  std::string id = std::to_string(n);
  return std::string(64 - id.size(), 'a') + id;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class AwsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, dynamodb_endpoint);
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, s3_endpoint);
    ddb = std::make_shared<aws::DynamoDbClient>(
        local_config(aws::Service::kDynamoDb, dynamodb_endpoint));
    s3 = std::make_shared<aws::S3Client>(local_config(aws::Service::kS3, s3_endpoint));
    table = unique_name("cachedata-store");
    bucket = unique_name("cachedata-store");
    aws::TableSpec spec;
    spec.name = table;
    spec.hash_key = "id_hash";
    ASSERT_TRUE(ddb->create_table(spec));
    ASSERT_TRUE(ddb->wait_until_active(table, std::chrono::seconds(20)));
    ASSERT_TRUE(s3->create_bucket(bucket));
    store_options.table = table;
    store_options.bucket = bucket;
    store = store::open_aws_store(store_options, ddb, s3).value();
    ready = true;
  }

  StoredRecord record(int n, std::string body, int64_t expires_in = 300) {
    StoredRecord r;
    r.id = id_for(n);
    r.expires = unix_now() + expires_in;
    r.purge_at = r.expires + 3600;
    r.head = "head of " + std::to_string(n);
    r.body = std::move(body);
    return r;
  }

  Json item_by_id(const std::string& id) {
    auto got = ddb->get_item(table, Json{{"id_hash", attr::S(id)}});
    return got && got->has_value() ? **got : Json();
  }
  Json item(int n) { return item_by_id(id_for(n)); }

  // A Cache on this table and bucket, as an application instance configures it.
  std::unique_ptr<Cache> cache_with(const DataKey& key, const std::string& instance) {
    Config config;
    config.store = Config::StoreKind::kCustom;
    config.custom_store =
        std::shared_ptr<Store>(store::open_aws_store(store_options, ddb, s3).value());
    config.keys = {key};
    config.instance_id = instance;
    config.memory_max_bytes = 0;  // every get reads the shared store
    config.log_level = LogLevel::kOff;
    return Cache::open(config).value();
  }

  bool ready = false;
  std::shared_ptr<aws::DynamoDbClient> ddb;
  std::shared_ptr<aws::S3Client> s3;
  std::string table, bucket;
  store::AwsStoreOptions store_options;
  std::unique_ptr<Store> store;
};

TEST_F(AwsStoreTest, SmallEntryLandsInDynamoDbOnly) {
  ASSERT_TRUE(store->put(record(1, "small body")));
  Json stored = item(1);
  EXPECT_EQ(attr::get_b(stored, "body"), "small body");
  EXPECT_EQ(attr::get_b(stored, "head"), "head of 1");
  EXPECT_FALSE(attr::get_s(stored, "s3_key").has_value());
  EXPECT_TRUE(attr::get_n(stored, "expires").has_value());
  EXPECT_EQ(*attr::get_n(stored, "purge_ts"), *attr::get_n(stored, "expires") + 3600);
  EXPECT_EQ(s3->head_object(bucket, "cache/" + id_for(1)).status().code(), Status::Code::kNotFound);
  auto got = store->get(id_for(1));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, "small body");
  EXPECT_EQ((*got)->head, "head of 1");
}

TEST_F(AwsStoreTest, LargeEntryGoesToS3WithAPointer) {
  std::string body(50'000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(store->put(record(2, body)));
  Json stored = item(2);
  EXPECT_FALSE(attr::get_b(stored, "body").has_value());
  EXPECT_EQ(attr::get_s(stored, "s3_key"), "cache/" + id_for(2));
  EXPECT_EQ(attr::get_n(stored, "body_size"), 50'000);
  EXPECT_EQ(attr::get_s(stored, "body_sha256")->size(), 64u);
  auto object = s3->get_object(bucket, "cache/" + id_for(2));
  ASSERT_TRUE(object) << object.status().to_string();
  EXPECT_EQ(object->body, body);
  auto got = store->get(id_for(2));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, body);
}

TEST_F(AwsStoreTest, HeadThatWouldExceedTheItemLimitIsTooLarge) {
  StoredRecord r = record(3, "body");
  r.head = std::string(410 * 1024, 'h');
  EXPECT_EQ(store->put(r).code(), Status::Code::kTooLarge);
  EXPECT_FALSE(ddb->get_item(table, Json{{"id_hash", attr::S(id_for(3))}})->has_value());
  store::AwsStoreOptions too_big = store_options;
  too_big.inline_max_bytes = 500 * 1024;
  EXPECT_EQ(store::open_aws_store(too_big, ddb, s3).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(AwsStoreTest, DeletedS3ObjectIsAMissNotAnError) {
  ASSERT_TRUE(store->put(record(4, std::string(20'000, 'x'))));
  ASSERT_TRUE(s3->delete_object(bucket, "cache/" + id_for(4)));
  auto got = store->get(id_for(4));
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
}

TEST_F(AwsStoreTest, TamperedS3ObjectIsAMiss) {
  ASSERT_TRUE(store->put(record(5, std::string(20'000, 'x'))));
  ASSERT_TRUE(s3->put_object(bucket, "cache/" + id_for(5), std::string(20'000, 'y')));
  auto got = store->get(id_for(5));
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
}

// Records what a store streams to it, as the cache's EntryStreamOpener would receive it.
struct RecordingSink : BodySink {
  bool begin(const StoredRecord& record, uint64_t size) override {
    began = true;
    head = record.head;
    announced = size;
    return accept_begin;
  }
  bool write(std::string_view bytes) override {
    ++writes;
    body.append(bytes);
    return writes < stop_after_writes;
  }
  bool accept_begin = true;
  size_t stop_after_writes = SIZE_MAX;
  bool began = false;
  std::string head, body;
  uint64_t announced = 0;
  size_t writes = 0;
};

TEST_F(AwsStoreTest, StreamedGetHandsTheS3BodyToTheSinkAsItArrives) {
  std::string body(600'000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 13);
  ASSERT_TRUE(store->put(record(20, body)));
  RecordingSink sink;
  auto got = store->get_streaming(id_for(20), sink);
  ASSERT_TRUE(got && got->has_value()) << got.status().to_string();
  EXPECT_TRUE(sink.began);
  EXPECT_EQ(sink.head, "head of 20");
  EXPECT_EQ(sink.announced, body.size());
  EXPECT_TRUE(sink.body == body);
  EXPECT_GT(sink.writes, 1u);
  EXPECT_TRUE((*got)->body.empty());
  EXPECT_EQ((*got)->head, "head of 20");

  // An inline body is not streamed: the record carries it and the sink is untouched.
  ASSERT_TRUE(store->put(record(21, "small")));
  RecordingSink unused;
  auto small = store->get_streaming(id_for(21), unused);
  ASSERT_TRUE(small && small->has_value());
  EXPECT_FALSE(unused.began);
  EXPECT_EQ((*small)->body, "small");
}

TEST_F(AwsStoreTest, StreamedGetSkipsTheObjectWhenTheSinkDeclinesIt) {
  ASSERT_TRUE(store->put(record(22, std::string(200'000, 'z'))));
  RecordingSink declines;
  declines.accept_begin = false;  // say, a head that does not open
  auto got = store->get_streaming(id_for(22), declines);
  ASSERT_TRUE(got && got->has_value()) << got.status().to_string();
  EXPECT_EQ(declines.writes, 0u);
  EXPECT_TRUE((*got)->body.empty());

  RecordingSink stops;
  stops.stop_after_writes = 1;  // say, a part header naming another write
  auto stopped = store->get_streaming(id_for(22), stops);
  ASSERT_TRUE(stopped && stopped->has_value()) << stopped.status().to_string();
  EXPECT_EQ(stops.writes, 1u);
}

TEST_F(AwsStoreTest, StreamedGetOfATamperedOrDeletedS3ObjectIsAMiss) {
  ASSERT_TRUE(store->put(record(23, std::string(20'000, 'x'))));
  ASSERT_TRUE(s3->put_object(bucket, "cache/" + id_for(23), std::string(20'000, 'y')));
  RecordingSink tampered;
  auto got = store->get_streaming(id_for(23), tampered);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());  // the hash check after the last byte: whatever the sink saw

  ASSERT_TRUE(s3->delete_object(bucket, "cache/" + id_for(23)));
  RecordingSink deleted;
  auto gone = store->get_streaming(id_for(23), deleted);
  ASSERT_TRUE(gone) << gone.status().to_string();
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(deleted.writes, 0u);
}

// Items of another layout or damaged under our id (the table is shared, and any application
// with write access may write any item): each missing or wrong attribute makes the entry a miss,
// never an error and never a record with a made-up part. Both reads: get() and get_streaming().
TEST_F(AwsStoreTest, AnItemMissingOrMisstatingAnyAttributeIsAMiss) {
  const std::string body(20'000, 'b');
  ASSERT_TRUE(store->put(record(40, body)));  // in S3
  ASSERT_TRUE(store->put(record(41, "inline")));
  const Json s3_item = item(40);
  const Json inline_item = item(41);
  ASSERT_TRUE(s3_item.contains("s3_key"));
  struct Damage {
    const char* what;
    const Json* base;
    std::function<void(Json&)> apply;
  };
  const std::vector<Damage> damages = {
      {"no expires", &inline_item, [](Json& i) { i.erase("expires"); }},
      {"no purge_ts", &inline_item, [](Json& i) { i.erase("purge_ts"); }},
      {"no head", &inline_item, [](Json& i) { i.erase("head"); }},
      {"an empty head", &inline_item, [](Json& i) { i["head"] = attr::B(""); }},
      {"no body_size", &s3_item, [](Json& i) { i.erase("body_size"); }},
      {"no body_sha256", &s3_item, [](Json& i) { i.erase("body_sha256"); }},
      {"a negative body_size", &s3_item, [](Json& i) { i["body_size"] = attr::N(-1); }},
      {"a body_size one more", &s3_item,
       [&](Json& i) { i["body_size"] = attr::N(static_cast<int64_t>(body.size()) + 1); }},
      {"a body_size one less", &s3_item,
       [&](Json& i) { i["body_size"] = attr::N(static_cast<int64_t>(body.size()) - 1); }},
      {"another body's sha256", &s3_item,
       [](Json& i) { i["body_sha256"] = attr::S(std::string(64, '0')); }},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.what);
    Json damaged = *d.base;
    d.apply(damaged);
    ASSERT_TRUE(ddb->put_item(table, damaged));
    const std::string id = attr::get_s(damaged, "id_hash").value();
    auto got = store->get(id);
    ASSERT_TRUE(got) << got.status().to_string();
    EXPECT_FALSE(got->has_value());
    RecordingSink sink;
    auto streamed = store->get_streaming(id, sink);
    ASSERT_TRUE(streamed) << streamed.status().to_string();
    EXPECT_FALSE(streamed->has_value());
    ASSERT_TRUE(ddb->put_item(table, *d.base));  // the undamaged item reads again
    ASSERT_TRUE(store->get(id)->has_value());
  }
}

// A store configured without a bucket (small entries only) on a table where another instance
// spilled a body to S3: the pointer leads nowhere it may read, so the entry is a miss.
TEST_F(AwsStoreTest, AStoreWithoutABucketReadsAnS3PointerAsAMiss) {
  ASSERT_TRUE(store->put(record(44, std::string(20'000, 'b'))));
  store::AwsStoreOptions no_bucket = store_options;
  no_bucket.bucket.clear();
  auto small_only = store::open_aws_store(no_bucket, ddb, nullptr);
  ASSERT_TRUE(small_only) << small_only.status().to_string();
  auto got = (*small_only)->get(id_for(44));
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
  RecordingSink sink;
  auto streamed = (*small_only)->get_streaming(id_for(44), sink);
  ASSERT_TRUE(streamed) << streamed.status().to_string();
  EXPECT_FALSE(streamed->has_value());
  EXPECT_FALSE(sink.began);
}

// The object's bytes replaced by others of the same size: only the hash tells, after the last
// byte, whatever the sink was handed.
TEST_F(AwsStoreTest, AStreamedObjectOfTheRightSizeButOtherBytesIsAMiss) {
  ASSERT_TRUE(store->put(record(42, std::string(20'000, 'x'))));
  std::string other(20'000, 'x');
  other[10'000] = 'y';
  ASSERT_TRUE(s3->put_object(bucket, "cache/" + id_for(42), other));
  RecordingSink sink;
  auto got = store->get_streaming(id_for(42), sink);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(sink.body.size(), 20'000u);
}

// The store never writes an object for an empty body, but an item that points at an empty
// object whose size and hash it names is a whole entry: the reader does not assume.
TEST_F(AwsStoreTest, AnItemPointingAtAnEmptyObjectItNamesIsAHit) {
  ASSERT_TRUE(store->put(record(43, std::string(20'000, 'e'))));
  ASSERT_TRUE(s3->put_object(bucket, "cache/" + id_for(43), ""));
  Json item_43 = item(43);
  item_43["body_size"] = attr::N(0);
  item_43["body_sha256"] = attr::S(base::to_hex(crypto::sha256("")));
  ASSERT_TRUE(ddb->put_item(table, item_43));
  auto got = store->get(id_for(43));
  ASSERT_TRUE(got && got->has_value()) << got.status().to_string();
  EXPECT_EQ((*got)->body, "");
  RecordingSink sink;
  auto streamed = store->get_streaming(id_for(43), sink);
  ASSERT_TRUE(streamed && streamed->has_value()) << streamed.status().to_string();
  EXPECT_TRUE(sink.began);
  EXPECT_EQ(sink.announced, 0u);
  EXPECT_EQ(sink.body, "");
}

// Another application's item of another layout in the shared table: listed with what it has.
TEST_F(AwsStoreTest, ListShowsAForeignItemWithZeroTimesAndSize) {
  ASSERT_TRUE(ddb->put_item(table, Json{{"id_hash", attr::S("someone-else")}}));
  auto listed = store->list(10);
  ASSERT_TRUE(listed) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, "someone-else");
  EXPECT_EQ((*listed)[0].expires, 0);
  EXPECT_EQ((*listed)[0].purge_at, 0);
  EXPECT_EQ((*listed)[0].size, 0u);
}

TEST_F(AwsStoreTest, EntryPastPurgeTimeIsAMissBeforeTtlDeletesIt) {
  StoredRecord r = record(6, "body", -7200);  // expired 2 h ago, purge time 1 h ago
  ASSERT_TRUE(store->put(r));
  EXPECT_TRUE(ddb->get_item(table, Json{{"id_hash", attr::S(id_for(6))}})->has_value());
  EXPECT_FALSE(store->get(id_for(6))->has_value());
  EXPECT_EQ(store->touch(id_for(6), unix_now() + 60, unix_now() + 120).code(),
            Status::Code::kNotFound);
}

TEST_F(AwsStoreTest, ReplaceHeadKeepsTheS3ObjectAndTouchKeepsTheHead) {
  ASSERT_TRUE(store->put(record(7, std::string(30'000, 'b'))));
  const std::string etag = s3->head_object(bucket, "cache/" + id_for(7))->etag;
  const int64_t later = unix_now() + 900;
  ASSERT_TRUE(store->replace_head(id_for(7), "new head", later, later + 3600));
  auto got = store->get(id_for(7));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->head, "new head");
  EXPECT_EQ((*got)->body, std::string(30'000, 'b'));
  EXPECT_EQ((*got)->expires, later);
  EXPECT_EQ(s3->head_object(bucket, "cache/" + id_for(7))->etag, etag);
  ASSERT_TRUE(store->touch(id_for(7), later + 10, later + 3610));
  EXPECT_EQ((*store->get(id_for(7)))->head, "new head");
  EXPECT_EQ(store->replace_head(id_for(99), "h", later, later).code(), Status::Code::kNotFound);
}

TEST_F(AwsStoreTest, EraseRemovesItemAndObjectAndClearIsRefused) {
  ASSERT_TRUE(store->put(record(8, std::string(30'000, 'e'))));
  ASSERT_TRUE(store->erase(id_for(8)));
  EXPECT_FALSE(store->get(id_for(8))->has_value());
  EXPECT_EQ(s3->head_object(bucket, "cache/" + id_for(8)).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store->clear().status().code(), Status::Code::kInvalidArgument);
}

TEST_F(AwsStoreTest, ListAndStatsSeeTheTable) {
  ASSERT_TRUE(store->put(record(9, "a")));
  ASSERT_TRUE(store->put(record(10, std::string(20'000, 'z'))));
  auto listed = store->list(10);
  ASSERT_TRUE(listed) << listed.status().to_string();
  EXPECT_EQ(listed->size(), 2u);
  auto stats = store->stats(unix_now());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->entries, 2u);
  EXPECT_GT(stats->bytes, 20'000u);
}

// Two applications (different keys) and two instances of one (same key, other instance id) on
// one table and bucket: none reads another's entry, even when an item is copied under its id.
TEST_F(AwsStoreTest, ApplicationsAndInstancesSharingOneTableNeverReadEachOther) {
  const DataKey app_a = DataKey::generate();
  const DataKey app_b = DataKey::generate();
  auto a_prod = cache_with(app_a, "prod");
  auto a_test = cache_with(app_a, "test");
  auto b_prod = cache_with(app_b, "prod");
  testing::CountingFetcher origin;
  origin.respond = [&](const Request&, const Validators&) {
    return testing::ok_response("answer " + std::to_string(origin.calls.load()));
  };
  Profile profile;
  const Request request = Request::get("https://api.example.com/v1/shared?large=1");
  EXPECT_EQ(a_prod->get(profile, request, origin.fetcher()).source_name(), "original");
  EXPECT_EQ(a_prod->get(profile, request, origin.fetcher()).source_name(), "cache");
  EXPECT_EQ(a_test->get(profile, request, origin.fetcher()).source_name(), "original");
  EXPECT_EQ(b_prod->get(profile, request, origin.fetcher()).source_name(), "original");
  EXPECT_EQ(origin.calls, 3);
  // Someone with write access to the table copies A's item under B's id: B never serves it.
  const std::string a_id = a_prod->id_of(profile, request).value();
  const std::string b_id = b_prod->id_of(profile, request).value();
  Json copied = item_by_id(a_id);
  copied["id_hash"] = attr::S(b_id);
  ASSERT_TRUE(ddb->put_item(table, copied));
  GetResult b_again = b_prod->get(profile, request, origin.fetcher());
  EXPECT_EQ(b_again.source_name(), "original");
  EXPECT_EQ(b_prod->stats().corrupt_entries, 1u);
}

// A socket that accepts connections and never answers: a store that has stopped responding.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(AwsStoreTest, StoreThatStopsAnsweringStillReturnsTheOriginAnswerWithinItsDeadline) {
  BlackHole hole;
  aws::ClientConfig dead = local_config(aws::Service::kDynamoDb, hole.url());
  dead.transport.timeout = std::chrono::milliseconds(400);
  dead.transport.max_attempts = 2;
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = std::shared_ptr<Store>(
      store::open_aws_store(store_options, std::make_shared<aws::DynamoDbClient>(dead), s3)
          .value());
  config.keys = {DataKey::generate()};
  config.memory_max_bytes = 0;
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  testing::CountingFetcher origin;
  origin.respond = [](const Request&, const Validators&) {
    return testing::ok_response("from the origin");
  };
  GetResult r = cache->get(Profile{}, Request::get("https://api.example.com/x"), origin.fetcher());
  EXPECT_EQ(r.source_name(), "original");
  EXPECT_EQ(r.body(), "from the origin");
  // One read and one write, each bounded by the 400 ms deadline (+ slack for a busy machine).
  EXPECT_LT(r.elapsed(), std::chrono::milliseconds(2500));
  EXPECT_EQ(cache->stats().store_read_errors, 1u);
  EXPECT_EQ(cache->stats().store_write_errors, 1u);
}

// DynamoDB Local runs TTL deletions like DynamoDB (only faster): an item past purge_ts goes.
// DynamoDB's TTL sweeper deletes an item only when its TTL attribute is a Number of epoch
// seconds (a String, or milliseconds, is never swept). The sweeper is DynamoDB's own, and runs
// up to days late, so this checks what the store writes for it; the store's own reads end an
// entry at purge_ts (EntryPastPurgeTimeIsAMissBeforeTtlDeletesIt and the boundary below).
TEST_F(AwsStoreTest, PurgeTsIsANumberOfEpochSecondsAsDynamoDbTtlRequires) {
  StoredRecord r = record(11, "body");
  ASSERT_TRUE(store->put(r));
  Json stored = item(11);
  ASSERT_TRUE(stored.contains("purge_ts") && stored["purge_ts"].contains("N")) << stored.dump();
  EXPECT_EQ(stored["purge_ts"]["N"], std::to_string(r.purge_at));
  ASSERT_TRUE(stored.contains("expires") && stored["expires"].contains("N")) << stored.dump();
  EXPECT_EQ(stored["expires"]["N"], std::to_string(r.expires));
}

TEST_F(AwsStoreTest, AnEntryEndsAtTheSecondOfItsPurgeTs) {
  int64_t now = unix_now();
  store_options.now_seconds = [&now] { return now; };
  auto clocked = store::open_aws_store(store_options, ddb, s3).value();
  StoredRecord r = record(12, "body");
  r.expires = now - 10;
  r.purge_at = now;
  ASSERT_TRUE(clocked->put(r));
  EXPECT_FALSE(clocked->get(id_for(12))->has_value()) << "read at exactly purge_ts";
  EXPECT_EQ(clocked->touch(id_for(12), now + 60, now + 120).code(), Status::Code::kNotFound);
  now -= 1;  // one second earlier the entry is still there, for reads and for touch
  auto got = clocked->get(id_for(12));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, "body");
  EXPECT_TRUE(clocked->touch(id_for(12), now + 60, now + 120));
  EXPECT_EQ(*attr::get_n(item(12), "purge_ts"), now + 120);
}

// DynamoDB returns a Scan in pages of at most 1 MB: list() follows LastEvaluatedKey through all of
// them, and its limit holds across pages.
TEST_F(AwsStoreTest, ListReadsEveryPageOfTheScan) {
  for (int i = 0; i < 130; ++i) {
    ASSERT_TRUE(store->put(record(100 + i, std::string(9000, 'p'))));  // 130 × 9 KB > 1 MB
  }
  auto listed = store->list(1000);
  ASSERT_TRUE(listed) << listed.status().to_string();
  std::set<std::string> ids;
  for (const EntryInfo& e : *listed) ids.insert(e.id);
  EXPECT_EQ(listed->size(), 130u);
  EXPECT_EQ(ids.size(), 130u);
  EXPECT_EQ(store->list(129)->size(), 129u);
  EXPECT_EQ(store->stats(unix_now())->entries, 130u);
}

// --- item sizes, the inline threshold and the item limit, at their exact boundaries ---

TEST(AwsStoreItemSizeTest, EachTypeCountsAsDynamoDbCountsIt) {
  using store::dynamodb_item_size;
  // S: name + UTF-8 bytes. B: name + decoded bytes (base64 padding is not data).
  EXPECT_EQ(dynamodb_item_size(Json{{"id_hash", attr::S("abc")}}), 7u + 3u);
  EXPECT_EQ(dynamodb_item_size(Json{{"b", attr::B("abc")}}), 1u + 3u);  // "YWJj"
  EXPECT_EQ(dynamodb_item_size(Json{{"b", attr::B("ab")}}), 1u + 2u);   // "YWI="
  EXPECT_EQ(dynamodb_item_size(Json{{"b", attr::B("a")}}), 1u + 1u);    // "YQ=="
  EXPECT_EQ(dynamodb_item_size(Json{{"b", attr::B("")}}), 1u + 0u);
  EXPECT_EQ(dynamodb_item_size(Json{{"b", attr::B(std::string(1000, 'x'))}}), 1u + 1000u);
  // N: one byte per two digits, plus two (an overestimate, never under DynamoDB's count).
  EXPECT_EQ(dynamodb_item_size(Json{{"n", attr::N(7)}}), 1u + 2u);
  EXPECT_EQ(dynamodb_item_size(Json{{"n", attr::N(12)}}), 1u + 3u);
  EXPECT_EQ(dynamodb_item_size(Json{{"n", attr::N(1765000000)}}), 1u + 7u);
  EXPECT_EQ(dynamodb_item_size(Json{{"t", attr::BOOL(true)}}), 1u + 1u);
  EXPECT_EQ(dynamodb_item_size(Json{{"z", Json{{"NULL", true}}}}), 1u + 1u);
  // M and L: three bytes, then per element its size plus one (and a member's name).
  Json map = Json{{"M", Json{{"ab", attr::S("xyz")}, {"c", attr::N(1)}}}};
  EXPECT_EQ(dynamodb_item_size(Json{{"m", map}}), 1u + 3u + (2 + 3 + 1) + (1 + 2 + 1));
  Json list = Json{{"L", Json::array({attr::S("xy"), attr::B("q")})}};
  EXPECT_EQ(dynamodb_item_size(Json{{"l", list}}), 1u + 3u + (2 + 1) + (1 + 1));
  // An M or L whose value has another shape, or an unknown type, counts its overhead only.
  EXPECT_EQ(dynamodb_item_size(Json{{"m", Json{{"M", "not a map"}}}}), 1u + 3u);
  EXPECT_EQ(dynamodb_item_size(Json{{"l", Json{{"L", Json{{"a", attr::S("x")}}}}}}), 1u + 3u);
  EXPECT_EQ(dynamodb_item_size(Json{{"u", Json{{"U", Json{{"a", attr::S("x")}}}}}}), 1u + 3u);
  // A value that is no attribute value counts nothing; names and values of several add up.
  EXPECT_EQ(dynamodb_item_size(Json{{"x", Json::object()}}), 1u);
  EXPECT_EQ(dynamodb_item_size(Json{{"x", 5}}), 1u);
  EXPECT_EQ(dynamodb_item_size(Json{{"a", attr::S("1")}, {"bb", attr::S("22")}}), 2u + 4u);
}

// The item the store writes for `r` with its body inline, as the store sizes it.
uint64_t inline_item_size(const StoredRecord& r) {
  return store::dynamodb_item_size(Json{{"id_hash", attr::S(r.id)},
                                        {"expires", attr::N(r.expires)},
                                        {"purge_ts", attr::N(r.purge_at)},
                                        {"head", attr::B(r.head)},
                                        {"body", attr::B(r.body)}});
}

TEST_F(AwsStoreTest, ABodyStaysInlineUpToExactlyTheInlineLimit) {
  StoredRecord r = record(13, std::string(500, 'i'));
  store::AwsStoreOptions exact = store_options;
  exact.inline_max_bytes = inline_item_size(r);
  auto at_limit = store::open_aws_store(exact, ddb, s3).value();
  ASSERT_TRUE(at_limit->put(r));
  EXPECT_EQ(attr::get_b(item(13), "body"), r.body) << "an item of exactly the limit stays inline";
  r.body.push_back('i');  // one byte over
  ASSERT_TRUE(at_limit->put(r));
  Json over = item(13);
  EXPECT_FALSE(attr::get_b(over, "body").has_value()) << over.dump();
  EXPECT_EQ(attr::get_s(over, "s3_key"), "cache/" + id_for(13));
  auto got = at_limit->get(id_for(13));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, r.body);
}

TEST(AwsStoreItemLimitTest, AHeadFillingExactly400KiBIsSentAndOneByteMoreIsRefused) {
  // A DynamoDB that is not there (a closed port): an item the store sends fails as unavailable;
  // one it refuses by size is too large before any call.
  aws::ClientConfig nowhere = testing::local_config(aws::Service::kDynamoDb, "http://127.0.0.1:1");
  nowhere.transport.max_attempts = 1;
  auto ddb = std::make_shared<aws::DynamoDbClient>(nowhere);
  store::AwsStoreOptions options;
  options.table = "t";
  auto store = store::open_aws_store(options, ddb, nullptr).value();
  StoredRecord r;
  r.id = id_for(14);
  r.expires = 1765000000;
  r.purge_at = 1765003600;
  r.head = "h";
  const uint64_t without_head = store::dynamodb_item_size(Json{{"id_hash", attr::S(r.id)},
                                                               {"expires", attr::N(r.expires)},
                                                               {"purge_ts", attr::N(r.purge_at)},
                                                               {"head", attr::B("")}});
  r.head = std::string(store::kDynamoDbItemLimit - without_head, 'h');
  Status at_limit = store->put(r);
  EXPECT_NE(at_limit.code(), Status::Code::kTooLarge) << at_limit.to_string();
  EXPECT_NE(at_limit.code(), Status::Code::kOk);  // there is no table to take it
  r.head.push_back('h');
  EXPECT_EQ(store->put(r).code(), Status::Code::kTooLarge);
}

// Arguments are checked before any call: a DynamoDB that is not there (a closed port) is never
// reached by them.
TEST(AwsStoreArgumentsTest, InvalidIdsAndEmptyHeadsAreRefusedByEveryOperation) {
  aws::ClientConfig nowhere = testing::local_config(aws::Service::kDynamoDb, "http://127.0.0.1:1");
  nowhere.transport.max_attempts = 1;
  store::AwsStoreOptions options;
  options.table = "t";
  auto store =
      store::open_aws_store(options, std::make_shared<aws::DynamoDbClient>(nowhere), nullptr)
          .value();
  using Code = Status::Code;
  for (const std::string& bad : {std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
                                 std::string(63, 'a') + "g", std::string()}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(store->get(bad).status().code(), Code::kInvalidArgument);
    StoredRecord r;
    r.id = bad;
    r.head = "h";
    EXPECT_EQ(store->put(r).code(), Code::kInvalidArgument);
    EXPECT_EQ(store->touch(bad, 1, 2).code(), Code::kInvalidArgument);
    EXPECT_EQ(store->replace_head(bad, "h", 1, 2).code(), Code::kInvalidArgument);
    EXPECT_EQ(store->erase(bad).code(), Code::kInvalidArgument);
  }
  // A long bad id is shown cut at 80 characters.
  const std::string shown(80, 'q');
  const std::string message = store->get(shown + std::string(20, '|')).status().message();
  EXPECT_NE(message.find("\"" + shown + "\""), std::string::npos) << message;
  EXPECT_EQ(message.find('|'), std::string::npos) << message;
  StoredRecord no_head;
  no_head.id = id_for(1);
  EXPECT_EQ(store->put(no_head).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->replace_head(id_for(1), "", 1, 2).code(), Code::kInvalidArgument);
  // A valid id reaches the (absent) table: unavailable, not a bad argument.
  EXPECT_NE(store->touch(id_for(1), 1, 2).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->sweep(0).value(), 0u);  // DynamoDB's TTL does it
  // A list of nothing asks nothing of the (absent) table.
  auto none = store->list(0);
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(store->list(1));
  EXPECT_EQ(store->describe(), "aws:table=t");
}

TEST(AwsStoreItemLimitTest, InlineLimitsUpTo300KiBAreAccepted) {
  auto ddb = std::make_shared<aws::DynamoDbClient>(
      testing::local_config(aws::Service::kDynamoDb, "http://127.0.0.1:1"));
  store::AwsStoreOptions options;
  options.table = "t";
  options.inline_max_bytes = store::kMaxInlineBytes;
  EXPECT_TRUE(store::open_aws_store(options, ddb, nullptr));
  options.inline_max_bytes = store::kMaxInlineBytes + 1;
  EXPECT_EQ(store::open_aws_store(options, ddb, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  options.inline_max_bytes = 10;
  options.table = "";
  EXPECT_EQ(store::open_aws_store(options, ddb, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  options.table = "t";
  options.bucket = "b";  // a bucket needs an S3 client
  EXPECT_EQ(store::open_aws_store(options, ddb, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store::open_aws_store(options, nullptr, nullptr).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(AwsStoreTest, ListAndStatsCountHeadAndBodyBytesAndTheirBoundaries) {
  StoredRecord small = record(15, std::string(20, 'a'), 100);  // head "head of 15": 10 bytes
  StoredRecord large = record(16, std::string(20'000, 'z'), 200);
  ASSERT_TRUE(store->put(small));
  ASSERT_TRUE(store->put(large));
  auto listed = store->list(10);
  ASSERT_TRUE(listed) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 2u);
  for (const EntryInfo& e : *listed) {
    const StoredRecord& r = e.id == small.id ? small : large;
    SCOPED_TRACE(e.id);
    EXPECT_EQ(e.size, r.head.size() + r.body.size());
    EXPECT_EQ(e.expires, r.expires);
    EXPECT_EQ(e.purge_at, r.purge_at);
  }
  EXPECT_EQ(store->list(1)->size(), 1u);
  EXPECT_EQ(store->describe(), "aws:table=" + table + ",bucket=" + bucket);
  auto before = store->stats(small.expires - 1);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->entries, 2u);
  EXPECT_EQ(before->bytes, 10u + 20u + 10u + 20'000u);
  EXPECT_EQ(before->expired_entries, 0u);
  EXPECT_EQ(before->purgeable_entries, 0u);
  EXPECT_EQ(store->stats(small.expires)->expired_entries, 1u);  // expired at its second
  EXPECT_EQ(store->stats(large.expires)->expired_entries, 2u);
  EXPECT_EQ(store->stats(small.purge_at - 1)->purgeable_entries, 0u);
  EXPECT_EQ(store->stats(small.purge_at)->purgeable_entries, 1u);
}

}  // namespace
}  // namespace cachedata
