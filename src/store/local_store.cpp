// The embedded local store: rows in SQLite (WAL), large bodies in files. The on-disk layout is
// docs/FORMAT.md, "Local store". Every row change that involves files follows one order: write
// the new file, commit the row change, and only then unlink files no row references any more, so
// a reader in any process sees a complete file or none (a miss).
#include "store/local_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/hex.hpp"
#include "base/unix_clock.hpp"
#include "crypto/random.hpp"
#include "store/sqlite_db.hpp"

namespace cachedata::store {
namespace {

using sqlite::StatementUse;

constexpr const char* kDbFileName = "store.db";
constexpr const char* kBlobDirName = "blobs";
constexpr int64_t kSchemaVersion = 3;
constexpr int kBusyTimeoutMs = 10'000;
// last_access is rewritten only when it is at least this old, so most hits stay read-only.
constexpr int64_t kAccessGranularitySeconds = 60;
constexpr int64_t kSweepIntervalSeconds = 60;
// Unreferenced blob files younger than this may belong to a put still in flight elsewhere.
constexpr int64_t kOrphanAgeSeconds = 3600;
constexpr size_t kMaxIdleConnections = 8;
constexpr size_t kIdHexLen = 64;
constexpr size_t kSuffixHexLen = 16;

// Version 3 (version 1 kept one envelope per row; a store of version 1 is emptied and
// recreated: it is a cache; version 3 added the leases table to version 2, kLeasesSql). size =
// length(head) + length of the body (inline or file). The triggers keep meta.bytes equal to
// SUM(entries.size) in every transaction.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE entries(
  id          TEXT PRIMARY KEY NOT NULL,
  expires     INTEGER NOT NULL,
  purge_at    INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  last_access INTEGER NOT NULL,
  blob_file   TEXT,
  body        BLOB,
  head        BLOB NOT NULL
);
CREATE INDEX entries_by_access ON entries(last_access);
CREATE INDEX entries_by_purge ON entries(purge_at);
CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
INSERT INTO meta(key, value) VALUES('bytes', 0);
CREATE TRIGGER entries_insert AFTER INSERT ON entries BEGIN
  UPDATE meta SET value = value + NEW.size WHERE key = 'bytes';
END;
CREATE TRIGGER entries_delete AFTER DELETE ON entries BEGIN
  UPDATE meta SET value = value - OLD.size WHERE key = 'bytes';
END;
CREATE TRIGGER entries_resize AFTER UPDATE OF size ON entries BEGIN
  UPDATE meta SET value = value - OLD.size + NEW.size WHERE key = 'bytes';
END;
PRAGMA user_version = 2;
)sql";

// Version 3: refresh leases (Store::try_lease), one row per entry being fetched, deleted when
// its holder releases it or by a sweep once expired. A version 2 store gains the table and
// keeps its entries.
constexpr const char* kLeasesSql = R"sql(
CREATE TABLE leases(
  id       TEXT PRIMARY KEY NOT NULL,
  holder   TEXT NOT NULL,
  until_ms INTEGER NOT NULL
);
PRAGMA user_version = 3;
)sql";

// Version 1 had the same tables with one envelope column. Its blob files become orphans, which
// every open removes once they are an hour old.
constexpr const char* kDropVersion1Sql = R"sql(
DROP TRIGGER IF EXISTS entries_insert;
DROP TRIGGER IF EXISTS entries_delete;
DROP TRIGGER IF EXISTS entries_resize;
DROP TABLE IF EXISTS entries;
DROP TABLE IF EXISTS meta;
PRAGMA user_version = 0;
)sql";

// --- small helpers ---

Status with_code(Status::Code code, std::string msg) {
  switch (code) {
    case Status::Code::kOk:
      return Status::ok();
    case Status::Code::kNotFound:
      return Status::not_found(std::move(msg));
    case Status::Code::kCorruption:
      return Status::corruption(std::move(msg));
    case Status::Code::kIoError:
      return Status::io_error(std::move(msg));
    case Status::Code::kInvalidArgument:
      return Status::invalid_argument(std::move(msg));
    case Status::Code::kUnavailable:
      return Status::unavailable(std::move(msg));
    case Status::Code::kTimeout:
      return Status::timeout(std::move(msg));
    case Status::Code::kTooLarge:
      return Status::too_large(std::move(msg));
    case Status::Code::kConflict:
      return Status::conflict(std::move(msg));
  }
  return Status::io_error(std::move(msg));
}

Status errno_status(std::string_view what, const std::string& path, int err) {
  return Status::io_error(std::string(what) + " " + path + ": " +
                          std::generic_category().message(err));
}

