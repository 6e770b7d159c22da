// The request id: the vectors of docs/FORMAT.md, canonicalisation rules, and isolation between
// applications and instances.
#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "core/request_id.hpp"
#include "crypto/keyring.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

constexpr const char* kVectorKey =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

DataKey vector_key() {
  return DataKey::from_hex(kVectorKey).value();
}

std::string id_of(const Request& r, const std::string& instance = "default",
                  const DataKey& key = vector_key(), const Profile& profile = Profile{}) {
  crypto::Keyring keyring({key}, instance);
  return core::request_id(keyring.current().id_mac, profile, r).value();
}

Request vector_1() {
  return Request::get("https://API.Example.com:443/v1/items?b=2&a=1");
}

Request vector_2() {
  Request r;
  r.method = "post";
  r.scheme = "HTTPS";
  r.host = "api.example.com";
  r.path = "/v1/search";
  r.params = {{"limit", "10"}, {"q", "red shoes"}};
  r.headers.add("Accept", "application/json");
  r.headers.add("X-Api-Version", " 2 ");
  r.headers.add("Authorization", "Bearer abc");
  r.body = "{\"q\":1}";
  return r;
}

struct Vector {
  const char* name;
  Request request;
  const char* instance;
  const char* canonical;
  const char* id;
};

std::vector<Vector> vectors() {
  const char* c1 =
      "23:cachedata-request-id/v1,3:GET,5:https,15:api.example.com,9:/v1/items,1:2,1:a,1:1,1:b,"
      "1:2,1:0,0:,0:,0:,0:,0:,64:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,";
  const char* c2 =
      "23:cachedata-request-id/v1,4:POST,5:https,15:api.example.com,10:/v1/search,1:2,5:limit,"
      "2:10,1:q,11:red%20shoes,1:2,6:accept,16:application/json,13:x-api-version,1:2,10:Bearer abc,"
      "0:,0:,0:,0:,64:6ae0f660046dadcf5fe8462c0e00a062db4c8d67be82f4098c5ea4208d19b076,";
  return {
      {"V1", vector_1(), "default", c1,
       "6c5cfa8e1066528a87da1ab080885cfe4416b86156571b7b064dee2292aea6b0"},
      {"V2", vector_2(), "default", c2,
       "e3c34207df1ed7fd6802312a3ac11d6c810630303437624032614a540a15401d"},
      {"V3", vector_1(), "prod", c1,
       "448d541912f271cae349c416d1aa15e310de42bc2db2994573bd63c0ec76a7ea"},
      {"V4", vector_2(), "prod", c2,
       "320ca755442cba351e223e76562dea6c5eb561495f6fd5140b92028ff75e1140"},
  };
}

TEST(RequestIdTest, MatchesTheVectorsOfFormatMd) {
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(core::canonical_request(Profile{}, v.request).value(), v.canonical);
    EXPECT_EQ(id_of(v.request, v.instance), v.id);
  }
}

TEST(RequestIdTest, VectorsArePublishedInFormatMd) {
  // The document and the code must not drift apart: every vector id appears in the document.
  std::string doc = testing::read_file(std::string(CACHEDATA_SOURCE_DIR) + "/docs/FORMAT.md");
  ASSERT_FALSE(doc.empty());
  EXPECT_NE(doc.find(kVectorKey), std::string::npos);
  for (const Vector& v : vectors()) {
    EXPECT_NE(doc.find(v.id), std::string::npos) << v.name << " id missing from docs/FORMAT.md";
    EXPECT_NE(doc.find(v.canonical), std::string::npos)
        << v.name << " canonical form missing from docs/FORMAT.md";
  }
}

TEST(RequestIdTest, NormalisesCaseDefaultPortAndParameterOrder) {
  std::string base = id_of(Request::get("https://api.example.com/v1/items?a=1&b=2"));
  EXPECT_EQ(id_of(Request::get("HTTPS://API.EXAMPLE.COM:443/v1/items?b=2&a=1")), base);
  Request split;
  split.host = "api.example.com";
  split.path = "/v1/items";
  split.params = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(id_of(split), base);
  Request mixed = Request::get("https://api.example.com/v1/items?b=2");
  mixed.params = {{"a", "1"}};
  EXPECT_EQ(id_of(mixed), base);
  Request lower_method = Request::get("https://api.example.com/v1/items?a=1&b=2");
  lower_method.method = "get";
  EXPECT_EQ(id_of(lower_method), base);
  EXPECT_EQ(id_of(Request::get("https://api.example.com/v1/items?a=1&b=2#fragment")), base);
  EXPECT_EQ(id_of(Request::get("https://api.example.com/v1/items?a=%31&b=2")), base);
  EXPECT_EQ(id_of(Request::get("https://h.example/s?q=a%2b")),
            id_of(Request::get("https://h.example/s?q=a%2B")));
  Request raw = Request::get("https://h.example/s");
  raw.params = {{"q", "a b"}};
  EXPECT_EQ(id_of(raw), id_of(Request::get("https://h.example/s?q=a%20b")));
}

