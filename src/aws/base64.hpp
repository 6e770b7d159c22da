// Standard base64 (RFC 4648 §4, with '=' padding): DynamoDB B attributes, Content-MD5 and
// x-amz-checksum headers. Pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cachedata::aws {

std::string base64_encode(std::string_view bytes);
// std::nullopt unless `text` is canonical padded base64 (length a multiple of 4).
std::optional<std::string> base64_decode(std::string_view text);

// base64(MD5(bytes)): the Content-MD5 header S3 wants on bucket configuration requests.
std::string content_md5(std::string_view bytes);

}  // namespace cachedata::aws
