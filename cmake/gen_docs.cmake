# Build step (cmake -P): the man page and the bash completion, printed by the
# freshly built binary from its own command tables (src/cmd/gen_docs.c).
# In: BIN (classy-sync), DIR (where they go).
foreach(what man bash-completion)
  execute_process(COMMAND ${BIN} gen-docs ${what} OUTPUT_FILE ${DIR}/classy-sync.${what}.tmp
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "classy-sync gen-docs ${what} failed (${rc})")
  endif()
endforeach()
file(RENAME ${DIR}/classy-sync.man.tmp ${DIR}/classy-sync.1)
file(RENAME ${DIR}/classy-sync.bash-completion.tmp ${DIR}/classy-sync.bash-completion)
# -n: no name or time stamp inside, so the same tables give the same bytes
execute_process(COMMAND gzip -9 -n -c ${DIR}/classy-sync.1 OUTPUT_FILE ${DIR}/classy-sync.1.gz
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip of classy-sync.1 failed (${rc})")
endif()
