# The `cachedata` command-line program: one file per command.
target_sources(cachedata_cli PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli_common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_get.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_inspect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_purge.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cmd_stats.cpp
)
