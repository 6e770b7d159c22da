#include "aws/dynamodb_client.hpp"

#include <thread>

#include "aws/base64.hpp"
#include "aws/json_reader.hpp"
#include "base/jitter_random.hpp"
#include "http/retry_policy.hpp"

namespace cachedata::aws {

namespace attr {

Json S(std::string_view text) {
  return Json{{"S", std::string(text)}};
}
Json N(int64_t number) {
  return Json{{"N", std::to_string(number)}};
}
Json B(std::string_view bytes) {
  return Json{{"B", base64_encode(bytes)}};
}
Json BOOL(bool value) {
  return Json{{"BOOL", value}};
}
Json Null() {
  return Json{{"NULL", true}};
}
Json M(Json attributes) {
  return Json{{"M", std::move(attributes)}};
}
Json L(Json values) {
  return Json{{"L", std::move(values)}};
}

namespace {
const Json* typed(const Json& item, std::string_view name, const char* type) {
  if (!item.is_object()) return nullptr;
  auto it = item.find(name);
  if (it == item.end() || !it->is_object()) return nullptr;
  auto value = it->find(type);
  return value == it->end() ? nullptr : &*value;
}
}  // namespace

std::optional<std::string> get_s(const Json& item, std::string_view name) {
  const Json* v = typed(item, name, "S");
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<int64_t> get_n(const Json& item, std::string_view name) {
  const Json* v = typed(item, name, "N");
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const std::string& text = v->get_ref<const std::string&>();
  if (text.empty() || text.size() > 19) return std::nullopt;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  int64_t n = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  return text[0] == '-' ? -n : n;
}

std::optional<std::string> get_b(const Json& item, std::string_view name) {
  const Json* v = typed(item, name, "B");
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return base64_decode(v->get_ref<const std::string&>());
}

std::optional<bool> get_bool(const Json& item, std::string_view name) {
  const Json* v = typed(item, name, "BOOL");
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

}  // namespace attr

namespace {

void add_expression(Json& request, const Expression& e) {
  if (!e.condition.empty()) request["ConditionExpression"] = e.condition;
  if (e.names.is_object() && !e.names.empty()) request["ExpressionAttributeNames"] = e.names;
  if (e.values.is_object() && !e.values.empty()) request["ExpressionAttributeValues"] = e.values;
}

TableInfo table_info(const Json& description) {
  TableInfo info;
  if (description.is_object()) {
    if (auto s = description.find("TableStatus"); s != description.end() && s->is_string()) {
      info.status = s->get<std::string>();
    }
    info.description = description;
  }
  return info;
}

}  // namespace

DynamoDbClient::DynamoDbClient(ClientConfig config) : transport_(std::move(config)) {}

Result<Json> DynamoDbClient::call(const std::string& operation, const Json& request,
                                  std::optional<AwsError>* error) const {
  std::string body;
  try {
    body = request.dump();
  } catch (const Json::exception& e) {
    // Only invalid UTF-8 in an S value gets here: binary belongs in B.
    return Status::invalid_argument("DynamoDB " + operation +
                                    ": the request cannot be encoded as JSON (invalid UTF-8 in a "
                                    "string attribute? use B for bytes)");
  }
  return call_document(operation, body, error);
}

Result<Json> DynamoDbClient::call_document(const std::string& operation, std::string_view document,
                                           std::optional<AwsError>* error) const {
  AwsRequest r;
  r.operation = operation;
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"X-Amz-Target", "DynamoDB_20120810." + operation}};
  r.body = document;
  CallResult result = transport_.call(r, Protocol::kJson);
  if (error != nullptr) *error = result.error;
  if (!result.status) return result.status;
  // read_json, not Json::parse: the same document, faster on base64 bodies. It parses the body in
  // situ (overwrites it): not used afterwards.
  auto doc = read_json(result.reply.body);
  if (!doc.is_object()) {
    return Status::unavailable("DynamoDB " + operation +
                               ": the answer is not a JSON object (HTTP " +
                               std::to_string(result.reply.status) + ")");
  }
  return doc;
}

namespace {

// Printable ASCII without '"' and '\\': a JSON string of these needs no escaping.
bool plain_json_text(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// The GetItem document for a key of S/N attributes with plain text, as Json::dump writes it;
// nullopt for anything else (the caller then builds and dumps a Json).
std::optional<std::string> plain_get_item_document(const std::string& table, const Json& key,
                                                   bool consistent_read) {
  if (!key.is_object() || key.empty() || !plain_json_text(table)) return std::nullopt;
  std::string out;
  out.reserve(64 + table.size() + 96 * key.size());
  out += "{\"Key\":{";
  bool first = true;
  for (const auto& [name, value] : key.items()) {
    if (!value.is_object() || value.size() != 1) return std::nullopt;
    const auto attribute = value.begin();  // iterators, not items(): no proxy to outlive
    const std::string& type = attribute.key();
    const Json& text = attribute.value();
    if ((type != "S" && type != "N") || !text.is_string()) return std::nullopt;
    const std::string& v = text.get_ref<const std::string&>();
    if (!plain_json_text(name) || !plain_json_text(v)) return std::nullopt;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += name;
    out += "\":{\"";
    out += type;
    out += "\":\"";
    out += v;
    out += "\"}";
  }
  out += "},\"TableName\":\"";
  out += table;
  out += '"';
  if (consistent_read) out += ",\"ConsistentRead\":true";
  out += '}';
  return out;
}

}  // namespace

Result<std::optional<Json>> DynamoDbClient::get_item(const std::string& table, const Json& key,
                                                     bool consistent_read) const {
  // Every cache read is a GetItem: its document is written directly when nothing in it needs
  // escaping, instead of building a Json and dumping it (~15 k instructions of a 1 KB hit).
  Result<Json> answer = Status::ok();
  if (auto document = plain_get_item_document(table, key, consistent_read)) {
    answer = call_document("GetItem", *document);
  } else {
    Json request{{"TableName", table}, {"Key", key}};
    if (consistent_read) request["ConsistentRead"] = true;
    answer = call("GetItem", request);
  }
  if (!answer) return answer.status();
  auto item = answer->find("Item");
  if (item == answer->end() || !item->is_object()) return std::optional<Json>();
  return std::optional<Json>(std::move(*item));
}

Result<WriteOutcome> DynamoDbClient::write(const std::string& operation, Json request,
                                           const Expression& expression,
                                           std::string_view return_values) const {
  add_expression(request, expression);
  if (!return_values.empty()) request["ReturnValues"] = std::string(return_values);
  std::optional<AwsError> error;
  auto answer = call(operation, request, &error);
  WriteOutcome outcome;
  if (!answer) {
    if (error && error->is("ConditionalCheckFailedException")) {
      outcome.condition_failed = true;
      return outcome;
    }
    return answer.status();
  }
  if (auto a = answer->find("Attributes"); a != answer->end()) outcome.attributes = std::move(*a);
  return outcome;
}

Result<WriteOutcome> DynamoDbClient::put_item(const std::string& table, const Json& item,
                                              const Expression& expression,
                                              std::string_view return_values) const {
  return write("PutItem", Json{{"TableName", table}, {"Item", item}}, expression, return_values);
}

Result<WriteOutcome> DynamoDbClient::update_item(const std::string& table, const Json& key,
                                                 const std::string& update_expression,
                                                 const Expression& expression,
                                                 std::string_view return_values) const {
  return write("UpdateItem",
               Json{{"TableName", table}, {"Key", key}, {"UpdateExpression", update_expression}},
               expression, return_values);
}

Result<WriteOutcome> DynamoDbClient::delete_item(const std::string& table, const Json& key,
                                                 const Expression& expression,
                                                 std::string_view return_values) const {
  return write("DeleteItem", Json{{"TableName", table}, {"Key", key}}, expression, return_values);
}

Result<std::vector<Json>> DynamoDbClient::batch_get_item(const std::string& table,
                                                         const std::vector<Json>& keys,
                                                         bool consistent_read) const {
  constexpr size_t kMaxKeys = 100;  // BatchGetItem's limit per request
  std::vector<Json> items;
  const auto& transport = config().transport;
  for (size_t start = 0; start < keys.size(); start += kMaxKeys) {
    Json pending = Json::array();
    for (size_t i = start; i < std::min(keys.size(), start + kMaxKeys); ++i) {
      pending.push_back(keys[i]);
    }
    for (int round = 1; !pending.empty(); ++round) {
      Json request_items{{table, Json{{"Keys", pending}}}};
      if (consistent_read) request_items[table]["ConsistentRead"] = true;
      auto answer = call("BatchGetItem", Json{{"RequestItems", request_items}});
      if (!answer) return answer.status();
      if (auto r = answer->find("Responses"); r != answer->end() && r->is_object()) {
        if (auto t = r->find(table); t != r->end() && t->is_array()) {
          for (auto& item : *t) items.push_back(std::move(item));
        }
      }
      Json unprocessed = Json::array();
      if (auto u = answer->find("UnprocessedKeys"); u != answer->end() && u->is_object()) {
        if (auto t = u->find(table); t != u->end() && t->is_object()) {
          if (auto k = t->find("Keys"); k != t->end() && k->is_array()) unprocessed = *k;
        }
      }
      if (unprocessed.empty()) break;
      if (round >= transport.max_attempts) {
        return Status::unavailable("DynamoDB BatchGetItem: " + std::to_string(unprocessed.size()) +
                                   " keys still unprocessed after " + std::to_string(round) +
                                   " rounds (throttled)");
      }
      // Unprocessed keys mean throttling: back off before asking again, as the SDKs do.
      std::this_thread::sleep_for(
          http::full_jitter(http::backoff_ceiling(round, transport.base_delay, transport.max_delay),
                            base::jitter_random()));
      pending = std::move(unprocessed);
    }
  }
  return items;
}

Result<TableInfo> DynamoDbClient::create_table(const TableSpec& spec) const {
  Json definitions =
      Json::array({{{"AttributeName", spec.hash_key}, {"AttributeType", spec.hash_key_type}}});
  Json schema = Json::array({{{"AttributeName", spec.hash_key}, {"KeyType", "HASH"}}});
  if (!spec.range_key.empty()) {
    definitions.push_back(
        {{"AttributeName", spec.range_key}, {"AttributeType", spec.range_key_type}});
    schema.push_back({{"AttributeName", spec.range_key}, {"KeyType", "RANGE"}});
  }
  Json request{{"TableName", spec.name},
               {"AttributeDefinitions", definitions},
               {"KeySchema", schema},
               {"BillingMode", spec.billing_mode}};
  if (spec.billing_mode == "PROVISIONED") {
    request["ProvisionedThroughput"] = {{"ReadCapacityUnits", spec.read_capacity},
                                        {"WriteCapacityUnits", spec.write_capacity}};
  }
  if (!spec.tags.empty()) {
    Json tags = Json::array();
    for (const auto& [k, v] : spec.tags) tags.push_back({{"Key", k}, {"Value", v}});
    request["Tags"] = tags;
  }
  std::optional<AwsError> error;
  auto answer = call("CreateTable", request, &error);
  if (!answer) {
    if (error && error->is("ResourceInUseException")) {
      TableInfo info;
      info.already_existed = true;
      return info;
    }
    return answer.status();
  }
  auto d = answer->find("TableDescription");
  return table_info(d == answer->end() ? Json() : *d);
}

Result<TableInfo> DynamoDbClient::describe_table(const std::string& table) const {
  auto answer = call("DescribeTable", Json{{"TableName", table}});
  if (!answer) return answer.status();
  auto d = answer->find("Table");
  return table_info(d == answer->end() ? Json() : *d);
}

Status DynamoDbClient::delete_table(const std::string& table) const {
  auto answer = call("DeleteTable", Json{{"TableName", table}});
  return answer ? Status::ok() : answer.status();
}

Status DynamoDbClient::wait_until_active(const std::string& table,
                                         std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    auto info = describe_table(table);
    if (info && info->status == "ACTIVE") return Status::ok();
    if (!info && info.status().code() != Status::Code::kNotFound) return info.status();
    last = info ? info->status : std::string("not found yet");
    if (std::chrono::steady_clock::now() + std::chrono::milliseconds(200) >= deadline) {
      return Status::timeout("DynamoDB table " + table + " not ACTIVE after " +
                             std::to_string(timeout.count()) + " ms (last status: " + last + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Status DynamoDbClient::update_time_to_live(const std::string& table, const std::string& attribute,
                                           bool enabled) const {
  auto answer =
      call("UpdateTimeToLive",
           Json{{"TableName", table},
                {"TimeToLiveSpecification", {{"AttributeName", attribute}, {"Enabled", enabled}}}});
  return answer ? Status::ok() : answer.status();
}

Result<TtlInfo> DynamoDbClient::describe_time_to_live(const std::string& table) const {
  auto answer = call("DescribeTimeToLive", Json{{"TableName", table}});
  if (!answer) return answer.status();
  TtlInfo info;
  if (auto d = answer->find("TimeToLiveDescription"); d != answer->end() && d->is_object()) {
    if (auto s = d->find("TimeToLiveStatus"); s != d->end() && s->is_string()) {
      info.status = s->get<std::string>();
    }
    if (auto a = d->find("AttributeName"); a != d->end() && a->is_string()) {
      info.attribute = a->get<std::string>();
    }
  }
  return info;
}

}  // namespace cachedata::aws
