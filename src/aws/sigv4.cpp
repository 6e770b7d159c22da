#include "aws/sigv4.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "base/hex.hpp"
#include "base/percent_encoding.hpp"
#include "base/strings.hpp"

namespace cachedata::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::chrono::seconds kMaxExpires{7 * 24 * 3600};

// Intermediaries (proxies, tracing, the HTTP client) may add or rewrite these, which would
// break a signature that covered them.
constexpr std::array<std::string_view, 3> kUnsignedHeaders = {"expect", "user-agent",
                                                              "x-amzn-trace-id"};

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Trimmed, inner runs of blanks collapsed to one space (SigV4 "Trimall").
std::string trim_all(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_blank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// RFC 9110 token characters: visible ASCII except separators.
bool is_token(std::string_view s) {
  static constexpr std::string_view kSeparators = "\"(),/:;<=>?@[\\]{}";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > 0x20 && c < 0x7f && kSeparators.find(c) == std::string_view::npos;
  });
}

// Region, service and access key end up inside "AKID/date/region/service/aws4_request".
bool is_scope_part(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '/' && c != ',' && c != '=';
  });
}

std::string hex(const crypto::Digest& d) {
  return base::to_hex(d);
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// RFC 3986 remove_dot_segments, plus merging of empty segments ("//").
std::string normalize(std::string_view path) {
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  size_t start = 1;  // path[0] is '/'
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view seg = path.substr(start, end - start);
    bool last = end == path.size();
    if (seg.empty() || seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
      trailing_slash = last;
    } else {
      kept.push_back(seg);
      trailing_slash = false;
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (trailing_slash && !kept.empty()) out += '/';
  return out;
}

// S3's single encoding: a valid %XX escape stays (hex uppercased), anything else is encoded.
std::string encode_once(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    auto c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2])) {
      out += '%';
      out += ascii_upper(path[i + 1]);
      out += ascii_upper(path[i + 2]);
      i += 2;
    } else if (base::is_unreserved(static_cast<char>(c)) || c == '/') {
      out += static_cast<char>(c);
    } else {
      base::append_percent_escape(out, c);
    }
  }
  return out;
}

struct HeaderCanon {
  std::string block;  // "name:value\n" per signed name, sorted
  std::string signed_list;
};

Result<HeaderCanon> canonicalize_headers(const std::vector<Field>& headers) {
  std::map<std::string, std::string> merged;  // sorted by lowercase name
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) return Status::invalid_argument("sigv4: bad header name '" + name + "'");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::invalid_argument("sigv4: header " + name + " has CR, LF or NUL");
    }
    std::string key = base::to_lower(name);
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), key) !=
        kUnsignedHeaders.end()) {
      continue;
    }
    auto [it, inserted] = merged.try_emplace(std::move(key));
    if (!inserted) it->second += ',';
    it->second += trim_all(value);
  }
  if (!merged.contains("host")) return Status::invalid_argument("sigv4: no Host header");
  HeaderCanon out;
  for (const auto& [name, value] : merged) {
    out.block += name + ':' + value + '\n';
    if (!out.signed_list.empty()) out.signed_list += ';';
    out.signed_list += name;
  }
  return out;
}

Status check_inputs(const Credentials& creds, const SigningParams& params) {
  if (!is_scope_part(creds.access_key_id) || creds.secret_access_key.empty()) {
    return Status::invalid_argument("sigv4: missing or malformed access key");
  }
  if (!is_scope_part(params.region) || !is_scope_part(params.service)) {
    return Status::invalid_argument("sigv4: missing or malformed region or service");
  }
  return Status::ok();
}

std::string credential_scope(const SigningParams& params) {
  return amz_day(params.time) + '/' + params.region + '/' + params.service + "/aws4_request";
}

std::string signature_hex(const Credentials& creds, const SigningParams& params,
                          std::string_view sts) {
  if (params.signing_mac != nullptr) return hex(params.signing_mac->mac(sts));
  crypto::Digest key =
      signing_key(creds.secret_access_key, amz_day(params.time), params.region, params.service);
  crypto::Digest sig = crypto::HmacSha256(key).mac(sts);
  OPENSSL_cleanse(key.data(), key.size());
  return hex(sig);
}

