// Cache::get — the read-through flow (docs/DESIGN.md, "The get flow"):
//   memory tier → store → fetcher; fresh hit returns; an expired entry is revalidated with its
//   validators (304 extends it without rewriting its body); an origin failure serves the stale
//   entry extended by stale_on_error (error:cache) or returns the failure (error:original),
//   remembered for negative_ttl. A store error never fails the call.
#include "cachedata/cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "base/jitter_random.hpp"
#include "core/background_refresher.hpp"
#include "core/entry.hpp"
#include "core/envelope.hpp"
#include "core/envelope_stream.hpp"
#include "core/expiry_policy.hpp"
#include "core/http_policy.hpp"
#include "core/key_file.hpp"
#include "core/logging.hpp"
#include "core/memory_tier.hpp"
#include "core/request_id.hpp"
#include "core/single_flight.hpp"
#include "core/task_pool.hpp"
#include "crypto/keyring.hpp"
#include "crypto/random.hpp"

namespace cachedata {

using core::Entry;
using core::EntryKind;
using Clock = std::chrono::system_clock;

const std::string& GetResult::body() const {
  static const std::string kEmpty;
  return parts_.body ? *parts_.body : kEmpty;
}

struct Counters {
  std::atomic<uint64_t> gets{0}, memory_hits{0}, store_hits{0}, misses{0}, fetches{0},
      not_modified{0}, stale_served{0}, origin_failures{0}, negative_hits{0}, store_read_errors{0},
      store_write_errors{0}, corrupt_entries{0}, not_stored{0}, stale_while_revalidate{0},
      background_refreshes{0}, single_flight_waits{0}, lease_waits{0}, early_refreshes{0};
};

// What the get that called the source hands to the gets that waited for it (single flight).
struct SharedAnswer {
  GetResult::Parts parts;
  std::string id;                 // where the answer lives
  std::vector<std::string> vary;  // request headers it varies on beyond the id (Vary)
};

SharedAnswer abandoned_answer() {
  SharedAnswer a;
  a.parts.error = "the call to the source this get waited for ended without an answer";
  return a;
}

// Names this cache as a lease holder in a store other processes share.
std::string make_lease_holder() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + crypto::random_hex(4);
}

// Uniform in (0, 1], for XFetch and jitter.
double uniform_random() {
  return static_cast<double>((base::jitter_random() >> 11) + 1) * 0x1p-53;
}

struct detail::CacheState {
  Config config;
  core::Logger logger;
  // The keys in use: replaced as a whole when the SSM parameter's key changes (a rotation), so a
  // get works with one consistent snapshot. Every keyring made is kept until the cache closes
  // (one per rotation: few and small), so that a get reads the current one through a plain
  // atomic pointer: no lock and no shared reference count on the hit path, which every thread
  // takes.
  std::vector<std::unique_ptr<const crypto::Keyring>> keyrings;  // under keyring_mu
  std::atomic<const crypto::Keyring*> current_keyring{nullptr};
  std::vector<DataKey> key_list;  // the current keyring's keys, current first
  std::mutex keyring_mu;
  std::shared_ptr<KeySource> key_source;
  std::atomic<uint64_t> key_generation{0};  // key_source's generation that key_list[0] is of
  std::shared_ptr<Store> store;
  std::unique_ptr<core::MemoryTier> memory;
  Counters counters;
  GetObserver observer;
  const std::string lease_holder = make_lease_holder();
  core::SingleFlight<SharedAnswer> flights{abandoned_answer()};
  // Asynchronous gets whose fetch has started and not yet finished (~Cache waits for them).
  std::mutex async_mu;
  std::condition_variable async_idle;
  size_t async_in_flight = 0;
  // Destroyed before everything above, so a running refresh or completion never outlives what
  // it uses: the completions of get_async (store writes, callbacks), then the refresher.
  core::BackgroundRefresher refresher;
  core::TaskPool completions{4};

  explicit CacheState(Config c) : config(std::move(c)), logger(config.log_level, config.log_sink) {}

  Clock::time_point now() const { return config.clock ? config.clock() : Clock::now(); }

  const crypto::Keyring* keyring() {
    if (key_source->generation() != key_generation.load(std::memory_order_acquire)) rotate_key();
    return current_keyring.load(std::memory_order_acquire);
  }
  void use_keyring(std::vector<DataKey> keys) {
    keyrings.push_back(std::make_unique<const crypto::Keyring>(keys, config.instance_id));
    key_list = std::move(keys);
    current_keyring.store(keyrings.back().get(), std::memory_order_release);
  }

