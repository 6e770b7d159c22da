// The application instance's data key, read from an SSM SecureString parameter (64 hex
// characters) and kept fresh: read once at start (a failure there is the caller's error), then
// re-read every `refresh_interval` on a background thread; a failed or malformed re-read keeps
// the last good key (and is reported by last_error()).
//
// Where the key is read from:
//   - inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME set), through the AWS Parameters and Secrets
//     extension: GET http://localhost:<PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, default 2773>
//     /systemsmanager/parameters/get?name=…&withDecryption=true, with
//     X-Aws-Parameters-Secrets-Token: $AWS_SESSION_TOKEN; when the extension does not answer
//     (not installed), straight from SSM;
//   - elsewhere, SSM GetParameter WithDecryption.
// The key never appears in an error or log message; buffers that held it are wiped.
// current() / generation() / last_error() are safe from many threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "aws/aws_env.hpp"
#include "aws/ssm_client.hpp"
#include "cachedata/aws_options.hpp"
#include "cachedata/data_key.hpp"
#include "cachedata/key_source.hpp"
#include "cachedata/status.hpp"

namespace cachedata::aws {

// One read of the key.
class DataKeySource {
 public:
  virtual ~DataKeySource() = default;
  virtual Result<DataKey> fetch() = 0;
};

// SSM GetParameter WithDecryption.
std::unique_ptr<DataKeySource> ssm_key_source(std::shared_ptr<const SsmClient> ssm,
                                              std::string parameter);
// The Lambda extension; kUnavailable with "extension not answering" when nothing listens.
std::unique_ptr<DataKeySource> lambda_extension_key_source(EnvLookup env, std::string parameter);
// Inside Lambda: the extension, falling back to `ssm` when the extension does not answer.
// Elsewhere: `ssm`.
std::unique_ptr<DataKeySource> default_key_source(EnvLookup env,
                                                  std::shared_ptr<const SsmClient> ssm,
                                                  std::string parameter);

class SsmDataKeyProvider final : public KeySource {
 public:
  // Reads the key now; on success starts the refresh thread (refresh_interval > 0; 0: never
  // refresh).
  static Result<std::unique_ptr<SsmDataKeyProvider>> start(
      std::unique_ptr<DataKeySource> source, std::string parameter,
      std::chrono::milliseconds refresh_interval);
  ~SsmDataKeyProvider() override;  // stops and joins the refresh thread
  SsmDataKeyProvider(const SsmDataKeyProvider&) = delete;
  SsmDataKeyProvider& operator=(const SsmDataKeyProvider&) = delete;

  DataKey current() const override;
  // Starts at 1; +1 each time a refresh reads a key different from the current one (a
  // rotation), so a user can rebuild what it derived from the key.
  uint64_t generation() const override { return generation_.load(); }
  std::string describe() const override { return "SSM parameter " + parameter_; }
  // One re-read now (also what the thread does). Keeps the current key on failure.
  Status refresh();
  // Ok, or the error of the last failed refresh.
  Status last_error() const;
  const std::string& parameter() const { return parameter_; }

 private:
  SsmDataKeyProvider(std::unique_ptr<DataKeySource> source, std::string parameter, DataKey key);
  void run(std::chrono::milliseconds interval);

  std::unique_ptr<DataKeySource> source_;
  std::string parameter_;
  mutable std::mutex mu_;
  DataKey key_;
  Status last_error_;
  std::atomic<uint64_t> generation_{1};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The provider for `parameter` with the clients resolved from `options` and the environment
// (what Config::data_key_param asks for).
Result<std::unique_ptr<SsmDataKeyProvider>> open_ssm_data_key(
    const std::string& parameter, std::chrono::milliseconds refresh_interval,
    const AwsOptions& options = {}, const EnvLookup& env = process_env());

}  // namespace cachedata::aws
