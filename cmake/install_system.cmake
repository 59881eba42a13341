# Install time (included by cmake_install.cmake, so for `make install` and for
# `make package` alike): the files whose paths depend on the prefix installed
# to, which is only known now (`cmake --install --prefix`, CPack's /usr).
# In: CS_SRC, CS_BUILD. Configuration goes to /etc for the /usr prefix and to
# PREFIX/etc otherwise (as GNUInstallDirs does); an existing configuration
# is never overwritten (dpkg handles its conffiles itself).
set(_prefix "${CMAKE_INSTALL_PREFIX}")
if(_prefix STREQUAL "/usr")
  set(_etc "/etc")
else()
  set(_etc "${_prefix}/etc")
endif()
set(CS_BINDIR "${_prefix}/bin")
set(CS_SYSCONFDIR "${_etc}")
set(CS_DOCDIR "${_prefix}/share/doc/classy-sync")

# one scratch directory per destination: two installs at once (tests) never
# share the configured unit
string(SHA1 _tag "$ENV{DESTDIR}|${_prefix}")
set(_unit "${CS_BUILD}/install-${_tag}/classy-sync.service")
configure_file("${CS_SRC}/contrib/classy-sync.service.in" "${_unit}" @ONLY)

set(_r OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${_unit}" DESTINATION "${_prefix}/lib/systemd/system" FILE_PERMISSIONS ${_r})
file(INSTALL "${CS_SRC}/contrib/classy-sync.sysusers" DESTINATION "${_prefix}/lib/sysusers.d"
     RENAME classy-sync.conf FILE_PERMISSIONS ${_r})

set(_conf "$ENV{DESTDIR}${_etc}/classy-sync")
if(NOT EXISTS "${_conf}/daemon-config.json")
  file(INSTALL "${CS_SRC}/contrib/daemon-config.example.json" DESTINATION "${_etc}/classy-sync"
       RENAME daemon-config.json FILE_PERMISSIONS ${_r})
else()
  message(STATUS "Keeping: ${_conf}/daemon-config.json")
endif()
if(NOT EXISTS "${_conf}/classy-sync.env")
  # 0640: the package's postinst gives it the group classy-sync
  file(INSTALL "${CS_SRC}/contrib/classy-sync.env" DESTINATION "${_etc}/classy-sync"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
else()
  message(STATUS "Keeping: ${_conf}/classy-sync.env")
endif()

# no maintainer script runs here: say what the package's postinst would do
if("$ENV{DESTDIR}" STREQUAL "")
  message(STATUS "Next, as root: systemd-sysusers ${_prefix}/lib/sysusers.d/classy-sync.conf && "
                 "chgrp classy-sync ${_etc}/classy-sync/classy-sync.env")
endif()
