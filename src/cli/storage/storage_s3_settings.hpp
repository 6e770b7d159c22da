// Readers of two bucket settings that aws::S3Client can put but not get: the public access
// block (GetPublicAccessBlock) and default encryption (GetBucketEncryption). Kept here, beside
// the only command that needs them, over the same signed transport and addressing as S3Client.
// A bucket without the configuration reads as nullopt; any other answer is an error Status
// (NotImplemented on an endpoint that lacks the call). Immutable; safe from many threads.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "aws/aws_transport.hpp"
#include "aws/s3_client.hpp"

namespace cachedata::cli::storage {

class S3SettingsReader {
 public:
  explicit S3SettingsReader(aws::ClientConfig config) : transport_(std::move(config)) {}

  Result<std::optional<aws::PublicAccessBlock>> public_access_block(
      const std::string& bucket) const;
  // The default SSEAlgorithm ("AES256", "aws:kms"...).
  Result<std::optional<std::string>> encryption(const std::string& bucket) const;

 private:
  // GET /?<subresource> on the bucket; nullopt body when S3 answers `missing_code`.
  Result<std::optional<std::string>> get(const std::string& operation, const std::string& bucket,
                                         const std::string& subresource,
                                         const std::string& missing_code) const;
  aws::AwsTransport transport_;
};

}  // namespace cachedata::cli::storage
