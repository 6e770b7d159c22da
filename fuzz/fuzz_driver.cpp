// fuzz_driver: a stand-in for libFuzzer's main, so that any compiler (CI builds with g++) runs a
// fuzz target over a bounded number of deterministic inputs under the sanitizers.
//
// It feeds LLVMFuzzerTestOneInput first with the target's seed corpus (cachedata_fuzz_seeds(),
// defined next to each target), then with inputs made from it by a seeded PRNG: bit flips, byte
// and integer overwrites, truncations, deletions, insertions, duplications, splices of two
// inputs, and now and then pure random bytes. Mutated inputs are fed back into a bounded pool,
// so mutations stack. There is no coverage feedback: this is a smoke test that the decoders
// survive malformed input, not a replacement for real fuzzing (README.md).
//
//   <target>_smoke [--runs N] [--max-seconds S] [--seed X] [--max-len N]
//   <target>_smoke FILE...              replays the given inputs (e.g. a crash from libFuzzer)
//   <target>_smoke --write-corpus DIR   writes the seed corpus to DIR (libFuzzer's starting corpus)
//
// A target signals a failed invariant by aborting; the sanitizers report memory errors and
// undefined behaviour. Either way the process dies and the test fails; the driver then prints the
// run number and the input (hex) on stderr so that it can be replayed.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The sanitizers' death callback, to print the failing input after their report. Weak: the
// symbol exists only when a sanitizer runtime is linked in.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// The target's seed corpus (valid and nearly valid inputs), defined in each fuzz_<x>.cpp.
std::vector<std::string> cachedata_fuzz_seeds();

namespace {

// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); 0 when n == 0.
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  bool one_in(size_t n) { return below(n) == 0; }

 private:
  uint64_t state_;
};

struct Options {
  uint64_t runs = 20000;
  double max_seconds = 25;
  uint64_t seed = 0x6361636865646174ull;  // "cachedat"
  size_t max_len = 4096;
  std::string write_corpus;
  std::vector<std::string> files;
};

// Integers that often sit on a decoder's boundaries, written at a random offset.
constexpr uint64_t kInteresting[] = {0,
                                     1,
                                     0x7f,
                                     0x80,
                                     0xff,
                                     0x100,
                                     0x7fff,
                                     0x8000,
                                     0xffff,
                                     0x7fffffff,
                                     0x80000000,
                                     0xffffffff,
                                     0x7fffffffffffffffull,
                                     0x8000000000000000ull,
                                     0xffffffffffffffffull};

void mutate_once(std::string& s, const std::vector<std::string>& pool, Prng& rng) {
  switch (rng.below(10)) {
    case 0:  // flip one bit
      if (!s.empty()) s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8));
      break;
    case 1:  // overwrite a byte
      if (!s.empty()) s[rng.below(s.size())] = static_cast<char>(rng.next());
      break;
    case 2: {  // overwrite with an interesting integer (1, 2, 4 or 8 bytes, little-endian)
      if (s.empty()) break;
      const size_t width = size_t{1} << rng.below(4);
      const uint64_t v = kInteresting[rng.below(std::size(kInteresting))];
      const size_t at = rng.below(s.size());
      for (size_t i = 0; i < width && at + i < s.size(); ++i) {
        s[at + i] = static_cast<char>(v >> (8 * i));
      }
      break;
    }
    case 3:  // truncate
      s.resize(rng.below(s.size() + 1));
      break;
    case 4: {  // delete a range
      if (s.empty()) break;
      const size_t at = rng.below(s.size());
      s.erase(at, 1 + rng.below(std::min<size_t>(s.size() - at, 16)));
      break;
    }
    case 5: {  // insert random bytes
      std::string bytes(1 + rng.below(8), '\0');
      for (char& c : bytes) c = static_cast<char>(rng.next());
      s.insert(rng.below(s.size() + 1), bytes);
      break;
    }
    case 6: {  // duplicate a range in place
      if (s.empty()) break;
      const size_t at = rng.below(s.size());
      const std::string chunk = s.substr(at, 1 + rng.below(32));
      s.insert(rng.below(s.size() + 1), chunk);
      break;
    }
    case 7: {  // splice: a prefix of this input, a suffix of another
      const std::string& other = pool[rng.below(pool.size())];
      s = s.substr(0, rng.below(s.size() + 1)) + other.substr(rng.below(other.size() + 1));
      break;
    }
    case 8: {  // insert a piece of another input
      const std::string& other = pool[rng.below(pool.size())];
      const size_t from = rng.below(other.size() + 1);
      s.insert(rng.below(s.size() + 1), other.substr(from, 1 + rng.below(64)));
      break;
    }
    default: {  // swap two bytes
      if (s.size() < 2) break;
      std::swap(s[rng.below(s.size())], s[rng.below(s.size())]);
      break;
    }
  }
}

