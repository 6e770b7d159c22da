#include "core/envelope_stream.hpp"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <vector>

namespace cachedata::core {
namespace {

constexpr size_t kTagSize = crypto::kAeadTagSize;
// Decrypted compressed bytes pass through this much scratch on their way to zstd: small enough
// to stay in cache between the two steps.
constexpr size_t kScratchBytes = 64 * 1024;

}  // namespace

struct EntryStreamOpener::Inflater {
  struct DCtxDeleter {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx{ZSTD_createDCtx()};
  std::vector<uint8_t> scratch;
  bool frame_done = false;
};

EntryStreamOpener::EntryStreamOpener(std::string_view id, const crypto::Keyring& keys)
    : id_(id), keys_(keys) {}

EntryStreamOpener::~EntryStreamOpener() = default;

bool EntryStreamOpener::fail(Status status) {
  if (failed_.is_ok()) failed_ = std::move(status);
  body_.clear();
  body_.shrink_to_fit();  // nothing of a failed body is kept
  return false;
}

bool EntryStreamOpener::begin(const StoredRecord& record, uint64_t size) {
  began_ = true;
  auto entry = open_head(record.head, id_, keys_, &body_size_);
  if (!entry) return fail(entry.status());
  entry_ = std::move(entry).value();
  if (body_size_ == 0)
    return fail(Status::corruption("envelope: a body part for a head without body"));
  if (size < kEnvelopeHeaderSize + kTagSize) {
    return fail(Status::corruption("envelope: shorter than header and tag"));
  }
  if (body_size_ > kMaxPayloadBytes) {
    return fail(Status::corruption("envelope: payload size over limit"));
  }
  part_size_ = size;
  header_.reserve(kEnvelopeHeaderSize);
  return true;
}

bool EntryStreamOpener::start_payload() {
  if (Status s = parse_part_header(header_, EnvelopePart::kBody, keys_, &fields_); !s) {
    return fail(std::move(s));
  }
  if (fields_.nonce != entry_->body_ref) {
    // Both parts may be authentic, but from two different writes: never combined.
    return fail(Status::corruption("envelope: head and body belong to different writes"));
  }
  const uint64_t payload_size = part_size_ - kEnvelopeHeaderSize - kTagSize;
  if (!fields_.compressed && payload_size != body_size_) {
    return fail(Status::corruption("envelope: body size differs from the head's"));
  }
  aead_ = std::make_unique<crypto::AeadOpenStream>(fields_.key->envelope_key, fields_.nonce);
  aead_->add_aad(header_);
  aead_->add_aad(id_);
  if (fields_.compressed) {
    inflater_ = std::make_unique<Inflater>();
    if (!inflater_->dctx) return fail(Status::corruption("envelope: no zstd context"));
    if (fields_.encrypted) inflater_->scratch.resize(kScratchBytes);
  }
  // Allocated once, to the size the authenticated head declares.
  body_.resize(static_cast<size_t>(body_size_));
  header_.clear();  // from now on: the tag
  return true;
}

bool EntryStreamOpener::inflate(const uint8_t* data, size_t size) {
  ZSTD_inBuffer in{data, size, 0};
  ZSTD_outBuffer out{body_.data(), body_.size(), body_filled_};
  while (in.pos < in.size) {
    if (inflater_->frame_done) {
      return fail(Status::corruption("envelope: bytes after the compressed payload"));
    }
    const size_t in_before = in.pos, out_before = out.pos;
    const size_t r = ZSTD_decompressStream(inflater_->dctx.get(), &out, &in);
    if (ZSTD_isError(r)) return fail(Status::corruption("envelope: zstd payload does not decode"));
    inflater_->frame_done = r == 0;
    if (in.pos == in_before && out.pos == out_before) {
      // The output is full and zstd still has more: larger than the head says.
      return fail(Status::corruption("envelope: body size differs from the head's"));
    }
  }
  body_filled_ = out.pos;
  return true;
}

bool EntryStreamOpener::take_payload(std::string_view bytes) {
  if (!fields_.encrypted) {
    aead_->add_aad(bytes);  // authenticated as it stands (GMAC), not encrypted
    if (fields_.compressed)
      return inflate(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    std::copy(bytes.begin(), bytes.end(), body_.begin() + static_cast<ptrdiff_t>(body_filled_));
    body_filled_ += bytes.size();
    return true;
  }
  if (!fields_.compressed) {
    aead_->decrypt(bytes, reinterpret_cast<uint8_t*>(body_.data() + body_filled_));
    body_filled_ += bytes.size();
    return true;
  }
  std::vector<uint8_t>& scratch = inflater_->scratch;
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), scratch.size());
    aead_->decrypt(bytes.substr(0, n), scratch.data());
    if (!inflate(scratch.data(), n)) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

bool EntryStreamOpener::write(std::string_view bytes) {
  if (!began_ || !failed_.is_ok()) return false;
  const uint64_t payload_end = part_size_ - kTagSize;
  while (!bytes.empty()) {
    size_t take;
    if (received_ < kEnvelopeHeaderSize) {
      take = static_cast<size_t>(std::min<uint64_t>(kEnvelopeHeaderSize - received_, bytes.size()));
      header_.append(bytes.substr(0, take));
      if (received_ + take == kEnvelopeHeaderSize && !start_payload()) return false;
    } else if (received_ < payload_end) {
      take = static_cast<size_t>(std::min<uint64_t>(payload_end - received_, bytes.size()));
      if (!take_payload(bytes.substr(0, take))) return false;
    } else if (received_ < part_size_) {
      take = static_cast<size_t>(std::min<uint64_t>(part_size_ - received_, bytes.size()));
      header_.append(bytes.substr(0, take));  // the tag
    } else {
      return fail(Status::corruption("envelope: the body part is longer than its record says"));
    }
    received_ += take;
    bytes.remove_prefix(take);
  }
  return true;
}

Result<Entry> EntryStreamOpener::finish() {
  if (!began_) return Status::invalid_argument("envelope: no body part was streamed");
  if (!failed_.is_ok()) return failed_;
  if (received_ != part_size_ || header_.size() != kTagSize) {
    fail(Status::corruption("envelope: the body part is cut short"));
    return failed_;
  }
  std::array<uint8_t, kTagSize> tag;
  std::copy(header_.begin(), header_.end(), reinterpret_cast<char*>(tag.data()));
  if (!aead_->finish(tag)) {
    fail(Status::corruption("envelope: authentication failed (altered, moved or wrong key)"));
    return failed_;
  }
  if ((inflater_ && !inflater_->frame_done) || body_filled_ != body_size_) {
    fail(Status::corruption("envelope: body size differs from the head's"));
    return failed_;
  }
  entry_->body = std::make_shared<const std::string>(std::move(body_));
  Entry opened = std::move(*entry_);
  entry_.reset();
  failed_ = Status::invalid_argument("envelope: the stream was already finished");
  return opened;
}

}  // namespace cachedata::core
