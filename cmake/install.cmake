# What `cmake --install` puts in the prefix, and the .deb CPack makes of it. Every path is
# relative to the prefix, and the programs find the library through $ORIGIN, so an installed
# tree works wherever it is moved.
include(CMakePackageConfigHelpers)

set(QUANTIZE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/quantize)

# The library, shared (exported as quantize::quantize) and static (exported apart as
# quantize::quantize_static, for find_package(quantize COMPONENTS static), and for
# pkg-config --static): its dependencies must then be found too, which shared users are spared.
install(TARGETS quantize_lib EXPORT quantizeTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS quantize_static EXPORT quantizeStaticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/quantize DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/quantize/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/quantize COMPONENT development)

# find_package(quantize): the targets, a config and a version file.
install(EXPORT quantizeTargets NAMESPACE quantize:: DESTINATION ${QUANTIZE_CMAKE_DIR}
  COMPONENT development)
install(EXPORT quantizeStaticTargets NAMESPACE quantize:: DESTINATION ${QUANTIZE_CMAKE_DIR}
  COMPONENT development)
configure_package_config_file(cmake/quantizeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/quantizeConfig.cmake INSTALL_DESTINATION ${QUANTIZE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/quantizeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/quantizeConfig.cmake
  ${PROJECT_BINARY_DIR}/quantizeConfigVersion.cmake
  DESTINATION ${QUANTIZE_CMAKE_DIR} COMPONENT development)

# pkg-config: the prefix is found from the .pc file's own folder, so it moves with the tree.
file(RELATIVE_PATH QUANTIZE_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" QUANTIZE_PC_TO_PREFIX "${QUANTIZE_PC_TO_PREFIX}")
configure_file(cmake/quantize.pc.in ${PROJECT_BINARY_DIR}/quantize.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/quantize.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT development)

# The command, finding libquantize in the library folder relative to its own.
if(QUANTIZE_BUILD_COMMAND)
  file(RELATIVE_PATH QUANTIZE_BIN_TO_LIB ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  set_target_properties(quantize_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${QUANTIZE_BIN_TO_LIB}")
  install(TARGETS quantize_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

  # quantize(1), made from the command's own --help texts (help2man), so it lists what they do.
  find_program(HELP2MAN help2man)
  if(HELP2MAN)
    add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/quantize.1
      COMMAND ${CMAKE_COMMAND} -DCOMMAND=$<TARGET_FILE:quantize_cli> -DHELP2MAN=${HELP2MAN}
              -DOUTPUT=${PROJECT_BINARY_DIR}/quantize.1 -P ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
      DEPENDS quantize_cli ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
      COMMENT "Writing the quantize(1) man page")
    add_custom_target(quantize_man ALL DEPENDS ${PROJECT_BINARY_DIR}/quantize.1)
    install(FILES ${PROJECT_BINARY_DIR}/quantize.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
      COMPONENT runtime)
  else()
    message(WARNING "help2man not found: no quantize(1) man page (apt-get install help2man)")
  endif()
  install(FILES completions/quantize.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
    RENAME quantize COMPONENT runtime)
endif()
install(FILES LICENSE README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# cpack -G DEB: one package with the library, headers, command and man page. Depends comes from
# dpkg-shlibdeps on the installed binaries (the codec modules' libraries included).
set(CPACK_PACKAGE_NAME quantize)
set(CPACK_PACKAGE_VENDOR "quantize")
set(CPACK_PACKAGE_CONTACT "quantize maintainers <quantize@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)  # quick to make; the package is small
include(CPack)