  // The source has a new key (say, the SSM parameter was rotated): it seals from now on; the
  // ones before it still open what they sealed (at most kKeptKeys in all, the oldest dropped).
  void rotate_key() {
    static constexpr size_t kKeptKeys = 4;
    std::lock_guard lock(keyring_mu);
    const uint64_t generation = key_source->generation();
    if (generation == key_generation.load()) return;
    std::vector<DataKey> keys = key_list;
    keys.insert(keys.begin(), key_source->current());
    if (keys.size() > kKeptKeys) keys.erase(keys.begin() + kKeptKeys, keys.end());
    use_keyring(std::move(keys));  // before the generation: who sees it sees the new keys
    key_generation.store(generation, std::memory_order_release);
    logger.log(LogLevel::kInfo, "data key rotated (" + key_source->describe() + ")");
  }

  int64_t purge_at(int64_t expires) const { return core::purge_time(expires, config.purge_window); }
  void count(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
};

// The entry a get() found before deciding whether to call the source.
struct Found {
  std::shared_ptr<const Entry> entry;
  int64_t expires = 0;
  std::string id;  // the id it was found under (differs from the current id after a rotation)
  bool from_memory = false;
};

// One get() call: the state table of docs/DESIGN.md as straight-line code.
struct GetFlow {
  detail::CacheState& c;
  const Profile& profile;
  const Request& request;
  const Fetcher& fetcher;
  bool in_background = false;  // a stale-while-revalidate refresh: never serves stale itself
  bool refresh_fresh = false;  // an early (XFetch) refresh: revalidates an entry still fresh
  Clock::time_point started = Clock::now();
  const crypto::Keyring* keys = c.keyring();
  Clock::time_point now{};
  std::string primary_id{};  // the request's id under the profile's key headers
  std::string id{};          // where the answer lives: primary_id, or its Vary variant
  std::optional<core::CachePolicy> policy{};  // made (and the profile validated) first in run()
  std::vector<std::string> answer_vary{};     // unkeyed Vary names of the answer it got
  bool store_read_failed = false;             // the store is down for this get: no lease to wait on

  GetResult finish(DataSource source, std::shared_ptr<const Entry> entry, int64_t expires,
                   std::string error = {}, bool stale = false, bool rejected = false) {
    GetResult::Parts r;
    r.source = source;
    r.stale = stale;
    r.rejected = rejected;
    // Built in one allocation: this runs on every hit, memory hits included.
    r.headers.reserve((entry ? entry->headers.size() : 0) + 1);
    if (entry) {
      r.status_code = entry->status_code;
      for (const auto& [name, value] : entry->headers) {
        // An origin's own x-cprxy-data-source would contradict ours.
        if (!iequals(name, kDataSourceHeader)) r.headers.add(name, value);
      }
      r.body = entry->body;  // shared, no copy
      if (error.empty() && entry->kind == EntryKind::kFailure) error = entry->error;
    }
    r.headers.add(std::string(kDataSourceHeader), std::string(to_string(source)));
    r.expires = Clock::time_point(std::chrono::seconds(expires));
    r.error = std::move(error);
    r.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    return GetResult(std::move(r));
  }

  // Before any lookup or fetch. An invalid profile or request (kInvalidArgument) is the
  // caller's error: GetResult::rejected() tells it apart from a source failure.
  GetResult fail_early(const Status& status) {
    c.logger.log(LogLevel::kWarn, "get rejected: " + status.to_string());
    return finish(DataSource::kErrorOriginal, nullptr, 0, status.to_string(), false,
                  status.code() == Status::Code::kInvalidArgument);
  }

  void log_store_error(const char* what, const Status& s) {
    c.count(c.counters.store_write_errors);
    c.logger.log(LogLevel::kWarn, std::string("store ") + what + " failed (" + c.store->describe() +
                                      "): " + s.to_string());
  }

  std::optional<Found> lookup_store(const std::string& under_id) {
    if (!c.store) return std::nullopt;
    // A large body the store reads as a stream (S3) is opened as it arrives.
    core::EntryStreamOpener streamed(under_id, *keys);
    auto record = c.store->get_streaming(under_id, streamed);
    if (!record) {
      store_read_failed = true;
      c.count(c.counters.store_read_errors);
      c.logger.log(LogLevel::kWarn, "store read failed (" + c.store->describe() +
                                        "): " + record.status().to_string());
      return std::nullopt;
    }
    if (!record->has_value()) return std::nullopt;
    StoredRecord& stored = **record;
    auto opened = streamed.began()
                      ? streamed.finish()
                      : core::open_entry(stored.head, std::move(stored.body), under_id, *keys);
    if (!opened) {
      // Altered, truncated, moved, torn between two writes or sealed under a key we do not
      // hold: never served.
      c.count(c.counters.corrupt_entries);
      c.logger.log(LogLevel::kWarn,
                   "entry " + under_id.substr(0, 12) + " ignored: " + opened.status().to_string());
      return std::nullopt;
    }
    return Found{std::make_shared<const Entry>(std::move(opened).value()), stored.expires, under_id,
                 false};
  }

