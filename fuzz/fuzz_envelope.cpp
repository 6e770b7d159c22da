// Fuzz target: the envelope (src/core/envelope.hpp, docs/FORMAT.md "Envelope") — the bytes a store
// hands back, which may be truncated, corrupted, or written by another version.
//
// The first input byte picks a mode; the rest is the data:
//   mode 0  decode_head(data): the head payload decoder alone;
//   mode 1  open_entry with a fixed keyring: arbitrary bytes as a stored head (with a valid
//           body) and as a stored body (with a valid head);
//   mode 2  data spliced into a validly sealed head or body (replace or insert at an offset);
//           checks that no altered part opens;
//   mode 3  data sealed as the payload of an authentic head part (flags from the control byte),
//           so the decompressor and the decoder see arbitrary bytes that pass authentication.
// Invariants (abort when broken): whatever decodes re-encodes and decodes to the same entry, and
// seals and opens to the same entry; a part whose bytes differ from a sealed one never opens;
// a part under an unconfigured key is kNotFound; an authentic uncompressed head without a body
// opens exactly when decode_head accepts it and it declares no body.
#include <zstd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/data_key.hpp"
#include "core/entry.hpp"
#include "core/envelope.hpp"
#include "crypto/aead.hpp"
#include "crypto/keyring.hpp"

std::vector<std::string> cachedata_fuzz_seeds();

namespace {

using cachedata::DataKey;
using cachedata::Status;
using cachedata::core::Entry;
using cachedata::core::EntryKind;
using cachedata::crypto::DerivedKeys;
using cachedata::crypto::Keyring;

constexpr uint8_t kFlagEncrypted = 0x01;  // docs/FORMAT.md, "Envelope": header flags
constexpr uint8_t kFlagCompressed = 0x02;
constexpr std::string_view kId = "5f1e0b8a0f1c3d2e4a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";
constexpr std::string_view kOtherId =
    "0000000000000000000000000000000000000000000000000000000000000000";
// Authentic envelopes whose claimed decompressed size is over this are not opened: the decoder
// allows up to kMaxPayloadBytes (2 GiB) by design, and allocating that is not what we test here.
constexpr unsigned long long kMaxClaimedBytes = 1ull << 20;

[[noreturn]] void fail(const char* what, const uint8_t* data, size_t size) {
  std::fprintf(stderr, "fuzz_envelope: invariant broken: %s (input of %zu bytes)\n", what, size);
  (void)data;
  std::abort();
}

DataKey key_from_hex(std::string_view hex) {
  auto key = DataKey::from_hex(hex);
  if (!key) {
    std::fprintf(stderr, "fuzz_envelope: bad fixed key\n");
    std::abort();
  }
  return std::move(key).value();
}

// The keyring the target opens with: a current key and a previous one (rotation).
const Keyring& keyring() {
  static const Keyring ring(
      {key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
       key_from_hex("f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f")},
      "fuzz");
  return ring;
}

// A key the keyring does not hold.
const DerivedKeys& stranger_key() {
  static const DerivedKeys key(
      key_from_hex("abababababababababababababababababababababababababababababababab"), "fuzz");
  return key;
}

bool same_entry(const Entry& a, const Entry& b) {
  return a.kind == b.kind && a.status_code == b.status_code && a.headers == b.headers &&
         a.body_text() == b.body_text() && a.etag == b.etag && a.last_modified == b.last_modified &&
         a.error == b.error && a.stored_at_ms == b.stored_at_ms && a.expires == b.expires &&
         a.fetch_ms == b.fetch_ms && a.body_ref == b.body_ref;
}

// A head part with `payload` (already compressed when kFlagCompressed is set) sealed exactly as
// seal_head does, but with the flags and the nonce chosen by the caller.
std::string seal_payload(const DerivedKeys& key, uint8_t flags, std::string_view payload,
                         std::string_view id, uint8_t nonce_byte) {
  std::string out = "CDAT";
  out.push_back(static_cast<char>(cachedata::core::kEnvelopeVersion));
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(cachedata::core::EnvelopePart::kHead));
  out.push_back('\0');  // reserved
  out.append(reinterpret_cast<const char*>(key.fingerprint.data()), key.fingerprint.size());
  cachedata::crypto::AeadNonce nonce;
  nonce.fill(nonce_byte);
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  const size_t body_at = out.size();
  uint8_t tag[cachedata::crypto::kAeadTagSize];
  if (flags & kFlagEncrypted) {
    out.resize(body_at + payload.size());
    const std::string_view aad[] = {std::string_view(out.data(), body_at), id};
    cachedata::crypto::aead_seal(key.envelope_key, nonce, aad, payload,
                                 {reinterpret_cast<uint8_t*>(out.data() + body_at), payload.size()},
                                 tag);
  } else {
    out.append(payload);
    const std::string_view aad[] = {std::string_view(out.data(), body_at), id,
                                    std::string_view(out).substr(body_at)};
    cachedata::crypto::aead_seal(key.envelope_key, nonce, aad, {}, {}, tag);
  }
  out.append(reinterpret_cast<const char*>(tag), sizeof tag);
  return out;
}

