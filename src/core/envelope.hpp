// The envelope: the versioned binary form of an entry at rest (docs/FORMAT.md, "Envelope").
//
// seal() serialises an Entry, compresses it with zstd when that makes it smaller, then
// encrypts it with AES-256-GCM under the current envelope key with a random 96-bit nonce; the
// envelope header and the request id are authenticated as associated data, so an envelope
// copied under another id, or altered in any bit, fails to open. With encrypt = false the
// payload stays readable but is still authenticated (GMAC over header, id and payload).
// open() picks the key by the fingerprint in the header, so entries sealed under a previous
// key still open after a rotation. Pure functions; safe from many threads.
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

std::string seal_envelope(const Entry& entry, std::string_view id, const crypto::DerivedKeys& key,
                          bool encrypt);

// kCorruption for anything that does not authenticate or decode (the message says which
// check failed, never any content); kNotFound when no configured key has the fingerprint.
Result<Entry> open_envelope(std::string_view sealed, std::string_view id,
                            const crypto::Keyring& keys);

// The payload encoding alone (before compression and encryption), exposed for the fuzzer.
std::string encode_entry(const Entry& entry);
Result<Entry> decode_entry(std::string_view payload);

}  // namespace cachedata::core
