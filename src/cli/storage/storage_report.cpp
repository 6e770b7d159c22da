#include "cli/storage/storage_report.hpp"

namespace cachedata::cli::storage {
namespace {

std::string names_with(const std::vector<SettingReport>& settings, Verdict verdict) {
  std::string out;
  for (const SettingReport& s : settings) {
    if (s.verdict == verdict) out += (out.empty() ? "" : ", ") + s.name;
  }
  return out;
}

const char* label(Verdict verdict) {
  switch (verdict) {
    case Verdict::kInfo:
      return "";
    case Verdict::kMatches:
      return "matches";
    case Verdict::kChanged:
      return "set";
    case Verdict::kEndpointLimit:
      return "endpoint";
    case Verdict::kDiffers:
      return "DIFFERS";
    case Verdict::kFailed:
      return "FAILED";
  }
  return "";
}

}  // namespace

bool ResourceReport::ok() const {
  if (!exists || !error.empty()) return false;
  for (const SettingReport& s : settings) {
    if (s.verdict == Verdict::kDiffers || s.verdict == Verdict::kFailed) return false;
  }
  return true;
}

std::string ResourceReport::summary() const {
  if (!error.empty()) return "error: " + error;
  if (!exists) return "missing";
  std::string out;
  const std::string bad = names_with(settings, Verdict::kDiffers) +
                          (names_with(settings, Verdict::kFailed).empty() ? "" : "; failed: ") +
                          names_with(settings, Verdict::kFailed);
  const std::string changed = names_with(settings, Verdict::kChanged);
  if (created) {
    out = "created";
  } else if (!changed.empty()) {
    out = "updated (" + changed + ")";
  } else {
    out = bad.empty() ? "exists, matches" : "exists";
  }
  if (!bad.empty()) out += ", differs (" + bad + ")";
  const std::string limits = names_with(settings, Verdict::kEndpointLimit);
  if (!limits.empty()) out += "; not kept or not reported by this endpoint: " + limits;
  return out;
}

void ResourceReport::print(std::FILE* out) const {
  std::fprintf(out, "%s %s: %s\n", kind.c_str(), name.c_str(), summary().c_str());
  for (const SettingReport& s : settings) {
    const char* l = label(s.verdict);
    if (*l == '\0' || s.verdict == Verdict::kEndpointLimit) {
      std::fprintf(out, "  %-24s %s\n", (s.name + ":").c_str(), s.text.c_str());
    } else {
      std::fprintf(out, "  %-24s %s: %s\n", (s.name + ":").c_str(), l, s.text.c_str());
    }
  }
}

void run_step(ResourceReport& report, const SettingStep& step, Mode mode, bool custom) {
  Reading r = step.read();
  if (!r.status) {
    if (!custom) {
      report.add(step.name, Verdict::kFailed, r.status.message());
      return;
    }
    if (mode == Mode::kCheck || !step.change || !step.change_when_unreported) {
      report.add(step.name, Verdict::kEndpointLimit,
                 "not reported by this endpoint (expected " + step.expected + "; " +
                     r.status.message() + ")");
      return;
    }
    // Provision anyway: the endpoint may accept the setting without reporting it.
  } else if (r.value == step.expected) {
    report.add(step.name, report.created ? Verdict::kChanged : Verdict::kMatches, r.value);
    return;
  } else if (mode == Mode::kCheck || !step.change) {
    report.add(step.name, Verdict::kDiffers,
               "is " + r.value + ", expected " + step.expected +
                   (step.change ? "" : "; " + step.cannot_change));
    return;
  }
  const std::string before = r.status ? r.value : "not reported";
  if (Status s = step.change(); !s) {
    if (custom) {
      report.add(step.name, Verdict::kEndpointLimit,
                 "refused by this endpoint (is " + before + ", expected " + step.expected + "; " +
                     s.message() + ")");
    } else {
      report.add(step.name, Verdict::kFailed, s.message());
    }
    return;
  }
  Reading after = step.read();
  if (after.status && after.value == step.expected) {
    report.add(step.name, Verdict::kChanged,
               after.value + (report.created ? "" : " (was " + before + ")"));
  } else if (custom) {
    report.add(step.name, Verdict::kEndpointLimit,
               "not kept by this endpoint (set to " + step.expected + ", reads back as " +
                   (after.status ? after.value : after.status.message()) + ")");
  } else {
    report.add(step.name, Verdict::kFailed,
               "set to " + step.expected + ", reads back as " +
                   (after.status ? after.value : after.status.message()));
  }
}

}  // namespace cachedata::cli::storage