  // The memory tier, then the store (another process may have refreshed it).
  std::optional<Found> lookup_at(const std::string& at_id) {
    std::optional<Found> found;
    if (c.memory) {
      if (auto hit = c.memory->get(at_id)) found = Found{hit->entry, hit->expires, at_id, true};
    }
    if (found && found->expires > core::to_unix_seconds(now)) return found;
    if (auto stored = lookup_store(at_id)) {
      if (c.memory) c.memory->put(at_id, stored->entry, stored->expires);
      return stored;
    }
    return found;
  }

  // The id of this request when the answer varies on `names` too (docs/DESIGN.md, "Vary").
  Result<std::string> variant_id(const std::vector<std::string>& names) const {
    return core::request_id(keys->current().id_mac, policy->variant_profile(names), request);
  }

  std::optional<Found> lookup() {
    std::optional<Found> found = lookup_at(id);
    if (!found) {
      // After a key rotation, entries written under a previous key live under that key's id.
      const auto& all_keys = keys->all();
      for (size_t i = 1; i < all_keys.size() && !found; ++i) {
        auto old_id = core::request_id(all_keys[i]->id_mac, profile, request);
        if (!old_id) break;
        found = lookup_store(*old_id);
      }
    }
    if (found && found->entry->kind == EntryKind::kVary) {
      // A pointer: the answer lives under the id that includes the headers it varies on.
      auto names = core::vary_names(found->entry->headers).names;
      auto variant = variant_id(names);
      if (!variant) return std::nullopt;
      id = std::move(variant).value();
      found = lookup_at(id);
      if (found && found->entry->kind == EntryKind::kVary) return std::nullopt;
    }
    return found;
  }

  // Seals and writes a whole entry under `at_id` (memory tier and store).
  void write(const std::shared_ptr<Entry>& entry, int64_t expires, const std::string& at_id) {
    if (c.store) {
      // Sealing first also sets the entry's body reference, which a later 304 refresh reuses.
      core::SealedEntry sealed = core::seal_entry(*entry, at_id, keys->current(), profile.encrypt);
      StoredRecord record{at_id, expires, c.purge_at(expires), std::move(sealed.head),
                          std::move(sealed.body)};
      if (Status s = c.store->put(record); !s) log_store_error("write", s);
    }
    if (c.memory) c.memory->put(at_id, entry, expires);
  }

  // Stores a new answer where it belongs: under the id, or, when it varies on request headers
  // that are not part of the id, under its variant id with a pointer at the id.
  // (answer_vary holds the names.)
  void write_answer(const std::shared_ptr<Entry>& entry, int64_t expires) {
    const std::vector<std::string>& names = answer_vary;
    if (names.empty()) {
      id = primary_id;
      write(entry, expires, id);
      return;
    }
    auto variant = variant_id(names);
    if (!variant) return;
    id = std::move(variant).value();
    write(entry, expires, id);
    write(core::CachePolicy::vary_pointer(names, entry->stored_at_ms, expires), expires,
          primary_id);
  }

  // Another writer (a process that took the lease over) changed the entry since it was read:
  // its version stands, and this process's copy in memory is no longer the stored one.
  void yield_to_other_writer(const Status& s) {
    if (c.memory) c.memory->erase(id);
    c.logger.log(LogLevel::kInfo, "entry " + id.substr(0, 12) +
                                      " was refreshed by another writer meanwhile: " + s.message());
  }

  // Extends a held entry's expiry without rewriting its parts (stale served on error): a
  // compare-and-set on the expiry it was found with.
  void extend(const Found& found, int64_t expires) {
    if (c.memory) c.memory->put(id, found.entry, expires);
    if (!c.store) return;
    if (found.id != id) {
      // Found under a previous key: move it to the current id.
      write(std::make_shared<Entry>(*found.entry), expires, id);
      return;
    }
    Status s = c.store->touch(id, expires, c.purge_at(expires), found.expires);
    if (s.code() == Status::Code::kNotFound && found.from_memory) {
      // The store lost it (swept, evicted): put it back.
      write(std::make_shared<Entry>(*found.entry), expires, id);
      return;
    }
    if (s.code() == Status::Code::kConflict) return yield_to_other_writer(s);
    if (!s) log_store_error("touch", s);
  }

  // A 304: the refreshed head replaces the stored one (a compare-and-set on the expiry it was
  // found with); the body stays where it is.
  void refresh_head(const Found& found, const std::shared_ptr<Entry>& refreshed, int64_t expires) {
    if (c.store) {
      if (found.id != id) {
        write(refreshed, expires, id);  // found under a previous key: move it
        return;
      }
      std::string head = core::seal_head(*refreshed, id, keys->current(), profile.encrypt);
      Status s = c.store->replace_head(id, head, expires, c.purge_at(expires), found.expires);
      if (s.code() == Status::Code::kNotFound) {
        write(refreshed, expires, id);  // the store lost it meanwhile: put it back whole
        return;
      }
      if (s.code() == Status::Code::kConflict) return yield_to_other_writer(s);
      if (!s) log_store_error("head refresh", s);
    }
    if (c.memory) c.memory->put(id, refreshed, expires);
  }

