// EntryStreamOpener (src/core/envelope_stream.*): a body part written in pieces of any size opens
// to exactly what open_entry gives for the whole part — encrypted or not, compressed or not — and
// every way a streamed part can be wrong ends in the same refusal open_entry gives, named after
// the failure, with nothing of the body handed out.
#include <gtest/gtest.h>

#include <random>

#include "core/envelope.hpp"
#include "core/envelope_stream.hpp"
#include "crypto/keyring.hpp"

namespace cachedata::core {
namespace {

const std::string kId(64, 'b');

std::string json_like(size_t n) {
  std::string s;
  s.reserve(n + 64);
  for (size_t i = 0; s.size() < n; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"name\":\"item " + std::to_string(i % 97) + "\"},";
  }
  s.resize(n);
  return s;
}

std::string random_bytes(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

struct Sealed {
  Entry entry;
  SealedEntry parts;
};

Sealed seal(std::string body, const crypto::Keyring& keys, bool encrypt) {
  Sealed s;
  s.entry.status_code = 200;
  s.entry.headers.add("Content-Type", "application/json");
  s.entry.expires = 1768478700;
  s.entry.body = std::make_shared<const std::string>(std::move(body));
  s.parts = seal_entry(s.entry, kId, keys.current(), encrypt);
  return s;
}

StoredRecord record_of(const SealedEntry& parts) {
  StoredRecord r;
  r.id = kId;
  r.head = parts.head;
  return r;
}

// Feeds `part` in pieces of `piece` bytes (0: random sizes up to 64 KiB); stops where write()
// refuses, as a store does.
Result<Entry> stream_open(const std::string& head, std::string_view part,
                          const crypto::Keyring& keys, size_t piece, uint64_t announced,
                          std::string_view id = kId, bool* refused = nullptr) {
  EntryStreamOpener opener(id, keys);
  StoredRecord r;
  r.id = std::string(id);
  r.head = head;
  if (!opener.begin(r, announced)) {
    if (refused != nullptr) *refused = true;
    return opener.finish();
  }
  std::mt19937 rng(11);
  while (!part.empty()) {
    size_t n = piece != 0 ? piece : 1 + rng() % 65536;
    n = std::min(n, part.size());
    if (!opener.write(part.substr(0, n))) {
      if (refused != nullptr) *refused = true;
      break;
    }
    part.remove_prefix(n);
  }
  return opener.finish();
}

Result<Entry> stream_open(const SealedEntry& parts, const crypto::Keyring& keys, size_t piece = 0) {
  return stream_open(parts.head, parts.body, keys, piece, parts.body.size());
}

TEST(EnvelopeStreamTest, OpensLikeOpenEntryInPiecesOfAnySize) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    for (const std::string& body : {json_like(300'000), random_bytes(300'000), json_like(5000)}) {
      Sealed s = seal(body, keys, encrypt);
      auto whole = open_entry(s.parts.head, std::string(s.parts.body), kId, keys);
      ASSERT_TRUE(whole) << whole.status().to_string();
      for (size_t piece :
           {size_t{1}, size_t{7}, size_t{24}, size_t{4096}, size_t{0}, s.parts.body.size()}) {
        if (piece == 1 && body.size() > 10'000 && encrypt) continue;  // covered below, smaller
        auto got = stream_open(s.parts, keys, piece);
        ASSERT_TRUE(got) << "piece " << piece << ": " << got.status().to_string();
        EXPECT_EQ(got->body_text(), body) << "piece " << piece << " encrypt " << encrypt;
        EXPECT_EQ(got->headers, whole->headers);
        EXPECT_EQ(got->body_ref, whole->body_ref);
        EXPECT_EQ(got->expires, whole->expires);
      }
    }
  }
  // Byte by byte through a compressed, encrypted part (decrypt + inflate per byte).
  Sealed s = seal(json_like(20'000), keys, true);
  auto got = stream_open(s.parts, keys, 1);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->body_text(), json_like(20'000));
}

TEST(EnvelopeStreamTest, OpensPartsSealedUnderAPreviousKey) {
  DataKey old_key = DataKey::generate();
  crypto::Keyring before({old_key}, "default");
  crypto::Keyring after({DataKey::generate(), old_key}, "default");
  Sealed s = seal(random_bytes(50'000), before, true);
  auto got = stream_open(s.parts, after);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->body_text(), random_bytes(50'000));
}

TEST(EnvelopeStreamTest, AnyFlippedBitFailsAuthenticationAtTheEnd) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  for (bool encrypt : {true, false}) {
    for (const std::string& body : {json_like(100'000), random_bytes(100'000)}) {
      Sealed s = seal(body, keys, encrypt);
      // A bit in the payload, in the tag, and in the part header's reserved/flag bytes.
      for (size_t at : {kEnvelopeHeaderSize + 10, s.parts.body.size() / 2, s.parts.body.size() - 1,
                        size_t{5}, size_t{7}}) {
        std::string tampered = s.parts.body;
        tampered[at] = static_cast<char>(tampered[at] ^ 0x04);
        auto got = stream_open(s.parts.head, tampered, keys, 0, tampered.size());
        ASSERT_FALSE(got) << "flipped byte " << at << " encrypt " << encrypt;
        EXPECT_EQ(got.status().code(), Status::Code::kCorruption) << got.status().to_string();
      }
    }
  }
}

TEST(EnvelopeStreamTest, TruncatedPartIsCutShort) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Sealed s = seal(random_bytes(40'000), keys, true);
  for (size_t keep : {size_t{0}, size_t{10}, size_t{24}, size_t{30'000}, s.parts.body.size() - 1}) {
    auto got = stream_open(s.parts.head, std::string_view(s.parts.body).substr(0, keep), keys, 0,
                           s.parts.body.size());
    ASSERT_FALSE(got) << "kept " << keep;
    EXPECT_NE(got.status().message().find("cut short"), std::string::npos)
        << got.status().to_string();
  }
}

TEST(EnvelopeStreamTest, PartLongerThanAnnouncedIsRefused) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Sealed s = seal(random_bytes(40'000), keys, true);
  bool refused = false;
  auto got = stream_open(s.parts.head, s.parts.body + "extra", keys, 0, s.parts.body.size(), kId,
                         &refused);
  EXPECT_TRUE(refused);
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().message().find("longer"), std::string::npos) << got.status().to_string();
}

TEST(EnvelopeStreamTest, AnnouncedSizeThatDisagreesWithTheHeadIsRefused) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Sealed s = seal(random_bytes(40'000), keys, true);  // not compressible: part = 40 + body
  bool refused = false;
  auto got = stream_open(s.parts.head, s.parts.body + "x", keys, 0, s.parts.body.size() + 1, kId,
                         &refused);
  EXPECT_TRUE(refused);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
}

// A head naming this very body (its reference) but declaring another size, sealed with the key
// as only a writer holding it could: a compressed body that inflates to more or fewer bytes than
// the head says is refused, in any piece size, as open_entry refuses it.
TEST(EnvelopeStreamTest, ACompressedBodyOfAnotherSizeThanItsHeadSaysIsRefused) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Sealed s = seal(json_like(20'000), keys, true);
  ASSERT_EQ(s.parts.body[5] & 0x02, 0x02);  // compressed
  for (size_t declared : {19'999u, 20'001u}) {
    Entry lying = s.entry;  // body_ref set by seal_entry
    lying.body = std::make_shared<const std::string>(std::string(declared, 'x'));
    const std::string head = seal_head(lying, kId, keys.current(), true);
    for (size_t piece : {size_t{1}, size_t{4096}, size_t{0}}) {
      SCOPED_TRACE(std::to_string(declared) + " declared, pieces of " + std::to_string(piece));
      auto got = stream_open(head, s.parts.body, keys, piece, s.parts.body.size());
      ASSERT_FALSE(got);
      EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
    }
    EXPECT_FALSE(open_entry(head, std::string(s.parts.body), kId, keys));
  }
  // Far larger than declared: zstd fills the declared bytes, then its own buffers, then can go
  // no further with input left. That is a refusal too, never a loop without progress.
  Sealed big = seal(json_like(4'000'000), keys, true);
  Entry lying = big.entry;
  lying.body = std::make_shared<const std::string>(std::string(1000, 'x'));
  const std::string head = seal_head(lying, kId, keys.current(), true);
  auto got = stream_open(head, big.parts.body, keys, 0, big.parts.body.size());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
}

TEST(EnvelopeStreamTest, BodyFromAnotherWriteIsRefusedAfterItsHeader) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Sealed first = seal(random_bytes(40'000, 1), keys, true);
  Sealed second = seal(random_bytes(40'000, 2), keys, true);
  // The first write's head with the second write's body: both authentic, never combined. The
  // refusal comes right after the part header (24 bytes), before any payload is decrypted.
  EntryStreamOpener opener(kId, keys);
  ASSERT_TRUE(opener.begin(record_of(first.parts), second.parts.body.size()));
  EXPECT_FALSE(opener.write(std::string_view(second.parts.body).substr(0, kEnvelopeHeaderSize)));
  auto got = opener.finish();
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().message().find("different writes"), std::string::npos)
      << got.status().to_string();
  // The same body in one piece: refused at its header, and nothing after it is looked at.
  EntryStreamOpener whole(kId, keys);
  ASSERT_TRUE(whole.begin(record_of(first.parts), second.parts.body.size()));
  EXPECT_FALSE(whole.write(second.parts.body));
  EXPECT_NE(whole.finish().status().message().find("different writes"), std::string::npos);
}

TEST(EnvelopeStreamTest, PartMovedToAnotherIdFails) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Sealed s = seal(random_bytes(40'000), keys, true);
  bool refused = false;
  auto got = stream_open(s.parts.head, s.parts.body, keys, 0, s.parts.body.size(),
                         std::string(64, 'c'), &refused);
  EXPECT_TRUE(refused);  // the head does not open under another id: the body is not read
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
}

TEST(EnvelopeStreamTest, WrongKeyIsRefusedBeforeTheBody) {
  crypto::Keyring writer({DataKey::generate()}, "default");
  crypto::Keyring reader({DataKey::generate()}, "default");
  Sealed s = seal(random_bytes(40'000), writer, true);
  bool refused = false;
  auto got = stream_open(s.parts.head, s.parts.body, reader, 0, s.parts.body.size(), kId, &refused);
  EXPECT_TRUE(refused);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().code(), Status::Code::kNotFound) << got.status().to_string();
}

TEST(EnvelopeStreamTest, HeadWithoutBodyRefusesAStreamedBody) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Entry empty;
  empty.status_code = 204;
  SealedEntry parts = seal_entry(empty, kId, keys.current(), true);
  EntryStreamOpener opener(kId, keys);
  EXPECT_FALSE(opener.begin(record_of(parts), 100));
  EXPECT_FALSE(opener.finish());
}

TEST(EnvelopeStreamTest, FinishWithoutBeginOrTwiceIsAnError) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  EntryStreamOpener unused(kId, keys);
  EXPECT_FALSE(unused.began());
  EXPECT_FALSE(unused.finish());
  EXPECT_FALSE(unused.write("bytes"));

  Sealed s = seal(random_bytes(1000), keys, true);
  EntryStreamOpener opener(kId, keys);
  ASSERT_TRUE(opener.begin(record_of(s.parts), s.parts.body.size()));
  ASSERT_TRUE(opener.write(s.parts.body));
  ASSERT_TRUE(opener.finish());
  auto again = opener.finish();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(again.status().message().find("already finished"), std::string::npos)
      << again.status().to_string();
}

}  // namespace
}  // namespace cachedata::core
