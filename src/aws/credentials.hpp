// AWS credentials for signing: where they come from (a CredentialsSource: one look-up, does
// I/O every time) and how the clients get them (a CredentialsProvider: cached, refreshed).
//
// default_credentials_provider() is the chain of the AWS SDKs, in their order: environment,
// shared files (AWS_PROFILE), container endpoint, EC2 instance metadata (IMDSv2); the first
// source that is configured answers (see credential_sources.hpp). CachingCredentialsProvider
// keeps what it got and fetches again `refresh_before` (5 min) before the expiry; when a
// refresh fails it keeps serving the credentials it has while they are still valid.
// Providers are safe to call from many threads. No error or log message contains a secret
// access key or a session token.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "aws/aws_env.hpp"
#include "aws/sigv4.hpp"
#include "cachedata/status.hpp"

namespace cachedata::aws {

using SysClock = std::function<std::chrono::system_clock::time_point()>;

struct AwsCredentials {
  Credentials keys;
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // "environment", "profile 'dev'", "container endpoint", "EC2 IMDS"
};

class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  // For messages: "environment", "shared files (profile 'dev')"...
  virtual std::string name() const = 0;
  // kNotFound means "not configured here" (the chain tries the next source); any other error
  // means it is configured but failed.
  virtual Result<AwsCredentials> fetch() = 0;
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<AwsCredentials> get() = 0;
  // The service rejected the credentials as expired: the next get() fetches new ones.
  virtual void invalidate() {}
};

// Fixed credentials (from code or a test).
class StaticCredentialsProvider : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials keys) : creds_{std::move(keys), {}, "static"} {}
  Result<AwsCredentials> get() override { return creds_; }

 private:
  AwsCredentials creds_;
};

// Tries its sources in order; the first that does not answer kNotFound gives the result.
class ChainSource : public CredentialsSource {
 public:
  explicit ChainSource(std::vector<std::unique_ptr<CredentialsSource>> sources)
      : sources_(std::move(sources)) {}
  std::string name() const override { return "credentials chain"; }
  Result<AwsCredentials> fetch() override;

 private:
  std::vector<std::unique_ptr<CredentialsSource>> sources_;
};

struct CachingOptions {
  std::chrono::seconds refresh_before{300};
  SysClock clock;  // empty: the system clock
};

class CachingCredentialsProvider : public CredentialsProvider {
 public:
  explicit CachingCredentialsProvider(std::unique_ptr<CredentialsSource> source,
                                      CachingOptions options = {});
  // Cached credentials while more than refresh_before from their expiry; else one thread
  // fetches (the others keep using the still-valid credentials meanwhile, or wait when there
  // are none); a failed fetch returns the old credentials while they are valid, else the error.
  Result<AwsCredentials> get() override;
  void invalidate() override;
  // The error of the last failed refresh (ok when the last one worked), for diagnostics.
  Status last_refresh_error() const;

 private:
  std::chrono::system_clock::time_point now() const;
  bool fresh(const AwsCredentials& c, std::chrono::system_clock::time_point now) const;
  bool valid(const AwsCredentials& c, std::chrono::system_clock::time_point now) const;

  std::unique_ptr<CredentialsSource> source_;
  CachingOptions options_;
  std::mutex refresh_mu_;  // one fetch at a time
  mutable std::shared_mutex mu_;
  std::optional<AwsCredentials> cached_;
  Status last_error_;
};

// The SDK chain for `profile` (empty: AWS_PROFILE or "default"), cached.
std::shared_ptr<CredentialsProvider> default_credentials_provider(
    const EnvLookup& env = process_env(), const std::string& profile = "");

}  // namespace cachedata::aws
