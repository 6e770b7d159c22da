# The `cachedata` command-line program: one file per command, in three targets:
#   cachedata_cli_common   the glue every command shares (options, the Config from flags, errors)
#   cachedata_cli_storage  the storage stack tooling (src/cli/storage/: `storage …` and `key …`):
#                          its own module, tested directly by storage_params_test and friends
#   cachedata_cli          the program: main and the cache commands (get, inspect, purge, stats)
add_library(cachedata_cli_common STATIC ${CMAKE_CURRENT_LIST_DIR}/cli_common.cpp)
target_include_directories(cachedata_cli_common PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_compile_options(cachedata_cli_common PRIVATE ${CACHEDATA_WARNINGS})
target_compile_definitions(cachedata_cli_common PRIVATE CACHEDATA_VERSION="${PROJECT_VERSION}")
target_link_libraries(cachedata_cli_common PUBLIC cachedata)

add_library(cachedata_cli_storage STATIC
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_storage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_storage_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_storage_deploy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_storage_provision.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_storage_status.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_key.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/cmd_key_ensure.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_params.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_samconfig.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_target.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/storage/storage_bucket.cpp
)
target_compile_options(cachedata_cli_storage PRIVATE ${CACHEDATA_WARNINGS})
# `storage config` finds the storage template beside an installed binary (share/cachedata/), else
# in the source tree.
target_compile_definitions(cachedata_cli_storage PRIVATE
  CACHEDATA_VERSION="${PROJECT_VERSION}" CACHEDATA_INFRA_DIR="${PROJECT_SOURCE_DIR}/infra")
target_link_libraries(cachedata_cli_storage PUBLIC cachedata_cli_common)

# `cachedata bench` (src/cli/bench/): the load generator, its own module; its pure parts (the
# latency histogram, the key chooser) are tested directly by cli_bench_test.
add_library(cachedata_cli_bench STATIC
  ${CMAKE_CURRENT_LIST_DIR}/bench/latency_histogram.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bench/key_chooser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bench/bench_run.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bench/cmd_bench.cpp
)
target_compile_options(cachedata_cli_bench PRIVATE ${CACHEDATA_WARNINGS})
target_link_libraries(cachedata_cli_bench PUBLIC cachedata_cli_common)

target_sources(cachedata_cli PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_get.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_inspect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_purge.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_stats.cpp
)
target_link_libraries(cachedata_cli PRIVATE cachedata_cli_storage cachedata_cli_bench)
install(FILES
  ${PROJECT_SOURCE_DIR}/infra/template-storage-cache-data.yml
  ${PROJECT_SOURCE_DIR}/infra/template-application-sample.yml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/cachedata)