TEST(RequestIdTest, PlusAndItsEscapesAreDifferentParameters) {
  // An origin reads "a+b" as "a b" and "a%2Bb" as "a+b": they must not share an entry.
  std::string plus = id_of(Request::get("https://h.example/s?q=a+b"));
  EXPECT_NE(plus, id_of(Request::get("https://h.example/s?q=a%2Bb")));
  EXPECT_NE(id_of(Request::get("https://h.example/s?q=a%26b")),
            id_of(Request::get("https://h.example/s?q=a&b")));
  EXPECT_NE(id_of(Request::get("https://h.example/s?q=a%3Db")),
            id_of(Request::get("https://h.example/s?q=a=b")));
}

TEST(RequestIdTest, CookieAndProxyAuthorizationSeparateUsersEvenWithKeyHeaders) {
  Profile only_accept;
  only_accept.key_headers = {"accept"};
  for (const char* header : {"Cookie", "Proxy-Authorization"}) {
    Request alice = Request::get("https://api.example.com/me");
    alice.headers.add(header, "alice");
    Request bob = Request::get("https://api.example.com/me");
    bob.headers.add(header, "bob");
    EXPECT_NE(id_of(alice, "default", vector_key(), only_accept),
              id_of(bob, "default", vector_key(), only_accept))
        << header;
  }
}

TEST(RequestIdTest, DistinguishesEverythingThatChangesTheAnswer) {
  std::string base = id_of(Request::get("https://api.example.com/v1/items?a=1"));
  EXPECT_NE(id_of(Request::get("http://api.example.com/v1/items?a=1")), base);
  EXPECT_NE(id_of(Request::get("https://api.example.com:8443/v1/items?a=1")), base);
  EXPECT_NE(id_of(Request::get("https://api.example.com/v1/Items?a=1")), base);
  EXPECT_NE(id_of(Request::get("https://api.example.com/v1/items?a=2")), base);
  EXPECT_NE(id_of(Request::get("https://api.example.com/v1/items?a=1&a=1")), base);
  Request post = Request::get("https://api.example.com/v1/items?a=1");
  post.method = "POST";
  EXPECT_NE(id_of(post), base);
  Request body = post;
  body.body = "x";
  EXPECT_NE(id_of(body), id_of(post));
  Request header = Request::get("https://api.example.com/v1/items?a=1");
  header.headers.add("Accept-Language", "fr");
  EXPECT_NE(id_of(header), base);
}

TEST(RequestIdTest, FieldBoundariesCannotBeForged) {
  // Without length prefixes "a=b&c" in one param and "a" "b&c" could collide.
  Request one = Request::get("https://h.example/p");
  one.params = {{"a", "b,1:c"}};
  Request two = Request::get("https://h.example/p");
  two.params = {{"a", "b"}, {"c", ""}};
  EXPECT_NE(id_of(one), id_of(two));
}

TEST(RequestIdTest, CredentialsSeparateUsersEvenWithKeyHeaders) {
  Profile only_accept;
  only_accept.key_headers = {"accept"};
  Request alice = Request::get("https://api.example.com/me");
  alice.headers.add("Authorization", "Bearer alice");
  Request bob = alice;
  bob.headers = Headers{{"authorization", "Bearer bob"}};
  EXPECT_NE(id_of(alice, "default", vector_key(), only_accept),
            id_of(bob, "default", vector_key(), only_accept));
  Request auth_a = Request::get("https://api.example.com/me");
  auth_a.auth = "user-1";
  Request auth_b = auth_a;
  auth_b.auth = "user-2";
  EXPECT_NE(id_of(auth_a), id_of(auth_b));
  EXPECT_NE(id_of(Request::get("https://u:p@api.example.com/me")),
            id_of(Request::get("https://api.example.com/me")));
}

