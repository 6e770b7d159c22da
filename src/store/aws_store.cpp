#include "store/aws_store.hpp"

#include <chrono>
#include <optional>
#include <utility>

#include "base/hex.hpp"
#include "base/unix_clock.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::store {
namespace {

using aws::Json;
namespace attr = aws::attr;

// Attribute names: shared with other applications' tooling and the CloudFormation template.
constexpr const char* kId = "id_hash";
constexpr const char* kExpires = "expires";
constexpr const char* kPurge = "purge_ts";
constexpr const char* kHead = "head";
constexpr const char* kBody = "body";
constexpr const char* kS3Key = "s3_key";
constexpr const char* kBodySize = "body_size";
constexpr const char* kBodySha256 = "body_sha256";
// A refresh lease is an item of its own beside the entry's: id_hash "lease#<id>", with its
// holder and end, and purge_ts just past the end so that DynamoDB's TTL removes a dead holder's
// lease (the next taker does not wait for that: an ended lease is taken over).
constexpr const char* kLeasePrefix = "lease#";
constexpr const char* kLeaseHolder = "lease_holder";
constexpr const char* kLeaseUntil = "lease_until_ms";

uint64_t base64_decoded_size(const std::string& b64) {
  uint64_t n = b64.size() / 4 * 3;
  if (!b64.empty() && b64.back() == '=') --n;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') --n;
  return n;
}

uint64_t attribute_value_size(const Json& value) {
  if (!value.is_object() || value.empty()) return 0;
  // An attribute value is a one-member object: {"TYPE": value}.
  const auto first = value.begin();
  const std::string& type = first.key();
  const Json& v = first.value();
  if (type == "S" && v.is_string()) return v.get_ref<const std::string&>().size();
  if (type == "B" && v.is_string()) return base64_decoded_size(v.get_ref<const std::string&>());
  if (type == "N" && v.is_string()) {
    // Up to 38 significant digits, stored two per byte plus one byte (DynamoDB's rule of thumb).
    return v.get_ref<const std::string&>().size() / 2 + 2;
  }
  if (type == "BOOL" || type == "NULL") return 1;
  uint64_t n = 3;  // M and L: three bytes of overhead, then their elements
  if (type == "M" && v.is_object()) {
    for (const auto& [name, inner] : v.items()) n += name.size() + attribute_value_size(inner) + 1;
  } else if (type == "L" && v.is_array()) {
    for (const auto& inner : v) n += attribute_value_size(inner) + 1;
  }
  return n;
}

Json key_of(std::string_view id) {
  return Json{{kId, attr::S(id)}};
}

bool is_id(std::string_view id) {
  return base::is_lower_hex(id, 64);
}

class AwsStore final : public Store {
 public:
  AwsStore(AwsStoreOptions options, std::shared_ptr<const aws::DynamoDbClient> dynamodb,
           std::shared_ptr<const aws::S3Client> s3)
      : options_(std::move(options)), dynamodb_(std::move(dynamodb)), s3_(std::move(s3)) {}

  Result<std::optional<StoredRecord>> get(std::string_view id) override {
    return read(id, nullptr);
  }

  Result<std::optional<StoredRecord>> get_streaming(std::string_view id, BodySink& sink) override {
    return read(id, &sink);
  }

  Status put(const StoredRecord& record) override {
    if (!is_id(record.id)) return invalid_id(record.id);
    if (record.head.empty()) return Status::invalid_argument("aws store: a record without head");
    Json item = {{kId, attr::S(record.id)},
                 {kExpires, attr::N(record.expires)},
                 {kPurge, attr::N(record.purge_at)},
                 {kHead, attr::B(record.head)}};
    if (!record.body.empty()) item[kBody] = attr::B(record.body);
    if (!record.body.empty() && dynamodb_item_size(item) > options_.inline_max_bytes) {
      item.erase(kBody);
      if (options_.bucket.empty()) {
        return Status::too_large("aws store: an entry of " + std::to_string(record.size()) +
                                 " bytes needs the S3 bucket, and none is configured");
      }
      const std::string s3_key = options_.s3_prefix + record.id;
      aws::PutObjectOptions put_options;
      // S3 first: the item never points at an object that is not there yet.
      auto put = s3_->put_object(options_.bucket, s3_key, record.body, put_options);
      if (!put) return fail("body write", put.status());
      item[kS3Key] = attr::S(s3_key);
      item[kBodySize] = attr::N(static_cast<int64_t>(record.body.size()));
      item[kBodySha256] = attr::S(base::to_hex(crypto::sha256(record.body)));
    }
    if (dynamodb_item_size(item) > kDynamoDbItemLimit) {
      return Status::too_large("aws store: the head alone (" + std::to_string(record.head.size()) +
                               " bytes) would exceed DynamoDB's 400 KB item limit");
    }
    auto written = dynamodb_->put_item(options_.table, item);
    if (!written) return fail("write", written.status());
    return Status::ok();
  }

