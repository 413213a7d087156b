# One CMake library per layer folder, with its dependencies declared once.
#
#   ptlint_layer(<name> DIR <folder> [DEPENDS <layer>...] [LIBS <target>...]
#                [SOURCES <extra generated sources>...])
#
# builds <folder>/*.cc (not *_test.cc, *_fuzz.cc, *_main.cc) into the static
# library ptlint_<name>, links the layers it DEPENDS on (PUBLIC: a layer may
# use what its dependencies use) and records the folder, so that
# ptlint_layer_check_target() can fail the build when a file includes a
# header from a layer its own layer does not depend on (a back-edge or a
# sideways edge). The library's tests (<folder>/*_test.cc) link only it.
set_property(GLOBAL PROPERTY PTLINT_LAYERS "")

function(ptlint_layer name)
  cmake_parse_arguments(L "" "DIR" "DEPENDS;LIBS;SOURCES" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${L_DIR}/*.cc)
  list(FILTER sources EXCLUDE REGEX "(_test|_fuzz|_main)\\.cc$")
  set(target ptlint_${name})
  add_library(${target} STATIC ${sources} ${L_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR})
  set(deps "")
  foreach(dep ${L_DEPENDS})
    list(APPEND deps ptlint_${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC ${deps} ${L_LIBS})
  set_property(GLOBAL APPEND PROPERTY PTLINT_LAYERS "${name}")
  set_property(GLOBAL PROPERTY PTLINT_LAYER_DIR_${name} "${L_DIR}")
  set_property(GLOBAL PROPERTY PTLINT_LAYER_DEPS_${name} "${L_DEPENDS}")
endfunction()

# The layers <name> may include from: itself and everything below it.
function(_ptlint_layer_closure name out)
  set(seen "${name}")
  set(queue "${name}")
  while(queue)
    list(POP_FRONT queue current)
    get_property(deps GLOBAL PROPERTY PTLINT_LAYER_DEPS_${current})
    foreach(dep ${deps})
      if(NOT dep IN_LIST seen)
        list(APPEND seen ${dep})
        list(APPEND queue ${dep})
      endif()
    endforeach()
  endwhile()
  set(${out} "${seen}" PARENT_SCOPE)
endfunction()

# Writes the layer manifest and adds `ptlint_layer_check`, which every
# layer library waits for: it runs cmake/check_layers.cmake over every
# header and source in the layer folders whenever one of them changes.
function(ptlint_layer_check_target)
  get_property(layers GLOBAL PROPERTY PTLINT_LAYERS)
  set(manifest "")
  set(watched "")
  foreach(name ${layers})
    get_property(dir GLOBAL PROPERTY PTLINT_LAYER_DIR_${name})
    _ptlint_layer_closure(${name} closure)
    set(allowed "")
    foreach(dep ${closure})
      get_property(dep_dir GLOBAL PROPERTY PTLINT_LAYER_DIR_${dep})
      list(APPEND allowed ${dep_dir})
    endforeach()
    string(REPLACE ";" "," allowed "${allowed}")
    string(APPEND manifest "${name} ${dir} ${allowed}\n")
    file(GLOB files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.h ${CMAKE_SOURCE_DIR}/${dir}/*.cc)
    list(APPEND watched ${files})
  endforeach()
  set(manifest_file ${CMAKE_BINARY_DIR}/ptlint_layers.txt)
  file(GENERATE OUTPUT ${manifest_file} CONTENT "${manifest}")
  set(stamp ${CMAKE_BINARY_DIR}/ptlint_layers.ok)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DMANIFEST=${manifest_file}
            -DSTAMP=${stamp} -P ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake
    DEPENDS ${watched} ${manifest_file} ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake
    COMMENT "Checking that includes follow the layers")
  add_custom_target(ptlint_layer_check DEPENDS ${stamp})
  foreach(name ${layers})
    add_dependencies(ptlint_${name} ptlint_layer_check)
  endforeach()
endfunction()
