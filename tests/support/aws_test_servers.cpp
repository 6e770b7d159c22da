// The AWS test servers' endpoints, from the environment (see aws_test_servers.hpp).
#include "support/aws_test_servers.hpp"

#include <cctype>
#include <cstdlib>
#include <string>

namespace cachedata::testing {
namespace {

// "http://HOST:PORT" with a non-empty host and a 1-5 digit port, nothing after it.
bool plain_http_endpoint(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  std::string_view authority = url.substr(kScheme.size());
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = authority.substr(0, colon);
  std::string_view port = authority.substr(colon + 1);
  if (host.find_first_of("/?#@ ") != std::string_view::npos) return false;
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

const char* aws_test_server_variable(AwsTestServer server) {
  return server == AwsTestServer::kDynamoDb ? "CACHEDATA_TEST_DYNAMODB_ENDPOINT"
                                            : "CACHEDATA_TEST_S3_ENDPOINT";
}

AwsTestServerLookup find_aws_test_server(AwsTestServer server) {
  const char* name = aws_test_server_variable(server);
  const char* what = server == AwsTestServer::kDynamoDb ? "DynamoDB Local" : "s3rver";
  const std::string how =
      "; scripts/test.sh starts the servers, or run `scripts/test-servers.sh start && "
      "eval \"$(scripts/test-servers.sh exports)\"` before ctest";
  AwsTestServerLookup out;
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    out.problem = std::string(what) + " is not available: " + name + " is not set" + how;
    return out;
  }
  std::string endpoint = value;
  if (endpoint.ends_with('/')) endpoint.pop_back();
  if (!plain_http_endpoint(endpoint)) {
    out.problem = std::string(name) + "='" + value +
                  "' is not an endpoint of the form http://HOST:PORT" + how;
    return out;
  }
  out.endpoint = std::move(endpoint);
  return out;
}

bool aws_test_servers_required() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  std::string v = ci;
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

}  // namespace cachedata::testing
