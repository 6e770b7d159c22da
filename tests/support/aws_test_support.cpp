#include "support/aws_test_support.hpp"

#include <unistd.h>

#include "support/aws_test_stack.hpp"

namespace cachedata::testing {

aws::ClientConfig local_config(aws::Service service, const std::string& endpoint) {
  aws::ClientConfig c;
  c.service = service;
  c.region = "us-east-1";
  c.endpoint = aws::Endpoint{endpoint, true};
  c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{kTestAccessKeyId, kTestSecretAccessKey, ""});
  c.transport.connect_timeout = std::chrono::milliseconds(2000);
  c.transport.timeout = std::chrono::milliseconds(30000);
  c.transport.base_delay = std::chrono::milliseconds(5);
  c.transport.max_delay = std::chrono::milliseconds(50);
  return c;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

}  // namespace cachedata::testing
