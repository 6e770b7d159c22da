// Logger: where the library reports what it does not return (store errors, corrupted
// entries, a created key file). Thread-safe; the sink may be called from any thread.
#pragma once

#include <string_view>

#include "cachedata/config.hpp"

namespace cachedata::core {

class Logger {
 public:
  Logger(LogLevel level, LogSink sink) : level_(level), sink_(std::move(sink)) {}
  bool enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::kOff; }
  void log(LogLevel level, std::string_view message) const;

 private:
  LogLevel level_;
  LogSink sink_;
};

const char* level_name(LogLevel level);

}  // namespace cachedata::core
