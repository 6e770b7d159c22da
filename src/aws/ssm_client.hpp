// SsmClient: the three SSM Parameter Store calls cachedata needs (reading the data key,
// `cachedata key ensure` writing it), over the JSON 1.1 protocol (POST /, X-Amz-Target:
// AmazonSSM.<Operation>), signed and retried by AwsTransport.
//
// Parameter values are secrets: they never appear in an error or log message, and the
// request / answer buffers that held them are wiped. A parameter that already exists
// (PutParameter without overwrite) is an outcome, not an error. Errors: kNotFound for
// ParameterNotFound, others as in aws_error.hpp. A client is immutable and safe from many
// threads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aws/aws_transport.hpp"

namespace cachedata::aws {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct Parameter {
  std::string name;
  std::string type;   // String, StringList, SecureString
  std::string value;  // decrypted when asked for; a secret
  int64_t version = 0;
  ~Parameter();  // wipes `value`
};

struct PutParameterRequest {
  std::string name;
  std::string value;  // a secret
  std::string type = "SecureString";
  bool overwrite = false;
  std::string key_id;  // KMS key for SecureString; empty: the account's aws/ssm key
  std::string description;
  Tags tags;               // only without `overwrite` (SSM refuses both; use add_tags_to_resource)
  ~PutParameterRequest();  // wipes `value`
};

struct PutParameterOutcome {
  bool already_exists = false;  // ParameterAlreadyExists (overwrite = false): nothing written
  int64_t version = 0;
};

class SsmClient {
 public:
  explicit SsmClient(ClientConfig config);

  Result<Parameter> get_parameter(const std::string& name, bool with_decryption = true) const;
  Result<PutParameterOutcome> put_parameter(const PutParameterRequest& request) const;
  // resource_type: "Parameter"; resource_id: the parameter's name.
  Status add_tags_to_resource(const std::string& resource_type, const std::string& resource_id,
                              const Tags& tags) const;

  const ClientConfig& config() const { return transport_.config(); }

 private:
  AwsTransport transport_;
};

}  // namespace cachedata::aws
