// S3Client: the S3 calls cachedata needs (objects under `cache/`, and the bucket settings the
// storage stack's `provision` command checks), over S3's REST protocol, signed with
// x-amz-content-sha256 and retried by AwsTransport (SlowDown, 503, 5xx, connection errors).
//
// Addressing: virtual-hosted or path-style per aws_endpoints.hpp. Large bodies are not copied:
// put_object sends from the caller's buffer (hashed in place for the signature); get_object
// receives into one string reserved to the Content-Length (hashed as it arrives, on request) and
// hands it over by move, or hands each chunk to the caller as it arrives (GetObjectOptions).
// Errors: kNotFound for NoSuchKey / NoSuchBucket / 404, others as in aws_error.hpp, with the
// S3 <Code> and <Message> in the text. A bucket that already exists and is ours is an outcome
// (BucketInfo::already_existed), not an error. A client is immutable and safe from many
// threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_transport.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::aws {

struct S3Object {
  std::string body;
  // SHA-256 of `body`, computed as it arrived, when GetObjectOptions::sha256 asked for it.
  std::optional<crypto::Digest> sha256;
  std::string etag;  // as sent, with its quotes
  std::string content_type;
  uint64_t size = 0;                            // Content-Length
  std::map<std::string, std::string> metadata;  // x-amz-meta-<name> (lower-case name) -> value
};

struct GetObjectOptions {
  // Hash the body while it is received (S3Object::sha256), for a caller that checks it: the
  // hashing overlaps the transfer instead of following it.
  bool sha256 = false;
  // When set, the body goes here chunk by chunk as it arrives and S3Object::body stays empty
  // (S3Object::size is the Content-Length): a large object is never held whole. A false return
  // stops the transfer and get_object fails. A transfer cut off after some bytes were handed
  // over is not retried.
  std::function<bool(std::string_view)> on_body;
};

struct PutObjectOptions {
  std::string content_type = "application/octet-stream";
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-<name>
};

struct LifecycleRule {
  std::string id;
  std::string prefix;  // the rule's Filter/Prefix
  bool enabled = true;
  int expiration_days = 0;             // 0: no Expiration
  int abort_multipart_after_days = 0;  // 0: no AbortIncompleteMultipartUpload
};

struct PublicAccessBlock {
  bool block_public_acls = true;
  bool ignore_public_acls = true;
  bool block_public_policy = true;
  bool restrict_public_buckets = true;
};

class S3Client {
 public:
  explicit S3Client(ClientConfig config);

  Result<S3Object> get_object(const std::string& bucket, const std::string& key,
                              const GetObjectOptions& options = {}) const;
  // The object's ETag. `body` must stay valid during the call; it is not copied.
  Result<std::string> put_object(const std::string& bucket, const std::string& key,
                                 std::string_view body, const PutObjectOptions& options = {}) const;
  // Like get_object without the body (size, ETag, type, metadata).
  Result<S3Object> head_object(const std::string& bucket, const std::string& key) const;
  // Ok also when there was no such object (S3 answers 204 either way).
  Status delete_object(const std::string& bucket, const std::string& key) const;

  // Creates the bucket in the client's region (LocationConstraint outside us-east-1). true:
  // created; false: it already existed and is ours (BucketAlreadyOwnedByYou, or
  // BucketAlreadyExists with a HeadBucket that succeeds). A name taken by another account is
  // kInvalidArgument.
  Result<bool> create_bucket(const std::string& bucket) const;
  Status delete_bucket(const std::string& bucket) const;
  // Ok when the bucket exists and we may use it; kNotFound when it does not; kUnavailable for
  // 403 (another owner, or no permission) and 301 (another region: the message names it).
  Status head_bucket(const std::string& bucket) const;
  Status put_bucket_lifecycle(const std::string& bucket,
                              const std::vector<LifecycleRule>& rules) const;
  // The rules; empty when the bucket has no lifecycle configuration.
  Result<std::vector<LifecycleRule>> get_bucket_lifecycle(const std::string& bucket) const;
  Status put_public_access_block(const std::string& bucket,
                                 const PublicAccessBlock& block = {}) const;
  // The bucket's public access block; nullopt when it has none (NotImplemented on an endpoint
  // that lacks the call, as s3rver does).
  Result<std::optional<PublicAccessBlock>> get_public_access_block(const std::string& bucket) const;
  // SSE-S3 ("AES256"), or "aws:kms" with `kms_key_id` (empty: the AWS managed key).
  Status put_bucket_encryption(const std::string& bucket, const std::string& algorithm = "AES256",
                               const std::string& kms_key_id = "") const;
  // The default SSEAlgorithm ("AES256", "aws:kms"...); nullopt when the bucket has none.
  Result<std::optional<std::string>> get_bucket_encryption(const std::string& bucket) const;

  const ClientConfig& config() const { return transport_.config(); }

  // The lifecycle document put_bucket_lifecycle sends, and its reader (exposed for tests).
  static std::string lifecycle_xml(const std::vector<LifecycleRule>& rules);
  static std::vector<LifecycleRule> parse_lifecycle_xml(std::string_view xml);

 private:
  // The request for `key` in `bucket` (key empty: the bucket itself), addressing applied.
  AwsRequest request(std::string operation, std::string method, const std::string& bucket,
                     const std::string& key) const;
  Status bucket_config(const std::string& operation, const std::string& bucket,
                       const std::string& subresource, const std::string& xml) const;
  // GET /?<subresource> on the bucket: the XML, or nullopt when S3 answers `missing_code`.
  Result<std::optional<std::string>> get_bucket_config(const std::string& operation,
                                                       const std::string& bucket,
                                                       const std::string& subresource,
                                                       const std::string& missing_code) const;
  AwsTransport transport_;
};

}  // namespace cachedata::aws
