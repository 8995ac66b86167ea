# Install rules: `cmake --install <build> --prefix <p>` puts under <p>
#   include/adminara/...                        public headers, generated version.h included
#   lib/libadminara_obs.a (or .so)              the library
#   lib/cmake/adminara_obs/                     find_package(adminara_obs) -> adminara::obs
#   lib/pkgconfig/adminara-obs.pc               pkg-config --cflags --libs adminara-obs
# (lib/ is CMAKE_INSTALL_LIBDIR, include/ CMAKE_INSTALL_INCLUDEDIR; GNUInstallDirs is included by
# the root CMakeLists.txt before src/.) Both package files are relocatable: they find the prefix
# from their own location, so the install prefix may be chosen at install time.
include(CMakePackageConfigHelpers)

set(ADMINARA_OBS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/adminara_obs)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/adminara
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${ADMINARA_OBS_GENERATED_INCLUDE_DIR}/adminara/obs/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/adminara/obs)

# Only adminara_obs is exported: the per-layer OBJECT libraries reach it through
# $<TARGET_OBJECTS:...>, so they are not part of its link interface or of the export set.
install(TARGETS adminara_obs
        EXPORT adminara_obsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT adminara_obsTargets
        NAMESPACE adminara::
        FILE adminara_obsTargets.cmake
        DESTINATION ${ADMINARA_OBS_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/adminara_obsConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/adminara_obsConfig.cmake
                              INSTALL_DESTINATION ${ADMINARA_OBS_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/adminara_obsConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/adminara_obsConfig.cmake
              ${PROJECT_BINARY_DIR}/adminara_obsConfigVersion.cmake
        DESTINATION ${ADMINARA_OBS_CMAKE_DIR})

# pkg-config: prefix is computed from ${pcfiledir} (the .pc file's directory) so the file stays
# right whatever --prefix is given at install time. Absolute install dirs are used as they are.
set(ADMINARA_OBS_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ADMINARA_OBS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _pc_to_prefix /prefix/${ADMINARA_OBS_PC_DIR} /prefix)
  string(REGEX REPLACE "/$" "" _pc_to_prefix "${_pc_to_prefix}")
  set(ADMINARA_OBS_PC_PREFIX "\${pcfiledir}/${_pc_to_prefix}")
  unset(_pc_to_prefix)
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(ADMINARA_OBS_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(ADMINARA_OBS_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
# A static libadminara_obs.a carries its dependencies' symbols unresolved, so a consumer must
# link them too: with the static library they belong in Requires/Libs, which plain
# `pkg-config --libs` returns (the .private fields are only read with --static).
get_target_property(_obs_type adminara_obs TYPE)
set(_pc_deps "zlib, hiredis, openssl, yaml-cpp, libcrypt")
if(_obs_type STREQUAL "STATIC_LIBRARY")
  set(ADMINARA_OBS_PC_REQUIRES "nlohmann_json, ${_pc_deps}")
  set(ADMINARA_OBS_PC_REQUIRES_PRIVATE "")
  set(ADMINARA_OBS_PC_LIBS "-pthread")
  set(ADMINARA_OBS_PC_LIBS_PRIVATE "")
else()
  set(ADMINARA_OBS_PC_REQUIRES "nlohmann_json")
  set(ADMINARA_OBS_PC_REQUIRES_PRIVATE "${_pc_deps}")
  set(ADMINARA_OBS_PC_LIBS "")
  set(ADMINARA_OBS_PC_LIBS_PRIVATE "-pthread")
endif()
unset(_obs_type)
unset(_pc_deps)
configure_file(${PROJECT_SOURCE_DIR}/cmake/adminara-obs.pc.in ${PROJECT_BINARY_DIR}/adminara-obs.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/adminara-obs.pc DESTINATION ${ADMINARA_OBS_PC_DIR})
