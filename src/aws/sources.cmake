# AWS request signing and the DynamoDB / S3 / SSM wire clients.
target_sources(cachedata PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sigv4.cpp
)
