// The envelope: round trips of both parts, compression, rotation, the encrypt=false integrity
// check, and the binding of a head to its body.
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
  if (!body.empty()) e.body = std::make_shared<const std::string>(std::move(body));
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
  EXPECT_EQ(a.body_text(), b.body_text());
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_EQ(a.last_modified, b.last_modified);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.stored_at_ms, b.stored_at_ms);
  EXPECT_EQ(a.expires, b.expires);
  EXPECT_EQ(a.fetch_ms, b.fetch_ms);
  EXPECT_EQ(a.body_ref, b.body_ref);
}

Result<Entry> open(const SealedEntry& sealed, const crypto::Keyring& keys,
                   std::string_view id = kId) {
  return open_entry(sealed.head, std::string(sealed.body), id, keys);
}

TEST(EnvelopeTest, RoundTripsEncryptedAndPlain) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    Entry e = sample_entry();
    SealedEntry sealed = seal_entry(e, kId, keys.current(), encrypt);
    auto opened = open(sealed, keys);
    ASSERT_TRUE(opened) << opened.status().to_string();
    expect_same(*opened, e);
    EXPECT_EQ(sealed.body.find("hello, world") == std::string::npos, encrypt);
    EXPECT_EQ(sealed.head.find("application/json") == std::string::npos, encrypt);
  }
}

TEST(EnvelopeTest, RoundTripsEmptyBinaryFailureAndVaryEntries) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry binary = sample_entry(std::string("\0\x01\xff\n\r", 5));
  Entry empty = sample_entry("");
  Entry failure;
  failure.kind = EntryKind::kFailure;
  failure.status_code = 503;
  failure.error = "origin answered 503";
  Entry vary;
  vary.kind = EntryKind::kVary;
  vary.headers.add("vary", "accept-language");
  for (Entry e : {binary, empty, failure, vary}) {
    SealedEntry sealed = seal_entry(e, kId, keys.current(), true);
    EXPECT_EQ(sealed.body.empty(), e.body_text().empty());
    auto opened = open(sealed, keys);
    ASSERT_TRUE(opened) << opened.status().to_string();
    expect_same(*opened, e);
  }
}

TEST(EnvelopeTest, CompressesOnlyWhenItShrinks) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry repetitive = sample_entry(std::string(100000, 'x'));
  SealedEntry sealed = seal_entry(repetitive, kId, keys.current(), true);
  EXPECT_LT(sealed.body.size(), 2000u);
  EXPECT_EQ(sealed.body[5] & 0x02, 0x02);
  EXPECT_EQ(sealed.head[5] & 0x02, 0x00);  // a small head is never worth compressing
  std::string random_body;
  for (int i = 0; i < 4096; ++i) random_body.push_back(static_cast<char>((i * 2654435761u) >> 13));
  Entry random = sample_entry(random_body);
  SealedEntry sealed_random = seal_entry(random, kId, keys.current(), true);
  auto opened = open(sealed_random, keys);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->body_text(), random_body);
}

TEST(EnvelopeTest, LargeBodiesRoundTrip) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string body(5 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131) ^ (i >> 9));
  Entry e = sample_entry(body);
  auto opened = open(seal_entry(e, kId, keys.current(), true), keys);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->body_text(), body);
}

TEST(EnvelopeTest, SealingTwiceUsesFreshNonces) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry();
  SealedEntry a = seal_entry(e, kId, keys.current(), true);
  SealedEntry b = seal_entry(e, kId, keys.current(), true);
  EXPECT_NE(a.head, b.head);
  EXPECT_NE(a.body, b.body);
}

