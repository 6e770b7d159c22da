#include "aws/ssm_client.hpp"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

namespace cachedata::aws {
namespace {

using Json = nlohmann::json;

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

Json tags_json(const Tags& tags) {
  Json out = Json::array();
  for (const auto& [k, v] : tags) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

// One JSON 1.1 call.
CallResult ssm_call(const AwsTransport& transport, const std::string& operation,
                    std::string& body) {
  AwsRequest r;
  r.operation = operation;
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "AmazonSSM." + operation}};
  r.body = body;
  return transport.call(r, Protocol::kJson);
}

}  // namespace

Parameter::~Parameter() {
  wipe(value);
}
PutParameterRequest::~PutParameterRequest() {
  wipe(value);
}

SsmClient::SsmClient(ClientConfig config) : transport_(std::move(config)) {}

Result<Parameter> SsmClient::get_parameter(const std::string& name, bool with_decryption) const {
  std::string body = Json{{"Name", name}, {"WithDecryption", with_decryption}}.dump();
  CallResult result = ssm_call(transport_, "GetParameter", body);
  if (!result.status) return result.status;
  auto doc = Json::parse(result.reply.body, nullptr, /*allow_exceptions=*/false);
  wipe(result.reply.body);
  Parameter p;
  auto wipe_doc = [&] {
    if (doc.is_object()) {
      if (auto it = doc.find("Parameter"); it != doc.end() && it->is_object()) {
        if (auto v = it->find("Value"); v != it->end() && v->is_string()) {
          wipe(v->get_ref<std::string&>());
        }
      }
    }
  };
  const Json* param = nullptr;
  if (doc.is_object()) {
    if (auto it = doc.find("Parameter"); it != doc.end() && it->is_object()) param = &*it;
  }
  if (param == nullptr || !param->contains("Value") || !(*param)["Value"].is_string()) {
    wipe_doc();
    return Status::unavailable("SSM GetParameter " + name + ": the answer has no Parameter.Value");
  }
  auto text = [&](const char* key) {
    auto it = param->find(key);
    return it != param->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  p.name = text("Name");
  if (p.name.empty()) p.name = name;
  p.type = text("Type");
  p.value = (*param)["Value"].get<std::string>();
  if (auto v = param->find("Version"); v != param->end() && v->is_number_integer()) {
    p.version = v->get<int64_t>();
  }
  wipe_doc();
  return p;
}

Result<PutParameterOutcome> SsmClient::put_parameter(const PutParameterRequest& request) const {
  Json doc{{"Name", request.name},
           {"Value", request.value},
           {"Type", request.type},
           {"Overwrite", request.overwrite}};
  if (!request.key_id.empty()) doc["KeyId"] = request.key_id;
  if (!request.description.empty()) doc["Description"] = request.description;
  if (!request.tags.empty()) doc["Tags"] = tags_json(request.tags);
  std::string body;
  try {
    body = doc.dump();
  } catch (const Json::exception&) {
    wipe(doc["Value"].get_ref<std::string&>());
    return Status::invalid_argument("SSM PutParameter " + request.name +
                                    ": the value or a tag is not valid UTF-8");
  }
  wipe(doc["Value"].get_ref<std::string&>());
  CallResult result = ssm_call(transport_, "PutParameter", body);
  wipe(body);
  PutParameterOutcome outcome;
  if (!result.status) {
    if (result.error && result.error->is("ParameterAlreadyExists")) {
      outcome.already_exists = true;
      return outcome;
    }
    return result.status;
  }
  auto answer = Json::parse(result.reply.body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_object()) {
    if (auto v = answer.find("Version"); v != answer.end() && v->is_number_integer()) {
      outcome.version = v->get<int64_t>();
    }
  }
  return outcome;
}

Status SsmClient::add_tags_to_resource(const std::string& resource_type,
                                       const std::string& resource_id, const Tags& tags) const {
  std::string body =
      Json{{"ResourceType", resource_type}, {"ResourceId", resource_id}, {"Tags", tags_json(tags)}}
          .dump();
  return ssm_call(transport_, "AddTagsToResource", body).status;
}

}  // namespace cachedata::aws
