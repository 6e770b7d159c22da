#include "aws/s3_client.hpp"

#include "aws/base64.hpp"

namespace cachedata::aws {
namespace {

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

S3Object object_from(HttpReply& reply) {
  S3Object o;
  o.body = std::move(reply.body);
  o.sha256 = reply.body_sha256;
  if (auto v = reply.headers.get("etag")) o.etag = std::string(*v);
  if (auto v = reply.headers.get("content-type")) o.content_type = std::string(*v);
  if (auto v = reply.headers.get("content-length")) {
    uint64_t n = 0;
    for (char c : *v) {
      if (c < '0' || c > '9') break;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    o.size = n;
  }
  for (const auto& [name, value] : reply.headers) {
    std::string lower = to_lower(name);
    if (lower.starts_with("x-amz-meta-")) o.metadata[lower.substr(11)] = value;
  }
  return o;
}

}  // namespace

S3Client::S3Client(ClientConfig config) : transport_(std::move(config)) {}

AwsRequest S3Client::request(std::string operation, std::string method, const std::string& bucket,
                             const std::string& key) const {
  AwsRequest r;
  r.operation = std::move(operation);
  r.method = std::move(method);
  const std::string encoded_key = uri_encode(key, /*keep_slash=*/true);
  if (use_path_style(config(), bucket)) {
    r.path = "/" + uri_encode(bucket, false) + (key.empty() ? "" : "/" + encoded_key);
  } else {
    const std::string& base = config().endpoint.url;
    const size_t host = base.find("://") + 3;
    r.endpoint = base.substr(0, host) + bucket + "." + base.substr(host);
    r.path = "/" + encoded_key;
  }
  return r;
}

Result<S3Object> S3Client::get_object(const std::string& bucket, const std::string& key,
                                      const GetObjectOptions& options) const {
  AwsRequest r = request("GetObject", "GET", bucket, key);
  r.hash_response_body = options.sha256;
  r.response_body_consumer = options.on_body;
  CallResult result = transport_.call(r, Protocol::kRestXml);
  if (!result.status) return result.status;
  return object_from(result.reply);
}

Result<std::string> S3Client::put_object(const std::string& bucket, const std::string& key,
                                         std::string_view body,
                                         const PutObjectOptions& options) const {
  AwsRequest r = request("PutObject", "PUT", bucket, key);
  r.headers.emplace_back("Content-Type", options.content_type);
  for (const auto& [name, value] : options.metadata) {
    r.headers.emplace_back("x-amz-meta-" + name, value);
  }
  r.body = body;
  CallResult result = transport_.call(r, Protocol::kRestXml);
  if (!result.status) return result.status;
  auto etag = result.reply.headers.get("etag");
  return etag ? std::string(*etag) : std::string();
}

Result<S3Object> S3Client::head_object(const std::string& bucket, const std::string& key) const {
  AwsRequest r = request("HeadObject", "HEAD", bucket, key);
  CallResult result = transport_.call(r, Protocol::kRestXml);
  if (!result.status) return result.status;
  return object_from(result.reply);
}

Status S3Client::delete_object(const std::string& bucket, const std::string& key) const {
  return transport_.call(request("DeleteObject", "DELETE", bucket, key), Protocol::kRestXml).status;
}

Result<bool> S3Client::create_bucket(const std::string& bucket) const {
  AwsRequest r = request("CreateBucket", "PUT", bucket, "");
  std::string xml;
  if (config().region != "us-east-1") {
    xml = "<CreateBucketConfiguration xmlns=\"" + std::string(kXmlns) + "\"><LocationConstraint>" +
          xml_escape(config().region) + "</LocationConstraint></CreateBucketConfiguration>";
    r.headers.emplace_back("Content-Type", "application/xml");
  }
  r.body = xml;
  CallResult result = transport_.call(r, Protocol::kRestXml);
  if (result.status) return true;
  if (result.error && result.error->is("BucketAlreadyOwnedByYou")) return false;
  if (result.error && result.error->is("BucketAlreadyExists")) {
    // Ours after all when we may use it (s3rver, and AWS for some legacy buckets, answer
    // BucketAlreadyExists to the owner too); another account's answers 403.
    if (head_bucket(bucket)) return false;
    return Status::invalid_argument("S3 CreateBucket: the bucket name " + bucket +
                                    " is taken by another AWS account; choose another name (" +
                                    result.status.message() + ")");
  }
  return result.status;
}

Status S3Client::delete_bucket(const std::string& bucket) const {
  return transport_.call(request("DeleteBucket", "DELETE", bucket, ""), Protocol::kRestXml).status;
}

Status S3Client::head_bucket(const std::string& bucket) const {
  CallResult result =
      transport_.call(request("HeadBucket", "HEAD", bucket, ""), Protocol::kRestXml);
  if (result.status) return result.status;
  if (result.error && result.error->http_status == 301) {
    auto region = result.reply.headers.get("x-amz-bucket-region");
    return Status::unavailable("S3 HeadBucket: bucket " + bucket + " is in region " +
                               (region ? std::string(*region) : std::string("(unknown)")) +
                               ", not " + config().region);
  }
  return result.status;
}

Status S3Client::bucket_config(const std::string& operation, const std::string& bucket,
                               const std::string& subresource, const std::string& xml) const {
  AwsRequest r = request(operation, "PUT", bucket, "");
  r.query.emplace_back(subresource, "");
  r.headers.emplace_back("Content-Type", "application/xml");
  // These calls require an integrity header (Content-MD5 or x-amz-checksum-*).
  r.headers.emplace_back("Content-MD5", content_md5(xml));
  r.body = xml;
  return transport_.call(r, Protocol::kRestXml).status;
}

std::string S3Client::lifecycle_xml(const std::vector<LifecycleRule>& rules) {
  std::string xml = "<LifecycleConfiguration xmlns=\"" + std::string(kXmlns) + "\">";
  for (const auto& rule : rules) {
    xml += "<Rule><ID>" + xml_escape(rule.id) + "</ID><Filter><Prefix>" + xml_escape(rule.prefix) +
           "</Prefix></Filter><Status>" + (rule.enabled ? "Enabled" : "Disabled") + "</Status>";
    if (rule.expiration_days > 0) {
      xml += "<Expiration><Days>" + std::to_string(rule.expiration_days) + "</Days></Expiration>";
    }
    if (rule.abort_multipart_after_days > 0) {
      xml += "<AbortIncompleteMultipartUpload><DaysAfterInitiation>" +
             std::to_string(rule.abort_multipart_after_days) +
             "</DaysAfterInitiation></AbortIncompleteMultipartUpload>";
    }
    xml += "</Rule>";
  }
  return xml + "</LifecycleConfiguration>";
}

std::vector<LifecycleRule> S3Client::parse_lifecycle_xml(std::string_view xml) {
  std::vector<LifecycleRule> rules;
  auto number = [](const std::string& text) {
    int n = 0;
    for (char c : text) {
      if (c < '0' || c > '9' || n > 100000) return 0;
      n = n * 10 + (c - '0');
    }
    return n;
  };
  size_t at = 0;
  while ((at = xml.find("<Rule>", at)) != std::string_view::npos) {
    size_t end = xml.find("</Rule>", at);
    if (end == std::string_view::npos) break;
    std::string_view rule_xml = xml.substr(at, end - at);
    LifecycleRule rule;
    rule.id = xml_text(rule_xml, "ID");
    rule.prefix = xml_text(rule_xml, "Prefix");  // Filter/Prefix, or the older top-level Prefix
    rule.enabled = xml_text(rule_xml, "Status") == "Enabled";
    std::string expiration = xml_text(rule_xml, "Expiration");
    rule.expiration_days = number(xml_text(expiration, "Days"));
    rule.abort_multipart_after_days = number(xml_text(rule_xml, "DaysAfterInitiation"));
    rules.push_back(std::move(rule));
    at = end;
  }
  return rules;
}

Status S3Client::put_bucket_lifecycle(const std::string& bucket,
                                      const std::vector<LifecycleRule>& rules) const {
  return bucket_config("PutBucketLifecycleConfiguration", bucket, "lifecycle",
                       lifecycle_xml(rules));
}

Result<std::vector<LifecycleRule>> S3Client::get_bucket_lifecycle(const std::string& bucket) const {
  AwsRequest r = request("GetBucketLifecycleConfiguration", "GET", bucket, "");
  r.query.emplace_back("lifecycle", "");
  CallResult result = transport_.call(r, Protocol::kRestXml);
  if (!result.status) {
    if (result.error && result.error->is("NoSuchLifecycleConfiguration")) {
      return std::vector<LifecycleRule>();
    }
    return result.status;
  }
  return parse_lifecycle_xml(result.reply.body);
}

Result<std::optional<std::string>> S3Client::get_bucket_config(
    const std::string& operation, const std::string& bucket, const std::string& subresource,
    const std::string& missing_code) const {
  AwsRequest r = request(operation, "GET", bucket, "");
  r.query.emplace_back(subresource, "");
  CallResult result = transport_.call(r, Protocol::kRestXml);
  if (result.status) return std::optional<std::string>(std::move(result.reply.body));
  if (result.error && result.error->is(missing_code)) return std::optional<std::string>();
  return result.status;
}

Result<std::optional<PublicAccessBlock>> S3Client::get_public_access_block(
    const std::string& bucket) const {
  auto xml = get_bucket_config("GetPublicAccessBlock", bucket, "publicAccessBlock",
                               "NoSuchPublicAccessBlockConfiguration");
  if (!xml) return xml.status();
  if (!*xml) return std::optional<PublicAccessBlock>();
  auto flag = [&](const char* name) { return xml_text(**xml, name) == "true"; };
  PublicAccessBlock b;
  b.block_public_acls = flag("BlockPublicAcls");
  b.ignore_public_acls = flag("IgnorePublicAcls");
  b.block_public_policy = flag("BlockPublicPolicy");
  b.restrict_public_buckets = flag("RestrictPublicBuckets");
  return std::optional<PublicAccessBlock>(b);
}

Result<std::optional<std::string>> S3Client::get_bucket_encryption(
    const std::string& bucket) const {
  auto xml = get_bucket_config("GetBucketEncryption", bucket, "encryption",
                               "ServerSideEncryptionConfigurationNotFoundError");
  if (!xml) return xml.status();
  if (!*xml) return std::optional<std::string>();
  return std::optional<std::string>(xml_text(**xml, "SSEAlgorithm"));
}

Status S3Client::put_public_access_block(const std::string& bucket,
                                         const PublicAccessBlock& block) const {
  auto flag = [](const char* name, bool value) {
    return "<" + std::string(name) + ">" + (value ? "true" : "false") + "</" + name + ">";
  };
  const std::string xml = "<PublicAccessBlockConfiguration xmlns=\"" + std::string(kXmlns) + "\">" +
                          flag("BlockPublicAcls", block.block_public_acls) +
                          flag("IgnorePublicAcls", block.ignore_public_acls) +
                          flag("BlockPublicPolicy", block.block_public_policy) +
                          flag("RestrictPublicBuckets", block.restrict_public_buckets) +
                          "</PublicAccessBlockConfiguration>";
  return bucket_config("PutPublicAccessBlock", bucket, "publicAccessBlock", xml);
}

Status S3Client::put_bucket_encryption(const std::string& bucket, const std::string& algorithm,
                                       const std::string& kms_key_id) const {
  std::string xml = "<ServerSideEncryptionConfiguration xmlns=\"" + std::string(kXmlns) +
                    "\"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>" +
                    xml_escape(algorithm) + "</SSEAlgorithm>";
  if (!kms_key_id.empty()) xml += "<KMSMasterKeyID>" + xml_escape(kms_key_id) + "</KMSMasterKeyID>";
  xml += "</ApplyServerSideEncryptionByDefault>";
  if (algorithm == "aws:kms") xml += "<BucketKeyEnabled>true</BucketKeyEnabled>";
  xml += "</Rule></ServerSideEncryptionConfiguration>";
  return bucket_config("PutBucketEncryption", bucket, "encryption", xml);
}

}  // namespace cachedata::aws
