# Installation layout and the Debian package (included by the top-level CMakeLists.txt).
#
#   cmake --install build --prefix /usr/local     binaries, runbook script, man page, completion, docs
#   cpack --config build/CPackConfig.cmake -G DEB  swarmpki_<version>_<arch>.deb
#
# The package's dependencies come from dpkg-shlibdeps (the Debian runtime libraries the two
# binaries link: libssl3, libcpp-httplib0.11, libstdc++6, libc6, ...), so they cannot drift from
# what the build actually uses.

# The rotation runbook is a product script: installed next to the binary.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/swarm-ca-rotate DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man page, compressed as Debian ships them when gzip is there.
set(SWARMPKI_MANPAGE ${PROJECT_SOURCE_DIR}/docs/swarmpki.1)
if(EXISTS ${SWARMPKI_MANPAGE})
  find_program(GZIP_PROGRAM gzip)
  if(GZIP_PROGRAM)
    add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/swarmpki.1.gz
      COMMAND ${GZIP_PROGRAM} -9nc ${SWARMPKI_MANPAGE} > ${PROJECT_BINARY_DIR}/swarmpki.1.gz
      DEPENDS ${SWARMPKI_MANPAGE} VERBATIM)
    add_custom_target(swarmpki_manpage ALL DEPENDS ${PROJECT_BINARY_DIR}/swarmpki.1.gz)
    install(FILES ${PROJECT_BINARY_DIR}/swarmpki.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  else()
    install(FILES ${SWARMPKI_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
endif()

install(FILES ${PROJECT_SOURCE_DIR}/contrib/bash-completion/swarmpki
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions OPTIONAL)

# Docs and the Ansible playbook: share/doc/swarmpki/.
foreach(doc README.md docs/rotation-runbook.md docs/json.md docs/architecture.md docs/deploy.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${doc})
    install(FILES ${PROJECT_SOURCE_DIR}/${doc} DESTINATION ${CMAKE_INSTALL_DOCDIR})
  endif()
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/docs/ansible/swarm-pki-audit.yml
              ${PROJECT_SOURCE_DIR}/docs/ansible/inventory.example.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/ansible)

# systemd units (lib/systemd/system under the prefix: /usr/lib/systemd/system in the .deb, which
# systemd reads on every Debian) and their settings, /etc/default/swarmpki (docs/deploy.md).
set(SWARMPKI_SYSTEMD_UNITDIR lib/systemd/system CACHE STRING "where the systemd units go")
install(FILES ${PROJECT_SOURCE_DIR}/contrib/systemd/swarmpki-serve.service
              ${PROJECT_SOURCE_DIR}/contrib/systemd/swarmpki-textfile.service
              ${PROJECT_SOURCE_DIR}/contrib/systemd/swarmpki-textfile.timer
        DESTINATION ${SWARMPKI_SYSTEMD_UNITDIR})
# The settings file belongs in /etc (a conffile: dpkg keeps the operator's edits) when the prefix
# is /usr, as in the .deb, and in PREFIX/etc for any other prefix, so `cmake --install --prefix`
# never writes outside its prefix. Decided at install time, when the prefix is known.
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"/usr/?$\")
    string(REGEX REPLACE \"/usr/?$\" \"/etc/default\" swarmpki_etc_default \"\${CMAKE_INSTALL_PREFIX}\")
  else()
    set(swarmpki_etc_default \"\${CMAKE_INSTALL_PREFIX}/etc/default\")
  endif()
  file(INSTALL DESTINATION \"\${swarmpki_etc_default}\" TYPE FILE RENAME swarmpki
       FILES \"${PROJECT_SOURCE_DIR}/contrib/systemd/swarmpki.default\")
")

# Prometheus alert and recording rules, their promtool tests and a scrape configuration example.
install(FILES ${PROJECT_SOURCE_DIR}/contrib/prometheus/swarmpki.rules.yml
              ${PROJECT_SOURCE_DIR}/contrib/prometheus/swarmpki.rules.test.yml
              ${PROJECT_SOURCE_DIR}/contrib/prometheus/prometheus.yml.example
        DESTINATION ${CMAKE_INSTALL_DATADIR}/swarmpki/prometheus)

# ---- CPack: a .deb
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME swarmpki)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "swarmpki reads a Docker Swarm node's certificate directory, join tokens and the cluster's\n\
state and reports identities, trust roots, rotation state, chain verification, key match and\n\
expiry, in text for people and JSON, Prometheus and Nagios formats for programs. It also\n\
simulates cross-signed CA rotations and ships a rotation runbook script and an Ansible audit\n\
playbook.")
set(CPACK_PACKAGE_CONTACT "swarmpki maintainers <swarmpki@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# swarm-ca-rotate needs these; the audit playbook runs under Ansible.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "jq, openssl")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io, ansible-core")
# /etc/default/swarmpki is a conffile: dpkg keeps the operator's edits on upgrade.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/contrib/systemd/conffiles)
include(CPack)
