// A FAKE SSM Parameter Store (see fake_ssm_server.hpp): SSM has no local server, so the tests
// use this stand-in that speaks the JSON 1.1 protocol for GetParameter, PutParameter and
// AddTagsToResource.
#include "support/fake_ssm_server.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

namespace cachedata::testing {

using Json = nlohmann::json;

struct FakeSsmServer::Impl {
  httplib::Server server;
  std::thread thread;
  mutable std::mutex mu;
  std::map<std::string, StoredParameter> parameters;
  int fail_count = 0;
  int fail_status = 0;
  std::string fail_code;
  std::atomic<int> calls{0};

  static void error(httplib::Response& res, int status, const std::string& code,
                    const std::string& message) {
    res.status = status;
    res.set_content(Json{{"__type", code}, {"message", message}}.dump(),
                    "application/x-amz-json-1.1");
  }

  static Json tags_of(const Json& request, bool* ok) {
    *ok = true;
    Json tags = request.value("Tags", Json::array());
    if (!tags.is_array()) *ok = false;
    for (const auto& t : tags) {
      if (!t.is_object() || !t.contains("Key") || !t.contains("Value") || !t["Key"].is_string() ||
          !t["Value"].is_string()) {
        *ok = false;
      }
    }
    return tags;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    ++calls;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("AWS4-HMAC-SHA256 Credential=", 0) != 0 ||
        auth.find("/ssm/aws4_request") == std::string::npos || !req.has_header("X-Amz-Date")) {
      return error(res, 400, "MissingAuthenticationTokenException",
                   "Request is missing Authentication Token");
    }
    if (req.get_header_value("Content-Type") != "application/x-amz-json-1.1") {
      return error(res, 400, "SerializationException", "bad Content-Type");
    }
    const std::string target = req.get_header_value("X-Amz-Target");
    Json request = Json::parse(req.body, nullptr, false);
    if (!request.is_object()) return error(res, 400, "SerializationException", "bad JSON");
    std::lock_guard lock(mu);
    if (fail_count > 0) {
      --fail_count;
      return error(res, fail_status, fail_code, "injected failure");
    }
    if (target == "AmazonSSM.GetParameter") {
      const std::string name = request.value("Name", "");
      auto it = parameters.find(name);
      if (it == parameters.end()) return error(res, 400, "ParameterNotFound", "");
      const bool decrypt = request.value("WithDecryption", false);
      const StoredParameter& p = it->second;
      const std::string value =
          p.type == "SecureString" && !decrypt ? "AQICAHfake-ciphertext==" : p.value;
      res.set_content(Json{{"Parameter",
                            {{"Name", name},
                             {"Type", p.type},
                             {"Value", value},
                             {"Version", p.version},
                             {"DataType", "text"},
                             {"ARN", "arn:aws:ssm:us-east-1:123456789012:parameter" +
                                         std::string(name.rfind('/', 0) == 0 ? "" : "/") + name}}}}
                          .dump(),
                      "application/x-amz-json-1.1");
      return;
    }
    if (target == "AmazonSSM.PutParameter") {
      const std::string name = request.value("Name", "");
      const std::string type = request.value("Type", "String");
      const bool overwrite = request.value("Overwrite", false);
      if (name.empty() || !request.contains("Value") || !request["Value"].is_string()) {
        return error(res, 400, "ValidationException", "Name and Value are required");
      }
      bool tags_ok = false;
      Json tags = tags_of(request, &tags_ok);
      if (!tags_ok) return error(res, 400, "ValidationException", "bad Tags");
      if (overwrite && !tags.empty()) {
        return error(res, 400, "ValidationException",
                     "Invalid request: tags and overwrite can't be used together. To create a "
                     "parameter with tags, please remove overwrite flag. To update tags for an "
                     "existing parameter, please use AddTagsToResource or RemoveTagsFromResource.");
      }
      auto it = parameters.find(name);
      if (it != parameters.end() && !overwrite) {
        return error(res, 400, "ParameterAlreadyExists",
                     "The parameter already exists. To overwrite this value, set the overwrite "
                     "option in the request to true.");
      }
      StoredParameter& p = parameters[name];
      p.value = request["Value"].get<std::string>();
      p.type = type;
      ++p.version;
      for (const auto& t : tags)
        p.tags[t["Key"].get<std::string>()] = t["Value"].get<std::string>();
      res.set_content(Json{{"Version", p.version}, {"Tier", "Standard"}}.dump(),
                      "application/x-amz-json-1.1");
      return;
    }
    if (target == "AmazonSSM.AddTagsToResource") {
      if (request.value("ResourceType", "") != "Parameter") {
        return error(res, 400, "InvalidResourceType", "only Parameter is faked");
      }
      auto it = parameters.find(request.value("ResourceId", ""));
      if (it == parameters.end()) return error(res, 400, "InvalidResourceId", "");
      bool tags_ok = false;
      Json tags = tags_of(request, &tags_ok);
      if (!tags_ok || tags.empty()) return error(res, 400, "ValidationException", "bad Tags");
      for (const auto& t : tags) {
        it->second.tags[t["Key"].get<std::string>()] = t["Value"].get<std::string>();
      }
      res.set_content("{}", "application/x-amz-json-1.1");
      return;
    }
    error(res, 400, "InvalidAction", "the fake SSM server does not implement " + target);
  }
};

FakeSsmServer::FakeSsmServer() : impl_(std::make_unique<Impl>()) {
  impl_->server.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
    impl_->handle(req, res);
  });
}

FakeSsmServer::~FakeSsmServer() {
  stop();
}

bool FakeSsmServer::start(int port) {
  // A short keep-alive: stop() waits out the keep-alive timeout of every open connection.
  impl_->server.set_keep_alive_timeout(1);
  if (port == 0) {
    port_ = impl_->server.bind_to_any_port("127.0.0.1");
  } else {
    port_ = impl_->server.bind_to_port("127.0.0.1", port) ? port : -1;
  }
  if (port_ <= 0) return false;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void FakeSsmServer::stop() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void FakeSsmServer::set(const std::string& name, const std::string& value,
                        const std::string& type) {
  std::lock_guard lock(impl_->mu);
  StoredParameter& p = impl_->parameters[name];
  p.value = value;
  p.type = type;
  ++p.version;
}

bool FakeSsmServer::get(const std::string& name, StoredParameter* out) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->parameters.find(name);
  if (it == impl_->parameters.end()) return false;
  *out = it->second;
  return true;
}

void FakeSsmServer::fail_next(int count, int status, const std::string& code) {
  std::lock_guard lock(impl_->mu);
  impl_->fail_count = count;
  impl_->fail_status = status;
  impl_->fail_code = code;
}

int FakeSsmServer::calls() const {
  return impl_->calls.load();
}

}  // namespace cachedata::testing
