# Installs the already-built cachedata into a scratch prefix, then configures, builds and runs two
# downstream projects against it with find_package(cachedata): tests/consumer (the umbrella) and
# tests/consumer_core (the core layer alone, which must link neither libcurl nor SQLite).
foreach(var SOURCE_DIR BINARY_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "${var} is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

set(config_arg)
if(BUILD_TYPE)
  set(config_arg --config ${BUILD_TYPE})
endif()
run(${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${prefix}" ${config_arg})

set(flags "")
if(SANITIZE)
  set(flags "-fsanitize=address,undefined")
endif()
# The umbrella (cachedata::cachedata, every layer), then the core alone (cachedata::core).
foreach(project consumer consumer_core)
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/${project}" -B "${WORK_DIR}/${project}"
      "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_FLAGS=${flags}"
      "-DCMAKE_EXE_LINKER_FLAGS=${flags}")
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/${project}")
  run("${WORK_DIR}/${project}/${project}")
endforeach()

# The core alone links neither libcurl nor SQLite: not on its link line (a static library of an
# upper layer would show there) and not among the shared libraries it loads.
file(GLOB_RECURSE link_lines "${WORK_DIR}/consumer_core/CMakeFiles/consumer_core.dir/link.txt")
if(NOT link_lines)
  message(FATAL_ERROR "consumer_core: no link.txt to check")
endif()
file(READ ${link_lines} link_line)
execute_process(COMMAND ldd "${WORK_DIR}/consumer_core/consumer_core"
  OUTPUT_VARIABLE loaded RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ldd consumer_core failed (${rc})")
endif()
foreach(forbidden curl sqlite local_store cachedata_http cachedata_aws cachedata_wiring)
  string(FIND "${link_line}" "${forbidden}" at_link)
  string(FIND "${loaded}" "${forbidden}" at_load)
  if(NOT at_link EQUAL -1 OR NOT at_load EQUAL -1)
    message(FATAL_ERROR "consumer_core links ${forbidden}:\n${link_line}\n${loaded}")
  endif()
endforeach()
# And the check itself can see a library: the core's own crypto is there.
string(FIND "${loaded}" "libcrypto" has_crypto)
if(has_crypto EQUAL -1)
  message(FATAL_ERROR "consumer_core: ldd shows no libcrypto, so the check sees nothing:\n${loaded}")
endif()
message(STATUS "consumer_core links neither libcurl nor SQLite:\n${loaded}")
