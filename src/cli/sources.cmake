# The `cachedata` command-line program: one file per command.
target_sources(cachedata_cli PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli_common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_get.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_inspect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_purge.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_stats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_storage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_storage_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_storage_deploy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_storage_provision.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_storage_status.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_key.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_key_ensure.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_params.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_samconfig.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_target.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_bucket.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage_s3_settings.cpp
)
# `storage config` finds the storage template beside an installed binary (share/cachedata/), else
# in the source tree.
target_compile_definitions(cachedata_cli PRIVATE
  CACHEDATA_INFRA_DIR="${PROJECT_SOURCE_DIR}/infra")
install(FILES
  ${PROJECT_SOURCE_DIR}/infra/template-storage-cache-data.yml
  ${PROJECT_SOURCE_DIR}/infra/template-application-sample.yml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/cachedata)
