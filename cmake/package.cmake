# What gets installed.

# The man page and the bash completion, generated from the command tables by
# the binary just built (src/cmd/gen_docs.c), so they cannot drift from --help.
set(CS_GEN_DOCS ${CMAKE_BINARY_DIR}/classy-sync.1 ${CMAKE_BINARY_DIR}/classy-sync.1.gz
    ${CMAKE_BINARY_DIR}/classy-sync.bash-completion)
add_custom_command(OUTPUT ${CS_GEN_DOCS}
  COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:classy-sync> -DDIR=${CMAKE_BINARY_DIR}
          -P ${CMAKE_SOURCE_DIR}/cmake/gen_docs.cmake
  DEPENDS classy-sync ${CMAKE_SOURCE_DIR}/cmake/gen_docs.cmake
  COMMENT "Generating classy-sync.1 and its bash completion from the command tables")
add_custom_target(classy-sync-docs ALL DEPENDS ${CS_GEN_DOCS})

install(TARGETS classy-sync classy-sandbox RUNTIME DESTINATION bin)