  using Store::replace_head;
  using Store::touch;
  Status touch(std::string_view id, int64_t expires, int64_t purge_at,
               std::optional<int64_t> if_expires) override {
    return update(id, "SET #e = :e, #p = :p", expires, purge_at, std::nullopt, if_expires);
  }

  Status replace_head(std::string_view id, std::string_view head, int64_t expires, int64_t purge_at,
                      std::optional<int64_t> if_expires) override {
    if (head.empty()) return Status::invalid_argument("aws store: an empty head");
    return update(id, "SET #e = :e, #p = :p, #h = :h", expires, purge_at, head, if_expires);
  }

  Status erase(std::string_view id) override {
    if (!is_id(id)) return invalid_id(id);
    auto deleted = dynamodb_->delete_item(options_.table, key_of(id), {}, "ALL_OLD");
    if (!deleted) return fail("erase", deleted.status());
    if (deleted->attributes.is_object()) {
      if (auto s3_key = attr::get_s(deleted->attributes, kS3Key)) {
        // After the item: a reader never follows a pointer to a deleted object (and if it
        // did, the hash check makes it a miss). A failure leaves an object the lifecycle
        // rule removes.
        (void)s3_->delete_object(options_.bucket, *s3_key);
      }
    }
    return Status::ok();
  }

  Result<bool> try_lease(std::string_view id, std::string_view holder, int64_t until_ms,
                         int64_t now_ms) override {
    if (!is_id(id)) return invalid_id(id);
    Json item = {{kId, attr::S(kLeasePrefix + std::string(id))},
                 {kLeaseHolder, attr::S(holder)},
                 {kLeaseUntil, attr::N(until_ms)},
                 {kPurge, attr::N(until_ms / 1000 + 1)}};
    aws::Expression condition;
    // Free, renewed by its holder, or ended: one conditional write, so one taker wins.
    condition.condition = "attribute_not_exists(#i) OR #hd = :hd OR #u <= :now";
    condition.names = {{"#i", kId}, {"#hd", kLeaseHolder}, {"#u", kLeaseUntil}};
    condition.values = {{":hd", attr::S(holder)}, {":now", attr::N(now_ms)}};
    auto written = dynamodb_->put_item(options_.table, item, condition);
    if (!written) return fail("lease", written.status());
    return !written->condition_failed;
  }

  Status release_lease(std::string_view id, std::string_view holder) override {
    if (!is_id(id)) return invalid_id(id);
    aws::Expression condition;
    condition.condition = "#hd = :hd";  // a lease taken over by another is theirs now
    condition.names = {{"#hd", kLeaseHolder}};
    condition.values = {{":hd", attr::S(holder)}};
    auto deleted =
        dynamodb_->delete_item(options_.table, key_of(kLeasePrefix + std::string(id)), condition);
    if (!deleted) return fail("lease release", deleted.status());
    return Status::ok();
  }

  Result<uint64_t> sweep(int64_t) override {
    return uint64_t{0};  // DynamoDB TTL on purge_ts and the bucket's lifecycle rule do it
  }

  Result<std::vector<EntryInfo>> list(size_t limit) override {
    std::vector<EntryInfo> out;
    Json start;
    while (out.size() < limit) {
      Json request = {{"TableName", options_.table},
                      {"ProjectionExpression", "#i, #e, #p, #s, #h, #b"},
                      {"ExpressionAttributeNames",
                       {{"#i", kId},
                        {"#e", kExpires},
                        {"#p", kPurge},
                        {"#s", kBodySize},
                        {"#h", kHead},
                        {"#b", kBody}}}};
      if (!start.is_null()) request["ExclusiveStartKey"] = start;
      auto page = dynamodb_->call("Scan", request);
      if (!page) return fail("scan", page.status());
      for (const Json& item : (*page)["Items"]) {
        if (out.size() >= limit) break;
        EntryInfo info;
        info.id = attr::get_s(item, kId).value_or("");
        if (info.id.rfind(kLeasePrefix, 0) == 0) continue;  // a lease, not an entry
        info.expires = attr::get_n(item, kExpires).value_or(0);
        info.purge_at = attr::get_n(item, kPurge).value_or(0);
        uint64_t size = attr::get_b(item, kHead).value_or("").size();
        if (auto body = attr::get_b(item, kBody)) size += body->size();
        size += static_cast<uint64_t>(attr::get_n(item, kBodySize).value_or(0));
        info.size = size;
        out.push_back(std::move(info));
      }
      if (!page->contains("LastEvaluatedKey")) break;
      start = (*page)["LastEvaluatedKey"];
    }
    return out;
  }

