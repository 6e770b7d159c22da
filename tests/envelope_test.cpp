// The envelope: round trips of both parts, compression, rotation, the encrypt=false integrity
// check, and the binding of a head to its body.
#include <gtest/gtest.h>
#include <zstd.h>

#include "core/envelope.hpp"
#include "crypto/aead.hpp"
#include "crypto/keyring.hpp"
#include "crypto/random.hpp"

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
  std::string random_body(4096, '\0');
  crypto::random_bytes({reinterpret_cast<uint8_t*>(random_body.data()), random_body.size()});
  Entry random = sample_entry(random_body);
  SealedEntry sealed_random = seal_entry(random, kId, keys.current(), true);
  EXPECT_EQ(sealed_random.body[5] & 0x02, 0x00);  // zstd made it no smaller: kept as it is
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

TEST(EnvelopeTest, AHeadWithoutBodyCutAnywhereIsRefused) {
  Entry e = sample_entry("");  // body size 0, zero reference: the shortest possible ending
  std::string payload = encode_head(e);
  uint64_t body_size = 0;
  ASSERT_TRUE(decode_head(payload, &body_size));
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    EXPECT_FALSE(decode_head(payload.substr(0, cut), &body_size)) << "cut at " << cut;
  }
}

TEST(EnvelopeTest, MemorySizeCountsEveryHeldByte) {
  Entry e = sample_entry("0123456789");
  const size_t strings = 10 + e.etag.size() + e.last_modified.size() + e.error.size();
  size_t headers = 0;
  for (const auto& [k, v] : e.headers) headers += k.size() + v.size() + 2 * sizeof(std::string);
  EXPECT_EQ(e.memory_size(), sizeof(Entry) + strings + headers);
  e.headers.add("X-More", "abc");
  EXPECT_EQ(e.memory_size(), sizeof(Entry) + strings + headers + 9 + 2 * sizeof(std::string));
}

TEST(EnvelopeTest, HeadDeclaringBodyWithoutReferenceIsCorruption) {
  Entry e = sample_entry();  // body_ref all zero, body of 12 bytes
  uint64_t body_size = 0;
  EXPECT_FALSE(decode_head(encode_head(e), &body_size));
}

// A part sealed by hand (docs/FORMAT.md, "Envelope"): the header bytes given, the payload
// encrypted and authenticated as seal_part does. Lets a test hand the opener payloads that
// seal_entry would never produce.
std::string seal_raw_part(EnvelopePart part, uint8_t flags, std::string_view payload,
                          std::string_view id, const crypto::DerivedKeys& key) {
  crypto::AeadNonce nonce;
  crypto::random_bytes(nonce);
  std::string out = "CDAT";
  out.push_back(static_cast<char>(kEnvelopeVersion));
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(part));
  out.push_back('\0');
  out.append(reinterpret_cast<const char*>(key.fingerprint.data()), key.fingerprint.size());
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  const size_t at = out.size();
  out.resize(at + payload.size());
  uint8_t tag[crypto::kAeadTagSize];
  std::string_view aad[] = {std::string_view(out.data(), kEnvelopeHeaderSize), id};
  crypto::aead_seal(key.envelope_key, nonce, aad, payload,
                    {reinterpret_cast<uint8_t*>(out.data() + at), payload.size()}, tag);
  out.append(reinterpret_cast<const char*>(tag), sizeof tag);
  return out;
}

constexpr uint8_t kEncrypted = 0x01;
constexpr uint8_t kCompressed = 0x02;

TEST(EnvelopeTest, LengthsAtEveryVarintBoundaryRoundTrip) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (size_t n : {0u, 1u, 127u, 128u, 129u, 16383u, 16384u, 2097152u}) {
    SCOPED_TRACE(n);
    Entry e = sample_entry(std::string(n, 'b'));
    e.etag = std::string(n, 'e');
    e.headers.add("X-Long", std::string(n, 'h'));
    SealedEntry sealed = seal_entry(e, kId, keys.current(), n % 2 == 0);
    auto opened = open(sealed, keys);
    ASSERT_TRUE(opened) << opened.status().to_string();
    expect_same(*opened, e);
  }
}