bool is_lower_hex(std::string_view s) {
  return base::is_lower_hex(s, s.size());
}

Status check_id(std::string_view id) {
  if (id.size() == kIdHexLen && is_lower_hex(id)) return Status::ok();
  std::string shown(id.substr(0, 80));
  return Status::invalid_argument("local store: invalid id \"" + shown +
                                  "\" (want 64 lowercase hex characters)");
}

// "<id>-<suffix>": never a path, whatever the database says.
bool is_blob_name(std::string_view name) {
  return name.size() == kIdHexLen + 1 + kSuffixHexLen && name[kIdHexLen] == '-' &&
         is_lower_hex(name.substr(0, kIdHexLen)) && is_lower_hex(name.substr(kIdHexLen + 1));
}

// A new name for every write of an entry's file (docs/FORMAT.md, "Files"): 16 lowercase hex
// characters from the OS random source, through OpenSSL's CSPRNG like every other random value.
std::string random_suffix() {
  return crypto::random_hex(kSuffixHexLen / 2);
}

// mkdir with exactly 0700 whatever the umask; an existing directory is left as it is.
Status make_dir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0) {
    if (chmod(path.c_str(), 0700) != 0) return errno_status("cannot chmod", path, errno);
    return Status::ok();
  }
  int err = errno;
  struct stat st {};
  if (err == EEXIST && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::ok();
  return errno_status("cannot create directory", path, err);
}

// mkdir -p, each missing level 0700.
Status make_dirs(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    std::string parent = path.substr(0, pos);
    struct stat st {};
    if (stat(parent.c_str(), &st) == 0) continue;
    if (Status s = make_dir(parent); !s) return s;
  }
  return make_dir(path);
}

// Creates `path` with mode 0600 (whatever the umask) if it does not exist yet.
Status create_private_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::ok();
    return errno_status("cannot create", path, errno);
  }
  int rc = fchmod(fd, 0600);
  int err = errno;
  close(fd);
  if (rc != 0) return errno_status("cannot chmod", path, err);
  return Status::ok();
}

// --- connections ---

// One SQLite connection with its own prepared statements; used by one thread at a time.
struct Connection {
  sqlite::Db db;
  sqlite::Statement get;
  sqlite::Statement find_file;
  sqlite::Statement upsert;
  sqlite::Statement total_bytes;
  sqlite::Statement lru;
  sqlite::Statement erase;
  sqlite::Statement touch;
  sqlite::Statement replace_head;
  sqlite::Statement live_expires;
  sqlite::Statement bump_access;
  sqlite::Statement purgeable_files;
  sqlite::Statement sweep;
  sqlite::Statement list;
  sqlite::Statement all_files;
  sqlite::Statement clear;
  sqlite::Statement stats;
  sqlite::Statement take_lease;
  sqlite::Statement drop_lease;
  sqlite::Statement sweep_leases;
};

const std::pair<sqlite::Statement Connection::*, const char*> kStatements[] = {
    {&Connection::get,
     "SELECT expires, purge_at, size, last_access, blob_file, body, head FROM entries WHERE id=?1"},
    {&Connection::find_file, "SELECT blob_file FROM entries WHERE id=?1"},
    {&Connection::upsert,
     "INSERT INTO entries(id, expires, purge_at, size, last_access, blob_file, body, head) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET "
     "expires=excluded.expires, purge_at=excluded.purge_at, size=excluded.size, "
     "last_access=excluded.last_access, blob_file=excluded.blob_file, "
     "body=excluded.body, head=excluded.head"},
    {&Connection::total_bytes, "SELECT value FROM meta WHERE key='bytes'"},
    {&Connection::lru,
     "SELECT id, size, blob_file FROM entries WHERE id<>?1 ORDER BY last_access, rowid"},
    {&Connection::erase, "DELETE FROM entries WHERE id=?1"},
    // ?5: the expiry the caller read (a compare-and-set), or NULL for any.
    {&Connection::touch,
     "UPDATE entries SET expires=?2, purge_at=?3 "
     "WHERE id=?1 AND purge_at>?4 AND (?5 IS NULL OR expires=?5)"},
    // SET expressions see the old row: the size swaps the old head's length for the new one's.
    {&Connection::replace_head,
     "UPDATE entries SET head=?6, expires=?2, purge_at=?3, "
     "size=size-length(head)+length(?6) WHERE id=?1 AND purge_at>?4 AND (?5 IS NULL OR "
     "expires=?5)"},
    {&Connection::live_expires, "SELECT expires FROM entries WHERE id=?1 AND purge_at>?2"},
    {&Connection::bump_access, "UPDATE entries SET last_access=?2 WHERE id=?1 AND last_access<?2"},
    {&Connection::purgeable_files,
     "SELECT blob_file FROM entries WHERE purge_at<=?1 AND blob_file IS NOT NULL"},
    {&Connection::sweep, "DELETE FROM entries WHERE purge_at<=?1"},
    {&Connection::list,
     "SELECT id, expires, purge_at, size, last_access FROM entries "
     "ORDER BY last_access DESC, rowid DESC LIMIT ?1"},
    {&Connection::all_files, "SELECT blob_file FROM entries WHERE blob_file IS NOT NULL"},
    {&Connection::clear, "DELETE FROM entries"},
    {&Connection::stats,
     "SELECT COUNT(*), COALESCE(SUM(expires<=?1), 0), COALESCE(SUM(purge_at<=?1), 0), "
     "(SELECT value FROM meta WHERE key='bytes') FROM entries"},
    // One statement, so one write transaction: of two takers at most one changes the row.
    {&Connection::take_lease,
     "INSERT INTO leases(id, holder, until_ms) VALUES(?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET "
     "holder=excluded.holder, until_ms=excluded.until_ms "
     "WHERE leases.holder=excluded.holder OR leases.until_ms<=?4"},
    {&Connection::drop_lease, "DELETE FROM leases WHERE id=?1 AND holder=?2"},
    {&Connection::sweep_leases, "DELETE FROM leases WHERE until_ms<=?1"},
};