std::string zstd_compress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 1);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

std::vector<Entry> sample_entries() {
  std::vector<Entry> out;
  Entry answer;
  answer.status_code = 200;
  answer.headers.add("Content-Type", "application/json");
  answer.headers.add("ETag", "\"v1\"");
  answer.headers.add("Set-Cookie", "a=1");
  answer.headers.add("Set-Cookie", "b=2");
  answer.body = std::make_shared<const std::string>(R"({"name":"items","page":2,"data":[1,2,3]})");
  answer.etag = "\"v1\"";
  answer.last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
  answer.stored_at_ms = 1768478400123;
  answer.expires = 1768478700;
  answer.fetch_ms = 312;
  out.push_back(answer);

  Entry failure;
  failure.kind = EntryKind::kFailure;
  failure.status_code = 503;
  failure.error = "origin answered 503";
  failure.stored_at_ms = 1768478400000;
  failure.expires = 1768478410;
  out.push_back(failure);

  out.push_back(Entry{});  // all fields empty

  Entry large = answer;  // compressible: sealed with the compressed flag
  std::string rows;
  for (int i = 0; i < 200; ++i) rows += "{\"row\":" + std::to_string(i) + ",\"v\":\"abc\"},";
  large.body = std::make_shared<const std::string>(std::move(rows));
  large.headers.add("X-Long", std::string(3000, 'x'));  // a head large enough to compress
  out.push_back(large);
  return out;
}

// Validly sealed entries to splice into (mode 2): [encrypted?][compressible?].
const std::vector<cachedata::core::SealedEntry>& splice_bases() {
  static const std::vector<cachedata::core::SealedEntry> bases = [] {
    std::vector<Entry> entries = sample_entries();
    const DerivedKeys& key = keyring().current();
    return std::vector<cachedata::core::SealedEntry>{
        cachedata::core::seal_entry(entries[0], kId, key, false),
        cachedata::core::seal_entry(entries[3], kId, key, false),
        cachedata::core::seal_entry(entries[0], kId, key, true),
        cachedata::core::seal_entry(entries[3], kId, key, true),
    };
  }();
  return bases;
}

cachedata::Result<Entry> open(std::string_view head, std::string_view body,
                              std::string_view id = kId) {
  return cachedata::core::open_entry(head, std::string(body), id, keyring());
}

// Checks what any successfully decoded or opened entry must satisfy.
void check_entry(const Entry& e, uint64_t body_size, const uint8_t* data, size_t size) {
  // encode_head writes the size of the body the entry holds; a decoded head holds none.
  if (body_size == 0 || e.body) {
    uint64_t again_size = 0;
    auto again = cachedata::core::decode_head(cachedata::core::encode_head(e), &again_size);
    Entry head_only = e;
    head_only.body = nullptr;
    if (!again || !same_entry(*again, head_only) || again_size != e.body_text().size()) {
      fail("encode(decode(x)) does not decode to x", data, size);
    }
  }
  Entry copy = e;
  if (!copy.body && body_size > 0) {
    copy.body = std::make_shared<const std::string>(static_cast<size_t>(body_size % 4096), 'b');
  }
  for (bool encrypt : {false, true}) {
    cachedata::core::SealedEntry sealed =
        cachedata::core::seal_entry(copy, kId, keyring().current(), encrypt);
    auto opened = open(sealed.head, sealed.body);
    if (!opened || !same_entry(*opened, copy)) fail("seal then open lost the entry", data, size);
    if (open(sealed.head, sealed.body, kOtherId)) {
      fail("an entry opened under another id", data, size);
    }
  }
}

// The harness must build heads the way seal_head does, or mode 3 tests nothing.
void check_harness_matches_format() {
  static const bool checked = [] {
    for (Entry e : sample_entries()) {
      e.body = nullptr;  // a head without a body opens on its own
      e.body_ref = {};
      const std::string payload = cachedata::core::encode_head(e);
      for (uint8_t flags : {uint8_t{0}, kFlagEncrypted}) {
        auto opened = open(seal_payload(keyring().current(), flags, payload, kId, 7), "");
        if (!opened || !same_entry(*opened, e)) {
          std::fprintf(stderr,
                       "fuzz_envelope: the harness's envelope no longer matches the format "
                       "(docs/FORMAT.md); update seal_payload()\n");
          std::abort();
        }
      }
    }
    return true;
  }();
  (void)checked;
}

void run_decode(std::string_view payload, const uint8_t* data, size_t size) {
  uint64_t body_size = 0;
  auto entry = cachedata::core::decode_head(payload, &body_size);
  if (entry) check_entry(*entry, body_size, data, size);
}

void run_open_raw(std::string_view sealed, const uint8_t* data, size_t size) {
  const auto& valid = splice_bases()[2];
  // Arbitrary bytes as the head (no body, and the valid body), then as the body.
  for (auto entry : {open(sealed, ""), open(sealed, valid.body), open(valid.head, sealed)}) {
    if (entry) check_entry(*entry, entry->body_text().size(), data, size);
  }
}