std::string payload_hash_of(const HttpRequestToSign& request, const SigningParams& params) {
  return params.payload_hash ? *params.payload_hash : hex(crypto::sha256(request.body));
}

}  // namespace

SigningParams s3_params(std::string region, std::chrono::sys_seconds time) {
  SigningParams p;
  p.region = std::move(region);
  p.service = "s3";
  p.time = time;
  p.normalize_path = false;
  p.double_encode_path = false;
  p.sign_body_header = true;
  return p;
}

std::string amz_date(std::chrono::sys_seconds time) {
  auto day = std::chrono::floor<std::chrono::days>(time);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{time - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string amz_day(std::chrono::sys_seconds time) {
  return amz_date(time).substr(0, 8);
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  return base::percent_encode(s, keep_slash ? "/" : "");
}

std::string canonical_uri(std::string_view path, bool normalize_path, bool double_encode) {
  std::string p = path.empty() ? std::string("/") : std::string(path);
  if (normalize_path) p = normalize(p);
  return double_encode ? uri_encode(p, true) : encode_once(p);
}

std::string encode_query(const std::vector<Field>& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    out += uri_encode(k, false) + '=' + uri_encode(v, false);
  }
  return out;
}

Result<CanonicalRequest> canonical_request(const HttpRequestToSign& request,
                                           const SigningParams& params,
                                           std::string_view payload_hash) {
  if (!is_token(request.method)) return Status::invalid_argument("sigv4: bad method");
  if (!request.path.empty() && request.path[0] != '/') {
    return Status::invalid_argument("sigv4: path must start with '/'");
  }
  if (request.path.find_first_of("?#") != std::string::npos) {
    return Status::invalid_argument("sigv4: path holds a query or fragment; pass it in query");
  }
  auto headers = canonicalize_headers(request.headers);
  if (!headers) return headers.status();

  // Sorted by encoded key, then encoded value (byte order).
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [k, v] : request.query)
    query.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(query.begin(), query.end());

  CanonicalRequest out;
  out.text = request.method + '\n';
  out.text += canonical_uri(request.path, params.normalize_path, params.double_encode_path) + '\n';
  for (size_t i = 0; i < query.size(); ++i) {
    if (i > 0) out.text += '&';
    out.text += query[i].first + '=' + query[i].second;
  }
  out.text += '\n';
  out.text += headers->block + '\n';
  out.text += headers->signed_list + '\n';
  out.text += payload_hash;
  out.signed_headers = std::move(headers->signed_list);
  return out;
}

std::string string_to_sign(std::string_view canonical_request, const SigningParams& params) {
  std::string out(kAlgorithm);
  out += '\n' + amz_date(params.time) + '\n' + credential_scope(params) + '\n';
  out += hex(crypto::sha256(canonical_request));
  return out;
}

crypto::Digest signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                           std::string_view region, std::string_view service) {
  std::string secret = "AWS4" + std::string(secret_access_key);
  crypto::Digest k_date = crypto::HmacSha256(as_bytes(secret)).mac(date_yyyymmdd);
  OPENSSL_cleanse(secret.data(), secret.size());
  crypto::Digest k_region = crypto::HmacSha256(k_date).mac(region);
  crypto::Digest k_service = crypto::HmacSha256(k_region).mac(service);
  crypto::Digest k_signing = crypto::HmacSha256(k_service).mac("aws4_request");
  OPENSSL_cleanse(k_date.data(), k_date.size());
  OPENSSL_cleanse(k_region.data(), k_region.size());
  OPENSSL_cleanse(k_service.data(), k_service.size());
  return k_signing;
}