// A single-value query such as "PRAGMA user_version".
Result<std::string> query_value(sqlite::Db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.status();
  auto row = stmt->step();
  if (!row) return row.status();
  return *row ? stmt->column_bytes(0) : std::string();
}

Status check_version(sqlite::Db& db, int64_t* version) {
  auto got = query_value(db, "PRAGMA user_version");
  if (!got) return got.status();
  *version = std::strtoll(got->c_str(), nullptr, 10);
  if (*version <= kSchemaVersion) return Status::ok();
  return Status::invalid_argument(
      "schema version " + *got + " is newer than this cachedata supports (" +
      std::to_string(kSchemaVersion) + "); use a newer cachedata or another directory");
}

// WAL mode (persistent in the file) and the schema; run once per open_local_store. A database of
// a newer version is refused before anything is written to it.
Status set_up_database(sqlite::Db& db) {
  int64_t version = 0;
  if (Status s = check_version(db, &version); !s) return s;
  auto mode = query_value(db, "PRAGMA journal_mode=WAL");
  if (!mode) return mode.status();
  if (*mode != "wal") return Status::io_error("cannot switch to WAL mode (got " + *mode + ")");
  if (version == kSchemaVersion) return Status::ok();
  // Again inside the write lock, so two processes creating the store at once make one schema.
  auto txn = sqlite::Transaction::begin(db);
  if (!txn) return txn.status();
  if (Status s = check_version(db, &version); !s) return s;
  if (version == 1) {
    if (Status s = db.exec(kDropVersion1Sql); !s) return s;
    version = 0;
  }
  if (version == 0) {
    if (Status s = db.exec(kSchemaSql); !s) return s;
    version = 2;
  }
  if (version == 2) {
    if (Status s = db.exec(kLeasesSql); !s) return s;
  }
  return txn->commit();
}

Result<std::unique_ptr<Connection>> open_connection(const std::string& path, bool set_up) {
  auto conn = std::make_unique<Connection>();
  auto db = sqlite::Db::open(path, kBusyTimeoutMs);
  if (!db) return db.status();
  conn->db = std::move(db).value();
  if (set_up) {
    // Switching a new database to WAL needs an exclusive lock, and SQLite reports a conflict
    // there at once instead of waiting; so wait here, as long as the busy timeout would.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    Status s = set_up_database(conn->db);
    while (s.code() == Status::Code::kUnavailable && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      s = set_up_database(conn->db);
    }
    if (!s) return s;
  }
  // A cache can lose the last transactions in a power cut; NORMAL is safe against corruption in
  // WAL mode. The size limit truncates a WAL grown by large inline envelopes after checkpoints.
  if (Status s = conn->db.exec("PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=67108864");
      !s) {
    return s;
  }
  for (const auto& [member, sql] : kStatements) {
    auto stmt = conn->db.prepare(sql);
    if (!stmt) return stmt.status();
    (*conn).*member = std::move(stmt).value();
  }
  return conn;
}

