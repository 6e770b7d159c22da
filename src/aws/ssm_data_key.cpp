#include "aws/ssm_data_key.hpp"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "aws/aws_http.hpp"

namespace cachedata::aws {
namespace {

using Json = nlohmann::json;

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

// The value as a key; the message names the parameter and the shape problem, never the value.
Result<DataKey> key_from_value(const std::string& parameter, const std::string& value) {
  auto key = DataKey::from_hex(value);
  if (!key) {
    return Status::invalid_argument("SSM parameter " + parameter + ": " + key.status().message());
  }
  return key;
}

class SsmKeySource : public DataKeySource {
 public:
  SsmKeySource(std::shared_ptr<const SsmClient> ssm, std::string parameter)
      : ssm_(std::move(ssm)), parameter_(std::move(parameter)) {}
  Result<DataKey> fetch() override {
    auto p = ssm_->get_parameter(parameter_, /*with_decryption=*/true);
    if (!p) {
      if (p.status().code() == Status::Code::kNotFound) {
        return Status::not_found(
            "SSM parameter " + parameter_ +
            " does not exist (create it with `cachedata key ensure`): " + p.status().message());
      }
      return p.status();
    }
    return key_from_value(parameter_, p->value);
  }

 private:
  std::shared_ptr<const SsmClient> ssm_;
  std::string parameter_;
};

class LambdaExtensionKeySource : public DataKeySource {
 public:
  LambdaExtensionKeySource(EnvLookup env, std::string parameter)
      : env_(std::move(env)), parameter_(std::move(parameter)) {}
  Result<DataKey> fetch() override {
    const std::string port =
        env_value(env_, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT").value_or("2773");
    for (char c : port) {
      if (c < '0' || c > '9') {
        return Status::invalid_argument("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT '" + port +
                                        "' is not a port number");
      }
    }
    HttpExchange r;
    r.method = "GET";
    r.url = "http://localhost:" + port +
            "/systemsmanager/parameters/get?name=" + uri_encode(parameter_, /*keep_slash=*/false) +
            "&withDecryption=true";
    r.no_proxy = true;
    r.connect_timeout = std::chrono::milliseconds(1000);
    r.timeout = std::chrono::milliseconds(5000);
    r.max_response_bytes = 64 * 1024;
    std::string token = env_value(env_, "AWS_SESSION_TOKEN").value_or("");
    r.headers.emplace_back("X-Aws-Parameters-Secrets-Token", token);
    HttpReply reply = http_exchange(r);
    wipe(token);
    wipe(r.headers.back().second);
    const std::string where = "SSM parameter " + parameter_ + " via the Lambda extension";
    if (reply.code != CURLE_OK) {
      return Status::unavailable(where + ": extension not answering on localhost:" + port + ": " +
                                 reply.error);
    }
    if (reply.status != 200) {
      const bool missing = reply.body.find("ParameterNotFound") != std::string::npos;
      wipe(reply.body);
      if (missing) return Status::not_found(where + ": the parameter does not exist");
      return Status::unavailable(where + ": HTTP " + std::to_string(reply.status));
    }
    auto doc = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    wipe(reply.body);
    Json* value = nullptr;
    if (doc.is_object()) {
      if (auto p = doc.find("Parameter"); p != doc.end() && p->is_object()) {
        if (auto v = p->find("Value"); v != p->end() && v->is_string()) value = &*v;
      }
    }
    if (value == nullptr) return Status::unavailable(where + ": the answer has no Parameter.Value");
    auto key = key_from_value(parameter_, value->get_ref<const std::string&>());
    wipe(value->get_ref<std::string&>());
    return key;
  }

 private:
  EnvLookup env_;
  std::string parameter_;
};

class FallbackKeySource : public DataKeySource {
 public:
  FallbackKeySource(std::unique_ptr<DataKeySource> first, std::unique_ptr<DataKeySource> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  Result<DataKey> fetch() override {
    auto key = first_->fetch();
    // Only "nothing listens" falls back: an extension that answers has the final word.
    if (!key && key.status().code() == Status::Code::kUnavailable &&
        key.status().message().find("extension not answering") != std::string::npos) {
      return second_->fetch();
    }
    return key;
  }

 private:
  std::unique_ptr<DataKeySource> first_;
  std::unique_ptr<DataKeySource> second_;
};

}  // namespace

std::unique_ptr<DataKeySource> ssm_key_source(std::shared_ptr<const SsmClient> ssm,
                                              std::string parameter) {
  return std::make_unique<SsmKeySource>(std::move(ssm), std::move(parameter));
}

std::unique_ptr<DataKeySource> lambda_extension_key_source(EnvLookup env, std::string parameter) {
  return std::make_unique<LambdaExtensionKeySource>(std::move(env), std::move(parameter));
}

std::unique_ptr<DataKeySource> default_key_source(EnvLookup env,
                                                  std::shared_ptr<const SsmClient> ssm,
                                                  std::string parameter) {
  auto direct = ssm_key_source(std::move(ssm), parameter);
  if (!env_value(env, "AWS_LAMBDA_FUNCTION_NAME")) return direct;
  return std::make_unique<FallbackKeySource>(
      lambda_extension_key_source(std::move(env), std::move(parameter)), std::move(direct));
}

SsmDataKeyProvider::SsmDataKeyProvider(std::unique_ptr<DataKeySource> source, std::string parameter,
                                       DataKey key)
    : source_(std::move(source)), parameter_(std::move(parameter)), key_(std::move(key)) {}

Result<std::unique_ptr<SsmDataKeyProvider>> SsmDataKeyProvider::start(
    std::unique_ptr<DataKeySource> source, std::string parameter,
    std::chrono::milliseconds refresh_interval) {
  if (!source) return Status::invalid_argument("SsmDataKeyProvider: no key source");
  if (refresh_interval.count() < 0) {
    return Status::invalid_argument("SsmDataKeyProvider: refresh interval must be >= 0");
  }
  auto key = source->fetch();
  if (!key) return key.status();
  std::unique_ptr<SsmDataKeyProvider> provider(
      new SsmDataKeyProvider(std::move(source), std::move(parameter), std::move(key).value()));
  if (refresh_interval.count() > 0) {
    provider->thread_ =
        std::thread([p = provider.get(), refresh_interval] { p->run(refresh_interval); });
  }
  return provider;
}

SsmDataKeyProvider::~SsmDataKeyProvider() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SsmDataKeyProvider::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, interval, [this] { return stop_; })) {
    lock.unlock();
    refresh();
    lock.lock();
  }
}

DataKey SsmDataKeyProvider::current() const {
  std::lock_guard lock(mu_);
  return key_;
}

Status SsmDataKeyProvider::refresh() {
  auto key = source_->fetch();
  std::lock_guard lock(mu_);
  if (!key) {
    last_error_ = key.status();
    return last_error_;
  }
  last_error_ = Status::ok();
  if (key->bytes() != key_.bytes()) {
    key_ = std::move(key).value();
    ++generation_;
  }
  return Status::ok();
}

Status SsmDataKeyProvider::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

Result<std::unique_ptr<SsmDataKeyProvider>> open_ssm_data_key(
    const std::string& parameter, std::chrono::milliseconds refresh_interval,
    const AwsOptions& options, const EnvLookup& env) {
  if (parameter.empty()) return Status::invalid_argument("no SSM parameter name for the data key");
  auto config = resolve_client_config(Service::kSsm, options, env);
  if (!config) return config.status();
  auto ssm = std::make_shared<const SsmClient>(std::move(config).value());
  return SsmDataKeyProvider::start(default_key_source(env, std::move(ssm), parameter), parameter,
                                   refresh_interval);
}

}  // namespace cachedata::aws
