// DynamoDbClient against DynamoDB Local (AWS's own emulator, started by
// scripts/test-servers.sh; its endpoint in CACHEDATA_TEST_DYNAMODB_ENDPOINT): tables, items
// with every attribute type (B round-trips all bytes), conditional writes, batch reads over
// 100 keys, TTL settings, and the error mapping of a missing table.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "aws/dynamodb_client.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_support.hpp"

namespace cachedata::aws {
namespace {

using cachedata::testing::AwsTestServer;
using cachedata::testing::local_config;
using cachedata::testing::unique_name;

class AwsDynamoDb : public ::testing::Test {
 protected:
  void create_table(DynamoDbClient& ddb, const std::string& name) {
    TableSpec spec;
    spec.name = name;
    spec.hash_key = "id_hash";
    auto created = ddb.create_table(spec);
    ASSERT_TRUE(created) << created.status().to_string();
    ASSERT_FALSE(created->already_existed);
    ASSERT_TRUE(ddb.wait_until_active(name, std::chrono::seconds(20)));
  }
};

Json key_of(const std::string& id) {
  return Json{{"id_hash", attr::S(id)}};
}

TEST_F(AwsDynamoDb, TableLifecycleAndTtl) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, endpoint));
  const std::string table = unique_name("cachedata-test");
  create_table(ddb, table);
  TableSpec spec;
  spec.name = table;
  spec.hash_key = "id_hash";
  auto again = ddb.create_table(spec);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE(again->already_existed);
  auto described = ddb.describe_table(table);
  ASSERT_TRUE(described);
  EXPECT_EQ(described->status, "ACTIVE");
  EXPECT_EQ(described->description["TableName"], table);

  ASSERT_TRUE(ddb.update_time_to_live(table, "purge_ts", true));
  auto ttl = ddb.describe_time_to_live(table);
  ASSERT_TRUE(ttl) << ttl.status().to_string();
  EXPECT_EQ(ttl->attribute, "purge_ts");
  EXPECT_TRUE(ttl->status == "ENABLED" || ttl->status == "ENABLING") << ttl->status;
  EXPECT_TRUE(ddb.delete_table(table));
}

TEST_F(AwsDynamoDb, ResourceNotFoundIsNotFound) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, endpoint));
  auto r = ddb.get_item("no-such-table-" + unique_name("x"), key_of("k"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("DynamoDB GetItem: HTTP 400 ResourceNotFoundException"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(ddb.describe_table("no-such-table-x").status().code(), Status::Code::kNotFound);
}

TEST_F(AwsDynamoDb, ItemsRoundTripEveryAttributeTypeAndBinaryExactly) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, endpoint));
  const std::string table = unique_name("cachedata-test");
  create_table(ddb, table);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string(1000, '\0');
  Json item{{"id_hash", attr::S("k1")},
            {"expires", attr::N(1767225600)},
            {"envelope", attr::B(bytes)},
            {"flag", attr::BOOL(true)},
            {"nothing", attr::Null()},
            {"map", attr::M(Json{{"a", attr::S("x")}, {"n", attr::N(-5)}})},
            {"list", attr::L(Json::array({attr::S("y"), attr::N(1)}))}};
  auto put = ddb.put_item(table, item);
  ASSERT_TRUE(put) << put.status().to_string();
  EXPECT_FALSE(put->condition_failed);

  auto got = ddb.get_item(table, key_of("k1"), /*consistent_read=*/true);
  ASSERT_TRUE(got) << got.status().to_string();
  ASSERT_TRUE(*got);
  const Json& g = **got;
  EXPECT_EQ(attr::get_s(g, "id_hash"), "k1");
  EXPECT_EQ(attr::get_n(g, "expires"), 1767225600);
  EXPECT_EQ(attr::get_b(g, "envelope"), bytes);
  EXPECT_EQ(attr::get_bool(g, "flag"), true);
  EXPECT_EQ(g["map"]["M"]["n"]["N"], "-5");
  EXPECT_EQ(g["list"]["L"][0]["S"], "y");

  auto missing = ddb.get_item(table, key_of("absent"), true);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  ddb.delete_table(table);
}

