// DynamoDbClient: the DynamoDB calls cachedata needs, over the JSON 1.0 protocol
// (POST /, X-Amz-Target: DynamoDB_20120810.<Operation>), signed and retried by AwsTransport.
//
// Items and keys are nlohmann::json objects in the wire form: {"id_hash": {"S": "…"},
// "expires": {"N": "42"}, "body": {"B": "<base64>"}}; the `attr` helpers build and read the
// attribute values (S, N, B, BOOL, NULL, M, L), and B round-trips arbitrary bytes exactly.
// A failed ConditionExpression is an outcome, not an error (WriteOutcome::condition_failed),
// and so is a table that already exists (TableInfo::already_existed). Errors: kNotFound for a
// missing table, kUnavailable after throttling / 5xx retries, kInvalidArgument for a rejected
// request (see aws_error.hpp); messages name the operation, HTTP status, AWS code and message.
// A client is immutable; every call is safe from many threads at once.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_transport.hpp"

namespace cachedata::aws {

using Json = nlohmann::json;

namespace attr {
Json S(std::string_view text);  // must be valid UTF-8
Json N(int64_t number);
Json B(std::string_view bytes);  // any bytes; sent as base64
Json BOOL(bool value);
Json Null();
Json M(Json attributes);  // an object of name -> attribute value
Json L(Json values);      // an array of attribute values

// Readers of an item's attribute; nullopt when absent or of another type.
std::optional<std::string> get_s(const Json& item, std::string_view name);
std::optional<int64_t> get_n(const Json& item, std::string_view name);      // integers only
std::optional<std::string> get_b(const Json& item, std::string_view name);  // decoded bytes
std::optional<bool> get_bool(const Json& item, std::string_view name);
}  // namespace attr

// A ConditionExpression and the placeholders of every expression of the call.
struct Expression {
  std::string condition;         // empty: unconditional
  Json names = Json::object();   // ExpressionAttributeNames {"#e": "expires"}
  Json values = Json::object();  // ExpressionAttributeValues {":t": {"N": "42"}}
};

struct WriteOutcome {
  bool condition_failed = false;  // ConditionalCheckFailedException: nothing was written
  Json attributes;                // what ReturnValues asked for (an item), else null
};

struct TableSpec {
  std::string name;
  std::string hash_key;
  std::string hash_key_type = "S";  // S, N or B
  std::string range_key;            // empty: none
  std::string range_key_type = "S";
  // PAY_PER_REQUEST, or PROVISIONED with the two capacities.
  std::string billing_mode = "PAY_PER_REQUEST";
  int64_t read_capacity = 5;
  int64_t write_capacity = 5;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct TableInfo {
  std::string status;            // CREATING, ACTIVE, UPDATING, DELETING...
  bool already_existed = false;  // create_table: ResourceInUseException
  Json description;              // the full TableDescription (empty when already_existed)
};

struct TtlInfo {
  std::string status;  // ENABLED, DISABLED, ENABLING, DISABLING
  std::string attribute;
};

class DynamoDbClient {
 public:
  explicit DynamoDbClient(ClientConfig config);

  // The item, or nullopt when there is none.
  Result<std::optional<Json>> get_item(const std::string& table, const Json& key,
                                       bool consistent_read = false) const;
  // return_values: "", "ALL_OLD".
  Result<WriteOutcome> put_item(const std::string& table, const Json& item,
                                const Expression& expression = {},
                                std::string_view return_values = "") const;
  // return_values: "", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW".
  Result<WriteOutcome> update_item(const std::string& table, const Json& key,
                                   const std::string& update_expression,
                                   const Expression& expression = {},
                                   std::string_view return_values = "") const;
  Result<WriteOutcome> delete_item(const std::string& table, const Json& key,
                                   const Expression& expression = {},
                                   std::string_view return_values = "") const;
  // Every item found among `keys` (distinct keys, any number: sent 100 at a time), in no
  // particular order; keys without an item are simply absent. UnprocessedKeys are sent again
  // with backoff, up to the transport's max_attempts rounds; what is still unprocessed then
  // makes the call fail with kUnavailable.
  Result<std::vector<Json>> batch_get_item(const std::string& table, const std::vector<Json>& keys,
                                           bool consistent_read = false) const;

  Result<TableInfo> create_table(const TableSpec& spec) const;
  Result<TableInfo> describe_table(const std::string& table) const;  // kNotFound when absent
  Status delete_table(const std::string& table) const;
  // Polls DescribeTable until the table is ACTIVE, or `timeout` passes (kTimeout).
  Status wait_until_active(const std::string& table, std::chrono::milliseconds timeout) const;
  Status update_time_to_live(const std::string& table, const std::string& attribute,
                             bool enabled) const;
  Result<TtlInfo> describe_time_to_live(const std::string& table) const;

  // Any other operation: the request and answer documents as they are. A 4xx/5xx answer is an
  // error Status (with `error` filled when given).
  Result<Json> call(const std::string& operation, const Json& request,
                    std::optional<AwsError>* error = nullptr) const;
  // The same call with the request document already written.
  Result<Json> call_document(const std::string& operation, std::string_view document,
                             std::optional<AwsError>* error = nullptr) const;

  const ClientConfig& config() const { return transport_.config(); }

 private:
  Result<WriteOutcome> write(const std::string& operation, Json request,
                             const Expression& expression, std::string_view return_values) const;
  AwsTransport transport_;
};

}  // namespace cachedata::aws
