#include "cachedata/profile.hpp"

#include <date/tz.h>

namespace cachedata {
namespace {
Status negative(const char* field, std::chrono::seconds value) {
  return Status::invalid_argument(std::string("profile.") + field + " must not be negative, got " +
                                  std::to_string(value.count()));
}
}  // namespace

Status Profile::validate() const {
  if (ttl.count() < 0) return negative("ttl", ttl);
  if (stale_on_error.count() < 0) return negative("stale_on_error", stale_on_error);
  if (stale_while_revalidate.count() < 0) {
    return negative("stale_while_revalidate", stale_while_revalidate);
  }
  if (negative_ttl.count() < 0) return negative("negative_ttl", negative_ttl);
  if (refresh_lease.count() < 0) {
    return Status::invalid_argument("profile.refresh_lease must not be negative, got " +
                                    std::to_string(refresh_lease.count()) + " ms");
  }
  // NaN fails both comparisons.
  if (!(early_refresh_beta >= 0.0 && early_refresh_beta <= 1000.0)) {
    return Status::invalid_argument("profile.early_refresh_beta must be between 0 and 1000, got " +
                                    std::to_string(early_refresh_beta));
  }
  if (interval_jitter.count() < 0) return negative("interval_jitter", interval_jitter);
  if (on_interval) {
    if (interval.count() < 1 || interval.count() > 86400) {
      return Status::invalid_argument("profile.interval must be between 1 and 86400 seconds, got " +
                                      std::to_string(interval.count()));
    }
    if (interval_jitter >= interval) {
      return Status::invalid_argument("profile.interval_jitter must be below profile.interval (" +
                                      std::to_string(interval.count()) + " s), got " +
                                      std::to_string(interval_jitter.count()));
    }
    if (!time_zone.empty()) {
      try {
        date::locate_zone(time_zone);
      } catch (const std::exception&) {
        return Status::invalid_argument("profile.time_zone: unknown time zone '" + time_zone + "'");
      }
    }
  }
  return Status::ok();
}

}  // namespace cachedata