// Idle connections, handed out one per call so threads never share one.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->give_back(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  explicit ConnectionPool(std::string path) : path_(std::move(path)) {}

  Result<Lease> acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
      }
    }
    auto conn = open_connection(path_, /*set_up=*/false);  // outside the lock: it does I/O
    if (!conn) return conn.status();
    return Lease(this, std::move(conn).value());
  }

  void give_back(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(conn));
  }

 private:
  const std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// --- the store ---

class LocalStore final : public Store {
 public:
  LocalStore(LocalStoreOptions options, const std::string& db_path)
      : options_(std::move(options)),
        blobs_dir_(options_.dir + "/" + kBlobDirName),
        files_(options_.file_calls ? options_.file_calls : posix_file_calls()),
        pool_(db_path) {}

  // The sweep and the clean-up of abandoned files that every open does.
  void start(std::unique_ptr<Connection> first) {
    pool_.give_back(std::move(first));
    int64_t now = now_seconds();
    if (options_.sweep_on_open) {
      (void)sweep(now);  // best effort: a busy store is swept by a later put
      remove_orphan_files();
    }
    next_sweep_.store(now + kSweepIntervalSeconds);
  }

  Result<std::optional<StoredRecord>> get(std::string_view id) override;
  Status put(const StoredRecord& record) override;
  using Store::replace_head;
  using Store::touch;
  Status touch(std::string_view id, int64_t expires, int64_t purge_at,
               std::optional<int64_t> if_expires) override;
  Status replace_head(std::string_view id, std::string_view head, int64_t expires, int64_t purge_at,
                      std::optional<int64_t> if_expires) override;
  Status erase(std::string_view id) override;
  Result<uint64_t> sweep(int64_t now) override;
  Result<std::vector<EntryInfo>> list(size_t limit) override;
  Result<uint64_t> clear() override;
  Result<StoreStats> stats(int64_t now) override;
  Result<bool> try_lease(std::string_view id, std::string_view holder, int64_t until_ms,
                         int64_t now_ms) override;
  Status release_lease(std::string_view id, std::string_view holder) override;
  std::string describe() const override { return "local:" + options_.dir; }

 private:
  int64_t now_seconds() const { return base::unix_seconds(options_.now_seconds); }
  Status fail(const Status& s) const {
    return with_code(s.code(), "local store " + options_.dir + ": " + s.message());
  }
  std::string blob_path(std::string_view name) const {
    return blobs_dir_ + "/" + std::string(name.substr(0, 2)) + "/" + std::string(name);
  }

  Result<std::string> write_blob(std::string_view id, std::string_view bytes);
  Result<std::optional<std::string>> read_blob(const std::string& name, uint64_t size);
  void remove_blobs(const std::vector<std::string>& names);
  void remove_orphan_files();
  // touch (no head) and replace_head.
  Status update(std::string_view id, std::optional<std::string_view> head, int64_t expires,
                int64_t purge_at, std::optional<int64_t> if_expires);
  Status put_row(const StoredRecord& record, const std::string& file, int64_t now,
                 std::vector<std::string>* doomed);
  Status evict(Connection& c, std::string_view keep_id, std::vector<std::string>* doomed);
  void maybe_sweep(int64_t now);

  const LocalStoreOptions options_;
  const std::string blobs_dir_;
  const std::shared_ptr<FileCalls> files_;
  ConnectionPool pool_;
  std::atomic<int64_t> next_sweep_{0};
};

Result<std::optional<StoredRecord>> LocalStore::get(std::string_view id) {
  if (Status s = check_id(id); !s) return s;
  const int64_t now = now_seconds();
  auto lease = pool_.acquire();
  if (!lease) return fail(lease.status());
  Connection& c = **lease;

  StoredRecord record;
  record.id = std::string(id);
  uint64_t size = 0;
  int64_t last_access = 0;
  std::string file;
  {
    StatementUse q(c.get);
    q->bind_text(1, id);
    auto row = q->step();
    if (!row) return fail(row.status());
    if (!*row) return std::optional<StoredRecord>();
    record.expires = q->column_int(0);
    record.purge_at = q->column_int(1);
    size = static_cast<uint64_t>(q->column_int(2));
    last_access = q->column_int(3);
    if (record.purge_at <= now) return std::optional<StoredRecord>();
    record.head = q->column_bytes(6);
    if (q->column_is_null(4)) {
      record.body = q->column_bytes(5);
    } else {
      file = q->column_bytes(4);
    }
  }  // the read ends here: the file is read without holding a snapshot open

  if (!file.empty()) {
    if (size < record.head.size()) return fail(Status::corruption("row size below its head's"));
    auto bytes = read_blob(file, size - record.head.size());
    if (!bytes) return fail(bytes.status());
    if (!*bytes) return std::optional<StoredRecord>();
    record.body = std::move(**bytes);
  }
  if (last_access <= now - kAccessGranularitySeconds) {
    // Best effort: a hit is still a hit when the store is too busy to record it, and it never
    // waits for another process's write lock to record it.
    c.db.set_busy_timeout(0);
    {
      StatementUse q(c.bump_access);
      q->bind_text(1, id);
      q->bind_int(2, now);
      (void)q->step();
    }
    c.db.set_busy_timeout(kBusyTimeoutMs);
  }
  return std::optional<StoredRecord>(std::move(record));
}

