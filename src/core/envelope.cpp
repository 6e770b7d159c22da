#include "core/envelope.hpp"

#include <zstd.h>

#include <cstring>
#include <memory>

#include "crypto/random.hpp"

namespace cachedata::core {
namespace {

constexpr char kMagic[4] = {'C', 'D', 'A', 'T'};
constexpr uint8_t kFlagEncrypted = 0x01;
constexpr uint8_t kFlagCompressed = 0x02;
constexpr uint8_t kKnownFlags = kFlagEncrypted | kFlagCompressed;
// Below this, decompressing (zstd rebuilds its entropy tables per frame) costs more time on every
// hit than the few hundred bytes it saves: measured as 78% of opening a 1 KB envelope.
constexpr size_t kMinCompressBytes = 2048;
// Level 1: entries are re-fetchable data on a hot path; speed over the last few percent.
constexpr int kZstdLevel = 1;

// --- payload writer / reader (little-endian, LEB128 lengths) ---

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_fixed(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_str(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u8(uint8_t& v) {
    if (data_.empty()) return false;
    v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool fixed(uint64_t& v, int bytes) {
    if (data_.size() < static_cast<size_t>(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    data_.remove_prefix(bytes);
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!u8(b)) return false;
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool str(std::string& s) {
    uint64_t n;
    if (!varint(n) || n > data_.size()) return false;
    s.assign(data_.substr(0, n));
    data_.remove_prefix(n);
    return true;
  }
  bool bytes(uint8_t* out, size_t n) {
    if (data_.size() < n) return false;
    std::memcpy(out, data_.data(), n);
    data_.remove_prefix(n);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

// The compressed payload, or an empty string when compression does not shrink it.
std::string maybe_compress(std::string_view payload) {
  if (payload.size() < kMinCompressBytes) return {};
  std::string out(ZSTD_compressBound(payload.size()), '\0');
  size_t n = ZSTD_compressCCtx(thread_cctx(), out.data(), out.size(), payload.data(),
                               payload.size(), kZstdLevel);
  if (ZSTD_isError(n) || n >= payload.size()) return {};
  out.resize(n);
  return out;
}

Result<std::string> decompress(std::string_view frame) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::corruption("envelope: compressed payload has no valid zstd frame header");
  }
  if (size > kMaxPayloadBytes) return Status::corruption("envelope: payload size over limit");
  std::string out(static_cast<size_t>(size), '\0');
  size_t n = ZSTD_decompressDCtx(thread_dctx(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != out.size()) {
    return Status::corruption("envelope: zstd payload does not decode");
  }
  return out;
}

// The 24-byte part header: magic, version, flags, part, reserved, key fingerprint, nonce.
void put_part_header(std::string& out, uint8_t flags, EnvelopePart part,
                     const crypto::KeyFingerprint& fingerprint, const crypto::AeadNonce& nonce) {
  out.append(kMagic, sizeof kMagic);
  put_u8(out, kEnvelopeVersion);
  put_u8(out, flags);
  put_u8(out, static_cast<uint8_t>(part));
  put_u8(out, 0);  // reserved
  out.append(reinterpret_cast<const char*>(fingerprint.data()), fingerprint.size());
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
}

// Compresses (when worth it) and encrypts or authenticates one part's payload.
std::string seal_part(EnvelopePart part, std::string_view payload, std::string_view id,
                      const crypto::DerivedKeys& key, bool encrypt, crypto::AeadNonce* nonce_out) {
  std::string compressed = maybe_compress(payload);
  uint8_t flags = encrypt ? kFlagEncrypted : 0;
  if (!compressed.empty()) {
    flags |= kFlagCompressed;
    payload = compressed;
  }
  crypto::AeadNonce nonce;
  crypto::random_bytes(nonce);
  if (nonce_out != nullptr) *nonce_out = nonce;

  std::string out;
  out.reserve(kEnvelopeHeaderSize + payload.size() + crypto::kAeadTagSize);
  put_part_header(out, flags, part, key.fingerprint, nonce);
  size_t body_at = out.size();
  uint8_t tag[crypto::kAeadTagSize];
  if (encrypt) {
    out.resize(body_at + payload.size());
    std::string_view aad[] = {std::string_view(out.data(), kEnvelopeHeaderSize), id};
    crypto::aead_seal(key.envelope_key, nonce, aad, payload,
                      {reinterpret_cast<uint8_t*>(out.data() + body_at), payload.size()}, tag);
  } else {
    out.append(payload);
    std::string_view aad[] = {std::string_view(out.data(), kEnvelopeHeaderSize), id,
                              std::string_view(out).substr(body_at)};
    crypto::aead_seal(key.envelope_key, nonce, aad, {}, {}, tag);
  }
  out.append(reinterpret_cast<const char*>(tag), sizeof tag);
  return out;
}

}  // namespace

Status parse_part_header(std::string_view sealed, EnvelopePart part, const crypto::Keyring& keys,
                         PartHeader* out) {
  if (sealed.size() < kEnvelopeHeaderSize) {
    return Status::corruption("envelope: shorter than its header");
  }
  if (std::memcmp(sealed.data(), kMagic, sizeof kMagic) != 0) {
    return Status::corruption("envelope: bad magic");
  }
  if (static_cast<uint8_t>(sealed[4]) != kEnvelopeVersion) {
    return Status::corruption("envelope: unsupported version " +
                              std::to_string(static_cast<uint8_t>(sealed[4])));
  }
  uint8_t flags = static_cast<uint8_t>(sealed[5]);
  if ((flags & ~kKnownFlags) != 0 || sealed[7] != 0) {
    return Status::corruption("envelope: unknown flags");
  }
  if (static_cast<uint8_t>(sealed[6]) != static_cast<uint8_t>(part)) {
    return Status::corruption(part == EnvelopePart::kHead ? "envelope: not a head part"
                                                          : "envelope: not a body part");
  }
  crypto::KeyFingerprint fingerprint;
  std::memcpy(fingerprint.data(), sealed.data() + 8, fingerprint.size());
  out->key = keys.find(fingerprint);
  if (out->key == nullptr)
    return Status::not_found("envelope: sealed under a key that is not configured");
  std::memcpy(out->nonce.data(), sealed.data() + 12, out->nonce.size());
  out->encrypted = (flags & kFlagEncrypted) != 0;
  out->compressed = (flags & kFlagCompressed) != 0;
  return Status::ok();
}

namespace {

// Authenticates and decrypts one part in place: on success `sealed` holds the decoded payload.
// `nonce_out` receives the part's nonce (the body reference).
Status open_part(EnvelopePart part, std::string& sealed, std::string_view id,
                 const crypto::Keyring& keys, crypto::AeadNonce* nonce_out) {
  if (sealed.size() < kEnvelopeHeaderSize + crypto::kAeadTagSize) {
    return Status::corruption("envelope: shorter than header and tag");
  }
  PartHeader header_fields;
  if (Status s = parse_part_header(sealed, part, keys, &header_fields); !s) return s;
  const crypto::DerivedKeys* key = header_fields.key;
  const crypto::AeadNonce& nonce = header_fields.nonce;
  if (nonce_out != nullptr) *nonce_out = nonce;
  const uint8_t flags = (header_fields.encrypted ? kFlagEncrypted : 0) |
                        (header_fields.compressed ? kFlagCompressed : 0);

  const size_t payload_size = sealed.size() - kEnvelopeHeaderSize - crypto::kAeadTagSize;
  std::array<uint8_t, crypto::kAeadTagSize> tag;
  std::memcpy(tag.data(), sealed.data() + sealed.size() - tag.size(), tag.size());
  std::string_view header(sealed.data(), kEnvelopeHeaderSize);
  uint8_t* payload = reinterpret_cast<uint8_t*>(sealed.data() + kEnvelopeHeaderSize);
  bool authentic;
  if (flags & kFlagEncrypted) {
    // In place: a large body is decrypted where it was received, not copied.
    std::string_view aad[] = {header, id};
    authentic =
        crypto::aead_open(key->envelope_key, nonce, aad,
                          std::string_view(reinterpret_cast<const char*>(payload), payload_size),
                          tag, {payload, payload_size});
  } else {
    std::string_view aad[] = {
        header, id, std::string_view(reinterpret_cast<const char*>(payload), payload_size)};
    authentic = crypto::aead_open(key->envelope_key, nonce, aad, {}, tag, {});
  }
  if (!authentic) {
    return Status::corruption("envelope: authentication failed (altered, moved or wrong key)");
  }
  sealed.resize(kEnvelopeHeaderSize + payload_size);
  sealed.erase(0, kEnvelopeHeaderSize);
  if (flags & kFlagCompressed) {
    auto inflated = decompress(sealed);
    if (!inflated) return inflated.status();
    sealed = std::move(inflated).value();
  }
  return Status::ok();
}

bool is_zero(const BodyRef& ref) {
  for (uint8_t b : ref) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace

const std::string& Entry::body_text() const {
  static const std::string kEmpty;
  return body ? *body : kEmpty;
}

size_t Entry::memory_size() const {
  size_t n = sizeof(Entry) + body_text().size() + etag.size() + last_modified.size() + error.size();
  for (const auto& [k, v] : headers) n += k.size() + v.size() + 2 * sizeof(std::string);
  return n;
}

std::string encode_head(const Entry& e) {
  std::string out;
  size_t header_bytes = 0;
  for (const auto& [k, v] : e.headers) header_bytes += k.size() + v.size() + 4;
  out.reserve(80 + header_bytes + e.etag.size() + e.last_modified.size() + e.error.size());
  put_u8(out, static_cast<uint8_t>(e.kind));
  put_fixed(out, static_cast<uint16_t>(e.status_code), 2);
  put_fixed(out, static_cast<uint64_t>(e.stored_at_ms), 8);
  put_fixed(out, static_cast<uint64_t>(e.expires), 8);
  put_fixed(out, e.fetch_ms, 4);
  put_str(out, e.etag);
  put_str(out, e.last_modified);
  put_str(out, e.error);
  put_varint(out, e.headers.size());
  for (const auto& [k, v] : e.headers) {
    put_str(out, k);
    put_str(out, v);
  }
  put_varint(out, e.body_text().size());
  out.append(reinterpret_cast<const char*>(e.body_ref.data()), e.body_ref.size());
  return out;
}

Result<Entry> decode_head(std::string_view payload, uint64_t* body_size) {
  Reader r(payload);
  Entry e;
  uint8_t kind;
  uint64_t status, stored_at, expires, fetch_ms, header_count;
  if (!r.u8(kind) || kind > static_cast<uint8_t>(EntryKind::kVary)) {
    return Status::corruption("envelope: bad entry kind");
  }
  if (!r.fixed(status, 2) || !r.fixed(stored_at, 8) || !r.fixed(expires, 8) ||
      !r.fixed(fetch_ms, 4) || !r.str(e.etag) || !r.str(e.last_modified) || !r.str(e.error) ||
      !r.varint(header_count)) {
    return Status::corruption("envelope: truncated entry fields");
  }
  if (header_count > payload.size()) return Status::corruption("envelope: bad header count");
  e.kind = static_cast<EntryKind>(kind);
  e.status_code = static_cast<int>(status);
  e.stored_at_ms = static_cast<int64_t>(stored_at);
  e.expires = static_cast<int64_t>(expires);
  e.fetch_ms = static_cast<uint32_t>(fetch_ms);
  for (uint64_t i = 0; i < header_count; ++i) {
    std::string k, v;
    if (!r.str(k) || !r.str(v)) return Status::corruption("envelope: truncated headers");
    e.headers.add(std::move(k), std::move(v));
  }
  if (!r.varint(*body_size) || !r.bytes(e.body_ref.data(), e.body_ref.size())) {
    return Status::corruption("envelope: truncated body reference");
  }
  if (!r.done()) return Status::corruption("envelope: trailing bytes after the head");
  if ((*body_size == 0) != is_zero(e.body_ref)) {
    return Status::corruption("envelope: body size and body reference disagree");
  }
  return e;
}

SealedEntry seal_entry(Entry& entry, std::string_view id, const crypto::DerivedKeys& key,
                       bool encrypt) {
  SealedEntry sealed;
  entry.body_ref = {};
  if (!entry.body_text().empty()) {
    sealed.body =
        seal_part(EnvelopePart::kBody, entry.body_text(), id, key, encrypt, &entry.body_ref);
  }
  sealed.head = seal_head(entry, id, key, encrypt);
  return sealed;
}

std::string seal_head(const Entry& entry, std::string_view id, const crypto::DerivedKeys& key,
                      bool encrypt) {
  return seal_part(EnvelopePart::kHead, encode_head(entry), id, key, encrypt, nullptr);
}

Result<Entry> open_head(std::string_view head, std::string_view id, const crypto::Keyring& keys,
                        uint64_t* body_size) {
  std::string head_payload(head);
  if (Status s = open_part(EnvelopePart::kHead, head_payload, id, keys, nullptr); !s) return s;
  return decode_head(head_payload, body_size);
}

Result<Entry> open_entry(std::string_view head, std::string&& body, std::string_view id,
                         const crypto::Keyring& keys) {
  uint64_t body_size = 0;
  auto entry = open_head(head, id, keys, &body_size);
  if (!entry) return entry.status();
  if (body_size == 0) {
    if (!body.empty()) return Status::corruption("envelope: a body part for a head without body");
    return entry;
  }
  if (body.empty()) return Status::corruption("envelope: the body part is missing");
  crypto::AeadNonce body_nonce;
  if (Status s = open_part(EnvelopePart::kBody, body, id, keys, &body_nonce); !s) return s;
  if (body_nonce != entry->body_ref) {
    // Both parts are authentic, but from two different writes (a race between a 304 refresh
    // and a replacement): never combined.
    return Status::corruption("envelope: head and body belong to different writes");
  }
  if (body.size() != body_size) {
    return Status::corruption("envelope: body size differs from the head's");
  }
  entry->body = std::make_shared<const std::string>(std::move(body));
  return entry;
}

}  // namespace cachedata::core
