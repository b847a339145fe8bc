# Version, git commit and build type baked into src/base/version.cpp at configure time.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE DSINFER_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE git_rc)
if(NOT git_rc EQUAL 0 OR NOT DSINFER_GIT_COMMIT)
  set(DSINFER_GIT_COMMIT "unknown")
endif()
set(DSINFER_BUILD_TYPE "${CMAKE_BUILD_TYPE}")
if(DSINFER_SANITIZE)
  string(APPEND DSINFER_BUILD_TYPE "+${DSINFER_SANITIZE}")
endif()
if(DSINFER_NATIVE)
  string(APPEND DSINFER_BUILD_TYPE "+native")
endif()