TEST(EnvelopeTest, RotatedKeyStillOpens) {
  DataKey old_key = DataKey::generate();
  DataKey new_key = DataKey::generate();
  crypto::Keyring before({old_key}, "default");
  Entry e = sample_entry();
  SealedEntry sealed = seal_entry(e, kId, before.current(), true);
  crypto::Keyring after({new_key, old_key}, "default");
  auto opened = open(sealed, after);
  ASSERT_TRUE(opened) << opened.status().to_string();
  EXPECT_EQ(opened->body_text(), "hello, world");
  // And new entries are sealed under the new key, which the old keyring cannot open.
  SealedEntry fresh = seal_entry(e, kId, after.current(), true);
  EXPECT_FALSE(open(fresh, before));
}

// A 304: a new head refers to the body already stored; the body is not sealed again.
TEST(EnvelopeTest, ResealedHeadOpensWithTheStoredBody) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry();
  SealedEntry sealed = seal_entry(e, kId, keys.current(), true);
  auto opened = open(sealed, keys);
  ASSERT_TRUE(opened);
  Entry refreshed = *opened;
  refreshed.headers.set("cache-control", "max-age=60");
  refreshed.expires += 60;
  std::string new_head = seal_head(refreshed, kId, keys.current(), true);
  auto reopened = open_entry(new_head, std::string(sealed.body), kId, keys);
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  expect_same(*reopened, refreshed);
}

TEST(EnvelopeTest, HeadWithBodyOfAnotherWriteIsCorruption) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry first = sample_entry("first body");
  Entry second = sample_entry("other body");
  SealedEntry a = seal_entry(first, kId, keys.current(), true);
  SealedEntry b = seal_entry(second, kId, keys.current(), true);
  auto torn = open_entry(a.head, std::string(b.body), kId, keys);
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.status().code(), Status::Code::kCorruption);
  EXPECT_NE(torn.status().message().find("different writes"), std::string::npos);
}

TEST(EnvelopeTest, SwappedOrMissingPartsAreCorruption) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry();
  SealedEntry sealed = seal_entry(e, kId, keys.current(), true);
  EXPECT_EQ(open_entry(sealed.body, std::string(sealed.head), kId, keys).status().code(),
            Status::Code::kCorruption);
  EXPECT_EQ(open_entry(sealed.head, std::string(), kId, keys).status().code(),
            Status::Code::kCorruption);
  Entry empty = sample_entry("");
  SealedEntry no_body = seal_entry(empty, kId, keys.current(), true);
  EXPECT_EQ(open_entry(no_body.head, std::string(sealed.body), kId, keys).status().code(),
            Status::Code::kCorruption);
}

TEST(EnvelopeTest, PartsMovedToAnotherIdAreCorruption) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry();
  SealedEntry sealed = seal_entry(e, kId, keys.current(), true);
  const std::string other(64, 'b');
  EXPECT_FALSE(open(sealed, keys, other));
  // The head alone moved, the body left where it was: still refused.
  Entry e2 = sample_entry();
  SealedEntry at_other = seal_entry(e2, other, keys.current(), true);
  EXPECT_FALSE(open_entry(at_other.head, std::string(sealed.body), kId, keys));
}

TEST(EnvelopeTest, HeadDecoderRejectsTrailingAndTruncatedBytes) {
  Entry e = sample_entry();
  e.body_ref[0] = 1;  // a body of 12 bytes is declared: the reference must be non-zero
  std::string payload = encode_head(e);
  uint64_t body_size = 0;
  ASSERT_TRUE(decode_head(payload, &body_size));
  EXPECT_EQ(body_size, 12u);
  EXPECT_FALSE(decode_head(payload + "x", &body_size));
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    EXPECT_FALSE(decode_head(payload.substr(0, cut), &body_size)) << "cut at " << cut;
  }
}

TEST(EnvelopeTest, HeadDeclaringBodyWithoutReferenceIsCorruption) {
  Entry e = sample_entry();  // body_ref all zero, body of 12 bytes
  uint64_t body_size = 0;
  EXPECT_FALSE(decode_head(encode_head(e), &body_size));
}

}  // namespace
}  // namespace cachedata::core