Status LocalStore::put(const StoredRecord& record) {
  if (Status s = check_id(record.id); !s) return s;
  if (record.head.empty()) return Status::invalid_argument("local store: a record without head");
  const uint64_t size = record.size();
  if (options_.max_bytes != 0 && size > options_.max_bytes) {
    return Status::too_large("local store " + options_.dir + ": entry of " + std::to_string(size) +
                             " bytes exceeds the cap of " + std::to_string(options_.max_bytes) +
                             " bytes");
  }
  const int64_t now = now_seconds();
  std::string file;
  if (record.body.size() > options_.inline_max_bytes) {
    auto written = write_blob(record.id, record.body);
    if (!written) return fail(written.status());
    file = std::move(written).value();
  }
  std::vector<std::string> doomed;  // files to unlink once the row change is committed
  if (Status s = put_row(record, file, now, &doomed); !s) {
    if (!file.empty()) remove_blobs({file});
    return fail(s);
  }
  remove_blobs(doomed);
  maybe_sweep(now);
  return Status::ok();
}

Status LocalStore::put_row(const StoredRecord& record, const std::string& file, int64_t now,
                           std::vector<std::string>* doomed) {
  auto lease = pool_.acquire();
  if (!lease) return lease.status();
  Connection& c = **lease;
  auto txn = sqlite::Transaction::begin(c.db);
  if (!txn) return txn.status();
  {
    StatementUse q(c.find_file);
    q->bind_text(1, record.id);
    auto row = q->step();
    if (!row) return row.status();
    if (*row && !q->column_is_null(0)) doomed->push_back(q->column_bytes(0));
  }
  {
    StatementUse q(c.upsert);
    q->bind_text(1, record.id);
    q->bind_int(2, record.expires);
    q->bind_int(3, record.purge_at);
    q->bind_int(4, static_cast<int64_t>(record.size()));
    q->bind_int(5, now);
    if (file.empty()) {
      q->bind_null(6);
      q->bind_blob(7, record.body);
    } else {
      q->bind_text(6, file);
      q->bind_null(7);
    }
    q->bind_blob(8, record.head);
    auto done = q->step();
    if (!done) return done.status();
  }
  if (Status s = evict(c, record.id, doomed); !s) return s;
  return txn->commit();
}

// Inside put's transaction: when the total is over the cap, deletes least recently used rows
// (never `keep_id`, the row just written) until the total is at most 90% of the cap.
Status LocalStore::evict(Connection& c, std::string_view keep_id,
                         std::vector<std::string>* doomed) {
  const uint64_t cap = options_.max_bytes;
  if (cap == 0) return Status::ok();
  int64_t total = 0;
  {
    StatementUse q(c.total_bytes);
    auto row = q->step();
    if (!row) return row.status();
    if (*row) total = q->column_int(0);
  }
  if (total <= 0 || static_cast<uint64_t>(total) <= cap) return Status::ok();
  const uint64_t target = cap - cap / 10;
  std::vector<std::string> victims;
  {
    StatementUse q(c.lru);
    q->bind_text(1, keep_id);
    while (total > 0 && static_cast<uint64_t>(total) > target) {
      auto row = q->step();
      if (!row) return row.status();
      if (!*row) break;  // only the new row is left
      victims.push_back(q->column_bytes(0));
      total -= q->column_int(1);
      if (!q->column_is_null(2)) doomed->push_back(q->column_bytes(2));
    }
  }
  for (const std::string& victim : victims) {
    StatementUse q(c.erase);
    q->bind_text(1, victim);
    auto done = q->step();
    if (!done) return done.status();
  }
  return Status::ok();
}

