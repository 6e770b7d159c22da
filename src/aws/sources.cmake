# AWS request signing and the DynamoDB / S3 / SSM wire clients.
target_sources(cachedata_aws PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sigv4.cpp
  ${CMAKE_CURRENT_LIST_DIR}/signing_key_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/aws_config_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/aws_endpoints.cpp
  ${CMAKE_CURRENT_LIST_DIR}/aws_error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/aws_http.cpp
  ${CMAKE_CURRENT_LIST_DIR}/aws_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/credentials.cpp
  ${CMAKE_CURRENT_LIST_DIR}/credential_sources.cpp
  ${CMAKE_CURRENT_LIST_DIR}/base64.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dynamodb_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/s3_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ssm_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ssm_data_key.cpp
)
