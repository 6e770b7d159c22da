#include "cli/storage/storage_table.hpp"

#include <chrono>

namespace cachedata::cli::storage {
namespace {

using aws::Json;
constexpr auto kActiveTimeout = std::chrono::seconds(60);

std::string str(const Json& j, const char* a, const char* b = nullptr) {
  const Json* v = &j;
  for (const char* key : {a, b}) {
    if (key == nullptr) break;
    if (!v->is_object() || !v->contains(key)) return "";
    v = &(*v)[key];
  }
  return v->is_string() ? v->get<std::string>() : "";
}

Status create(const aws::DynamoDbClient& client, const StoreSettings& s, bool with_sse) {
  Json request{{"TableName", s.table},
               {"AttributeDefinitions",
                Json::array({{{"AttributeName", kHashKey}, {"AttributeType", "S"}}})},
               {"KeySchema", Json::array({{{"AttributeName", kHashKey}, {"KeyType", "HASH"}}})},
               {"BillingMode", "PAY_PER_REQUEST"}};
  if (with_sse) request["SSESpecification"] = Json{{"Enabled", true}};
  auto answer = client.call("CreateTable", request);
  if (!answer) return answer.status();
  return client.wait_until_active(s.table, kActiveTimeout);
}

// "id_hash (S, HASH)" for each key attribute.
std::string key_schema(const Json& table) {
  std::string out;
  const Json& schema = table.value("KeySchema", Json::array());
  const Json& defs = table.value("AttributeDefinitions", Json::array());
  for (const Json& k : schema) {
    const std::string name = str(k, "AttributeName");
    std::string type = "?";
    for (const Json& d : defs) {
      if (str(d, "AttributeName") == name) type = str(d, "AttributeType");
    }
    out += (out.empty() ? "" : ", ") + name + " (" + type + ", " + str(k, "KeyType") + ")";
  }
  return out;
}

Result<Json> describe(const aws::DynamoDbClient& client, const std::string& table) {
  auto answer = client.call("DescribeTable", Json{{"TableName", table}});
  if (!answer) return answer.status();
  return answer->value("Table", Json::object());
}

// UpdateTable, then wait for ACTIVE again.
Status update(const aws::DynamoDbClient& client, const std::string& table, Json change) {
  change["TableName"] = table;
  auto answer = client.call("UpdateTable", change);
  if (!answer) return answer.status();
  return client.wait_until_active(table, kActiveTimeout);
}

}  // namespace

ResourceReport reconcile_table(const aws::DynamoDbClient& client, const StoreSettings& s,
                               Mode mode) {
  ResourceReport report;
  report.kind = "table";
  report.name = s.table;
  const bool custom = client.config().endpoint.custom;
  std::string sse_refused;
  auto table = describe(client, s.table);
  if (!table && table.status().code() == Status::Code::kNotFound && mode == Mode::kProvision) {
    Status created = create(client, s, /*with_sse=*/true);
    if (!created && custom && created.code() == Status::Code::kInvalidArgument) {
      // An endpoint that rejects SSESpecification: create without it, and say so.
      sse_refused = "refused by this endpoint (CreateTable: " + created.message() + ")";
      created = create(client, s, /*with_sse=*/false);
    }
    if (!created) {
      report.error = created.message();
      return report;
    }
    report.created = true;
    table = describe(client, s.table);
  }
  if (!table) {
    if (table.status().code() != Status::Code::kNotFound) report.error = table.status().message();
    return report;
  }
  report.exists = true;
  report.add("status", Verdict::kInfo, str(*table, "TableStatus"));

  const std::string expected_key = std::string(kHashKey) + " (S, HASH)";
  const std::string key = key_schema(*table);
  if (key == expected_key) {
    report.add("key schema", report.created ? Verdict::kChanged : Verdict::kMatches, key);
  } else {
    report.add("key schema", Verdict::kDiffers,
               "is " + key + ", expected " + expected_key +
                   "; a key cannot change: delete the table or use another prefix");
  }

  const std::string& name = s.table;
  run_step(report,
           {.name = "billing mode",
            .expected = "PAY_PER_REQUEST",
            .read =
                [&] {
                  auto t = describe(client, name);
                  if (!t) return Reading{t.status(), ""};
                  // Without a BillingModeSummary a table is PROVISIONED (DynamoDB's default).
                  const std::string billing = str(*t, "BillingModeSummary", "BillingMode");
                  return Reading{Status::ok(), billing.empty() ? "PROVISIONED" : billing};
                },
            .change =
                [&] {
                  return update(client, name, Json{{"BillingMode", "PAY_PER_REQUEST"}});
                },
            .cannot_change = "",
            .change_when_unreported = true},
           mode, custom);

  run_step(report,
           {.name = "TTL",
            .expected = std::string(kTtlAttribute) + " ENABLED",
            .read =
                [&] {
                  auto ttl = client.describe_time_to_live(name);
                  if (!ttl) return Reading{ttl.status(), ""};
                  if (ttl->status == "DISABLED" || ttl->attribute.empty()) {
                    return Reading{Status::ok(), "DISABLED"};
                  }
                  // ENABLING is ENABLED as far as this command can do anything about it.
                  const std::string st = ttl->status == "ENABLING" ? "ENABLED" : ttl->status;
                  return Reading{Status::ok(), ttl->attribute + " " + st};
                },
            .change = [&]() -> Status {
              auto ttl = client.describe_time_to_live(name);
              if (ttl && !ttl->attribute.empty() && ttl->attribute != kTtlAttribute &&
                  ttl->status != "DISABLED") {
                return Status::invalid_argument("TTL is on " + ttl->attribute +
                                                "; disable it first (DynamoDB allows one "
                                                "TTL change per hour)");
              }
              return client.update_time_to_live(name, std::string(kTtlAttribute), true);
            },
            .cannot_change = "",
            .change_when_unreported = true},
           mode, custom);

  if (!sse_refused.empty()) report.add("encryption", Verdict::kEndpointLimit, sse_refused);
  if (sse_refused.empty())
    run_step(
        report,
        {.name = "encryption",
         .expected = "ENABLED",
         .read =
             [&] {
               auto t = describe(client, name);
               if (!t) return Reading{t.status(), ""};
               const std::string st = str(*t, "SSEDescription", "Status");
               // On AWS no SSEDescription means the AWS owned key, not the template's SSEEnabled;
               // DynamoDB Local accepts SSESpecification and never reports it.
               if (st.empty() && custom) {
                 return Reading{Status::unavailable("DescribeTable shows no SSEDescription"), ""};
               }
               if (st.empty()) return Reading{Status::ok(), "DISABLED (AWS owned key)"};
               return Reading{Status::ok(), st == "ENABLING" || st == "UPDATING" ? "ENABLED" : st};
             },
         .change =
             [&] {
               return update(client, name, Json{{"SSESpecification", Json{{"Enabled", true}}}});
             },
         .cannot_change = "",
         .change_when_unreported = false},
        mode, custom);

  const std::string pitr = s.point_in_time_recovery ? "ENABLED" : "DISABLED";
  run_step(report,
           {.name = "point-in-time recovery",
            .expected = pitr,
            .read =
                [&] {
                  auto b = client.call("DescribeContinuousBackups", Json{{"TableName", name}});
                  if (!b) return Reading{b.status(), ""};
                  const Json& d = b->value("ContinuousBackupsDescription", Json::object());
                  const std::string st =
                      str(d, "PointInTimeRecoveryDescription", "PointInTimeRecoveryStatus");
                  if (st.empty()) {
                    return Reading{Status::unavailable("no PointInTimeRecoveryStatus"), ""};
                  }
                  return Reading{Status::ok(), st};
                },
            .change = [&]() -> Status {
              auto r = client.call(
                  "UpdateContinuousBackups",
                  Json{{"TableName", name},
                       {"PointInTimeRecoverySpecification",
                        Json{{"PointInTimeRecoveryEnabled", s.point_in_time_recovery}}}});
              return r ? Status::ok() : r.status();
            },
            .cannot_change = "",
            .change_when_unreported = s.point_in_time_recovery},
           mode, custom);
  return report;
}

}  // namespace cachedata::cli::storage
