# Helpers in the spirit of absl_cc_library / absl_cc_test: one place that sets
# warnings, include paths and test registration for every target of ours.

# Designated initializers that rely on member defaults are idiomatic here.
set(IDGEN_WARNINGS -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
    -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND IDGEN_WARNINGS -Wthread-safety)
endif()
if(IDGEN_WERROR)
  list(APPEND IDGEN_WARNINGS -Werror)
endif()

# idgen_cc_library(NAME name SRCS ... DEPS ... [PUBLIC_DEPS ...])
function(idgen_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${A_NAME} STATIC ${A_SRCS})
  target_include_directories(${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR})
  target_compile_options(${A_NAME} PRIVATE ${IDGEN_WARNINGS})
  target_link_libraries(${A_NAME} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_DEPS})
endfunction()

# idgen_cc_test(NAME name SRCS ... DEPS ... [LABELS ...])
function(idgen_cc_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_compile_options(${A_NAME} PRIVATE ${IDGEN_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest_main GTest::gmock Threads::Threads)
  set_target_properties(${A_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${A_NAME} PROPERTIES LABELS "${A_LABELS}" DISCOVERY_TIMEOUT 30)
endfunction()

# idgen_embed_file(INPUT file TEMPLATE file.cc.in OUTPUT file.cc VARIABLE NAME
#                  DELIMITER delim)
# Compiles a file of the source tree into the binary (a page, a document):
# reads INPUT (relative to the current source directory) into NAME and
# writes OUTPUT (in the current binary directory) from TEMPLATE with @NAME@
# replaced by the file's bytes, unchanged. The template holds them in a raw
# string literal R"delim(...)delim", so INPUT must not contain ")delim\"".
# CMake runs again when INPUT changes. Add OUTPUT, as
# ${CMAKE_CURRENT_BINARY_DIR}/file.cc, to the library's SRCS.
function(idgen_embed_file)
  cmake_parse_arguments(A "" "INPUT;TEMPLATE;OUTPUT;VARIABLE;DELIMITER" "" ${ARGN})
  set(input ${CMAKE_CURRENT_SOURCE_DIR}/${A_INPUT})
  file(READ ${input} ${A_VARIABLE})
  string(FIND "${${A_VARIABLE}}" ")${A_DELIMITER}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains \")${A_DELIMITER}\"\", which ends the raw string "
                        "literal of ${A_TEMPLATE}: choose another DELIMITER")
  endif()
  configure_file(${A_TEMPLATE} ${CMAKE_CURRENT_BINARY_DIR}/${A_OUTPUT} @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
endfunction()