  Response call_source(const Validators& validators, uint32_t& fetch_ms) {
    c.count(c.counters.fetches);
    auto t0 = Clock::now();
    Response response;
    try {
      response = fetcher(request, validators);
    } catch (const std::exception& e) {
      response = Response::failure(std::string("fetcher threw: ") + e.what());
    } catch (...) {
      response = Response::failure("fetcher threw a non-standard exception");
    }
    fetch_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
    return response;
  }

  // Queues one background refresh of this request (stale-while-revalidate). The task owns
  // copies of everything it uses but the Cache, which waits for it when destroyed.
  void schedule_refresh(bool early = false) {
    detail::CacheState* cache = &c;
    auto task = [cache, profile = profile, request = request, fetcher = fetcher, early]() {
      cache->count(cache->counters.background_refreshes);
      GetResult refreshed =
          GetFlow{*cache, profile, request, fetcher, /*in_background=*/true, early}.run();
      if (cache->observer) cache->observer(request, refreshed);
    };
    c.refresher.submit(id, std::move(task));
  }

  // What look_up() leaves for the call to the source.
  bool had_entry = false;
  std::optional<Found> stale_entry{};
  bool forced_call = false;

  GetResult run() {
    if (auto answered = look_up()) return std::move(answered).value();
    return call_once(had_entry, stale_entry, forced_call, /*depth=*/0);
  }

  // Everything before the call to the source: the result when none is needed (a hit, a
  // remembered failure, a stale answer within stale-while-revalidate, a rejection).
  std::optional<GetResult> look_up() {
    c.count(c.counters.gets);
    now = c.now();
    const double jitter = profile.interval_jitter.count() > 0 ? 1.0 - uniform_random() : 0.0;
    auto made = core::CachePolicy::make(profile, c.config.default_time_zone, jitter);
    if (!made) return fail_early(made.status());
    policy.emplace(std::move(made).value());
    auto computed = core::request_id(keys->current().id_mac, profile, request);
    if (!computed) return fail_early(computed.status());
    primary_id = std::move(computed).value();
    id = primary_id;
    const int64_t now_s = core::to_unix_seconds(now);

    std::optional<Found> found = lookup();
    const bool forced = request.force_refresh && !in_background;
    if (found && found->expires > now_s && !forced && !refresh_fresh) {
      if (found->entry->kind == EntryKind::kFailure) {
        c.count(c.counters.negative_hits);
        return finish(DataSource::kErrorOriginal, found->entry, found->expires);
      }
      c.count(found->from_memory ? c.counters.memory_hits : c.counters.store_hits);
      if (!in_background && profile.early_refresh_beta > 0 &&
          found->entry->kind == EntryKind::kAnswer &&
          policy->refresh_early(found->expires, found->entry->fetch_ms, now, uniform_random())) {
        // XFetch: one caller refreshes a hot entry shortly before it expires; this one is
        // still answered from the fresh entry.
        c.count(c.counters.early_refreshes);
        schedule_refresh(/*early=*/true);
      }
      return finish(found->from_memory ? DataSource::kCacheMemory : DataSource::kCache,
                    found->entry, found->expires);
    }
    // Only a real answer can be revalidated or served stale; a remembered failure cannot.
    std::optional<Found> stale;
    if (found && found->entry->kind == EntryKind::kAnswer) stale = found;
    if (stale && !forced && !in_background &&
        now_s < policy->background_refresh_until(stale->entry->headers, stale->expires)) {
      // RFC 5861 §3: answer now from the stale entry, refresh it off this thread.
      c.count(c.counters.stale_while_revalidate);
      c.count(stale->from_memory ? c.counters.memory_hits : c.counters.store_hits);
      schedule_refresh();
      return finish(stale->from_memory ? DataSource::kCacheMemory : DataSource::kCache,
                    stale->entry, stale->expires, {}, /*stale=*/true);
    }
    c.count(c.counters.misses);
    had_entry = found.has_value();
    stale_entry = std::move(stale);
    forced_call = forced;
    return std::nullopt;
  }

  // Single flight: the first get of this id in the process calls the source (under the store's
  // lease); the gets that come meanwhile wait for its answer.
  GetResult call_once(bool found, const std::optional<Found>& stale, bool forced, int depth) {
    auto ticket = c.flights.join(id);
    if (ticket.leader()) {
      GetResult result = call_under_lease(found, stale, forced);
      c.flights.publish(ticket, SharedAnswer{result.parts(), id, answer_vary});
      return result;
    }
    c.count(c.counters.single_flight_waits);
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (request.max_wait.count() > 0)
      deadline = std::chrono::steady_clock::now() + request.max_wait;
    std::shared_ptr<const SharedAnswer> shared = c.flights.wait(ticket, deadline);
    if (!shared) return gave_up(stale);
    if (auto joined = joined_result(*shared)) return std::move(joined).value();
    // Its own variant: nothing found yet, so nothing to revalidate or serve stale.
    if (depth > 0) return call_under_lease(false, std::nullopt, forced);
    return call_once(false, std::nullopt, forced, depth + 1);
  }

