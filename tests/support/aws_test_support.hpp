// Helpers of the AWS tests: an in-process HTTP server that a test scripts (standing in for
// IMDS, the container endpoint, the Lambda extension or a failing AWS endpoint), an
// environment given as a map, and client configs for local endpoints. The endpoints of the real
// local servers (DynamoDB Local, s3rver), and skipping or failing without them, are
// aws_test_servers.hpp's CACHEDATA_REQUIRE_AWS_TEST_SERVER.
#pragma once

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "aws/aws_endpoints.hpp"
#include "aws/aws_env.hpp"

namespace cachedata::testing {

// httplib::Server on 127.0.0.1 and a free port, serving on its own thread until destroyed.
// Register handlers on server() before start().
class LocalHttpServer {
 public:
  LocalHttpServer() = default;
  ~LocalHttpServer() { stop(); }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  httplib::Server& server() { return server_; }
  // Each answer closes its connection unless a test allows more: httplib's stop() waits out
  // the keep-alive timeout of every open connection (5 s by default).
  void start(size_t keep_alive_requests = 1) {
    server_.set_keep_alive_max_count(keep_alive_requests);
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// An environment made of exactly these variables.
inline aws::EnvLookup env_of(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

// Static test credentials (letters and digits only: DynamoDB Local wants that), us-east-1,
// the given endpoint, short backoff so retry tests run fast.
aws::ClientConfig local_config(aws::Service service, const std::string& endpoint);

// A name unique to this process and call: "cachedata-test-<pid>-<n>".
std::string unique_name(const std::string& prefix);

}  // namespace cachedata::testing