// control bit 4 picks the part (head or body); rest: offset (2 bytes, little-endian), bytes to
// replace (1 byte), then the bytes to put there.
void run_splice(uint8_t control, std::string_view rest, const uint8_t* data, size_t size) {
  const auto& sealed = splice_bases()[(control >> 2) & 3];
  const bool in_head = (control & 0x10) == 0;
  const std::string& base = in_head ? sealed.head : sealed.body;
  size_t offset = 0, replace = 0;
  if (rest.size() >= 3) {
    offset =
        (static_cast<uint8_t>(rest[0]) | static_cast<size_t>(static_cast<uint8_t>(rest[1])) << 8) %
        (base.size() + 1);
    replace = static_cast<uint8_t>(rest[2]);
    rest.remove_prefix(3);
  }
  std::string spliced = base.substr(0, offset);
  spliced.append(rest);
  if (offset + replace < base.size()) spliced.append(base.substr(offset + replace));
  auto entry = in_head ? open(spliced, sealed.body) : open(sealed.head, spliced);
  if (entry && spliced != base) fail("an altered part opened", data, size);
  if (!entry && spliced == base) fail("an intact entry failed to open", data, size);
}

// control bits: 2 encrypted, 3 compressed, 4 previous key, 5 unconfigured key.
void run_authentic(uint8_t control, std::string_view payload, const uint8_t* data, size_t size) {
  uint8_t flags = 0;
  if (control & 0x04) flags |= kFlagEncrypted;
  if (control & 0x08) flags |= kFlagCompressed;
  if (flags & kFlagCompressed) {
    const unsigned long long claimed = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (claimed != ZSTD_CONTENTSIZE_ERROR && claimed != ZSTD_CONTENTSIZE_UNKNOWN &&
        claimed > kMaxClaimedBytes) {
      return;
    }
  }
  const bool unknown_key = control & 0x20;
  const DerivedKeys& key =
      unknown_key ? stranger_key() : *keyring().all()[(control & 0x10) ? 1 : 0];
  const std::string sealed = seal_payload(key, flags, payload, kId, control);
  auto entry = open(sealed, "");
  if (unknown_key) {
    if (entry || entry.status().code() != Status::Code::kNotFound) {
      fail("an envelope under an unconfigured key was not kNotFound", data, size);
    }
    return;
  }
  if (!(flags & kFlagCompressed)) {
    uint64_t body_size = 0;
    const bool decodes = cachedata::core::decode_head(payload, &body_size).is_ok();
    if (entry.is_ok() != (decodes && body_size == 0)) {
      fail("open_entry and decode_head disagree on an authentic payload", data, size);
    }
  }
  if (entry) check_entry(*entry, 0, data, size);
  if (open(sealed, "", kOtherId)) fail("an authentic head opened under another id", data, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_harness_matches_format();
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (control & 3) {
    case 0:
      run_decode(rest, data, size);
      break;
    case 1:
      run_open_raw(rest, data, size);
      break;
    case 2:
      run_splice(control, rest, data, size);
      break;
    default:
      run_authentic(control, rest, data, size);
      break;
  }
  return 0;
}

std::vector<std::string> cachedata_fuzz_seeds() {
  std::vector<std::string> seeds;
  auto with = [&](uint8_t control, std::string_view rest) {
    std::string s(1, static_cast<char>(control));
    s.append(rest);
    seeds.push_back(std::move(s));
  };
  std::vector<Entry> entries = sample_entries();
  for (Entry& e : entries) {
    e.body = nullptr;
    e.body_ref = {};
    const std::string payload = cachedata::core::encode_head(e);
    with(0, payload);                        // mode 0: the payload alone
    with(3, payload);                        // mode 3: authentic, plain
    with(3 | 0x04, payload);                 // encrypted
    with(3 | 0x04 | 0x10, payload);          // under the previous key
    with(3 | 0x08, zstd_compress(payload));  // compressed
    with(3 | 0x0c, zstd_compress(payload));  // compressed and encrypted
    with(3 | 0x24, payload);                 // unconfigured key
  }
  for (const auto& sealed : splice_bases()) {  // mode 1: stored heads and bodies
    with(1, sealed.head);
    with(1, sealed.body);
  }
  // mode 2: offset, replace count, bytes — in the header, the nonce, the body, the tag, the end;
  // of the head (bit 4 clear) and of the body (bit 4 set).
  for (uint8_t base = 0; base < 8; ++base) {
    const uint8_t control = static_cast<uint8_t>(2 | (base << 2));
    with(control, std::string("\x00\x00\x00", 3));                  // no change
    with(control, std::string("\x04\x00\x01\x02", 4));              // version
    with(control, std::string("\x05\x00\x01\x03", 4));              // flags
    with(control, std::string("\x08\x00\x04\x00\x00\x00\x00", 7));  // fingerprint
    with(control, std::string("\x18\x00\x01\x00", 4));              // first payload byte
    with(control, std::string("\x18\x00\x00\x28\xb5\x2f\xfd", 7));  // zstd magic inserted
    with(control, std::string("\xff\xff\x10", 3));                  // truncation at the end
  }
  return seeds;
}