// At most once per interval per store object, triggered by puts, so a store purges by itself.
void LocalStore::maybe_sweep(int64_t now) {
  int64_t due = next_sweep_.load();
  if (now < due) return;
  if (!next_sweep_.compare_exchange_strong(due, now + kSweepIntervalSeconds)) return;
  (void)sweep(now);  // best effort: the put itself succeeded
}

Status LocalStore::touch(std::string_view id, int64_t expires, int64_t purge_at,
                         std::optional<int64_t> if_expires) {
  return update(id, std::nullopt, expires, purge_at, if_expires);
}

Status LocalStore::replace_head(std::string_view id, std::string_view head, int64_t expires,
                                int64_t purge_at, std::optional<int64_t> if_expires) {
  if (head.empty()) return Status::invalid_argument("local store: an empty head");
  return update(id, head, expires, purge_at, if_expires);
}

Status LocalStore::update(std::string_view id, std::optional<std::string_view> head,
                          int64_t expires, int64_t purge_at, std::optional<int64_t> if_expires) {
  if (Status s = check_id(id); !s) return s;
  const int64_t now = now_seconds();
  auto lease = pool_.acquire();
  if (!lease) return fail(lease.status());
  Connection& c = **lease;
  {
    StatementUse q(head ? c.replace_head : c.touch);
    q->bind_text(1, id);
    q->bind_int(2, expires);
    q->bind_int(3, purge_at);
    q->bind_int(4, now);
    if (if_expires) {
      q->bind_int(5, *if_expires);
    } else {
      q->bind_null(5);
    }
    if (head) q->bind_blob(6, *head);
    auto done = q->step();
    if (!done) return fail(done.status());
    if (c.db.changes() == 1) return Status::ok();
  }
  // Nothing changed: no live row (a row past its purge time counts as gone, as in get()), or,
  // for a compare-and-set, a row whose expiry another writer has changed since it was read.
  if (if_expires) {
    StatementUse q(c.live_expires);
    q->bind_text(1, id);
    q->bind_int(2, now);
    auto row = q->step();
    if (!row) return fail(row.status());
    if (*row) {
      return Status::conflict("local store: entry " + std::string(id.substr(0, 12)) +
                              " expires at " + std::to_string(q->column_int(0)) + ", not " +
                              std::to_string(*if_expires));
    }
  }
  return Status::not_found("local store: no entry " + std::string(id));
}

Status LocalStore::erase(std::string_view id) {
  if (Status s = check_id(id); !s) return s;
  std::vector<std::string> doomed;
  {
    auto lease = pool_.acquire();
    if (!lease) return fail(lease.status());
    Connection& c = **lease;
    auto txn = sqlite::Transaction::begin(c.db);
    if (!txn) return fail(txn.status());
    {
      StatementUse q(c.find_file);
      q->bind_text(1, id);
      auto row = q->step();
      if (!row) return fail(row.status());
      if (!*row) return Status::ok();
      if (!q->column_is_null(0)) doomed.push_back(q->column_bytes(0));
    }
    StatementUse q(c.erase);
    q->bind_text(1, id);
    auto done = q->step();
    if (!done) return fail(done.status());
    if (Status s = txn->commit(); !s) return fail(s);
  }
  remove_blobs(doomed);
  return Status::ok();
}

Result<bool> LocalStore::try_lease(std::string_view id, std::string_view holder, int64_t until_ms,
                                   int64_t now_ms) {
  if (Status s = check_id(id); !s) return s;
  auto lease = pool_.acquire();
  if (!lease) return fail(lease.status());
  Connection& c = **lease;
  StatementUse q(c.take_lease);
  q->bind_text(1, id);
  q->bind_text(2, holder);
  q->bind_int(3, until_ms);
  q->bind_int(4, now_ms);
  auto done = q->step();
  if (!done) return fail(done.status());
  return c.db.changes() == 1;
}

Status LocalStore::release_lease(std::string_view id, std::string_view holder) {
  if (Status s = check_id(id); !s) return s;
  auto lease = pool_.acquire();
  if (!lease) return fail(lease.status());
  Connection& c = **lease;
  StatementUse q(c.drop_lease);
  q->bind_text(1, id);
  q->bind_text(2, holder);
  auto done = q->step();
  if (!done) return fail(done.status());
  return Status::ok();
}

