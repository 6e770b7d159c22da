// A FAKE of AWS Systems Manager Parameter Store, for tests only: SSM has no local server in any
// of our registries (unlike DynamoDB Local and s3rver), so this small stand-in speaks the
// JSON 1.1 protocol (POST /, X-Amz-Target: AmazonSSM.<Operation>,
// Content-Type: application/x-amz-json-1.1) for the three calls cachedata makes:
//   GetParameter (Name, WithDecryption), PutParameter (Name, Value, Type, Overwrite, Tags,
//   KeyId, Description), AddTagsToResource (ResourceType "Parameter", ResourceId, Tags)
// with the errors of the real service that matter to us: ParameterNotFound,
// ParameterAlreadyExists, ValidationException (Tags with Overwrite), InvalidResourceId,
// MissingAuthenticationTokenException (no SigV4 Authorization for service "ssm"). It checks
// no signature. A SecureString read without decryption answers an opaque stand-in value, as
// SSM answers the ciphertext. Everything is in memory; all methods are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace cachedata::testing {

class FakeSsmServer {
 public:
  struct StoredParameter {
    std::string value;
    std::string type;
    int64_t version = 0;
    std::map<std::string, std::string> tags;
  };

  FakeSsmServer();
  ~FakeSsmServer();  // stops the server
  FakeSsmServer(const FakeSsmServer&) = delete;
  FakeSsmServer& operator=(const FakeSsmServer&) = delete;

  // Binds 127.0.0.1 on a free port (or `port`) and serves on a background thread.
  bool start(int port = 0);
  void stop();
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void set(const std::string& name, const std::string& value,
           const std::string& type = "SecureString");
  bool get(const std::string& name, StoredParameter* out) const;
  // The next `count` calls answer HTTP `status` with error `code` (e.g. 400
  // ThrottlingException, 500 InternalServerError), then normal service resumes.
  void fail_next(int count, int status, const std::string& code);
  int calls() const;  // requests received

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace cachedata::testing
