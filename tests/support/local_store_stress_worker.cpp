// A worker process for the multi-process local store test (tests/local_store_test.cpp).
//
//   local_store_stress_worker <dir> <worker-index> <ops> <manifest-path>
//
// Opens the local store in <dir> (small inline limit, no size cap) and runs <ops> mixed
// operations: put/get/touch/erase over a small id space shared with the other workers, plus puts
// of ids of its own that nobody else touches. Every envelope carries its id and the seed of its
// bytes, so a get of a shared id checks that it saw one whole envelope, never a torn or mixed one.
// At the end it writes "<id> <envelope as hex>" lines for its own ids to <manifest-path>, for
// the test to check after every worker has exited. Exits 1 on any error, explained on stderr.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "store/local_store.hpp"

namespace {

constexpr int kSharedIds = 48;
constexpr uint64_t kInlineMaxBytes = 2048;
constexpr char kHex[] = "0123456789abcdef";

int g_worker = 0;

[[noreturn]] void die(const std::string& what) {
  std::cerr << "local_store_stress_worker " << g_worker << ": " << what << "\n";
  std::exit(1);
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string hex64(uint64_t v) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kHex[v & 0xf];
  return out;
}

std::string to_hex(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

// 64 hex characters derived from (domain, a, b).
std::string make_id(uint64_t domain, uint64_t a, uint64_t b) {
  uint64_t state = domain * 0x100000001b3ull ^ (a << 32) ^ b;
  std::string id;
  for (int i = 0; i < 4; ++i) id += hex64(splitmix64(state));
  return id;
}

// "<id>:<seed>:" then bytes from the seed, `size` bytes in all (size >= 82).
std::string make_envelope(const std::string& id, uint64_t seed, size_t size) {
  std::string env = id + ":" + hex64(seed) + ":";
  uint64_t state = seed;
  while (env.size() < size) {
    uint64_t word = splitmix64(state);
    for (int i = 0; i < 8 && env.size() < size; ++i, word >>= 8) {
      env.push_back(static_cast<char>(word & 0xff));
    }
  }
  return env;
}

bool envelope_is_whole(const std::string& id, const std::string& env) {
  if (env.size() < 82 || env.compare(0, 64, id) != 0 || env[64] != ':' || env[81] != ':') {
    return false;
  }
  uint64_t seed = std::strtoull(env.substr(65, 16).c_str(), nullptr, 16);
  return env == make_envelope(id, seed, env.size());
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) die("usage: local_store_stress_worker <dir> <worker> <ops> <manifest>");
  g_worker = std::atoi(argv[2]);
  const int ops = std::atoi(argv[3]);
  const std::string manifest_path = argv[4];

  cachedata::store::LocalStoreOptions options;
  options.dir = argv[1];
  options.max_bytes = 0;  // no eviction: every own id must survive
  options.inline_max_bytes = kInlineMaxBytes;
  auto opened = cachedata::store::open_local_store(options);
  if (!opened) die("open: " + opened.status().to_string());
  cachedata::Store& store = *opened.value();

  std::mt19937_64 rng(static_cast<uint64_t>(g_worker) * 7919 + 17);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::vector<std::pair<std::string, std::string>> own;  // id, envelope as put

  for (int i = 0; i < ops; ++i) {
    const int64_t now = unix_now();
    cachedata::StoredRecord record;
    record.expires = now + 3600;
    record.purge_at = now + 86400;
    const std::string where = "op " + std::to_string(i) + ": ";

    if (i % 10 == 0) {  // an own id: half inline, half in files
      const uint64_t j = own.size();
      record.id = make_id(2, static_cast<uint64_t>(g_worker), j);
      const size_t size = j % 2 == 0 ? 300 + j : kInlineMaxBytes + 1000 + 10 * j;
      record.head = make_envelope(record.id, rng(), 100);
      record.body = make_envelope(record.id, rng(), size);
      if (auto s = store.put(record); !s) die(where + "put own: " + s.to_string());
      own.emplace_back(record.id, record.body);
      continue;
    }
    if (i % 10 == 5) {  // read back an own id: exact bytes
      const auto& [id, env] = own[static_cast<size_t>(pick(static_cast<int>(own.size())))];
      auto got = store.get(id);
      if (!got) die(where + "get own: " + got.status().to_string());
      if (!*got) die(where + "own id missing: " + id);
      if ((*got)->body != env) die(where + "own id has other bytes: " + id);
      continue;
    }

    const std::string id = make_id(1, static_cast<uint64_t>(pick(kSharedIds)), 0);
    const int dice = pick(100);
    if (dice < 40) {
      record.id = id;
      record.head = make_envelope(id, rng(), 90 + static_cast<size_t>(pick(40)));
      record.body = make_envelope(id, rng(), 100 + static_cast<size_t>(pick(6000)));
      if (auto s = store.put(record); !s) die(where + "put: " + s.to_string());
    } else if (dice < 70) {
      auto got = store.get(id);
      if (!got) die(where + "get: " + got.status().to_string());
      if (*got && !envelope_is_whole(id, (*got)->head)) die(where + "torn head: " + id);
      if (*got && !envelope_is_whole(id, (*got)->body)) die(where + "torn body: " + id);
    } else if (dice < 78) {
      auto s = store.replace_head(id, make_envelope(id, rng(), 90 + static_cast<size_t>(pick(40))),
                                  now + 7200, now + 90000);
      if (!s && s.code() != cachedata::Status::Code::kNotFound) {
        die(where + "replace_head: " + s.to_string());
      }
    } else if (dice < 85) {
      auto s = store.touch(id, now + 7200, now + 90000);
      if (!s && s.code() != cachedata::Status::Code::kNotFound) {
        die(where + "touch: " + s.to_string());
      }
    } else {
      if (auto s = store.erase(id); !s) die(where + "erase: " + s.to_string());
    }
  }

  std::ofstream manifest(manifest_path, std::ios::trunc);
  for (const auto& [id, env] : own) manifest << id << ' ' << to_hex(env) << '\n';
  manifest.close();
  if (!manifest) die("cannot write " + manifest_path);
  return 0;
}