TEST(EnvelopeTest, HeadPayloadBytesAreTheDocumentedLayout) {
  Entry e;
  e.kind = EntryKind::kAnswer;
  e.status_code = 0x1234;
  e.stored_at_ms = 0x0102030405060708;
  e.expires = 0x1112131415161718;
  e.fetch_ms = 0x21222324;
  e.etag = std::string(128, 'e');  // a two-byte length: 0x80 0x01
  e.headers.add("k", "v");
  std::string p = encode_head(e);
  const std::string expected_start =
      std::string("\x00\x34\x12", 3) + "\x08\x07\x06\x05\x04\x03\x02\x01" +
      "\x18\x17\x16\x15\x14\x13\x12\x11" + "\x24\x23\x22\x21" + "\x80\x01";
  ASSERT_GE(p.size(), expected_start.size());
  EXPECT_EQ(p.substr(0, expected_start.size()), expected_start);
  // ... the etag, then last_modified and error (empty), 1 header, its name and value, body size
  // 0 and the 12-byte zero body reference.
  const std::string expected_rest =
      std::string(128, 'e') + std::string("\x00\x00\x01", 3) + "\x01k\x01v" + std::string(13, '\0');
  EXPECT_EQ(p.substr(expected_start.size()), expected_rest);
  uint64_t body_size = 99;
  auto back = decode_head(p, &body_size);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(body_size, 0u);
  EXPECT_EQ(back->status_code, 0x1234);
  EXPECT_EQ(back->stored_at_ms, 0x0102030405060708);
  EXPECT_EQ(back->expires, 0x1112131415161718);
  EXPECT_EQ(back->fetch_ms, 0x21222324u);
}

TEST(EnvelopeTest, TheLargestTenByteVarintDecodes) {
  Entry e = sample_entry("");
  std::string p = encode_head(e);
  // Replace "body size 0 + zero reference" with 2^63 (ten varint bytes) + a non-zero reference.
  p.resize(p.size() - 13);
  p += std::string(9, '\x80') + "\x01";
  p += std::string(11, '\0') + "\x01";
  uint64_t body_size = 0;
  auto decoded = decode_head(p, &body_size);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(body_size, uint64_t{1} << 63);
  // An eleventh byte is never a length: ten continuation bytes, then exactly twelve zero bytes,
  // so that a decoder stopping after the tenth byte would read a valid head (size 0, zero
  // reference).
  std::string longer = p.substr(0, p.size() - 22) + std::string(10, '\x80') + std::string(12, '\0');
  EXPECT_FALSE(decode_head(longer, &body_size));
}

TEST(EnvelopeTest, EveryEntryKindDecodesAndAnUnknownKindIsCorruption) {
  for (EntryKind kind : {EntryKind::kAnswer, EntryKind::kFailure, EntryKind::kVary}) {
    Entry e;
    e.kind = kind;
    uint64_t body_size = 0;
    auto decoded = decode_head(encode_head(e), &body_size);
    ASSERT_TRUE(decoded) << static_cast<int>(kind);
    EXPECT_EQ(decoded->kind, kind);
  }
  Entry e;
  std::string p = encode_head(e);
  p[0] = static_cast<char>(static_cast<uint8_t>(EntryKind::kVary) + 1);
  uint64_t body_size = 0;
  EXPECT_EQ(decode_head(p, &body_size).status().code(), Status::Code::kCorruption);
}

