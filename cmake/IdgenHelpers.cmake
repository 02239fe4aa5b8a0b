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