  Result<uint64_t> clear() override {
    return Status::invalid_argument(
        "aws store: clear is refused on a shared table (other applications' entries are there "
        "too); purge entries one by one, or let them expire");
  }

  Result<StoreStats> stats(int64_t now_s) override {
    auto listed = list(SIZE_MAX);
    if (!listed) return listed.status();
    StoreStats s;
    for (const EntryInfo& e : *listed) {
      ++s.entries;
      s.bytes += e.size;
      if (e.expires <= now_s) ++s.expired_entries;
      if (e.purge_at <= now_s) ++s.purgeable_entries;
    }
    return s;
  }

  std::string describe() const override {
    return "aws:table=" + options_.table +
           (options_.bucket.empty() ? "" : ",bucket=" + options_.bucket);
  }

 private:
  int64_t now() const { return base::unix_seconds(options_.now_seconds); }

  Status fail(const char* what, const Status& s) const {
    return s.annotated("aws store " + describe() + ": " + what);
  }

  static Status invalid_id(std::string_view id) {
    return Status::invalid_argument("aws store: invalid id \"" + std::string(id.substr(0, 80)) +
                                    "\" (want 64 lowercase hex characters)");
  }

  // get(), and get_streaming() when `sink` is set: an S3 body then goes to the sink as it
  // arrives.
  Result<std::optional<StoredRecord>> read(std::string_view id, BodySink* sink) {
    if (!is_id(id)) return invalid_id(id);
    auto item = dynamodb_->get_item(options_.table, key_of(id));
    if (!item) return fail("read", item.status());
    if (!item->has_value()) return std::optional<StoredRecord>();
    const Json& found = **item;
    StoredRecord record;
    record.id = std::string(id);
    auto expires = attr::get_n(found, kExpires);
    auto purge = attr::get_n(found, kPurge);
    auto head = attr::get_b(found, kHead);
    // Not ours, or damaged: an item of another layout under this id is a miss, never an error.
    if (!expires || !purge || !head || head->empty()) return std::optional<StoredRecord>();
    // DynamoDB's TTL deletes up to days late: past its purge time the entry is gone for us.
    if (*purge <= now()) return std::optional<StoredRecord>();
    record.expires = *expires;
    record.purge_at = *purge;
    record.head = std::move(*head);
    if (auto body = attr::get_b(found, kBody)) {
      record.body = std::move(*body);
    } else if (auto s3_key = attr::get_s(found, kS3Key)) {
      auto object =
          sink != nullptr ? stream_body(*s3_key, found, record, *sink) : read_body(*s3_key, found);
      if (!object) return fail("body read", object.status());
      // Missing or not the object the item points at: a miss (the cache fetches again).
      if (!object->has_value()) return std::optional<StoredRecord>();
      record.body = std::move(**object);
    }
    return std::optional<StoredRecord>(std::move(record));
  }

  // As read_body, but the object goes to `sink` as it arrives; an empty string when it went
  // there whole (or the sink declined it), nullopt when it is missing or not the one the item
  // names.
  Result<std::optional<std::string>> stream_body(const std::string& s3_key, const Json& item,
                                                 const StoredRecord& record, BodySink& sink) {
    auto size = attr::get_n(item, kBodySize);
    auto sha = attr::get_s(item, kBodySha256);
    if (!size || !sha || *size < 0 || options_.bucket.empty()) {
      return std::optional<std::string>();
    }
    // The sink opens the head first: a head that does not open saves reading the object.
    if (!sink.begin(record, static_cast<uint64_t>(*size))) return std::optional<std::string>("");
    bool sink_stopped = false;
    uint64_t streamed = 0;
    aws::GetObjectOptions get_options;
    get_options.sha256 = true;
    get_options.on_body = [&](std::string_view chunk) {
      streamed += chunk.size();
      if (sink.write(chunk)) return true;
      sink_stopped = true;
      return false;
    };
    auto object = s3_->get_object(options_.bucket, s3_key, get_options);
    // The sink refused the body: its own verdict stands (the cache treats it as a miss).
    if (sink_stopped) return std::optional<std::string>("");
    if (!object) {
      if (object.status().code() == Status::Code::kNotFound) return std::optional<std::string>();
      return object.status();
    }
    if (streamed != static_cast<uint64_t>(*size) || !object->sha256 ||
        base::to_hex(*object->sha256) != *sha) {
      // Overwritten by a later write whose item is not there yet, or tampered with.
      return std::optional<std::string>();
    }
    return std::optional<std::string>("");
  }

