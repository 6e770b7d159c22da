// The environment as the AWS layer reads it: a lookup function, so tests can give every
// variable (and HOME) without touching the process environment. Thread-safety is the lookup's:
// the default one reads the process environment, which nothing in cachedata modifies.
#pragma once

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

namespace cachedata::aws {

// nullptr for an unset variable, like std::getenv.
using EnvLookup = std::function<const char*(const char*)>;

inline EnvLookup process_env() {
  return [](const char* name) { return std::getenv(name); };
}

// The value when set and not empty (the SDKs treat an empty variable as unset).
inline std::optional<std::string> env_value(const EnvLookup& env, const char* name) {
  const char* v = env ? env(name) : nullptr;
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

}  // namespace cachedata::aws
