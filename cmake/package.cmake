# What gets installed, and the Debian packages made of it. These rules are the
# one list for both `make install` (cmake --install --prefix PREFIX) and
# `make package` (CPack, prefix /usr): a file is added here or nowhere.
#
#   component main    -> package classy-sync          the tool, unit, user, config, docs
#   component sandbox -> package classy-sync-sandbox  the fake Classy + Mailchimp APIs

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

# directories the install makes are 0755 whatever the umask
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
    GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(TARGETS classy-sync RUNTIME DESTINATION bin COMPONENT main)
install(TARGETS classy-sandbox RUNTIME DESTINATION bin COMPONENT sandbox)
install(FILES ${CMAKE_BINARY_DIR}/classy-sync.1.gz DESTINATION share/man/man1 COMPONENT main)
install(FILES ${CMAKE_BINARY_DIR}/classy-sync.bash-completion
        DESTINATION share/bash-completion/completions RENAME classy-sync COMPONENT main)
install(FILES README.md DESTINATION share/doc/classy-sync COMPONENT main)
# the unit, the sysusers.d entry and /etc/classy-sync: their paths depend on
# the prefix, known only at install time
install(CODE "set(CS_SRC \"${CMAKE_SOURCE_DIR}\")\nset(CS_BUILD \"${CMAKE_BINARY_DIR}\")"
        COMPONENT main)
install(SCRIPT cmake/install_system.cmake COMPONENT main)

# `make install` and `make package` build first (Makefile): the install step
# itself need not walk every target again (it made the package test slow)
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME classy-sync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "classy-sync maintainers <maintainers@users.noreply.r-seed-dcad4905.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "mirror Classy (GoFundMe Pro) organizations into SQL and keep them current")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# /etc/classy-sync is outside the prefix: install into a staging DESTDIR
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL main sandbox)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Depends: what dpkg-shlibdeps finds the binaries need (dpkg-dev)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_DEBIAN_MAIN_PACKAGE_NAME classy-sync)
set(CPACK_COMPONENT_MAIN_DESCRIPTION
    "mirror Classy (GoFundMe Pro) organizations into SQL and keep them current\n\
Mirrors supporters, transactions, campaigns and recurring plans into SQLite,\n\
PostgreSQL or MariaDB, keeps them current with a supervised systemd daemon,\n\
and pushes consenting supporters to Mailchimp.")
# the postinst makes the service user with one of them
set(CPACK_DEBIAN_MAIN_PACKAGE_DEPENDS "systemd | adduser")
set(CPACK_DEBIAN_MAIN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/contrib/debian/conffiles ${CMAKE_SOURCE_DIR}/contrib/debian/postinst
    ${CMAKE_SOURCE_DIR}/contrib/debian/prerm ${CMAKE_SOURCE_DIR}/contrib/debian/postrm)

set(CPACK_DEBIAN_SANDBOX_PACKAGE_NAME classy-sync-sandbox)
set(CPACK_DEBIAN_SANDBOX_PACKAGE_SECTION devel)
set(CPACK_COMPONENT_SANDBOX_DESCRIPTION
    "fake Classy and Mailchimp APIs for testing classy-sync\n\
classy-sandbox serves Classy's and Mailchimp's APIs from memory, with knobs\n\
for rate limits, latency, errors and dropped connections. Not for production.")
include(CPack)