Result<SigningResult> sign_headers(const HttpRequestToSign& request, const Credentials& creds,
                                   const SigningParams& params) {
  if (Status s = check_inputs(creds, params); !s) return s;
  for (const auto& [name, value] : request.headers) {
    if (base::iequals(name, "authorization") || base::iequals(name, "x-amz-date") ||
        (base::iequals(name, "x-amz-security-token") && !creds.session_token.empty()) ||
        (base::iequals(name, "x-amz-content-sha256") && params.sign_body_header)) {
      return Status::invalid_argument("sigv4: request already has " + name);
    }
  }
  const std::string date = amz_date(params.time);
  const std::string payload_hash = payload_hash_of(request, params);

  HttpRequestToSign to_sign = request;
  if (!creds.session_token.empty() && !params.omit_session_token) {
    to_sign.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  to_sign.headers.emplace_back("X-Amz-Date", date);
  if (params.sign_body_header) to_sign.headers.emplace_back("x-amz-content-sha256", payload_hash);

  auto creq = canonical_request(to_sign, params, payload_hash);
  if (!creq) return creq.status();
  SigningResult out;
  out.canonical_request = std::move(creq->text);
  out.string_to_sign = string_to_sign(out.canonical_request, params);
  out.signature = signature_hex(creds, params, out.string_to_sign);

  // Order and spelling as in the suite's signed requests. The token is sent even when it was
  // left out of the signature.
  if (!creds.session_token.empty()) {
    out.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  out.headers.emplace_back("X-Amz-Date", date);
  if (params.sign_body_header) out.headers.emplace_back("x-amz-content-sha256", payload_hash);
  out.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + creds.access_key_id + '/' +
                           credential_scope(params) + ", SignedHeaders=" + creq->signed_headers +
                           ", Signature=" + out.signature);
  return out;
}

Result<SigningResult> presign_query(const HttpRequestToSign& request, const Credentials& creds,
                                    const SigningParams& params, std::chrono::seconds expires) {
  if (Status s = check_inputs(creds, params); !s) return s;
  if (expires < std::chrono::seconds(1) || expires > kMaxExpires) {
    return Status::invalid_argument("sigv4: presigned URL expiry must be 1 s to 7 days");
  }
  for (const auto& [key, value] : request.query) {
    if (key.size() > 6 && base::iequals(key.substr(0, 6), "x-amz-")) {
      static constexpr std::array<std::string_view, 7> kAdded = {
          "x-amz-algorithm",     "x-amz-credential", "x-amz-date",          "x-amz-expires",
          "x-amz-signedheaders", "x-amz-signature",  "x-amz-security-token"};
      for (std::string_view added : kAdded) {
        if (base::iequals(key, added))
          return Status::invalid_argument("sigv4: query already has " + key);
      }
    }
  }
  auto headers = canonicalize_headers(request.headers);
  if (!headers) return headers.status();

  const std::string credential = creds.access_key_id + '/' + credential_scope(params);
  const std::string expires_text = std::to_string(expires.count());
  HttpRequestToSign to_sign = request;
  to_sign.query.emplace_back("X-Amz-Algorithm", kAlgorithm);
  to_sign.query.emplace_back("X-Amz-Credential", credential);
  to_sign.query.emplace_back("X-Amz-Date", amz_date(params.time));
  to_sign.query.emplace_back("X-Amz-Expires", expires_text);
  if (!creds.session_token.empty() && !params.omit_session_token) {
    to_sign.query.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  to_sign.query.emplace_back("X-Amz-SignedHeaders", headers->signed_list);

  auto creq = canonical_request(to_sign, params, payload_hash_of(request, params));
  if (!creq) return creq.status();
  SigningResult out;
  out.canonical_request = std::move(creq->text);
  out.string_to_sign = string_to_sign(out.canonical_request, params);
  out.signature = signature_hex(creds, params, out.string_to_sign);

  // The order of the suite's presigned URLs (the signature does not depend on it).
  out.query.emplace_back("X-Amz-Algorithm", kAlgorithm);
  out.query.emplace_back("X-Amz-Credential", credential);
  out.query.emplace_back("X-Amz-Date", amz_date(params.time));
  out.query.emplace_back("X-Amz-SignedHeaders", headers->signed_list);
  out.query.emplace_back("X-Amz-Expires", expires_text);
  if (!creds.session_token.empty()) {
    out.query.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  out.query.emplace_back("X-Amz-Signature", out.signature);
  return out;
}

}  // namespace cachedata::aws
