// The shared store's S3 bucket, checked against the template's settings and, when asked, created
// or brought to them: all public access blocked, default encryption SSE-S3 (AES256), and the
// lifecycle rule on cache/ (expire after the purge age, abort incomplete multipart uploads after
// 1 day). Other lifecycle rules of the bucket are kept. Not handled here (the CloudFormation
// stack sets them): the TLS-only bucket policy and bucket-owner-enforced ownership; the report
// says so. Blocking calls; one thread.
#pragma once

#include "aws/s3_client.hpp"
#include "cli/storage/storage_report.hpp"
#include "cli/storage/storage_target.hpp"

namespace cachedata::cli::storage {

ResourceReport reconcile_bucket(const aws::ClientConfig& config, const StoreSettings& settings,
                                Mode mode);

}  // namespace cachedata::cli::storage