  // A waiter's copy of the leader's result; empty (and `id` set to this get's own variant)
  // when the answer varies on request headers outside the id whose values differ here.
  std::optional<GetResult> joined_result(const SharedAnswer& shared) {
    if (!shared.vary.empty()) {
      auto mine = variant_id(shared.vary);
      if (!mine) return fail_early(mine.status());
      if (*mine != shared.id) {
        id = std::move(mine).value();
        return std::nullopt;
      }
    }
    GetResult::Parts parts = shared.parts;
    parts.joined = true;
    parts.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    return GetResult(std::move(parts));
  }

  // Past Request::max_wait while another get calls the source.
  GetResult gave_up(const std::optional<Found>& stale) {
    std::string why = "gave up after " + std::to_string(request.max_wait.count()) +
                      " ms waiting for the call to the source another get is making";
    if (stale) {
      c.count(c.counters.stale_served);
      return finish(DataSource::kErrorCache, stale->entry, stale->expires, std::move(why),
                    /*stale=*/true);
    }
    return finish(DataSource::kErrorOriginal, nullptr, 0, std::move(why));
  }

  // Gives the store's lease back when the call is over, however it ends.
  struct HeldLease {
    Store* store = nullptr;
    std::string id;
    const std::string* holder = nullptr;
    HeldLease() = default;
    HeldLease(const HeldLease&) = delete;
    HeldLease& operator=(const HeldLease&) = delete;
    ~HeldLease() { release(); }
    void release() {
      if (store != nullptr) (void)store->release_lease(id, *holder);
      store = nullptr;
    }
  };

  // Across processes and instances sharing the store: the holder of the entry's lease calls the
  // source; a get that finds it held serves the stale entry, or waits for the holder's answer
  // to appear and takes the lease over once it expires.
  GetResult call_under_lease(bool found, const std::optional<Found>& stale, bool forced) {
    HeldLease held;
    // A forced refresh wants the source's answer, not another process's view of the entry; a
    // store that just failed a read would only make the call wait for its timeout once more.
    if (c.store && profile.refresh_lease.count() > 0 && !forced && !store_read_failed) {
      if (auto answered = await_lease(stale, held)) return std::move(answered).value();
    }
    return call_and_store(found, stale, forced);
  }

  // Empty once this get holds the lease (or the store cannot grant one: the source is then
  // called without it; the cache never makes an outage of a store's); else the answer found.
  std::optional<GetResult> await_lease(const std::optional<Found>& stale, HeldLease& held) {
    const std::string leased_id = id;
    const auto lease_ms = profile.refresh_lease.count();
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (request.max_wait.count() > 0)
      deadline = std::chrono::steady_clock::now() + request.max_wait;
    auto pause = std::chrono::milliseconds(5);
    for (bool waited = false;; waited = true) {
      const int64_t now_ms = core::unix_millis(c.now());
      auto granted = c.store->try_lease(leased_id, c.lease_holder, now_ms + lease_ms, now_ms);
      if (!granted) {
        // Not counted as a write error: the entry's own write, next, counts if the store is down.
        c.logger.log(LogLevel::kWarn,
                     "store lease failed (" + c.store->describe() +
                         "), calling the source without it: " + granted.status().to_string());
        return std::nullopt;
      }
      if (*granted) {
        held.store = c.store.get();
        held.id = leased_id;
        held.holder = &c.lease_holder;
        return std::nullopt;
      }
      if (!waited) c.count(c.counters.lease_waits);
      if (stale) {
        // Another process is refreshing it: its answer replaces this one shortly.
        c.count(stale->from_memory ? c.counters.memory_hits : c.counters.store_hits);
        return finish(stale->from_memory ? DataSource::kCacheMemory : DataSource::kCache,
                      stale->entry, stale->expires, {}, /*stale=*/true);
      }
      auto left = std::chrono::milliseconds::max();
      if (deadline) {
        left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return gave_up(std::nullopt);
      }
      std::this_thread::sleep_for(std::min(pause, left));
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
      // The holder writes its answer before it gives the lease up.
      now = c.now();
      id = leased_id;
      if (auto seen = lookup(); seen && seen->expires > core::to_unix_seconds(now)) {
        if (seen->entry->kind == EntryKind::kFailure) {
          c.count(c.counters.negative_hits);
          return finish(DataSource::kErrorOriginal, seen->entry, seen->expires);
        }
        if (seen->entry->kind == EntryKind::kAnswer) {
          c.count(c.counters.store_hits);
          return finish(DataSource::kCache, seen->entry, seen->expires);
        }
      }
      id = leased_id;
    }
  }

