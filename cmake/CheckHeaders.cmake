# check_headers (STYLE.md H, after Seastar's checkheaders): every public header of every library
# compiles alone, as its own translation unit, with only its library's usage requirements (what a
# user gets by linking the target). `cmake --build <dir> --target check_headers`; CI builds it
# (scripts/test.sh). Not part of `all`.
if(NOT TARGET check_headers)
  add_custom_target(check_headers)
endif()

# dolphin_check_headers(<target> <include dir> <sources>...): one generated .cc per header under
# <include dir> (the header included twice, so a missing #pragma once shows too), compiled by the
# OBJECT library <target>_headers, which check_headers depends on.
# Two libraries may share one folder and its include dir (trader_engine and trader): a header
# <name>.h belongs to the library that compiles src/<name>.cc, and a header without a
# src/<name>.cc to the first library of the folder. tools/lint/check_layering.py uses the same rule.
function(dolphin_check_headers target include_dir)
  set(own_sources ${ARGN})
  get_directory_property(first DOLPHIN_FIRST_LIBRARY)
  if(NOT first)
    set_directory_properties(PROPERTIES DOLPHIN_FIRST_LIBRARY ${target})
    set(first ${target})
  endif()
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE ${include_dir} ${include_dir}/*.h)
  set(sources)
  foreach(h IN LISTS headers)
    get_filename_component(stem ${h} NAME_WE)
    set(impl src/${stem}.cc)
    if(impl IN_LIST own_sources)
      # ours
    elseif(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${impl} OR NOT first STREQUAL target)
      continue()
    endif()
    string(MAKE_C_IDENTIFIER "${h}" id)
    set(src ${CMAKE_CURRENT_BINARY_DIR}/check_headers/${target}/${id}.cc)
    file(CONFIGURE OUTPUT ${src} CONTENT "#include \"${h}\"\n#include \"${h}\"\n")
    list(APPEND sources ${src})
  endforeach()
  if(NOT sources)
    return()
  endif()
  add_library(${target}_headers OBJECT EXCLUDE_FROM_ALL ${sources})
  target_link_libraries(${target}_headers PRIVATE ${target} dolphin::warnings)
  add_dependencies(check_headers ${target}_headers)
endfunction()