TEST(EnvelopeTest, ABodyPartIsNeverTakenForAHead) {
  // The body's payload is the application's bytes: here, bytes that decode as a head. Presented
  // as the head, it must be refused by its part byte, not by luck of the decoder.
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry forged;
  forged.status_code = 200;
  forged.expires = 4102444800;  // 2100: "fresh for ever"
  Entry carrier = sample_entry(encode_head(forged));
  SealedEntry sealed = seal_entry(carrier, kId, keys.current(), true);
  uint64_t body_size = 0;
  auto as_head = open_head(sealed.body, kId, keys, &body_size);
  ASSERT_FALSE(as_head);
  EXPECT_EQ(as_head.status().code(), Status::Code::kCorruption);
  EXPECT_NE(as_head.status().message().find("not a head part"), std::string::npos)
      << as_head.status().message();
  // And a head presented as the body is refused by its part byte too.
  auto as_body = open_entry(sealed.head, std::string(sealed.head), kId, keys);
  ASSERT_FALSE(as_body);
  EXPECT_NE(as_body.status().message().find("not a body part"), std::string::npos)
      << as_body.status().message();
}

TEST(EnvelopeTest, HeadNamingTheBodyButAnotherSizeIsCorruption) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry("twelve bytes");
  SealedEntry sealed = seal_entry(e, kId, keys.current(), true);
  for (const char* other_size : {"twelve byte", "twelve bytes!"}) {
    SCOPED_TRACE(other_size);
    Entry lying = e;  // same body reference (nonce), another declared size
    lying.body = std::make_shared<const std::string>(other_size);
    std::string head = seal_head(lying, kId, keys.current(), true);
    auto opened = open_entry(head, std::string(sealed.body), kId, keys);
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.status().message().find("size"), std::string::npos)
        << opened.status().message();
  }
}

TEST(EnvelopeTest, CompressionStartsAtTwoKilobytes) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (size_t n : {2047u, 2048u}) {
    Entry e = sample_entry(std::string(n, 'z'));
    SealedEntry sealed = seal_entry(e, kId, keys.current(), true);
    EXPECT_EQ((sealed.body[5] & kCompressed) != 0, n >= 2048) << n;
    auto opened = open(sealed, keys);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->body_text(), e.body_text());
  }
}

TEST(EnvelopeTest, PartHeaderFieldsAreChecked) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e = sample_entry();
  SealedEntry sealed = seal_entry(e, kId, keys.current(), false);
  ASSERT_TRUE(open(sealed, keys));
  struct Damage {
    size_t at;
    char value;
    const char* message;
  };
  const Damage damages[] = {
      {0, 'X', "bad magic"},      {3, 'X', "bad magic"},   {4, 2, "unsupported version"},
      {5, 0x04, "unknown flags"}, {7, 1, "unknown flags"}, {6, 0x7f, "not a head part"},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.message);
    std::string head = sealed.head;
    head[d.at] = d.value;
    PartHeader fields;
    Status s = parse_part_header(head, EnvelopePart::kHead, keys, &fields);
    EXPECT_EQ(s.code(), Status::Code::kCorruption);
    EXPECT_NE(s.message().find(d.message), std::string::npos) << s.message();
  }
  PartHeader fields;
  ASSERT_TRUE(parse_part_header(sealed.head, EnvelopePart::kHead, keys, &fields));
  EXPECT_FALSE(fields.encrypted);
  EXPECT_FALSE(fields.compressed);
  EXPECT_EQ(fields.key, &keys.current());
  EXPECT_EQ(parse_part_header(sealed.head.substr(0, kEnvelopeHeaderSize - 1), EnvelopePart::kHead,
                              keys, &fields)
                .code(),
            Status::Code::kCorruption);
  EXPECT_TRUE(parse_part_header(sealed.head.substr(0, kEnvelopeHeaderSize), EnvelopePart::kHead,
                                keys, &fields));
  crypto::Keyring stranger({DataKey::generate()}, "default");
  EXPECT_EQ(parse_part_header(sealed.head, EnvelopePart::kHead, stranger, &fields).code(),
            Status::Code::kNotFound);
}

