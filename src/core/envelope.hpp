// The envelope: the versioned binary form of an entry at rest (docs/FORMAT.md, "Envelope").
//
// An entry is sealed as two parts that share one format: a small head (kind, status, times,
// validators, headers, the body's size and a reference to the body part) and the body. Each part
// is compressed with zstd when that makes it smaller, then encrypted with AES-256-GCM under the
// current envelope key with a random 96-bit nonce; the part's header (which says which part it
// is) and the request id are authenticated as associated data, so a part copied under another
// id, swapped for the other part, or altered in any bit, fails to open. The head names its body
// by the body part's nonce, so a head never opens with a body from another write. With
// encrypt = false a part stays readable but is still authenticated (GMAC over header, id and
// payload). open_* pick the key by the fingerprint in the header, so parts sealed under a
// previous key still open after a rotation. Pure functions; safe from many threads.
#pragma once

#include <string>
#include <string_view>

#include "cachedata/status.hpp"
#include "core/entry.hpp"
#include "crypto/keyring.hpp"

namespace cachedata::core {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr size_t kEnvelopeHeaderSize = 24;
// Decoded payloads are never inflated past this, whatever a (valid) frame claims.
inline constexpr size_t kMaxPayloadBytes = size_t{1} << 31;

enum class EnvelopePart : uint8_t { kHead = 0, kBody = 1 };

struct SealedEntry {
  std::string head;
  std::string body;  // empty when the entry's body is empty
};

// Seals both parts; sets entry.body_ref to the new body part's reference.
SealedEntry seal_entry(Entry& entry, std::string_view id, const crypto::DerivedKeys& key,
                       bool encrypt);
// Seals only the head, referring to the body part `entry.body_ref` names (a 304 refresh).
std::string seal_head(const Entry& entry, std::string_view id, const crypto::DerivedKeys& key,
                      bool encrypt);

// Opens a stored entry. `body` is decrypted in place (a large body is not copied a second time).
// kCorruption for anything that does not authenticate or decode, or a head and body that do not
// belong together (the message says which check failed, never any content); kNotFound when no
// configured key has the fingerprint.
Result<Entry> open_entry(std::string_view head, std::string&& body, std::string_view id,
                         const crypto::Keyring& keys);

// Opens the head part alone: the entry without its body, and the body size the head declares.
Result<Entry> open_head(std::string_view head, std::string_view id, const crypto::Keyring& keys,
                        uint64_t* body_size);

// A part's 24-byte header, checked (magic, version, flags, which part) and its key found by
// fingerprint (kNotFound when none is configured). For openers that read a part as a stream.
struct PartHeader {
  const crypto::DerivedKeys* key = nullptr;
  crypto::AeadNonce nonce{};
  bool encrypted = false;
  bool compressed = false;
};
Status parse_part_header(std::string_view sealed, EnvelopePart part, const crypto::Keyring& keys,
                         PartHeader* out);

// The head payload encoding alone (before compression and encryption), exposed for the fuzzer.
// decode_head leaves `body` null and returns the body size it declares in `body_size`.
std::string encode_head(const Entry& entry);
Result<Entry> decode_head(std::string_view payload, uint64_t* body_size);

}  // namespace cachedata::core
