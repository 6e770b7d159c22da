// The shared store on the storage stack's DynamoDB table and S3 bucket (docs/FORMAT.md, "Shared
// store"). One table and one bucket serve many applications and their instances; their entries
// never mix because ids and parts are keyed by each instance's data key (the store itself never
// sees a key).
//
// Item layout (table key `id_hash`, TTL attribute `purge_ts`):
//   id_hash (S)  the request id      expires (N)  unix seconds     purge_ts (N)  expires + window
//   head (B)     the sealed head     body (B)     the sealed body, when the item stays small
//   s3_key (S), body_size (N), body_sha256 (S)   a pointer to the body in S3 otherwise
// A refresh lease (Store::try_lease) is an item of its own, id_hash "lease#<id>", with
// lease_holder (S), lease_until_ms (N) and purge_ts just past its end; list() and stats() skip it.
// A body goes to S3 (`cache/<id_hash>`) when the item with it inline would exceed
// `inline_max_bytes` (default 10 KB); S3 is written first, then the item, so an item never
// points at an object that was not there. On read the expiry is checked client-side (DynamoDB's
// TTL deletes late), the object is fetched only when the item points at it, and its size and
// SHA-256 are checked: a missing or different object is a miss, never an error. A 304 rewrites
// the item's head and times (UpdateItem), never the S3 object.
//
// sweep() does nothing (DynamoDB TTL and the bucket's lifecycle rule purge by themselves) and
// clear() is refused: a shared table holds other applications' entries, which this store cannot
// tell apart from its own. list() and stats() scan the table (all applications' entries; for
// the CLI, not for a hot path). Safe from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "aws/dynamodb_client.hpp"
#include "aws/s3_client.hpp"
#include "cachedata/store.hpp"

namespace cachedata::store {

// DynamoDB's limit on one item, attribute names and values included.
inline constexpr uint64_t kDynamoDbItemLimit = 400 * 1024;
// The largest inline threshold allowed: room for a head and the pointer under the item limit.
inline constexpr uint64_t kMaxInlineBytes = 300 * 1024;

struct AwsStoreOptions {
  std::string table;   // CACHE_DATA_DYNAMO_DB_TABLE
  std::string bucket;  // CACHE_DATA_S3_BUCKET; empty: large bodies are refused (kTooLarge)
  uint64_t inline_max_bytes = 10 * 1000;  // item size above which the body goes to S3
  std::string s3_prefix = "cache/";       // the bucket's lifecycle rule covers this prefix
  // Unix seconds now, for the client-side expiry check. Empty: the system clock.
  std::function<int64_t()> now_seconds;
};

Result<std::unique_ptr<Store>> open_aws_store(AwsStoreOptions options,
                                              std::shared_ptr<const aws::DynamoDbClient> dynamodb,
                                              std::shared_ptr<const aws::S3Client> s3);

// The DynamoDB item size of an item with these attribute names and value byte counts, as
// DynamoDB counts it (names + values; numbers approximated from their digits). Exposed for tests.
uint64_t dynamodb_item_size(const aws::Json& item);

}  // namespace cachedata::store