// get_item writes a plain key's document directly and dumps a Json for any other key: both
// forms find exactly their own item, and a key that needs escaping (quotes, backslashes,
// control characters, non-ASCII) is not mangled on the way.
TEST_F(AwsDynamoDb, GetItemFindsKeysThatNeedEscapingAndKeysThatDoNot) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, endpoint));
  const std::string table = unique_name("cachedata-test");
  create_table(ddb, table);
  const std::vector<std::string> ids = {
      std::string(64, 'a'), "with \"quotes\"",          "back\\slash",
      "tab\there",          "caf\xc3\xa9 \xe2\x82\xac", "{\"Key\":1}"};
  for (size_t i = 0; i < ids.size(); ++i) {
    Json item{{"id_hash", attr::S(ids[i])}, {"n", attr::N(static_cast<int64_t>(i))}};
    ASSERT_TRUE(ddb.put_item(table, item)) << ids[i];
  }
  for (bool consistent : {false, true}) {
    for (size_t i = 0; i < ids.size(); ++i) {
      auto got = ddb.get_item(table, key_of(ids[i]), consistent);
      ASSERT_TRUE(got) << ids[i] << ": " << got.status().to_string();
      ASSERT_TRUE(got->has_value()) << ids[i];
      EXPECT_EQ(attr::get_s(**got, "id_hash"), ids[i]);
      EXPECT_EQ(attr::get_n(**got, "n"), static_cast<int64_t>(i));
    }
  }
  // A key that is not a plain S/N map goes through the Json path, and the server judges it.
  auto wrong = ddb.get_item(table, Json{{"id_hash", Json{{"N", 5}}}});
  EXPECT_FALSE(wrong);
  ddb.delete_table(table);
}

TEST_F(AwsDynamoDb, ConditionalCheckFailedIsAnOutcome) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, endpoint));
  const std::string table = unique_name("cachedata-test");
  create_table(ddb, table);
  Expression only_new;
  only_new.condition = "attribute_not_exists(#id)";
  only_new.names = {{"#id", "id_hash"}};
  Json item{{"id_hash", attr::S("k")}, {"expires", attr::N(10)}};
  auto first = ddb.put_item(table, item, only_new);
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_FALSE(first->condition_failed);
  auto second = ddb.put_item(table, item, only_new);
  ASSERT_TRUE(second) << second.status().to_string();
  EXPECT_TRUE(second->condition_failed);

  // UpdateItem guarded by the current value (a compare-and-set of the expiry).
  Expression cas;
  cas.condition = "#e = :old";
  cas.names = {{"#e", "expires"}};
  cas.values = {{":old", attr::N(10)}, {":new", attr::N(20)}};
  auto updated = ddb.update_item(table, key_of("k"), "SET #e = :new", cas, "ALL_NEW");
  ASSERT_TRUE(updated) << updated.status().to_string();
  EXPECT_FALSE(updated->condition_failed);
  EXPECT_EQ(attr::get_n(updated->attributes, "expires"), 20);
  auto stale = ddb.update_item(table, key_of("k"), "SET #e = :new", cas);
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->condition_failed);

  Expression only_if_20;
  only_if_20.condition = "expires = :v";
  only_if_20.values = {{":v", attr::N(21)}};
  auto kept = ddb.delete_item(table, key_of("k"), only_if_20);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->condition_failed);
  auto deleted = ddb.delete_item(table, key_of("k"), {}, "ALL_OLD");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(attr::get_n(deleted->attributes, "expires"), 20);
  EXPECT_FALSE(*ddb.get_item(table, key_of("k"), true));

  // A malformed expression is a plain error, not a condition outcome.
  Expression broken;
  broken.condition = "this is not an expression";
  auto bad = ddb.put_item(table, item, broken);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("ValidationException"), std::string::npos);
  ddb.delete_table(table);
}

TEST_F(AwsDynamoDb, BatchGetOverOneHundredKeys) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  DynamoDbClient ddb(local_config(Service::kDynamoDb, endpoint));
  const std::string table = unique_name("cachedata-test");
  create_table(ddb, table);
  std::vector<Json> keys;
  for (int i = 0; i < 150; ++i) {
    const std::string id = "k" + std::to_string(i);
    keys.push_back(key_of(id));
    if (i % 3 != 0) {
      ASSERT_TRUE(ddb.put_item(table, Json{{"id_hash", attr::S(id)}, {"n", attr::N(i)}}));
    }
  }
  auto items = ddb.batch_get_item(table, keys, true);
  ASSERT_TRUE(items) << items.status().to_string();
  EXPECT_EQ(items->size(), 100u);
  std::set<int64_t> seen;
  for (const auto& item : *items) seen.insert(*attr::get_n(item, "n"));
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_FALSE(seen.contains(0));
  EXPECT_TRUE(seen.contains(149));
  ddb.delete_table(table);
}

}  // namespace
}  // namespace cachedata::aws