  // Calls the source and stores what it answered (the state table's lower half).
  GetResult call_and_store(bool found, const std::optional<Found>& stale, bool forced) {
    const Validators validators = validators_for(stale, forced);
    uint32_t fetch_ms = 0;
    Response response = call_source(validators, fetch_ms);
    return store_answer(std::move(response), fetch_ms, validators, found, stale, forced);
  }

  static Validators validators_for(const std::optional<Found>& stale, bool forced) {
    Validators validators;
    if (stale && !forced) {
      validators.etag = stale->entry->etag;
      validators.last_modified = stale->entry->last_modified;
    }
    return validators;
  }

  // What the source answered becomes the result, and the entry as the policy says.
  GetResult store_answer(Response response, uint32_t fetch_ms, const Validators& validators,
                         bool found, const std::optional<Found>& stale, bool forced) {
    now = c.now();

    if (response.is_not_modified() && stale && !validators.empty()) {
      // RFC 9111 §4.3.4 (CachePolicy::revalidated): the body stays, the head is refreshed.
      auto [refreshed, decision] = policy->revalidated(*stale->entry, response.headers, now);
      const int64_t expires = decision.expires;
      if (!decision.store) {
        // The 304 says no-store (or Vary: *) now: the stored copy must go.
        c.count(c.counters.not_stored);
        if (c.memory) c.memory->erase(id);
        if (c.store) (void)c.store->erase(id);
      } else {
        refresh_head(*stale, refreshed, expires);
      }
      c.count(c.counters.not_modified);
      return finish(DataSource::kCacheOriginalNotModified, refreshed, expires);
    }

    if (response.is_failure() || response.is_not_modified()) {
      c.count(c.counters.origin_failures);
      // The fetcher's own account (attempts, deadline) when it gives one.
      std::string why = !response.error.empty()
                            ? response.error
                            : "origin answered " + std::to_string(response.status_code);
      if (response.is_not_modified()) why = "origin answered 304 to a request without validators";
      c.logger.log(LogLevel::kInfo, "source failed: " + why);
      if (stale && stale->expires > core::to_unix_seconds(now)) {
        // A forced (or early) refresh failed but the entry is still fresh: serve it as it is.
        c.count(c.counters.stale_served);
        return finish(DataSource::kErrorCache, stale->entry, stale->expires, why);
      }
      if (stale) {
        auto decision = policy->on_failure(stale->entry->headers, stale->expires, now);
        if (decision.serve) {
          if (decision.expires != stale->expires) extend(*stale, decision.expires);
          c.count(c.counters.stale_served);
          return finish(DataSource::kErrorCache, stale->entry, decision.expires, why,
                        decision.expires <= core::to_unix_seconds(now));
        }
      }
      auto failure = policy->failure(response.status_code, why, now, fetch_ms);
      // A stale answer is kept (it may still revalidate); only a miss remembers the failure.
      if (!stale && failure.decision.store) {
        write(failure.entry, failure.decision.expires, primary_id);
      }
      return finish(DataSource::kErrorOriginal, failure.entry, failure.decision.expires, why);
    }

    auto made_entry = policy->answer(std::move(response), now, fetch_ms);
    if (!made_entry) return fail_early(made_entry.status());
    auto [entry, decision] = std::move(made_entry).value();
    answer_vary = policy->unkeyed_vary(entry->headers);
    if (decision.store) {
      write_answer(entry, decision.expires);
    } else {
      c.count(c.counters.not_stored);
      if (c.memory) {
        c.memory->erase(primary_id);
        c.memory->erase(id);
      }
    }
    DataSource source = forced  ? DataSource::kOriginalCacheUpdateForced
                        : found ? DataSource::kOriginalCacheExpired
                                : DataSource::kOriginal;
    return finish(source, entry, decision.expires);
  }
};

Result<std::unique_ptr<Cache>> Cache::open(Config config, CacheParts parts) {
  if (Status s = config.validate_cache_settings(); !s) return s;
  if (!parts.key_source) return Status::invalid_argument("CacheParts::key_source must be set");
  if (parts.clock) config.clock = std::move(parts.clock);
  if (parts.log_sink) config.log_sink = std::move(parts.log_sink);
  auto impl = std::make_unique<detail::CacheState>(std::move(config));
  impl->observer = std::move(parts.observer);
  impl->store = std::move(parts.store);
  impl->key_source = std::move(parts.key_source);
  // The generation first: a rotation in between costs one more (harmless) rotation, never a
  // missed one.
  impl->key_generation = impl->key_source->generation();
  std::vector<DataKey> keys{impl->key_source->current()};
  keys.insert(keys.end(), parts.older_keys.begin(), parts.older_keys.end());
  impl->use_keyring(std::move(keys));
  if (impl->config.memory_max_bytes > 0) {
    impl->memory = std::make_unique<core::MemoryTier>(impl->config.memory_max_bytes);
  }
  if (auto* file = dynamic_cast<const core::KeyFileSource*>(impl->key_source.get());
      file != nullptr && file->created()) {
    impl->logger.log(LogLevel::kInfo, "created a new data key in " + file->path());
  }
  return std::unique_ptr<Cache>(new Cache(std::move(impl)));
}

Cache::Cache(std::unique_ptr<detail::CacheState> state) : impl_(std::move(state)) {}

Cache::~Cache() {
  // A fetch still in flight calls back into this cache: wait for each to end (by its answer or
  // its own deadline) before anything it uses goes.
  std::unique_lock lock(impl_->async_mu);
  impl_->async_idle.wait(lock, [&] { return impl_->async_in_flight == 0; });
}

// One asynchronous get: everything its flow refers to, kept alive until it has finished.
struct AsyncGet {
  AsyncGet(detail::CacheState& state, const Profile& p, const Request& r, AsyncFetcher f,
           std::function<void(GetResult)> d)
      : c(state), profile(p), request(r), async_fetcher(std::move(f)), done(std::move(d)) {}

