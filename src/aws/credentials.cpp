#include "aws/credentials.hpp"

#include "aws/credential_sources.hpp"

namespace cachedata::aws {

Result<AwsCredentials> ChainSource::fetch() {
  // Each source that is not configured says why; together they tell the user what was tried.
  std::string tried;
  for (const auto& source : sources_) {
    auto creds = source->fetch();
    if (creds || creds.status().code() != Status::Code::kNotFound) return creds;
    tried += "; " + creds.status().message();
  }
  return Status::not_found("no AWS credentials found" +
                           (tried.empty() ? "" : ": " + tried.substr(2)));
}

CachingCredentialsProvider::CachingCredentialsProvider(std::unique_ptr<CredentialsSource> source,
                                                       CachingOptions options)
    : source_(std::move(source)), options_(std::move(options)) {}

std::chrono::system_clock::time_point CachingCredentialsProvider::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

bool CachingCredentialsProvider::fresh(const AwsCredentials& c,
                                       std::chrono::system_clock::time_point t) const {
  return !c.expiration || t + options_.refresh_before < *c.expiration;
}

bool CachingCredentialsProvider::valid(const AwsCredentials& c,
                                       std::chrono::system_clock::time_point t) const {
  return !c.expiration || t < *c.expiration;
}

Result<AwsCredentials> CachingCredentialsProvider::get() {
  {
    std::shared_lock lock(mu_);
    if (cached_ && fresh(*cached_, now())) return *cached_;
  }
  std::unique_lock refresh(refresh_mu_, std::try_to_lock);
  if (!refresh.owns_lock()) {
    // Another thread is fetching: use what we have while it is valid, else wait for it.
    {
      std::shared_lock lock(mu_);
      if (cached_ && valid(*cached_, now())) return *cached_;
    }
    refresh.lock();
  }
  {
    std::shared_lock lock(mu_);  // the thread before us may have refreshed already
    if (cached_ && fresh(*cached_, now())) return *cached_;
  }
  auto fetched = source_->fetch();
  std::unique_lock lock(mu_);
  if (fetched) {
    cached_ = *fetched;
    last_error_ = Status::ok();
    return fetched;
  }
  last_error_ = fetched.status();
  if (cached_ && valid(*cached_, now())) return *cached_;
  cached_.reset();
  return fetched.status();
}

void CachingCredentialsProvider::invalidate() {
  std::unique_lock lock(mu_);
  cached_.reset();
}

Status CachingCredentialsProvider::last_refresh_error() const {
  std::shared_lock lock(mu_);
  return last_error_;
}

std::shared_ptr<CredentialsProvider> default_credentials_provider(const EnvLookup& env,
                                                                  const std::string& profile) {
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  sources.push_back(environment_source(env));
  sources.push_back(profile_source(env, profile));
  sources.push_back(container_source(env));
  sources.push_back(imds_source(env));
  return std::make_shared<CachingCredentialsProvider>(
      std::make_unique<ChainSource>(std::move(sources)));
}

}  // namespace cachedata::aws
