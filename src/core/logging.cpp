#include "core/logging.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace cachedata::core {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  if (sink_) {
    sink_(level, message);
    return;
  }
  static std::mutex mu;  // keeps lines from different threads whole
  std::lock_guard lock(mu);
  std::fprintf(stderr, "cachedata: %s: %.*s\n", level_name(level), static_cast<int>(message.size()),
               message.data());
}

}  // namespace cachedata::core
