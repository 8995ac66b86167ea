# Compile options shared by every target of the project (not exported to consumers).
add_library(obs_build_options INTERFACE)
target_compile_options(obs_build_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                   -Wnon-virtual-dtor -Wold-style-cast
                                                   # Designated initializers that omit members
                                                   # with defaults are the intended style here.
                                                   -Wno-missing-field-initializers)
if(ADMINARA_OBS_WERROR)
  target_compile_options(obs_build_options INTERFACE -Werror)
endif()

if(ADMINARA_OBS_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(ADMINARA_OBS_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  # g++ 12 reports false "maybe-uninitialized" warnings on std::optional under TSan's
  # instrumentation at -O1 (the tsan preset); the dev build (-O2, no sanitizer) keeps that
  # warning an error, so real cases are still caught there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=thread)
  # Asio brackets handler calls with std::atomic_thread_fence, which TSan does not model (g++
  # rejects it under -Werror=tsan); the hand-off between threads goes through the scheduler's
  # mutex, which TSan does see. Every target of the build gets it, so Asio's types agree.
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
elseif(NOT ADMINARA_OBS_SANITIZE STREQUAL "")
  message(FATAL_ERROR "ADMINARA_OBS_SANITIZE='${ADMINARA_OBS_SANITIZE}': accepted values are '', 'address', 'thread'")
endif()

# Link with lld (scripts/setup installs it): several times faster than GNU ld on the test binaries'
# debug info. Directory-scoped like the sanitizer flags, so never part of the exported package.
option(ADMINARA_OBS_USE_LLD "Link with lld (-fuse-ld=lld)" ON)
if(ADMINARA_OBS_USE_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld ADMINARA_OBS_HAVE_LLD)
  if(ADMINARA_OBS_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  else()
    message(WARNING "ADMINARA_OBS_USE_LLD: the compiler cannot link with lld; using its default linker")
  endif()
endif()
