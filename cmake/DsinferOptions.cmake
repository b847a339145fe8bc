# Compile flags shared by every target: warnings, sanitizers, native tuning.
add_library(dsinfer_options INTERFACE)
# -Wno-restrict: GCC 12 reports false positives inside libstdc++ string code at -O2+ (GCC PR 105329).
target_compile_options(dsinfer_options INTERFACE -Wall -Wextra -Wno-unused-parameter
                       $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
if(DSINFER_WERROR)
  target_compile_options(dsinfer_options INTERFACE -Werror)
endif()
if(DSINFER_NATIVE)
  target_compile_options(dsinfer_options INTERFACE -march=native)
endif()
if(DSINFER_SANITIZE)
  target_compile_options(dsinfer_options INTERFACE -fsanitize=${DSINFER_SANITIZE}
                         -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(dsinfer_options INTERFACE -fsanitize=${DSINFER_SANITIZE})
  if(DSINFER_SANITIZE STREQUAL "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # NOTE: Boost.Asio's reactor ops issue std::atomic_thread_fence, which TSan does not model and
    # GCC warns about (-Wtsan). The fences order Asio's own internals; our code does not use them.
    target_compile_options(dsinfer_options INTERFACE -Wno-tsan)
  endif()
endif()
if(DSINFER_FUZZ)
  # Coverage instrumentation for the libraries too, so the fuzzer sees the parsers' branches.
  target_compile_options(dsinfer_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