  detail::CacheState& c;
  const Profile profile;
  const Request request;
  const AsyncFetcher async_fetcher;
  std::function<void(GetResult)> done;
  // For the rare paths that wait anyway (a lease held by another process with no stale entry
  // to serve, a Vary answer of other values, a background refresh): get()'s flow, on a
  // completion thread, with the async fetcher waited for.
  Fetcher waiting_fetcher;
  std::optional<GetFlow> flow;
  std::optional<core::SingleFlight<SharedAnswer>::Ticket> ticket;
  GetFlow::HeldLease lease;
  Validators validators;
  Clock::time_point fetch_started;
};

namespace {

Fetcher waiting_on(AsyncFetcher fetcher) {
  return [fetcher = std::move(fetcher)](const Request& request, const Validators& validators) {
    auto answer = std::make_shared<std::promise<Response>>();
    auto future = answer->get_future();
    fetcher(request, validators, [answer](Response r) { answer->set_value(std::move(r)); });
    return future.get();
  };
}

void deliver(const std::shared_ptr<AsyncGet>& a, GetResult result) {
  if (a->c.observer) a->c.observer(a->request, result);
  try {
    a->done(std::move(result));
  } catch (...) {
    // The caller's callback must not throw; if it does, the cache carries on.
  }
}

// The leader's result: to its waiters, then to its caller.
void publish_and_deliver(const std::shared_ptr<AsyncGet>& a, GetResult result) {
  a->lease.release();
  if (a->ticket && a->ticket->leader()) {
    a->c.flights.publish(*a->ticket,
                         SharedAnswer{result.parts(), a->flow->id, a->flow->answer_vary});
  }
  deliver(a, std::move(result));
}

// The source has answered: store it and finish, on a completion thread.
void on_answer(const std::shared_ptr<AsyncGet>& a, Response response) {
  GetFlow& f = *a->flow;
  const auto fetch_ms = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - a->fetch_started)
          .count());
  GetResult result;
  try {
    result = f.store_answer(std::move(response), fetch_ms, a->validators, f.had_entry,
                            f.stale_entry, f.forced_call);
  } catch (const std::exception& e) {
    result = f.fail_early(Status::unavailable(std::string("internal failure: ") + e.what()));
  }
  publish_and_deliver(a, std::move(result));
}

// The rest of get()'s flow, waiting, on a completion thread.
void finish_waiting(const std::shared_ptr<AsyncGet>& a) {
  a->c.completions.submit([a] {
    GetFlow& f = *a->flow;
    GetResult result;
    try {
      result = f.call_under_lease(f.had_entry, f.stale_entry, f.forced_call);
    } catch (const std::exception& e) {
      result = f.fail_early(Status::unavailable(std::string("internal failure: ") + e.what()));
    }
    publish_and_deliver(a, std::move(result));
  });
}