  // The body the item points at; nullopt when it is missing or not the one the item names.
  Result<std::optional<std::string>> read_body(const std::string& s3_key, const Json& item) {
    auto size = attr::get_n(item, kBodySize);
    auto sha = attr::get_s(item, kBodySha256);
    if (!size || !sha || options_.bucket.empty()) return std::optional<std::string>();
    aws::GetObjectOptions get_options;
    get_options.sha256 = true;  // hashed while it arrives: no second pass over a large body
    auto object = s3_->get_object(options_.bucket, s3_key, get_options);
    if (!object) {
      if (object.status().code() == Status::Code::kNotFound) return std::optional<std::string>();
      return object.status();
    }
    std::string body = std::move(object->body);
    const crypto::Digest digest = object->sha256 ? *object->sha256 : crypto::sha256(body);
    if (body.size() != static_cast<uint64_t>(*size) || base::to_hex(digest) != *sha) {
      // Overwritten by a later write whose item is not there yet, or tampered with.
      return std::optional<std::string>();
    }
    return std::optional<std::string>(std::move(body));
  }

  // UpdateItem on a live entry (it exists and is not past its purge time), else kNotFound; with
  // `if_expires`, only while its expiry is that value, else kConflict.
  Status update(std::string_view id, const char* expression, int64_t expires, int64_t purge_at,
                std::optional<std::string_view> head, std::optional<int64_t> if_expires) {
    if (!is_id(id)) return invalid_id(id);
    aws::Expression condition;
    condition.condition = "attribute_exists(#i) AND #p > :now";
    if (if_expires) {
      condition.condition += " AND #e = :read";
      condition.values[":read"] = attr::N(*if_expires);
    }
    condition.names = {{"#i", kId}, {"#e", kExpires}, {"#p", kPurge}};
    condition.values[":e"] = attr::N(expires);
    condition.values[":p"] = attr::N(purge_at);
    condition.values[":now"] = attr::N(now());
    if (head) {
      condition.names["#h"] = kHead;
      condition.values[":h"] = attr::B(*head);
    }
    auto updated = dynamodb_->update_item(options_.table, key_of(id), expression, condition);
    if (!updated) return fail("update", updated.status());
    if (updated->condition_failed) {
      if (if_expires) {
        // Which part of the condition failed: a live item means another writer moved it.
        auto item = dynamodb_->get_item(options_.table, key_of(id));
        if (!item) return fail("update", item.status());
        if (item->has_value()) {
          auto purge = attr::get_n(**item, kPurge);
          if (purge && *purge > now()) {
            return Status::conflict("aws store: entry " + std::string(id.substr(0, 12)) +
                                    " was changed by another writer");
          }
        }
      }
      return Status::not_found("aws store: no entry " + std::string(id));
    }
    return Status::ok();
  }

  const AwsStoreOptions options_;
  std::shared_ptr<const aws::DynamoDbClient> dynamodb_;
  std::shared_ptr<const aws::S3Client> s3_;
};

}  // namespace

uint64_t dynamodb_item_size(const Json& item) {
  uint64_t n = 0;
  for (const auto& [name, value] : item.items()) n += name.size() + attribute_value_size(value);
  return n;
}

Result<std::unique_ptr<Store>> open_aws_store(AwsStoreOptions options,
                                              std::shared_ptr<const aws::DynamoDbClient> dynamodb,
                                              std::shared_ptr<const aws::S3Client> s3) {
  if (options.table.empty()) {
    return Status::invalid_argument(
        "aws store: no DynamoDB table (CACHE_DATA_DYNAMO_DB_TABLE or table=NAME)");
  }
  if (options.inline_max_bytes > kMaxInlineBytes) {
    return Status::invalid_argument("aws store: inline_max_bytes " +
                                    std::to_string(options.inline_max_bytes) +
                                    " is over the maximum of " + std::to_string(kMaxInlineBytes) +
                                    " (DynamoDB items are limited to 400 KB)");
  }
  if (!dynamodb || (!options.bucket.empty() && !s3)) {
    return Status::invalid_argument("aws store: missing DynamoDB or S3 client");
  }
  return std::unique_ptr<Store>(
      std::make_unique<AwsStore>(std::move(options), std::move(dynamodb), std::move(s3)));
}

}  // namespace cachedata::store
