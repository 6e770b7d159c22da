#include "cachedata/status.hpp"

namespace cachedata {

const char* code_name(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kIoError:
      return "io error";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kTimeout:
      return "timeout";
    case Status::Code::kConflict:
      return "conflict";
    case Status::Code::kTooLarge:
      return "too large";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(code_name(code_)) + ": " + message_;
}

}  // namespace cachedata
