#include "cli/storage/storage_s3_settings.hpp"

#include "aws/sigv4.hpp"

namespace cachedata::cli::storage {

Result<std::optional<std::string>> S3SettingsReader::get(const std::string& operation,
                                                         const std::string& bucket,
                                                         const std::string& subresource,
                                                         const std::string& missing_code) const {
  aws::AwsRequest r;
  r.operation = operation;
  r.method = "GET";
  // The addressing of S3Client::request for a bucket-level call.
  if (aws::use_path_style(transport_.config(), bucket)) {
    r.path = "/" + aws::uri_encode(bucket, false);
  } else {
    const std::string& base = transport_.config().endpoint.url;
    const size_t host = base.find("://") + 3;
    r.endpoint = base.substr(0, host) + bucket + "." + base.substr(host);
    r.path = "/";
  }
  r.query.emplace_back(subresource, "");
  aws::CallResult result = transport_.call(r, aws::Protocol::kRestXml);
  if (result.status) return std::optional<std::string>(std::move(result.reply.body));
  if (result.error && result.error->is(missing_code)) return std::optional<std::string>();
  return result.status;
}

Result<std::optional<aws::PublicAccessBlock>> S3SettingsReader::public_access_block(
    const std::string& bucket) const {
  auto xml = get("GetPublicAccessBlock", bucket, "publicAccessBlock",
                 "NoSuchPublicAccessBlockConfiguration");
  if (!xml) return xml.status();
  if (!*xml) return std::optional<aws::PublicAccessBlock>();
  auto flag = [&](const char* name) { return aws::xml_text(**xml, name) == "true"; };
  aws::PublicAccessBlock b;
  b.block_public_acls = flag("BlockPublicAcls");
  b.ignore_public_acls = flag("IgnorePublicAcls");
  b.block_public_policy = flag("BlockPublicPolicy");
  b.restrict_public_buckets = flag("RestrictPublicBuckets");
  return std::optional<aws::PublicAccessBlock>(b);
}

Result<std::optional<std::string>> S3SettingsReader::encryption(const std::string& bucket) const {
  auto xml = get("GetBucketEncryption", bucket, "encryption",
                 "ServerSideEncryptionConfigurationNotFoundError");
  if (!xml) return xml.status();
  if (!*xml) return std::optional<std::string>();
  return std::optional<std::string>(aws::xml_text(**xml, "SSEAlgorithm"));
}

}  // namespace cachedata::cli::storage
