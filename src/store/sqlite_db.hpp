// A small RAII layer over sqlite3 for the local store: a connection (Db), its prepared statements
// (Statement), a scope that resets a statement after use (StatementUse) and a write transaction
// (Transaction). SQLite errors come back as a Status carrying SQLite's message; waiting for
// another connection's lock is SQLite's busy timeout.
//
// Not thread-safe: one thread at a time uses a Db and its statements (the local store keeps a
// pool of connections, each with its own statements). A Statement must not outlive its Db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "cachedata/status.hpp"

namespace cachedata::store::sqlite {

// An SQLite result code as a Status: CORRUPT/NOTADB -> kCorruption, BUSY/LOCKED -> kUnavailable,
// TOOBIG -> kTooLarge, anything else -> kIoError. `what` says what was being done.
Status status_from_code(int rc, std::string_view what, std::string_view detail);

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based. Text and blobs are not copied: the bytes must stay valid until
  // reset(). A failed bind is reported by the next step().
  void bind_int(int index, int64_t value);
  void bind_text(int index, std::string_view text);
  void bind_blob(int index, std::string_view bytes);
  void bind_null(int index);

  // true: a row is ready to read; false: the statement is done.
  Result<bool> step();

  // Columns are 0-based; valid after step() returned true.
  int64_t column_int(int col) const;
  std::string column_bytes(int col) const;  // text or blob
  bool column_is_null(int col) const;

  // Ends the current use: resets the statement (ending its read, if any) and clears bindings.
  void reset();

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

// Resets a statement when the scope ends, so a read never stays open by accident (an open read
// pins a WAL snapshot and blocks checkpoints).
class StatementUse {
 public:
  explicit StatementUse(Statement& stmt) : stmt_(stmt) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() { stmt_.reset(); }
  Statement* operator->() { return &stmt_; }

 private:
  Statement& stmt_;
};

class Db {
 public:
  // Opens an existing database file read-write (the caller creates the file, to choose its mode)
  // with a busy timeout, for use by one thread at a time.
  static Result<Db> open(const std::string& path, int busy_timeout_ms);

  Db() = default;
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more statements, discarding any rows.
  Status exec(const char* sql);
  Result<Statement> prepare(const char* sql);
  // Rows changed by the last INSERT, UPDATE or DELETE (not counting trigger changes).
  int64_t changes() const;
  // Whether a transaction is open (false after SQLite rolled one back by itself).
  bool in_transaction() const;
  // How long a statement waits for a lock another connection holds (0: fail at once).
  void set_busy_timeout(int ms);

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT: takes the write lock up front (waiting up to the busy timeout), so
// a transaction never fails half-way for want of it. Rolled back unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_ = nullptr;  // null once committed or rolled back
};

}  // namespace cachedata::store::sqlite
