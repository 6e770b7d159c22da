// The envelope: round trips, compression, rotation, and the encrypt=false integrity check.
#include <gtest/gtest.h>

#include "core/envelope.hpp"
#include "crypto/keyring.hpp"

namespace cachedata::core {
namespace {

const std::string kId(64, 'a');

Entry sample_entry(std::string body = "hello, world") {
  Entry e;
  e.status_code = 200;
  e.headers.add("Content-Type", "application/json");
  e.headers.add("ETag", "\"v1\"");
  e.body = std::move(body);
  e.etag = "\"v1\"";
  e.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  e.stored_at_ms = 1768478400123;
  e.expires = 1768478700;
  e.fetch_ms = 312;
  return e;
}

void expect_same(const Entry& a, const Entry& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.status_code, b.status_code);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_EQ(a.last_modified, b.last_modified);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.stored_at_ms, b.stored_at_ms);
  EXPECT_EQ(a.expires, b.expires);
  EXPECT_EQ(a.fetch_ms, b.fetch_ms);
}

TEST(EnvelopeTest, RoundTripsEncryptedAndPlain) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    Entry e = sample_entry();
    std::string sealed = seal_envelope(e, kId, keys.current(), encrypt);
    auto opened = open_envelope(sealed, kId, keys);
    ASSERT_TRUE(opened) << opened.status().to_string();
    expect_same(*opened, e);
    EXPECT_EQ(sealed.find("hello, world") == std::string::npos, encrypt);
  }
}

TEST(EnvelopeTest, RoundTripsEmptyBinaryAndFailureEntries) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry binary = sample_entry(std::string("\0\x01\xff\n\r", 5));
  Entry empty = sample_entry("");
  Entry failure;
  failure.kind = EntryKind::kFailure;
  failure.status_code = 503;
  failure.error = "origin answered 503";
  for (const Entry& e : {binary, empty, failure}) {
    auto opened = open_envelope(seal_envelope(e, kId, keys.current(), true), kId, keys);
    ASSERT_TRUE(opened);
    expect_same(*opened, e);
  }
}

TEST(EnvelopeTest, CompressesOnlyWhenItShrinks) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string repetitive(100000, 'x');
  std::string sealed = seal_envelope(sample_entry(repetitive), kId, keys.current(), true);
  EXPECT_LT(sealed.size(), 2000u);
  EXPECT_EQ(sealed[5] & 0x02, 0x02);
  std::string random_body;
  for (int i = 0; i < 4096; ++i) random_body.push_back(static_cast<char>((i * 2654435761u) >> 13));
  std::string sealed_random = seal_envelope(sample_entry(random_body), kId, keys.current(), true);
  auto opened = open_envelope(sealed_random, kId, keys);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->body, random_body);
}

TEST(EnvelopeTest, LargeBodiesRoundTrip) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string body(5 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131) ^ (i >> 9));
  auto opened =
      open_envelope(seal_envelope(sample_entry(body), kId, keys.current(), true), kId, keys);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->body, body);
}

TEST(EnvelopeTest, SealingTwiceUsesFreshNonces) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry();
  EXPECT_NE(seal_envelope(e, kId, keys.current(), true),
            seal_envelope(e, kId, keys.current(), true));
}

TEST(EnvelopeTest, RotatedKeyStillOpens) {
  DataKey old_key = DataKey::generate();
  DataKey new_key = DataKey::generate();
  crypto::Keyring before({old_key}, "default");
  std::string sealed = seal_envelope(sample_entry(), kId, before.current(), true);
  crypto::Keyring after({new_key, old_key}, "default");
  auto opened = open_envelope(sealed, kId, after);
  ASSERT_TRUE(opened) << opened.status().to_string();
  EXPECT_EQ(opened->body, "hello, world");
  // And new entries are sealed under the new key, which the old keyring cannot open.
  std::string fresh = seal_envelope(sample_entry(), kId, after.current(), true);
  EXPECT_FALSE(open_envelope(fresh, kId, before));
}

TEST(EnvelopeTest, PayloadDecoderRejectsTrailingAndTruncatedBytes) {
  std::string payload = encode_entry(sample_entry());
  EXPECT_TRUE(decode_entry(payload));
  EXPECT_FALSE(decode_entry(payload + "x"));
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    EXPECT_FALSE(decode_entry(payload.substr(0, cut))) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace cachedata::core
