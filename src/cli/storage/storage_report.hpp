// What `storage provision` and `storage status` found and did, per resource and per setting, and
// how it is printed. A setting the endpoint refused or did not keep is reported as such, never
// dropped: on a custom endpoint (DynamoDB Local, s3rver, another cloud) it is a note that does
// not fail the command; on AWS the same outcome is a failure. run_step drives one setting
// through read, change when it differs, read back; the rest are plain values.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cachedata/status.hpp"

namespace cachedata::cli::storage {

enum class Verdict {
  kInfo,           // shown, never compared (the table's status)
  kMatches,        // found as the template sets it; nothing done
  kChanged,        // set now, and it reads back as the template sets it
  kEndpointLimit,  // a custom endpoint refused it, did not keep it or cannot report it
  kDiffers,        // differs and was not (or cannot be) changed
  kFailed,         // a call failed
};

struct SettingReport {
  std::string name;  // "TTL", "lifecycle rule on cache/"...
  Verdict verdict = Verdict::kInfo;
  std::string text;  // what is there and what that means, e.g. "purge_ts ENABLED"
};

struct ResourceReport {
  std::string kind;  // "table" or "bucket"
  std::string name;
  bool exists = false;
  bool created = false;
  std::string error;  // the resource itself could not be read or created
  std::vector<SettingReport> settings;

  void add(std::string setting, Verdict verdict, std::string text) {
    settings.push_back({std::move(setting), verdict, std::move(text)});
  }
  // Exists and nothing differs or failed (endpoint limits are notes).
  bool ok() const;
  // "created", "updated (TTL)", "exists, matches", "exists, differs (TTL)", "missing"...
  std::string summary() const;
  void print(std::FILE* out) const;
};

enum class Mode { kCheck, kProvision };

// A reading of one setting: the value as text, or why there is none.
struct Reading {
  Status status;
  std::string value;
};

// One setting, the same way for each: read; if it differs and we provision, change and read
// again. `custom`: an endpoint that is not AWS's (its refusals are notes, not failures).
struct SettingStep {
  std::string name;
  std::string expected;
  std::function<Reading()> read;
  std::function<Status()> change;  // empty: cannot change in place
  std::string cannot_change;       // why, when `change` is empty
  // When the endpoint cannot report the setting, try to set it anyway (its answer is news)?
  bool change_when_unreported = true;
};

void run_step(ResourceReport& report, const SettingStep& step, Mode mode, bool custom);

}  // namespace cachedata::cli::storage