Result<uint64_t> LocalStore::sweep(int64_t now) {
  std::vector<std::string> doomed;
  int64_t removed = 0;
  {
    auto lease = pool_.acquire();
    if (!lease) return fail(lease.status());
    Connection& c = **lease;
    auto txn = sqlite::Transaction::begin(c.db);
    if (!txn) return fail(txn.status());
    {
      StatementUse q(c.purgeable_files);
      q->bind_int(1, now);
      for (;;) {
        auto row = q->step();
        if (!row) return fail(row.status());
        if (!*row) break;
        doomed.push_back(q->column_bytes(0));
      }
    }
    StatementUse q(c.sweep);
    q->bind_int(1, now);
    auto done = q->step();
    if (!done) return fail(done.status());
    removed = c.db.changes();
    {
      // Leases of holders that died; a lease is never longer than an entry is kept.
      StatementUse dead(c.sweep_leases);
      dead->bind_int(1, now * 1000);
      auto swept = dead->step();
      if (!swept) return fail(swept.status());
    }
    if (Status s = txn->commit(); !s) return fail(s);
  }
  remove_blobs(doomed);
  return static_cast<uint64_t>(removed);
}

Result<std::vector<EntryInfo>> LocalStore::list(size_t limit) {
  auto lease = pool_.acquire();
  if (!lease) return fail(lease.status());
  Connection& c = **lease;
  std::vector<EntryInfo> out;
  StatementUse q(c.list);
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  q->bind_int(1, static_cast<int64_t>(limit < kMax ? limit : kMax));
  for (;;) {
    auto row = q->step();
    if (!row) return fail(row.status());
    if (!*row) break;
    EntryInfo info;
    info.id = q->column_bytes(0);
    info.expires = q->column_int(1);
    info.purge_at = q->column_int(2);
    info.size = static_cast<uint64_t>(q->column_int(3));
    info.last_access = q->column_int(4);
    out.push_back(std::move(info));
  }
  return out;
}

Result<uint64_t> LocalStore::clear() {
  std::vector<std::string> doomed;
  int64_t removed = 0;
  {
    auto lease = pool_.acquire();
    if (!lease) return fail(lease.status());
    Connection& c = **lease;
    auto txn = sqlite::Transaction::begin(c.db);
    if (!txn) return fail(txn.status());
    {
      StatementUse q(c.all_files);
      for (;;) {
        auto row = q->step();
        if (!row) return fail(row.status());
        if (!*row) break;
        doomed.push_back(q->column_bytes(0));
      }
    }
    StatementUse q(c.clear);
    auto done = q->step();
    if (!done) return fail(done.status());
    removed = c.db.changes();
    if (Status s = txn->commit(); !s) return fail(s);
  }
  remove_blobs(doomed);
  remove_orphan_files();
  return static_cast<uint64_t>(removed);
}

Result<StoreStats> LocalStore::stats(int64_t now) {
  auto lease = pool_.acquire();
  if (!lease) return fail(lease.status());
  Connection& c = **lease;
  StatementUse q(c.stats);
  q->bind_int(1, now);
  auto row = q->step();
  if (!row) return fail(row.status());
  StoreStats out;
  out.capacity_bytes = options_.max_bytes;
  if (*row) {
    out.entries = static_cast<uint64_t>(q->column_int(0));
    out.expired_entries = static_cast<uint64_t>(q->column_int(1));
    out.purgeable_entries = static_cast<uint64_t>(q->column_int(2));
    out.bytes = static_cast<uint64_t>(q->column_int(3));
  }
  return out;
}

// --- blob files ---

