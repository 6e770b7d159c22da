// The primitives against published test vectors: HMAC-SHA-256 (RFC 4231), HKDF (RFC 5869),
// AES-256-GCM (the GCM specification's test case 16 key/IV with an empty-plaintext MAC check),
// also through the per-thread keyed contexts.
#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "crypto/aead.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::crypto {
namespace {

using base::from_hex;
using base::to_hex;

std::vector<uint8_t> bytes(std::string_view hex) {
  return from_hex(hex).value();
}

TEST(CryptoTest, Sha256OfEmptyAndAbc) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HmacSha256Rfc4231Cases) {
  auto key1 = bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  EXPECT_EQ(to_hex(HmacSha256(key1).mac("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  std::string jefe = "Jefe";
  HmacSha256 h2({reinterpret_cast<const uint8_t*>(jefe.data()), jefe.size()});
  EXPECT_EQ(to_hex(h2.mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Case 6: a key longer than the block is hashed first.
  std::vector<uint8_t> long_key(131, 0xaa);
  EXPECT_EQ(
      to_hex(HmacSha256(long_key).mac("Test Using Larger Than Block-Size Key - Hash Key First")),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // The same MAC over parts equals the MAC over their concatenation.
  std::string_view parts[] = {"what do ya ", "", "want for nothing?"};
  EXPECT_EQ(h2.mac(parts), h2.mac("what do ya want for nothing?"));
  HmacSha256 copy(h2);
  EXPECT_EQ(copy.mac("x"), h2.mac("x"));
}

TEST(CryptoTest, HkdfRfc5869Case1) {
  auto ikm = bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  auto salt = bytes("000102030405060708090a0b0c");
  auto info = bytes("f0f1f2f3f4f5f6f7f8f9");
  std::vector<uint8_t> okm(42);
  hkdf_sha256(ikm, as_chars(salt), as_chars(info), okm);
  EXPECT_EQ(to_hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(CryptoTest, AesGcmRoundTripAndTamperDetection) {
  AeadKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  AeadNonce nonce{};
  nonce[0] = 7;
  std::string plaintext = "attack at dawn";
  std::string_view aad[] = {"header", "id"};
  std::vector<uint8_t> ct(plaintext.size());
  uint8_t tag[kAeadTagSize];
  aead_seal(key, nonce, aad, plaintext, ct, tag);
  EXPECT_NE(as_chars(ct), plaintext);
  std::vector<uint8_t> pt(ct.size());
  ASSERT_TRUE(aead_open(key, nonce, aad, as_chars(ct), tag, pt));
  EXPECT_EQ(as_chars(pt), plaintext);
  std::string_view other_aad[] = {"header", "other-id"};
  EXPECT_FALSE(aead_open(key, nonce, other_aad, as_chars(ct), tag, pt));
  ct[0] ^= 1;
  EXPECT_FALSE(aead_open(key, nonce, aad, as_chars(ct), tag, pt));
}

TEST(CryptoTest, AesGcmKnownAnswerTestCase16) {
  // "The Galois/Counter Mode of Operation" (McGrew, Viega), test case 16 (AES-256, 60-byte
  // plaintext, 20-byte AAD).
  auto key_bytes = bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  AeadKey key;
  std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
  auto iv = bytes("cafebabefacedbaddecaf888");
  AeadNonce nonce;
  std::copy(iv.begin(), iv.end(), nonce.begin());
  auto pt = bytes(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
      "49a6b525b16aedf5aa0de657ba637b39");
  auto aad_bytes = bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string_view aad[] = {as_chars(aad_bytes)};
  std::vector<uint8_t> ct(pt.size());
  uint8_t tag[kAeadTagSize];
  aead_seal(key, nonce, aad, as_chars(pt), ct, tag);
  EXPECT_EQ(
      to_hex(ct),
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
      "56828838c5f61e6393ba7a0abcc9f662");
  EXPECT_EQ(to_hex(tag), "76fc6ece0f4e1768cddf8853bb2d551b");
}

// Contexts are kept per key and thread, re-used with only a new nonce: more keys than the
// thread keeps, seals and opens interleaved, failed opens in between — every operation still
// gives what a fresh context gives (the test case 16 answer, and round trips).
TEST(CryptoTest, AesGcmKeyedContextsGiveFreshContextAnswers) {
  auto key_bytes = bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  AeadKey kat_key;
  std::copy(key_bytes.begin(), key_bytes.end(), kat_key.begin());
  auto iv = bytes("cafebabefacedbaddecaf888");
  AeadNonce kat_nonce;
  std::copy(iv.begin(), iv.end(), kat_nonce.begin());
  auto kat_pt = bytes(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
      "49a6b525b16aedf5aa0de657ba637b39");
  auto kat_aad = bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string_view aad[] = {as_chars(kat_aad)};
  for (int round = 0; round < 3; ++round) {
    for (uint8_t k = 0; k < 7; ++k) {  // more keys than the contexts a thread keeps
      AeadKey key{};
      key.fill(static_cast<uint8_t>(k + 1));
      AeadNonce nonce{};
      nonce[11] = static_cast<uint8_t>(round * 16 + k);
      const std::string plaintext =
          "entry " + std::to_string(k) + " of round " + std::to_string(round);
      std::vector<uint8_t> ct(plaintext.size());
      uint8_t tag[kAeadTagSize];
      aead_seal(key, nonce, aad, plaintext, ct, tag);
      std::vector<uint8_t> pt(ct.size());
      ASSERT_TRUE(aead_open(key, nonce, aad, as_chars(ct), tag, pt));
      EXPECT_EQ(as_chars(pt), plaintext);
      tag[0] ^= 1;
      EXPECT_FALSE(aead_open(key, nonce, aad, as_chars(ct), tag, pt));
      tag[0] ^= 1;
      AeadNonce other = nonce;
      other[0] ^= 1;
      EXPECT_FALSE(aead_open(key, other, aad, as_chars(ct), tag, pt));
      // The known answer, between operations under other keys and after failures.
      std::vector<uint8_t> kat_ct(kat_pt.size());
      uint8_t kat_tag[kAeadTagSize];
      aead_seal(kat_key, kat_nonce, aad, as_chars(kat_pt), kat_ct, kat_tag);
      EXPECT_EQ(to_hex(kat_tag), "76fc6ece0f4e1768cddf8853bb2d551b");
      std::vector<uint8_t> kat_back(kat_ct.size());
      ASSERT_TRUE(aead_open(kat_key, kat_nonce, aad, as_chars(kat_ct), kat_tag, kat_back));
      EXPECT_EQ(kat_back, kat_pt);
      ASSERT_TRUE(aead_open(key, nonce, aad, as_chars(ct), tag, pt));  // after the KAT key
      EXPECT_EQ(as_chars(pt), plaintext);
    }
  }
}

TEST(CryptoTest, HexDecodingIsStrict) {
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(to_hex(from_hex("00FFa0").value()), "00ffa0");
}

}  // namespace
}  // namespace cachedata::crypto
