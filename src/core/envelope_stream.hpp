// EntryStreamOpener: opens a stored entry whose body part arrives in pieces (Store::get_streaming),
// decrypting — and inflating, when the part is compressed — each piece as it arrives, so a large
// body read from S3 is ready soon after its last byte instead of one full pass later, and only
// the opened body is held (never the sealed part beside it).
//
// Same checks and outcomes as open_entry (envelope.hpp): the head opens first, in begin(); the
// body part's header must name a configured key and the nonce the head names; every byte is
// authenticated by the tag, which is checked in finish() — nothing decrypted is handed out before
// it verifies. A failure at any step stops the reading (write() returns false) and finish()
// returns the first failure: kCorruption, or kNotFound for a key that is not configured.
// The body is allocated once, to the size the (authenticated) head declares. One opener per
// read; not shared between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cachedata/status.hpp"
#include "cachedata/store.hpp"
#include "core/envelope.hpp"

namespace cachedata::core {

class EntryStreamOpener final : public BodySink {
 public:
  // `id` and `keys` must outlive the opener.
  EntryStreamOpener(std::string_view id, const crypto::Keyring& keys);
  ~EntryStreamOpener() override;

  bool begin(const StoredRecord& record, uint64_t size) override;
  bool write(std::string_view bytes) override;

  // Whether the store used this sink (else the record carries its body; use open_entry).
  bool began() const { return began_; }
  // The opened entry, once the whole part was written and its tag verifies. Once only.
  Result<Entry> finish();

 private:
  bool fail(Status status);
  bool start_payload();
  bool take_payload(std::string_view bytes);
  bool inflate(const uint8_t* data, size_t size);

  std::string_view id_;
  const crypto::Keyring& keys_;
  bool began_ = false;
  Status failed_;  // the first failure; ok while all is well
  std::optional<Entry> entry_;
  uint64_t body_size_ = 0;  // the head's: the opened body's size
  uint64_t part_size_ = 0;  // the store's: the sealed part's size
  uint64_t received_ = 0;
  std::string header_;  // the part's header, then its tag, as they arrive
  PartHeader fields_;
  std::unique_ptr<crypto::AeadOpenStream> aead_;
  struct Inflater;
  std::unique_ptr<Inflater> inflater_;
  std::string body_;
  size_t body_filled_ = 0;
};

}  // namespace cachedata::core