TEST(EnvelopeTest, APartJustLongEnoughForHeaderAndTagOpens) {
  // An empty payload: header and tag only (the shortest valid part); one byte less is refused.
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string part = seal_raw_part(EnvelopePart::kHead, kEncrypted, "", kId, keys.current());
  ASSERT_EQ(part.size(), kEnvelopeHeaderSize + crypto::kAeadTagSize);
  uint64_t body_size = 0;
  // It authenticates; its empty payload then fails to decode as a head, by its own message.
  auto opened = open_head(part, kId, keys, &body_size);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.status().message().find("entry kind"), std::string::npos)
      << opened.status().message();
  auto shorter = open_head(part.substr(0, part.size() - 1), kId, keys, &body_size);
  EXPECT_NE(shorter.status().message().find("shorter than header and tag"), std::string::npos)
      << shorter.status().message();
}

TEST(EnvelopeTest, ACompressedPayloadIsBoundedByItsDeclaredSize) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry e;
  const std::string head_payload = encode_head(e);
  // A valid frame of the head payload opens.
  std::string frame(ZSTD_compressBound(head_payload.size()), '\0');
  frame.resize(
      ZSTD_compress(frame.data(), frame.size(), head_payload.data(), head_payload.size(), 1));
  uint64_t body_size = 0;
  auto good = open_head(
      seal_raw_part(EnvelopePart::kHead, kEncrypted | kCompressed, frame, kId, keys.current()), kId,
      keys, &body_size);
  ASSERT_TRUE(good) << good.status().to_string();
  // A frame that declares 2^40 bytes is refused before anything is allocated for it.
  std::string huge("\x28\xb5\x2f\xfd\xe0", 5);
  for (int i = 0; i < 8; ++i) huge.push_back(i == 5 ? '\x01' : '\0');
  huge += std::string("\x01\x00\x00", 3);  // a last, empty raw block
  auto refused = open_head(
      seal_raw_part(EnvelopePart::kHead, kEncrypted | kCompressed, huge, kId, keys.current()), kId,
      keys, &body_size);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("over limit"), std::string::npos)
      << refused.status().message();
  // A frame without its content size, and bytes that are no frame, are corruption.
  auto no_frame = open_head(
      seal_raw_part(EnvelopePart::kHead, kEncrypted | kCompressed, "not zstd", kId, keys.current()),
      kId, keys, &body_size);
  EXPECT_EQ(no_frame.status().code(), Status::Code::kCorruption);
  EXPECT_NE(no_frame.status().message().find("no valid zstd frame header"), std::string::npos)
      << no_frame.status().message();
  // A frame whose blocks decode to fewer bytes than it declares.
  std::string short_frame("\x28\xb5\x2f\xfd\x20\x05", 6);  // single segment, 5 bytes declared
  short_frame += std::string("\x19\x00\x00", 3) + "abc";   // last raw block of 3 bytes
  auto truncated = open_head(seal_raw_part(EnvelopePart::kHead, kEncrypted | kCompressed,
                                           short_frame, kId, keys.current()),
                             kId, keys, &body_size);
  EXPECT_EQ(truncated.status().code(), Status::Code::kCorruption);
}

TEST(EnvelopeTest, TheEncryptedFlagDecidesHowAPartIsAuthenticated) {
  // Sealed encrypted but flagged plain (or the reverse, flag and tag regenerated by someone
  // without the key cannot be done): the flag is part of the authenticated header, so flipping
  // it breaks the tag either way.
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    Entry e = sample_entry();
    SealedEntry sealed = seal_entry(e, kId, keys.current(), encrypt);
    std::string head = sealed.head;
    head[5] = static_cast<char>(head[5] ^ kEncrypted);
    uint64_t body_size = 0;
    EXPECT_EQ(open_head(head, kId, keys, &body_size).status().code(), Status::Code::kCorruption);
    PartHeader fields;
    ASSERT_TRUE(parse_part_header(sealed.head, EnvelopePart::kHead, keys, &fields));
    EXPECT_EQ(fields.encrypted, encrypt);
  }
}

}  // namespace
}  // namespace cachedata::core
