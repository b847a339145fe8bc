# dsinfer_layer(NAME DEPS ...): one static library per folder of src/, sources globbed so that
# adding a file needs no CMake edit. Headers are included as "layer/file.h" from src/.
function(dsinfer_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)
    add_library(dsinfer_${name} INTERFACE)
    target_include_directories(dsinfer_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(dsinfer_${name} INTERFACE ${ARG_DEPS} ${ARG_PUBLIC_LIBS})
    return()
  endif()
  add_library(dsinfer_${name} STATIC ${srcs})
  target_include_directories(dsinfer_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dsinfer_${name} PUBLIC ${ARG_DEPS} ${ARG_PUBLIC_LIBS} dsinfer_options
                        PRIVATE ${ARG_PRIVATE_LIBS})
endfunction()
