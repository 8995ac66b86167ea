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
  add_link_options(-fsanitize=thread)
elseif(NOT ADMINARA_OBS_SANITIZE STREQUAL "")
  message(FATAL_ERROR "ADMINARA_OBS_SANITIZE='${ADMINARA_OBS_SANITIZE}': accepted values are '', 'address', 'thread'")
endif()