// A get that needs the source: join the call in flight, or lead one.
void start_call(const std::shared_ptr<AsyncGet>& a) {
  detail::CacheState& c = a->c;
  GetFlow& f = *a->flow;
  a->ticket.emplace(c.flights.join(f.id));
  if (!a->ticket->leader()) {
    c.count(c.counters.single_flight_waits);
    c.flights.on_outcome(*a->ticket, [a](const std::shared_ptr<const SharedAnswer>& shared) {
      if (auto joined = a->flow->joined_result(*shared)) return deliver(a, std::move(*joined));
      // Its own variant (Vary): a call of its own.
      a->ticket.reset();
      a->flow->had_entry = false;
      a->flow->stale_entry.reset();
      finish_waiting(a);
    });
    return;
  }
  // The lease without waiting on this thread: taken, or not needed, or the store cannot grant
  // one (called without it); held elsewhere: the stale entry, else the waiting flow.
  if (c.store && a->profile.refresh_lease.count() > 0 && !f.forced_call && !f.store_read_failed) {
    const int64_t now_ms = core::unix_millis(c.now());
    auto granted =
        c.store->try_lease(f.id, c.lease_holder, now_ms + a->profile.refresh_lease.count(), now_ms);
    if (granted && *granted) {
      a->lease.store = c.store.get();
      a->lease.id = f.id;
      a->lease.holder = &c.lease_holder;
    } else if (granted) {
      return finish_waiting(a);  // await_lease serves the stale entry at once, or waits
    }
  }
  a->validators = GetFlow::validators_for(f.stale_entry, f.forced_call);
  c.count(c.counters.fetches);
  {
    std::lock_guard lock(c.async_mu);
    ++c.async_in_flight;
  }
  a->fetch_started = Clock::now();
  // Leaves the fetch: the answer goes to a completion thread, and the cache may then go.
  auto answered = [a](Response response) {
    detail::CacheState& state = a->c;
    state.completions.submit([a, response = std::move(response)]() mutable {
      on_answer(a, std::move(response));
      std::lock_guard lock(a->c.async_mu);
      if (--a->c.async_in_flight == 0) a->c.async_idle.notify_all();
    });
  };
  try {
    a->async_fetcher(a->request, a->validators, answered);
  } catch (const std::exception& e) {
    answered(Response::failure(std::string("fetcher threw: ") + e.what()));
  } catch (...) {
    answered(Response::failure("fetcher threw a non-standard exception"));
  }
}

}  // namespace

void Cache::get_async(const Profile& profile, const Request& request, AsyncFetcher fetcher,
                      std::function<void(GetResult)> done) {
  auto a =
      std::make_shared<AsyncGet>(*impl_, profile, request, std::move(fetcher), std::move(done));
  a->waiting_fetcher = waiting_on(a->async_fetcher);
  a->flow.emplace(*impl_, a->profile, a->request, a->waiting_fetcher);
  try {
    if (auto answered = a->flow->look_up()) return deliver(a, std::move(answered).value());
    start_call(a);
  } catch (const std::exception& e) {
    // Only resource exhaustion gets here (allocation, OpenSSL out of memory).
    deliver(a,
            a->flow->fail_early(Status::unavailable(std::string("internal failure: ") + e.what())));
  }
}

std::future<GetResult> Cache::get_async(const Profile& profile, const Request& request,
                                        AsyncFetcher fetcher) {
  auto result = std::make_shared<std::promise<GetResult>>();
  auto future = result->get_future();
  get_async(profile, request, std::move(fetcher),
            [result](GetResult r) { result->set_value(std::move(r)); });
  return future;
}

GetResult Cache::get(const Profile& profile, const Request& request, const Fetcher& fetcher) {
  GetResult result;
  try {
    result = GetFlow{*impl_, profile, request, fetcher}.run();
  } catch (const std::exception& e) {
    // Only resource exhaustion gets here (allocation, OpenSSL out of memory).
    GetFlow flow{*impl_, profile, request, fetcher};
    result = flow.fail_early(Status::unavailable(std::string("internal failure: ") + e.what()));
  }
  if (impl_->observer) impl_->observer(request, result);
  return result;
}

Result<std::string> Cache::id_of(const Profile& profile, const Request& request) const {
  return core::request_id(impl_->keyring()->current().id_mac, profile, request);
}

Status Cache::purge(const Profile& profile, const Request& request) {
  Status result = Status::ok();
  auto keyring = impl_->keyring();
  for (const auto& key : keyring->all()) {
    auto id = core::request_id(key->id_mac, profile, request);
    if (!id) return id.status();
    if (impl_->memory) impl_->memory->erase(*id);
    if (impl_->store) {
      if (Status s = impl_->store->erase(*id); !s) result = s;
    }
  }
  return result;
}

void Cache::wait_for_background_refreshes() {
  impl_->refresher.wait_idle();
}

CacheStats Cache::stats() const {
  const Counters& k = impl_->counters;
  auto v = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return CacheStats{v(k.gets),
                    v(k.memory_hits),
                    v(k.store_hits),
                    v(k.misses),
                    v(k.fetches),
                    v(k.not_modified),
                    v(k.stale_served),
                    v(k.origin_failures),
                    v(k.negative_hits),
                    v(k.store_read_errors),
                    v(k.store_write_errors),
                    v(k.corrupt_entries),
                    v(k.not_stored),
                    v(k.stale_while_revalidate),
                    v(k.background_refreshes),
                    v(k.single_flight_waits),
                    v(k.lease_waits),
                    v(k.early_refreshes)};
}

}  // namespace cachedata