// The input being run, for the report if the process dies while running it.
std::string g_current;
uint64_t g_run = 0;

// Writes the run number and the current input (hex) to stderr with write(2) only, as it runs
// from a signal handler or from the sanitizers' death callback.
void report_current_input() {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[512];
  size_t n = 0;
  auto flush = [&] {
    if (n > 0 && ::write(STDERR_FILENO, buf, n) < 0) n = 0;
    n = 0;
  };
  auto put = [&](std::string_view text) {
    for (char c : text) {
      if (n == sizeof buf) flush();
      buf[n++] = c;
    }
  };
  char number[24];
  size_t len = 0;
  uint64_t run = g_run;
  do {
    number[len++] = static_cast<char>('0' + run % 10);
    run /= 10;
  } while (run != 0);
  put("\nfuzz_driver: failed at input number ");
  while (len > 0) put(std::string_view(&number[--len], 1));
  put("; replay it with: echo <hex> | xxd -r -p > crash && <target>_smoke crash\nhex: ");
  for (unsigned char c : g_current) {
    const char pair[2] = {kDigits[c >> 4], kDigits[c & 0xf]};
    put(std::string_view(pair, 2));
  }
  put("\n");
  flush();
}

extern "C" void on_fatal_signal(int signal_number) {
  report_current_input();
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// A failed invariant aborts. Under a sanitizer, its own report (then our callback) covers the
// other crashes, and its signal handlers are left alone.
void install_crash_reporting() {
  std::signal(SIGABRT, on_fatal_signal);
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(report_current_input);
  } else {
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(s, on_fatal_signal);
  }
}

void run_one(const std::string& input) {
  g_current = input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--runs" && (v = value())) {
      o.runs = std::strtoull(v, nullptr, 10);
    } else if (a == "--max-seconds" && (v = value())) {
      o.max_seconds = std::strtod(v, nullptr);
    } else if (a == "--seed" && (v = value())) {
      o.seed = std::strtoull(v, nullptr, 0);
    } else if (a == "--max-len" && (v = value())) {
      o.max_len = std::strtoull(v, nullptr, 10);
    } else if (a == "--write-corpus" && (v = value())) {
      o.write_corpus = v;
    } else if (!a.empty() && a[0] != '-') {
      o.files.emplace_back(a);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--runs N] [--max-seconds S] [--seed X] [--max-len N] | FILE... | "
                   "--write-corpus DIR\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) return 2;
  const std::vector<std::string> seeds = cachedata_fuzz_seeds();

  if (!o.write_corpus.empty()) {
    std::filesystem::create_directories(o.write_corpus);
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream(o.write_corpus + "/seed-" + std::to_string(i), std::ios::binary) << seeds[i];
    }
    std::printf("wrote %zu seeds to %s\n", seeds.size(), o.write_corpus.c_str());
    return 0;
  }

  install_crash_reporting();
  const auto start = std::chrono::steady_clock::now();
  if (!o.files.empty()) {
    for (const std::string& f : o.files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "cannot read %s\n", f.c_str());
        return 2;
      }
      std::ostringstream s;
      s << in.rdbuf();
      run_one(s.str());
      ++g_run;
    }
    g_current.clear();
    std::printf("ran %zu inputs\n", o.files.size());
    return 0;
  }

  if (seeds.empty()) {
    std::fprintf(stderr, "the target has no seeds\n");
    return 2;
  }
  for (const std::string& seed : seeds) {
    run_one(seed);
    ++g_run;
  }
  Prng rng(o.seed);
  std::vector<std::string> pool = seeds;
  const size_t pool_cap = seeds.size() + 256;
  while (g_run < o.runs) {
    if ((g_run & 0xff) == 0) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      if (elapsed.count() > o.max_seconds) break;
    }
    std::string input;
    if (rng.one_in(32)) {  // pure noise
      input.resize(rng.below(std::min<size_t>(o.max_len, 512) + 1));
      for (char& c : input) c = static_cast<char>(rng.next());
    } else {
      input = pool[rng.below(pool.size())];
      const size_t mutations = 1 + rng.below(4);
      for (size_t m = 0; m < mutations; ++m) mutate_once(input, pool, rng);
      if (input.size() > o.max_len) input.resize(o.max_len);
    }
    run_one(input);
    ++g_run;
    // Keep some mutants as parents: replace a random non-seed slot once the pool is full.
    if (rng.one_in(8)) {
      if (pool.size() < pool_cap) {
        pool.push_back(std::move(input));
      } else {
        pool[seeds.size() + rng.below(pool_cap - seeds.size())] = std::move(input);
      }
    }
  }
  g_current.clear();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("%s: %llu inputs (%zu seeds) in %.2f s, seed 0x%llx\n", argv[0],
              static_cast<unsigned long long>(g_run), seeds.size(), elapsed.count(),
              static_cast<unsigned long long>(o.seed));
  return 0;
}