TEST(RequestIdTest, KeyHeadersLimitWhichHeadersCount) {
  Profile profile;
  profile.key_headers = {"Accept"};
  Request a = Request::get("https://api.example.com/x");
  a.headers.add("Accept", "application/json");
  a.headers.add("X-Trace-Id", "1");
  Request b = a;
  b.headers.set("x-trace-id", "2");
  EXPECT_EQ(id_of(a, "default", vector_key(), profile), id_of(b, "default", vector_key(), profile));
  Request c = a;
  c.headers.set("accept", "text/html");
  EXPECT_NE(id_of(a, "default", vector_key(), profile), id_of(c, "default", vector_key(), profile));
}

TEST(RequestIdTest, IsolatesApplicationsByKey) {
  Request r = vector_1();
  EXPECT_NE(id_of(r, "default", vector_key()), id_of(r, "default", DataKey::generate()));
}

TEST(RequestIdTest, IsolatesInstancesOfOneApplication) {
  Request r = vector_1();
  EXPECT_NE(id_of(r, "test"), id_of(r, "prod"));
  EXPECT_NE(id_of(r, "test"), id_of(r, "beta"));
}

TEST(RequestIdTest, RejectsRequestsWithoutAnEndpoint) {
  crypto::Keyring keyring({vector_key()}, "default");
  Request none;
  none.host = "";
  EXPECT_EQ(core::request_id(keyring.current().id_mac, Profile{}, none).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(core::request_id(keyring.current().id_mac, Profile{}, Request::get("not a url")));
  EXPECT_FALSE(
      core::request_id(keyring.current().id_mac, Profile{}, Request::get("ftp://h.example/x")));
  // Found by the URL fuzzer: a port without a host once passed as an empty host.
  for (const char* no_host : {"https://:443/x", "http://:80", "https://:/x", "https:///x"}) {
    EXPECT_FALSE(core::request_id(keyring.current().id_mac, Profile{}, Request::get(no_host)))
        << no_host;
  }
}

std::string with_method(const char* method) {
  Request r = Request::get("https://api.example.com/v1/items");
  r.method = method;
  return id_of(r);
}

TEST(RequestIdTest, MethodsCompareWithoutCaseWhateverTheirLetters) {
  // Every lower-case letter, the ends of the range included ('a' in patch, 'z' in a custom one).
  EXPECT_EQ(with_method("patch"), with_method("PATCH"));
  EXPECT_EQ(with_method("Patch"), with_method("PATCH"));
  EXPECT_EQ(with_method("abcdefghijklmnopqrstuvwxyz"), with_method("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
  EXPECT_NE(with_method("PATCH"), with_method("POST"));
  // A method whose only lower-case letter is at an end of the range is upper-cased too.
  EXPECT_EQ(with_method("GETa"), with_method("GETA"));
  EXPECT_EQ(with_method("GETz"), with_method("GETZ"));
  EXPECT_NE(with_method("GET{"), with_method("GET["));  // not letters: kept as they are
  // The canonical form carries it upper-cased.
  Request r = Request::get("https://h.example/");
  r.method = "zap";
  EXPECT_NE(core::canonical_request(Profile{}, r).value().find(",3:ZAP,"), std::string::npos);
}

TEST(RequestIdTest, AnEmptyMethodIsGet) {
  EXPECT_EQ(with_method(""), with_method("GET"));
  EXPECT_NE(with_method(""), with_method("POST"));
}

TEST(RequestIdTest, EachCredentialHeaderHasItsOwnPlace) {
  // The same secret in Authorization, Proxy-Authorization, Cookie or the auth field: four
  // different requests (a server reads each differently), four ids.
  std::vector<std::string> ids;
  for (const char* header : {"Authorization", "Proxy-Authorization", "Cookie"}) {
    Request r = Request::get("https://api.example.com/me");
    r.headers.add(header, "secret");
    ids.push_back(id_of(r));
  }
  Request in_auth = Request::get("https://api.example.com/me");
  in_auth.auth = "secret";
  ids.push_back(id_of(in_auth));
  Request in_userinfo = Request::get("https://secret@api.example.com/me");
  ids.push_back(id_of(in_userinfo));
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t j = i + 1; j < ids.size(); ++j) EXPECT_NE(ids[i], ids[j]) << i << " vs " << j;
  }
}

TEST(RequestIdTest, CredentialHeaderNamesMatchWithoutCaseAndTheirValuesAreTrimmed) {
  Request a = Request::get("https://api.example.com/me");
  a.headers.add("COOKIE", " \tsid=1\t ");
  Request b = Request::get("https://api.example.com/me");
  b.headers.add("cookie", "sid=1");
  EXPECT_EQ(id_of(a), id_of(b));
  std::string canonical = core::canonical_request(Profile{}, b).value();
  EXPECT_NE(canonical.find(",5:sid=1,"), std::string::npos) << canonical;
  // Not a key header: with key headers named, it still counts, and is never listed twice.
  Profile only_accept;
  only_accept.key_headers = {"accept"};
  std::string keyed = core::canonical_request(only_accept, b).value();
  EXPECT_EQ(keyed.find("cookie"), std::string::npos) << keyed;
  EXPECT_NE(keyed.find(",5:sid=1,"), std::string::npos) << keyed;
}

TEST(RequestIdTest, RepeatedCredentialHeadersAreKeptInTheirOrder) {
  Request ab = Request::get("https://api.example.com/me");
  ab.headers.add("Authorization", "a");
  ab.headers.add("Authorization", "b");
  Request ba = Request::get("https://api.example.com/me");
  ba.headers.add("Authorization", "b");
  ba.headers.add("Authorization", "a");
  EXPECT_NE(id_of(ab), id_of(ba));
  Request only_a = Request::get("https://api.example.com/me");
  only_a.headers.add("Authorization", "a");
  EXPECT_NE(id_of(ab), id_of(only_a));
}

TEST(RequestIdTest, HeaderOrderAndNameCaseDoNotChangeTheId) {
  Request one = Request::get("https://api.example.com/x");
  one.headers.add("Accept", "application/json");
  one.headers.add("X-Tenant", "t1");
  one.headers.add("Accept-Language", "fr");
  Request other = Request::get("https://api.example.com/x");
  other.headers.add("accept-language", "fr");
  other.headers.add("x-tenant", "\tt1 ");
  other.headers.add("ACCEPT", "application/json");
  EXPECT_EQ(id_of(one), id_of(other));
  // But a value is compared as it is.
  Request upper = one;
  upper.headers.set("x-tenant", "T1");
  EXPECT_NE(id_of(one), id_of(upper));
}

TEST(RequestIdTest, EveryHeaderCountsWhenTheProfileNamesNone) {
  Request plain = Request::get("https://api.example.com/x");
  Request traced = plain;
  traced.headers.add("X-Trace-Id", "1");
  EXPECT_NE(id_of(plain), id_of(traced));
  Profile named;
  named.key_headers = {"X-TRACE-ID"};  // names match without case
  EXPECT_NE(id_of(plain, "default", vector_key(), named),
            id_of(traced, "default", vector_key(), named));
  named.key_headers = {"accept"};
  EXPECT_EQ(id_of(plain, "default", vector_key(), named),
            id_of(traced, "default", vector_key(), named));
}

TEST(RequestIdTest, ParameterOrderDoesNotMatterButTheirCountDoes) {
  std::string base = id_of(Request::get("https://h.example/p?b=2&a=1&c=3"));
  EXPECT_EQ(id_of(Request::get("https://h.example/p?c=3&a=1&b=2")), base);
  EXPECT_NE(id_of(Request::get("https://h.example/p?b=2&a=1")), base);
  std::string canonical =
      core::canonical_request(Profile{}, Request::get("https://h.example/p?b=2&a=1&c=3")).value();
  EXPECT_NE(canonical.find(",1:3,1:a,1:1,1:b,1:2,1:c,1:3,"), std::string::npos) << canonical;
}

TEST(RequestIdTest, TheBodyIsHashedIntoTheId) {
  Request r = Request::get("https://h.example/p");
  r.method = "POST";
  r.body = "abc";
  std::string canonical = core::canonical_request(Profile{}, r).value();
  // SHA-256("abc")
  EXPECT_NE(canonical.find(",64:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad,"),
            std::string::npos)
      << canonical;
  Request empty = r;
  empty.body.clear();
  EXPECT_NE(core::canonical_request(Profile{}, empty)
                .value()
                .find(",64:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,"),
            std::string::npos);
}

TEST(RequestIdTest, TheIdIsTheHexMacOfTheCanonicalForm) {
  crypto::Keyring keyring({vector_key()}, "default");
  Request r = vector_1();
  std::string id = core::request_id(keyring.current().id_mac, Profile{}, r).value();
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id, base::to_hex(
                    keyring.current().id_mac.mac(core::canonical_request(Profile{}, r).value())));
}

}  // namespace
}  // namespace cachedata
