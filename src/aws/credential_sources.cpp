#include "aws/credential_sources.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "aws/aws_config_file.hpp"
#include "aws/aws_http.hpp"

namespace cachedata::aws {
namespace {

using std::chrono::milliseconds;

// Metadata endpoints answer in milliseconds or not at all (not on EC2 / ECS): short deadlines,
// as the SDKs use, so a machine without them does not wait long.
constexpr milliseconds kMetadataConnectTimeout{1000};
constexpr milliseconds kMetadataTimeout{2000};
constexpr size_t kMaxMetadataBytes = 64 * 1024;

HttpExchange metadata_request(std::string method, std::string url) {
  HttpExchange r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.connect_timeout = kMetadataConnectTimeout;
  r.timeout = kMetadataTimeout;
  r.max_response_bytes = kMaxMetadataBytes;
  r.no_proxy = true;  // link-local and loopback addresses are never reached through a proxy
  return r;
}

class EnvironmentSource : public CredentialsSource {
 public:
  explicit EnvironmentSource(EnvLookup env) : env_(std::move(env)) {}
  std::string name() const override { return "environment"; }
  Result<AwsCredentials> fetch() override {
    auto id = env_value(env_, "AWS_ACCESS_KEY_ID");
    auto secret = env_value(env_, "AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) return Status::not_found("environment: AWS_ACCESS_KEY_ID is not set");
    if (!id || !secret) {
      return Status::invalid_argument(
          std::string("environment: ") +
          (id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
              : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
    }
    AwsCredentials c;
    c.keys.access_key_id = *id;
    c.keys.secret_access_key = *secret;
    c.keys.session_token = env_value(env_, "AWS_SESSION_TOKEN").value_or("");
    c.source = "environment";
    return c;
  }

 private:
  EnvLookup env_;
};

class ProfileSource : public CredentialsSource {
 public:
  ProfileSource(EnvLookup env, std::string profile)
      : env_(std::move(env)), profile_(std::move(profile)) {}
  std::string name() const override { return "shared files"; }
  Result<AwsCredentials> fetch() override {
    const bool explicit_profile = !profile_.empty() || env_value(env_, "AWS_PROFILE");
    const std::string name = profile_name(env_, profile_);
    SharedProfile p = load_profile(env_, name);
    const std::string where = "profile '" + name + "' (" + credentials_file_path(env_) + ", " +
                              config_file_path(env_) + ")";
    if (!p.found) {
      // A profile asked for by name must exist; the implicit "default" may be absent.
      if (explicit_profile) return Status::invalid_argument("no " + where);
      return Status::not_found("shared files: no " + where);
    }
    auto id = p.get("aws_access_key_id");
    auto secret = p.get("aws_secret_access_key");
    if (id && secret) {
      AwsCredentials c;
      c.keys.access_key_id = *id;
      c.keys.secret_access_key = *secret;
      c.keys.session_token = p.get("aws_session_token").value_or("");
      c.source = "profile '" + name + "'";
      return c;
    }
    if (id || secret) {
      return Status::invalid_argument(where + " has " +
                                      (id ? "aws_access_key_id but no aws_secret_access_key"
                                          : "aws_secret_access_key but no aws_access_key_id"));
    }
    for (const char* feature : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                                "web_identity_token_file"}) {
      if (p.get(feature)) {
        return Status::invalid_argument(
            where + " uses " + feature +
            ", which cachedata does not support: give it static keys, or export "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (e.g. from `aws "
            "configure export-credentials`)");
      }
    }
    return Status::not_found("shared files: " + where + " has no keys");
  }

 private:
  EnvLookup env_;
  std::string profile_;
};

std::string read_token_file(const std::string& path, Status& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = Status::invalid_argument(
        "container endpoint: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + path);
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = std::move(text).str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  return token;
}

class ContainerSource : public CredentialsSource {
 public:
  explicit ContainerSource(EnvLookup env) : env_(std::move(env)) {}
  std::string name() const override { return "container endpoint"; }
  Result<AwsCredentials> fetch() override {
    std::string url;
    if (auto relative = env_value(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = "http://169.254.170.2" + (relative->starts_with("/") ? *relative : "/" + *relative);
    } else if (auto full = env_value(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      if (!container_uri_allowed(*full)) {
        return Status::invalid_argument(
            "container endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a "
            "loopback address or 169.254.170.2 / 169.254.170.23 / [fd00:ec2::23]");
      }
      url = *full;
    } else {
      return Status::not_found("container endpoint: AWS_CONTAINER_CREDENTIALS_*_URI is not set");
    }
    HttpExchange r = metadata_request("GET", url);
    r.headers.emplace_back("Accept", "application/json");
    Status token_error;
    std::string token;
    if (auto file = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      token = read_token_file(*file, token_error);
      if (!token_error) return token_error;
    } else if (auto value = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      token = *value;
    }
    if (token.find_first_of("\r\n") != std::string::npos) {
      return Status::invalid_argument("container endpoint: the authorization token has a newline");
    }
    if (!token.empty()) r.headers.emplace_back("Authorization", token);
    HttpReply reply = http_exchange(r);
    if (reply.code != CURLE_OK) {
      return Status::unavailable("container endpoint: " + reply.error);
    }
    if (reply.status != 200) {
      return Status::unavailable("container endpoint: HTTP " + std::to_string(reply.status));
    }
    return parse_credentials_json(reply.body, "container endpoint");
  }

 private:
  EnvLookup env_;
};

class ImdsSource : public CredentialsSource {
 public:
  explicit ImdsSource(EnvLookup env) : env_(std::move(env)) {}
  std::string name() const override { return "EC2 IMDS"; }
  Result<AwsCredentials> fetch() override {
    if (auto disabled = env_value(env_, "AWS_EC2_METADATA_DISABLED")) {
      std::string v = to_lower(*disabled);
      if (v == "true" || v == "1") {
        return Status::not_found("EC2 IMDS: disabled by AWS_EC2_METADATA_DISABLED");
      }
    }
    std::string base =
        env_value(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    while (!base.empty() && base.back() == '/') base.pop_back();

    HttpExchange token_request = metadata_request("PUT", base + "/latest/api/token");
    token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    HttpReply token = http_exchange(token_request);
    if (token.code != CURLE_OK) {
      // Not on EC2 (nothing answers): the chain's last source found nothing.
      if (token.code == CURLE_COULDNT_CONNECT || token.code == CURLE_OPERATION_TIMEDOUT ||
          token.code == CURLE_COULDNT_RESOLVE_HOST) {
        return Status::not_found("EC2 IMDS (" + base + "): " + token.error);
      }
      return Status::unavailable("EC2 IMDS (" + base + "): token: " + token.error);
    }
    if (token.status != 200 || token.body.empty()) {
      return Status::unavailable(
          "EC2 IMDS (" + base + "): token request answered HTTP " + std::to_string(token.status) +
          (token.status == 403 ? " (IMDS disabled for this instance?)" : ""));
    }
    auto get = [&](const std::string& path) {
      HttpExchange r = metadata_request("GET", base + path);
      r.headers.emplace_back("X-aws-ec2-metadata-token", token.body);
      return http_exchange(r);
    };
    const std::string prefix = "/latest/meta-data/iam/security-credentials/";
    HttpReply role = get(prefix);
    if (role.code != CURLE_OK) return Status::unavailable("EC2 IMDS: role name: " + role.error);
    if (role.status == 404) {
      return Status::not_found("EC2 IMDS: the instance has no IAM role (instance profile)");
    }
    if (role.status != 200) {
      return Status::unavailable("EC2 IMDS: role name: HTTP " + std::to_string(role.status));
    }
    std::string role_name = role.body.substr(0, role.body.find_first_of("\r\n"));
    if (role_name.empty() || role_name.find('/') != std::string::npos) {
      return Status::unavailable("EC2 IMDS: unexpected role name answer");
    }
    HttpReply creds = get(prefix + role_name);
    if (creds.code != CURLE_OK) {
      return Status::unavailable("EC2 IMDS: credentials of role " + role_name + ": " + creds.error);
    }
    if (creds.status != 200) {
      return Status::unavailable("EC2 IMDS: credentials of role " + role_name + ": HTTP " +
                                 std::to_string(creds.status));
    }
    return parse_credentials_json(creds.body, "EC2 IMDS (role " + role_name + ")");
  }

 private:
  EnvLookup env_;
};

bool is_ipv4_loopback(std::string_view host) {
  // 127.0.0.0/8, written as a dotted quad.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

std::unique_ptr<CredentialsSource> environment_source(EnvLookup env) {
  return std::make_unique<EnvironmentSource>(std::move(env));
}
std::unique_ptr<CredentialsSource> profile_source(EnvLookup env, std::string profile) {
  return std::make_unique<ProfileSource>(std::move(env), std::move(profile));
}
std::unique_ptr<CredentialsSource> container_source(EnvLookup env) {
  return std::make_unique<ContainerSource>(std::move(env));
}
std::unique_ptr<CredentialsSource> imds_source(EnvLookup env) {
  return std::make_unique<ImdsSource>(std::move(env));
}

bool container_uri_allowed(std::string_view uri) {
  std::string lower = to_lower(uri);
  if (lower.starts_with("https://")) return true;
  if (!lower.starts_with("http://")) return false;
  std::string_view rest = std::string_view(lower).substr(7);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) return false;  // no userinfo tricks
  std::string_view host;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(1, close - 1);
    return host == "::1" || host == "fd00:ec2::23";
  }
  host = rest.substr(0, rest.find(':'));
  return host == "localhost" || is_ipv4_loopback(host) || host == "169.254.170.2" ||
         host == "169.254.170.23";
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  using namespace std::chrono;
  auto num = [&](size_t pos, size_t len) -> int {
    if (pos + len > s.size()) return -1;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
      sec = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      sec < 0 || sec > 60) {
    return std::nullopt;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;  // fractions are dropped
  }
  seconds offset{0};
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = num(i + 1, 2), om = num(i + 4, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    offset = hours(oh) + minutes(om);
    if (s[i] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) - offset;
}

Result<AwsCredentials> parse_credentials_json(std::string_view body, const std::string& source) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::unavailable(source + ": the answer is not a JSON object");
  if (auto code = doc.find("Code"); code != doc.end() && code->is_string() && *code != "Success") {
    return Status::unavailable(source + ": Code " + code->get<std::string>());
  }
  auto field = [&](const char* key) -> std::optional<std::string> {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  AwsCredentials c;
  c.source = source;
  auto id = field("AccessKeyId");
  auto secret = field("SecretAccessKey");
  if (!id || !secret) {
    return Status::unavailable(source + ": the answer has no " +
                               (id ? "SecretAccessKey" : "AccessKeyId"));
  }
  c.keys.access_key_id = *id;
  c.keys.secret_access_key = *secret;
  c.keys.session_token = field("Token").value_or("");
  if (auto expiration = field("Expiration")) {
    c.expiration = parse_iso8601(*expiration);
    if (!c.expiration) return Status::unavailable(source + ": unreadable Expiration");
  }
  return c;
}

}  // namespace cachedata::aws
