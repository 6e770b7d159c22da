// The shared store's DynamoDB table, checked against the template's settings and, when asked,
// created or brought to them: key id_hash (S, HASH), PAY_PER_REQUEST, TTL on purge_ts,
// server-side encryption (SSEEnabled: true, as the template), point-in-time recovery as the
// EnablePointInTimeRecovery parameter says. A setting is changed only when it differs, and
// counted as changed only when it reads back as set. What cannot be changed in place (the key
// schema, TTL on another attribute) is reported as a difference. Blocking calls; one thread.
#pragma once

#include "aws/dynamodb_client.hpp"
#include "cli/storage/storage_report.hpp"
#include "cli/storage/storage_target.hpp"

namespace cachedata::cli::storage {

ResourceReport reconcile_table(const aws::DynamoDbClient& client, const StoreSettings& settings,
                               Mode mode);

}  // namespace cachedata::cli::storage
