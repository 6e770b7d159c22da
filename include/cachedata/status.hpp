// Status and Result<T>: the one error model of cachedata's public API.
//
// Every call that can fail returns a Status or a Result<T>; the library does not throw across its
// API (a throwing user fetcher is caught and reported as an origin failure). The codes let a caller
// tell a miss, a corrupted entry, a store outage and a bad argument apart. Both types are plain
// values, safe to copy and to use from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cachedata {

class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,         // no such entry / parameter / file
    kCorruption,       // bytes that fail to decode or to authenticate
    kIoError,          // the OS or the store failed
    kInvalidArgument,  // a bad configuration value or argument
    kUnavailable,      // a dependency (store, origin) cannot be reached
    kTimeout,          // a deadline passed
    kTooLarge,         // an item over a configured or protocol limit
    kConflict,         // a conditional write found the record changed by another writer
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status not_found(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status io_error(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status invalid_argument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status too_large(std::string msg) { return {Code::kTooLarge, std::move(msg)}; }
  static Status conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corruption: envelope tag mismatch" — code name and message, for logs and errors.
  std::string to_string() const;
  // The same code with "<context>: " before the message (an ok status stays ok).
  Status annotated(std::string_view context) const {
    if (is_ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

const char* code_name(Status::Code code);

// A value or the Status that explains why there is none. REQUIRES for value(): is_ok().
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {}  // NOLINT: implicit by design

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace cachedata
