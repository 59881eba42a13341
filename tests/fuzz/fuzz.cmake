# Fuzz targets (tests/fuzz/fuzz_<module>_<what>.c, linked with the library
# of <module>), included by the top CMakeLists.txt.
#  - CS_SANITIZE=fuzzer (clang, `make fuzz`, build-fuzz/): each target is a
#    libFuzzer binary, fuzz_<module>_<what>.
#  - any other build: each target is linked with tests/fuzz/replay.c instead
#    and ctest replays its seed corpus (tests/fuzz/corpus/<target>/) and its
#    regression inputs (tests/fuzz/regress/<target>/, every crash found) as
#    the test fuzz/<target>, so `make test` and `make test-asan` run them.
# fuzz_store_rows.c is built once per entity (fuzz_store_rows_<entity>).
file(GLOB CS_FUZZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
set(CS_FUZZ_ENTITIES campaigns supporters transactions recurring_plans)
foreach(src ${CS_FUZZ_SRC})
  get_filename_component(base ${src} NAME_WE)
  string(REGEX MATCH "^fuzz_([a-z]+)_" _m ${base})
  set(lib cs${CMAKE_MATCH_1})
  if(base STREQUAL "fuzz_store_rows")
    set(variants)
    set(i 0)
    foreach(ent ${CS_FUZZ_ENTITIES})
      list(APPEND variants "${base}_${ent}:${i}")
      math(EXPR i "${i} + 1")
    endforeach()
  else()
    set(variants "${base}:")
  endif()
  foreach(v ${variants})
    string(REPLACE ":" ";" parts "${v}")
    list(GET parts 0 name)
    list(LENGTH parts nparts)
    if(CS_SANITIZE STREQUAL "fuzzer")
      add_executable(${name} ${src})
      target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    else()
      add_executable(${name} ${src} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c)
    endif()
    target_link_libraries(${name} PRIVATE ${lib})
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
    if(nparts GREATER 1)
      list(GET parts 1 ent)
      if(NOT ent STREQUAL "")
        target_compile_definitions(${name} PRIVATE FUZZ_ENTITY=${ent})
      endif()
    endif()
    if(NOT CS_SANITIZE STREQUAL "fuzzer")
      # both folders, whether or not they exist yet: a regression added later
      # is replayed without running cmake again (replay skips a missing one)
      add_test(NAME fuzz/${name} COMMAND ${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name}
               ${CMAKE_SOURCE_DIR}/tests/fuzz/regress/${name})
      set_tests_properties(fuzz/${name} PROPERTIES LABELS "unit;fuzz" TIMEOUT 120)
    endif()
  endforeach()
endforeach()
