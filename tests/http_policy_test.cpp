// core::CachePolicy (src/core/http_policy.hpp): the caching rules of a profile as a pure object,
// one table per rule. No cache, no store, no clock: every case gives the time.
#include "core/http_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace cachedata::core {
namespace {

using std::chrono::seconds;

const TimePoint kNow = TimePoint(seconds(1'800'000'000));  // 2027-01-15T08:00:00Z
const int64_t kNowS = 1'800'000'000;

CachePolicy policy_of(const Profile&& profile) = delete;  // the policy views its profile
CachePolicy policy_of(const Profile& profile) {
  auto made = CachePolicy::make(profile, "UTC");
  EXPECT_TRUE(made) << made.status().to_string();
  return std::move(made).value();
}

Response answer_with(int status, Headers headers, std::string body = "body") {
  Response r;
  r.status_code = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

TEST(CachePolicyTest, AnInvalidProfileMakesNoPolicyAndNamesTheField) {
  struct Row {
    void (*spoil)(Profile&);
    const char* field;
  };
  const Row rows[] = {
      {[](Profile& p) { p.ttl = seconds(-1); }, "profile.ttl"},
      {[](Profile& p) { p.stale_on_error = seconds(-1); }, "profile.stale_on_error"},
      {[](Profile& p) { p.stale_while_revalidate = seconds(-5); },
       "profile.stale_while_revalidate"},
      {[](Profile& p) { p.negative_ttl = seconds(-1); }, "profile.negative_ttl"},
      {[](Profile& p) {
         p.on_interval = true;
         p.interval = seconds(0);
       },
       "profile.interval"},
      {[](Profile& p) {
         p.on_interval = true;
         p.time_zone = "Mars/Olympus";
       },
       "profile.time_zone"},
      {[](Profile& p) { p.refresh_lease = std::chrono::milliseconds(-1); },
       "profile.refresh_lease"},
      {[](Profile& p) { p.early_refresh_beta = -0.5; }, "profile.early_refresh_beta"},
      {[](Profile& p) { p.early_refresh_beta = std::numeric_limits<double>::quiet_NaN(); },
       "profile.early_refresh_beta"},
      {[](Profile& p) { p.early_refresh_beta = 1001; }, "profile.early_refresh_beta"},
      {[](Profile& p) { p.interval_jitter = seconds(-1); }, "profile.interval_jitter"},
      {[](Profile& p) {
         p.on_interval = true;
         p.interval = seconds(900);
         p.interval_jitter = seconds(900);
       },
       "profile.interval_jitter"},
  };
  for (const Row& row : rows) {
    Profile profile;
    row.spoil(profile);
    auto made = CachePolicy::make(profile, "UTC");
    ASSERT_FALSE(made) << row.field;
    EXPECT_EQ(made.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(made.status().message().find(row.field), std::string::npos)
        << made.status().to_string();
  }
  const Profile valid;
  EXPECT_TRUE(CachePolicy::make(valid, "UTC"));
}

TEST(CachePolicyTest, RetainsEveryHeaderOrTheNamedOnesAndThoseTheRulesNeed) {
  struct Row {
    std::vector<std::string> retain;
    const char* name;
    bool kept;
  };
  const Row rows[] = {
      {{}, "Set-Cookie", true},  // nothing named: everything is kept
      {{"X-Rate-Limit"}, "x-rate-limit", true},
      {{"X-Rate-Limit"}, "Set-Cookie", false},
      {{"X-Rate-Limit"}, "ETag", true},
      {{"X-Rate-Limit"}, "Last-Modified", true},
      {{"X-Rate-Limit"}, "Content-Type", true},
      {{"X-Rate-Limit"}, "Cache-Control", true},
      {{"X-Rate-Limit"}, "Expires", true},
      {{"X-Rate-Limit"}, "Vary", true},
      {{"X-Rate-Limit"}, "Date", false},
  };
  for (const Row& row : rows) {
    Profile profile;
    profile.retain_headers = row.retain;
    CachePolicy policy = policy_of(profile);
    EXPECT_EQ(policy.retains(row.name), row.kept) << row.name;
    Headers origin{{row.name, "v"}, {"X-Other", "o"}};
    EXPECT_EQ(policy.retained(origin).contains(row.name), row.kept) << row.name;
  }
}

TEST(CachePolicyTest, AnAnswerBecomesAnEntryWithItsValidatorsAndExpiry) {
  Profile profile;
  profile.ttl = seconds(60);
  profile.retain_headers = {"X-Keep"};
  CachePolicy policy = policy_of(profile);
  auto made = policy.answer(answer_with(200, {{"ETag", "\"v1\""},
                                              {"Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT"},
                                              {"X-Keep", "k"},
                                              {"X-Drop", "d"}}),
                            kNow, 42);
  ASSERT_TRUE(made);
  const Entry& e = *made->entry;
  EXPECT_EQ(e.kind, EntryKind::kAnswer);
  EXPECT_EQ(e.status_code, 200);
  EXPECT_EQ(e.etag, "\"v1\"");
  EXPECT_EQ(e.last_modified, "Tue, 01 Dec 2026 00:00:00 GMT");
  EXPECT_TRUE(e.headers.contains("x-keep"));
  EXPECT_FALSE(e.headers.contains("x-drop"));
  EXPECT_EQ(e.body_text(), "body");
  EXPECT_EQ(e.stored_at_ms, kNowS * 1000);
  EXPECT_EQ(e.fetch_ms, 42u);
  EXPECT_TRUE(made->decision.store);
  EXPECT_EQ(made->decision.expires, kNowS + 60);
  EXPECT_EQ(e.expires, kNowS + 60);

  // An empty body is no body; no-store is returned but not kept.
  auto empty = policy.answer(answer_with(200, {{"Cache-Control", "no-store"}}, ""), kNow, 0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->entry->body, nullptr);
  EXPECT_FALSE(empty->decision.store);
}

TEST(CachePolicyTest, A304ReplacesTheStoredFieldsItNamesAndKeepsTheBody) {
  Profile profile;
  profile.ttl = seconds(60);
  CachePolicy policy = policy_of(profile);
  Entry stored;
  stored.status_code = 200;
  stored.etag = "\"v1\"";
  stored.headers = Headers{{"ETag", "\"v1\""},      {"Date", "Mon, 30 Nov 2026 00:00:00 GMT"},
                           {"Age", "30"},           {"Content-Type", "application/json"},
                           {"Content-Length", "4"}, {"X-Version", "1"}};
  stored.body = std::make_shared<const std::string>("json");
  stored.stored_at_ms = 1;
  const Headers not_modified{{"ETag", "\"v2\""},
                             {"X-Version", "2"},
                             {"Content-Length", "0"},  // describes the 304 itself
                             {"Content-Encoding", "gzip"},
                             {"Connection", "keep-alive"}};
  auto [refreshed, decision] = policy.revalidated(stored, not_modified, kNow);
  struct Row {
    const char* name;
    std::optional<std::string> value;
  };
  const Row rows[] = {
      {"etag", "\"v2\""},
      {"x-version", "2"},
      {"content-type", "application/json"},  // not in the 304: kept
      {"content-length", "4"},               // the 304's own length: not taken
      {"content-encoding", std::nullopt},
      {"connection", std::nullopt},
      {"date", std::nullopt},  // the first answer's Date and Age go
      {"age", std::nullopt},
  };
  for (const Row& row : rows) {
    auto got = refreshed->headers.get(row.name);
    EXPECT_EQ(got.has_value(), row.value.has_value()) << row.name;
    if (got && row.value) {
      EXPECT_EQ(*got, *row.value) << row.name;
    }
  }
  EXPECT_EQ(refreshed->headers.size(), 4u) << "no field twice";
  EXPECT_EQ(refreshed->etag, "\"v2\"");
  EXPECT_EQ(refreshed->body, stored.body) << "the same body, not a copy";
  EXPECT_EQ(refreshed->stored_at_ms, kNowS * 1000);
  EXPECT_TRUE(decision.store);
  EXPECT_EQ(decision.expires, kNowS + 60);
  EXPECT_EQ(refreshed->expires, kNowS + 60);
}

TEST(CachePolicyTest, A304ThatForbidsStoringSaysSo) {
  const Profile profile;
  CachePolicy policy = policy_of(profile);
  Entry stored;
  stored.status_code = 200;
  for (const char* header : {"no-store", "private, no-store"}) {
    auto refreshed = policy.revalidated(stored, Headers{{"Cache-Control", header}}, kNow);
    EXPECT_FALSE(refreshed.decision.store) << header;
  }
  auto star = policy.revalidated(stored, Headers{{"Vary", "*"}}, kNow);
  EXPECT_FALSE(star.decision.store);
}

TEST(CachePolicyTest, A304DoesNotBringBackAFieldTheProfileDoesNotRetain) {
  Profile profile;
  profile.retain_headers = {"X-Keep"};
  CachePolicy policy = policy_of(profile);
  Entry stored;
  stored.status_code = 200;
  auto refreshed =
      policy.revalidated(stored, Headers{{"Set-Cookie", "s=1"}, {"X-Keep", "k"}}, kNow);
  EXPECT_FALSE(refreshed.entry->headers.contains("set-cookie"));
  EXPECT_EQ(refreshed.entry->headers.get("x-keep"), "k");
}

TEST(CachePolicyTest, VaryNamesNotInTheIdMakeAVariant) {
  struct Row {
    std::vector<std::string> key_headers;
    const char* vary;
    std::vector<std::string> unkeyed;
  };
  const Row rows[] = {
      {{}, "Accept-Language", {}},  // every request header is in the id already
      {{"Authorization"}, "Accept-Language", {"accept-language"}},
      {{"Accept-Language"}, "accept-language", {}},
      {{"authorization"}, "Accept-Language, Authorization", {"accept-language"}},
      {{"X-A"}, "", {}},
  };
  for (const Row& row : rows) {
    Profile profile;
    profile.key_headers = row.key_headers;
    CachePolicy policy = policy_of(profile);
    Headers answer;
    if (*row.vary) answer.add("Vary", row.vary);
    EXPECT_EQ(policy.unkeyed_vary(answer), row.unkeyed) << row.vary;
  }
  Profile profile;
  profile.key_headers = {"Authorization"};
  CachePolicy policy = policy_of(profile);
  Profile varied = policy.variant_profile({"accept-language", "AUTHORIZATION"});
  EXPECT_EQ(varied.key_headers, (std::vector<std::string>{"Authorization", "accept-language"}));

  auto pointer = CachePolicy::vary_pointer({"accept-language", "x-b"}, 7, kNowS + 5);
  EXPECT_EQ(pointer->kind, EntryKind::kVary);
  EXPECT_EQ(pointer->headers.get("vary"), "accept-language, x-b");
  EXPECT_EQ(pointer->stored_at_ms, 7);
  EXPECT_EQ(pointer->expires, kNowS + 5);
}

TEST(CachePolicyTest, AFailureIsRememberedForTheNegativeTtlOnly) {
  struct Row {
    int negative_ttl;
    bool remembered;
  };
  for (const Row row : {Row{10, true}, Row{0, false}}) {
    Profile profile;
    profile.negative_ttl = seconds(row.negative_ttl);
    CachePolicy policy = policy_of(profile);
    auto failure = policy.failure(503, "down", kNow, 9);
    EXPECT_EQ(policy.remembers_failures(), row.remembered);
    EXPECT_EQ(failure.decision.store, row.remembered);
    EXPECT_EQ(failure.entry->kind, EntryKind::kFailure);
    EXPECT_EQ(failure.entry->status_code, 503);
    EXPECT_EQ(failure.entry->error, "down");
    EXPECT_EQ(failure.entry->fetch_ms, 9u);
    EXPECT_EQ(failure.entry->stored_at_ms, kNowS * 1000);
    EXPECT_EQ(failure.decision.expires, kNowS + row.negative_ttl);
    EXPECT_EQ(failure.entry->expires, failure.decision.expires);
  }
}

TEST(CachePolicyTest, StaleRulesComeFromTheProfileAndTheStoredHeaders) {
  Profile profile;
  profile.stale_on_error = seconds(100);
  profile.stale_while_revalidate = seconds(30);
  CachePolicy policy = policy_of(profile);
  const int64_t expired = kNowS - 10;
  auto serve = policy.on_failure(Headers{}, expired, kNow);
  EXPECT_TRUE(serve.serve);
  EXPECT_EQ(serve.expires, kNowS + 100);
  EXPECT_FALSE(
      policy.on_failure(Headers{{"Cache-Control", "must-revalidate"}}, expired, kNow).serve);
  EXPECT_EQ(policy.background_refresh_until(Headers{}, expired), expired + 30);
  EXPECT_EQ(policy.background_refresh_until(Headers{{"Cache-Control", "no-cache"}}, expired),
            expired);
}

// --- early refresh (XFetch) and interval jitter ---

TEST(CachePolicyTest, EarlyRefreshIsOffUnlessTheProfileGivesABeta) {
  const Profile profile;  // early_refresh_beta 0
  const CachePolicy policy = policy_of(profile);
  // One second before expiry, after a 10 s fetch, with the luckiest draw: still no.
  EXPECT_FALSE(policy.refresh_early(kNowS + 1, 10'000, kNow, 1e-300));
}

TEST(CachePolicyTest, EarlyRefreshFollowsTheXFetchRule) {
  Profile profile;
  profile.early_refresh_beta = 1.0;
  const CachePolicy policy = policy_of(profile);
  struct Row {
    int64_t expires_in_s;
    uint32_t fetch_ms;
    double uniform;
    bool refresh;
  };
  // now - fetch_ms * beta * ln(U) >= expires, in milliseconds.
  const Row rows[] = {
      {10, 1000, 1.0, false},             // ln(1) = 0: no head start at all
      {0, 1000, 1.0, true},               // at the expiry itself
      {2, 1000, std::exp(-2.01), true},   // a head start of 2.01 s
      {2, 1000, std::exp(-1.99), false},  // 1.99 s: not yet
      {10, 1000, std::exp(-9.0), false},  // 9 s of 10
      {10, 2000, std::exp(-5.01), true},  // a slower fetch starts earlier
      {60, 0, 1e-300, false},             // an instant fetch never starts early
      {1, 1000, 0.0, false},              // U outside (0, 1]: no refresh
      {1, 1000, 1.5, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::to_string(row.expires_in_s) + " s, " + std::to_string(row.fetch_ms) +
                 " ms, U=" + std::to_string(row.uniform));
    EXPECT_EQ(policy.refresh_early(kNowS + row.expires_in_s, row.fetch_ms, kNow, row.uniform),
              row.refresh);
  }
  Profile eager = profile;
  eager.early_refresh_beta = 3.0;  // a larger beta starts earlier
  EXPECT_TRUE(policy_of(eager).refresh_early(kNowS + 6, 1000, kNow, std::exp(-2.01)));
}

TEST(CachePolicyTest, JitterMovesOnlyTheProfilesOwnBoundary) {
  Profile profile;
  profile.on_interval = true;
  profile.interval = seconds(900);
  profile.interval_jitter = seconds(120);
  const int64_t boundary = kNowS + 900;  // kNow is on a 15-minute boundary
  for (double fraction : {0.0, 0.5, 0.999}) {
    auto policy = CachePolicy::make(profile, "UTC", fraction).value();
    auto plain = policy.answer(answer_with(200, {}), kNow, 5).value();
    EXPECT_EQ(plain.decision.expires, boundary + static_cast<int64_t>(fraction * 120));
    EXPECT_EQ(plain.entry->expires, plain.decision.expires);
    // The origin's own lifetime is the origin's: never jittered.
    auto by_origin = policy.answer(answer_with(200, {{"Cache-Control", "max-age=60"}}), kNow, 5);
    EXPECT_EQ(by_origin.value().decision.expires, kNowS + 60);
    // A 304 refresh lands within the same spread.
    auto refreshed = policy.revalidated(*plain.entry, {}, kNow);
    EXPECT_EQ(refreshed.decision.expires, plain.decision.expires);
  }
  Profile ttl_only;
  ttl_only.interval_jitter = seconds(120);  // no interval: nothing to move
  auto policy = CachePolicy::make(ttl_only, "UTC", 0.9).value();
  EXPECT_EQ(policy.answer(answer_with(200, {}), kNow, 5).value().decision.expires, kNowS + 300);
  EXPECT_FALSE(CachePolicy::make(profile, "UTC", 1.0));
  EXPECT_FALSE(CachePolicy::make(profile, "UTC", -0.1));
}

}  // namespace
}  // namespace cachedata::core