Result<std::string> LocalStore::write_blob(std::string_view id, std::string_view bytes) {
  const std::string name = std::string(id) + "-" + random_suffix();
  const std::string final_path = blob_path(name);
  if (Status s = make_dir(blobs_dir_ + "/" + std::string(id.substr(0, 2))); !s) return s;
  // Same directory as the final name, so rename() is atomic; the dot keeps it apart from names.
  const std::string temp_path = blobs_dir_ + "/" + std::string(id.substr(0, 2)) + "/.tmp-" + name;
  int fd =
      files_->open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno_status("cannot create", temp_path, errno);
  int err = files_->fchmod(fd, 0600) == 0 ? 0 : errno;
  for (size_t done = 0; err == 0 && done < bytes.size();) {
    ssize_t n = files_->write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (files_->close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && files_->rename(temp_path.c_str(), final_path.c_str()) != 0) err = errno;
  if (err != 0) {
    files_->unlink(temp_path.c_str());
    return errno_status("cannot write", temp_path, err);
  }
  return name;
}

// nullopt: the file is gone or has another size than the row says — lost to a race with another
// process (overwrite, eviction) or damaged. Either way a miss, not an error.
Result<std::optional<std::string>> LocalStore::read_blob(const std::string& name, uint64_t size) {
  if (!is_blob_name(name)) {
    return Status::corruption("bad blob file name in the database: " + name.substr(0, 100));
  }
  const std::string path = blob_path(name);
  int fd = files_->open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return errno_status("cannot open", path, errno);
  }
  struct stat st {};
  if (files_->fstat(fd, &st) != 0) {
    int err = errno;
    files_->close(fd);
    return errno_status("cannot stat", path, err);
  }
  if (static_cast<uint64_t>(st.st_size) != size) {
    files_->close(fd);
    return std::optional<std::string>();
  }
  std::string bytes(size, '\0');
  size_t done = 0;
  int err = 0;
  while (done < size) {
    ssize_t n = files_->read(fd, bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  files_->close(fd);
  if (err != 0) return errno_status("cannot read", path, err);
  if (done != size) return std::optional<std::string>();  // truncated under us
  return std::optional<std::string>(std::move(bytes));
}

// Best effort: a file left behind is removed by the orphan clean-up of a later open.
void LocalStore::remove_blobs(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (is_blob_name(name)) files_->unlink(blob_path(name).c_str());
  }
}

// Deletes files under blobs/ that no row references and that are old enough not to belong to a
// put in flight (its file exists a moment before its row): left by a crash or a failed unlink.
void LocalStore::remove_orphan_files() {
  std::unordered_set<std::string> referenced;
  {
    auto lease = pool_.acquire();
    if (!lease) return;
    Connection& c = **lease;
    StatementUse q(c.all_files);
    for (;;) {
      auto row = q->step();
      if (!row) return;  // without the full list nothing can be called an orphan
      if (!*row) break;
      referenced.insert(q->column_bytes(0));
    }
  }
  // The store's clock (injected in tests), like every other age it judges.
  const int64_t cutoff = now_seconds() - kOrphanAgeSeconds;
  DIR* top = opendir(blobs_dir_.c_str());
  if (top == nullptr) return;
  while (dirent* sub = readdir(top)) {
    std::string_view sub_name = sub->d_name;
    if (sub_name.size() != 2 || !is_lower_hex(sub_name)) continue;
    const std::string sub_path = blobs_dir_ + "/" + std::string(sub_name);
    DIR* dir = opendir(sub_path.c_str());
    if (dir == nullptr) continue;
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == ".." || referenced.count(name) != 0) continue;
      struct stat st {};
      if (fstatat(dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISREG(st.st_mode) && st.st_mtime < cutoff) unlinkat(dirfd(dir), name.c_str(), 0);
    }
    closedir(dir);
  }
  closedir(top);
}

}  // namespace

Result<std::unique_ptr<Store>> open_local_store(LocalStoreOptions options) {
  if (options.dir.empty()) return Status::invalid_argument("local store: dir is empty");
  auto fail = [&options](const Status& s) {
    return with_code(s.code(), "local store " + options.dir + ": " + s.message());
  };
  if (!options.create_if_missing) {
    struct stat st;
    if (::stat((options.dir + "/" + kDbFileName).c_str(), &st) != 0) {
      return Status::not_found("no local store in " + options.dir);
    }
  }
  if (Status s = make_dirs(options.dir); !s) return fail(s);
  // Another user's directory (say a pre-created /tmp/cachedata-<uid>) could hold their key and
  // entries: never trust it.
  struct stat dir_stat;
  if (::lstat(options.dir.c_str(), &dir_stat) != 0 || !S_ISDIR(dir_stat.st_mode)) {
    return fail(Status::invalid_argument("is not a directory"));
  }
  if (dir_stat.st_uid != ::geteuid() || (dir_stat.st_mode & 022) != 0) {
    return fail(Status::invalid_argument(
        "directory is owned by another user or writable by others; refusing to use it"));
  }
  if (Status s = make_dir(options.dir + "/" + kBlobDirName); !s) return fail(s);
  // Created here, not by SQLite, to set its mode; SQLite gives -wal and -shm the same mode.
  const std::string db_path = options.dir + "/" + kDbFileName;
  if (Status s = create_private_file(db_path); !s) return fail(s);

  auto first = open_connection(db_path, /*set_up=*/true);
  if (!first) {
    const Status& s = first.status();
    if (s.code() == Status::Code::kCorruption) {
      return Status::corruption("local store database " + db_path +
                                " is damaged or not an SQLite database (" + s.message() +
                                "); delete it to start an empty store");
    }
    return with_code(s.code(), "local store database " + db_path + ": " + s.message());
  }
  auto store = std::make_unique<LocalStore>(std::move(options), db_path);
  store->start(std::move(first).value());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace cachedata::store
