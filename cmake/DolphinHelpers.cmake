include(CheckHeaders)

# dolphin_add_library(NAME <lib> SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
#   Target dolphin_<lib>, alias dolphin::<lib>. include/ is public, src/ is private.
function(dolphin_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target dolphin_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(dolphin::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} dolphin_sanitize
    PRIVATE ${ARG_PRIVATE_DEPS} dolphin::warnings)
  dolphin_check_headers(${target} ${CMAKE_CURRENT_SOURCE_DIR}/include ${ARG_SOURCES})
endfunction()

# dolphin_add_test(NAME <binary> SOURCES ... DEPS ... [LABELS ...] [INTEGRATION_FILTER <filter>]
#                  [WHOLE_BINARY])
#   One GoogleTest binary, discovered test by test; label `unit` unless LABELS says otherwise.
#   Labels (STYLE.md I): `unit` = no real files written, no processes, no sockets (reading a
#   checked-in fixture is fine); `integration` otherwise; `slow` = too slow for `unit`.
#   INTEGRATION_FILTER (a gtest filter, `A.*:B.C`) labels the matching tests `integration` and
#   the others as LABELS says, for a binary that mixes both kinds.
#   WHOLE_BINARY registers the binary as a single ctest instead, for binaries whose tests share
#   an expensive real peer (a Hazelcast member) that one process starts once.
function(dolphin_add_test)
  cmake_parse_arguments(ARG "WHOLE_BINARY" "NAME;INTEGRATION_FILTER" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} dolphin::testing GTest::gmock GTest::gtest_main
    dolphin::warnings dolphin_sanitize)
  if(ARG_WHOLE_BINARY)
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}"
      ENVIRONMENT "DOLPHIN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
    return()
  endif()
  if(ARG_INTEGRATION_FILTER)
    gtest_discover_tests(${ARG_NAME}
      DISCOVERY_MODE PRE_TEST
      TEST_FILTER "-${ARG_INTEGRATION_FILTER}"
      PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "DOLPHIN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${ARG_NAME}
      DISCOVERY_MODE PRE_TEST
      TEST_FILTER "${ARG_INTEGRATION_FILTER}"
      PROPERTIES LABELS integration ENVIRONMENT "DOLPHIN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
    return()
  endif()
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "DOLPHIN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# dolphin_add_bench(NAME <binary> SOURCES ... DEPS ...)
function(dolphin_add_bench)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} dolphin_bench_common benchmark::benchmark
    dolphin::warnings)
endfunction()
