// Fuzz target: the streaming envelope opener (src/core/envelope_stream.hpp) — the body part of a
// large entry as the shared store hands it over from S3, chunk by chunk, possibly truncated,
// altered, too long, or not the part its head names.
//
// Input: byte 0 picks the mode, byte 1 seeds the chunk sizes, the rest is the data:
//   mode 0  the data as the whole body part under an authentic head (the body size the head
//           declares is the data's length, or 300 bytes when the data is empty);
//   mode 1  the data spliced into an authentic body part (replacing bytes at an offset);
//   mode 2  an authentic body part sealed around the data as its payload, fed whole, or announced
//           one byte short or long.
// Invariant (abort when broken): the streamed open succeeds exactly when open_entry succeeds on
// the same head and the whole part, and then both give the same body; when the announced size
// differs from the part's, the streamed open fails.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/data_key.hpp"
#include "core/entry.hpp"
#include "core/envelope.hpp"
#include "core/envelope_stream.hpp"
#include "crypto/keyring.hpp"

std::vector<std::string> cachedata_fuzz_seeds();

namespace {

using cachedata::DataKey;
using cachedata::StoredRecord;
using cachedata::core::Entry;
using cachedata::core::EntryStreamOpener;
using cachedata::core::SealedEntry;
using cachedata::crypto::Keyring;

constexpr std::string_view kId = "7a1e0b8a0f1c3d2e4a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_envelope_stream: invariant broken: %s\n", what);
  std::abort();
}

const Keyring& keyring() {
  static const Keyring ring(
      {DataKey::from_hex("101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f")
           .value()},
      "fuzz");
  return ring;
}

SealedEntry seal(std::string body, bool encrypt) {
  Entry e;
  e.status_code = 200;
  e.expires = 1768478700;
  e.body = std::make_shared<const std::string>(std::move(body));
  return cachedata::core::seal_entry(e, kId, keyring().current(), encrypt);
}

// Feeds `part` in chunks whose sizes come from `seed`; stops where the opener refuses.
cachedata::Result<Entry> stream_open(const std::string& head, std::string_view part,
                                     uint64_t announced, uint8_t seed) {
  EntryStreamOpener opener(kId, keyring());
  StoredRecord record;
  record.id = std::string(kId);
  record.head = head;
  if (!opener.begin(record, announced)) return opener.finish();
  uint32_t state = seed * 2654435761u + 1;
  while (!part.empty()) {
    state = state * 1103515245u + 12345u;
    size_t n = 1 + (state >> 16) % (seed % 4 == 0 ? 7 : 700);
    n = std::min(n, part.size());
    if (!opener.write(part.substr(0, n))) break;
    part.remove_prefix(n);
  }
  return opener.finish();
}

void check(const std::string& head, const std::string& part, uint8_t seed) {
  auto streamed = stream_open(head, part, part.size(), seed);
  auto whole = cachedata::core::open_entry(head, std::string(part), kId, keyring());
  if (streamed.is_ok() != whole.is_ok()) fail("streamed and whole opens disagree");
  if (streamed.is_ok() && streamed->body_text() != whole->body_text()) fail("bodies differ");
  if (!part.empty()) {
    if (stream_open(head, part, part.size() - 1, seed).is_ok()) fail("opened a longer part");
    if (stream_open(head, part, part.size() + 1, seed).is_ok()) fail("opened a cut-short part");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 3;
  const uint8_t seed = data[1];
  const std::string input(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (mode) {
    case 0: {
      // A head declaring a body of the input's size (a compressible body of that size).
      SealedEntry sealed = seal(std::string(input.empty() ? 300 : input.size(), 'a'), seed & 1);
      check(sealed.head, input, seed);
      break;
    }
    case 1: {
      SealedEntry sealed = seal(std::string(5000, 'x') + "tail", (seed & 1) != 0);
      std::string part = sealed.body;
      const size_t at = input.empty() ? 0 : static_cast<uint8_t>(input[0]) * part.size() / 256;
      part.replace(at, std::min(input.size(), part.size() - at), input);
      check(sealed.head, part, seed);
      break;
    }
    default: {
      if (input.empty()) return 0;
      SealedEntry sealed = seal(input, (seed & 1) != 0);
      check(sealed.head, sealed.body, seed);
      break;
    }
  }
  return 0;
}

std::vector<std::string> cachedata_fuzz_seeds() {
  std::vector<std::string> seeds;
  for (char mode : {'\0', '\1', '\2'}) {
    for (char seed : {'\0', '\1', '\4', '\7'}) {
      seeds.push_back(std::string{mode, seed} + std::string(64, 'q'));
      seeds.push_back(std::string{mode, seed} + "{\"items\":[1,2,3],\"next\":null}");
    }
  }
  return seeds;
}
