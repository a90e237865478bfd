# ONNX export (include/i2i/onnx/, docs/onnx.md): the target i2i::onnx, i2i's headers plus the protobuf
# classes of ONNX's own schema. The C++ classes are generated at build time by protoc from the
# onnx.proto that Debian installs (python3-onnx or libonnx-dev), so no generated code is committed and
# the schema is the one the checker in the tests reads.
#
#   I2I_WITH_ONNX      ON by default when protobuf (libprotobuf-dev, protobuf-compiler) and onnx.proto
#                      are found; ON without them is a configuration error naming what is missing
#   I2I_ONNX_PROTO     the onnx.proto to compile (found in the usual Debian places)
find_package(Protobuf QUIET)
find_file(I2I_ONNX_PROTO onnx.proto
          PATHS /usr/include/onnx /usr/lib/python3/dist-packages/onnx /usr/local/include/onnx
          DOC "ONNX's schema (Debian python3-onnx or libonnx-dev) for the ONNX exporter" NO_DEFAULT_PATH)
set(_i2i_onnx_missing "")
if(NOT Protobuf_FOUND OR NOT TARGET protobuf::protoc)
  list(APPEND _i2i_onnx_missing "protobuf (Debian libprotobuf-dev and protobuf-compiler)")
endif()
if(NOT I2I_ONNX_PROTO)
  list(APPEND _i2i_onnx_missing "onnx.proto (Debian python3-onnx or libonnx-dev; or set I2I_ONNX_PROTO)")
endif()
set(_i2i_onnx_default OFF)
if(NOT _i2i_onnx_missing)
  set(_i2i_onnx_default ON)
endif()
option(I2I_WITH_ONNX "Build the ONNX exporter (i2i::onnx, i2i_export, tests/onnx)" ${_i2i_onnx_default})

if(I2I_WITH_ONNX)
  if(_i2i_onnx_missing)
    list(JOIN _i2i_onnx_missing " and " _i2i_onnx_missing_text)
    message(FATAL_ERROR "i2i: I2I_WITH_ONNX=ON but ${_i2i_onnx_missing_text} not found "
                        "(cmake/install_deps.sh installs them)")
  endif()
  # The schema's package "onnx" becomes "i2i_onnx_pb": its C++ namespace would otherwise be ::onnx,
  # which `using namespace i2i;` makes ambiguous with i2i::onnx, and which collides with libonnx's own
  # classes in a program that links both. Package names are not part of the wire format: the files
  # are the same. protoc names its output after the proto's path under -I (i2i_onnx_pb/onnx.pb.h).
  set(_i2i_onnx_gen ${PROJECT_BINARY_DIR}/onnx_proto)
  file(READ ${I2I_ONNX_PROTO} _i2i_onnx_schema)
  string(REGEX REPLACE "\npackage onnx;" "\npackage i2i_onnx_pb;" _i2i_onnx_schema "${_i2i_onnx_schema}")
  if(NOT _i2i_onnx_schema MATCHES "package i2i_onnx_pb;")
    message(FATAL_ERROR "i2i: ${I2I_ONNX_PROTO} does not declare 'package onnx;'")
  endif()
  file(CONFIGURE OUTPUT ${_i2i_onnx_gen}/i2i_onnx_pb/onnx.proto CONTENT "${_i2i_onnx_schema}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${I2I_ONNX_PROTO})
  add_custom_command(
    OUTPUT ${_i2i_onnx_gen}/i2i_onnx_pb/onnx.pb.cc ${_i2i_onnx_gen}/i2i_onnx_pb/onnx.pb.h
    COMMAND protobuf::protoc -I ${_i2i_onnx_gen} --cpp_out ${_i2i_onnx_gen} ${_i2i_onnx_gen}/i2i_onnx_pb/onnx.proto
    DEPENDS ${_i2i_onnx_gen}/i2i_onnx_pb/onnx.proto protobuf::protoc
    COMMENT "protoc: ONNX schema (${I2I_ONNX_PROTO})")
  add_library(i2i_onnx STATIC ${_i2i_onnx_gen}/i2i_onnx_pb/onnx.pb.cc)
  add_library(i2i::onnx ALIAS i2i_onnx)
  set_target_properties(i2i_onnx PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(i2i_onnx SYSTEM PUBLIC $<BUILD_INTERFACE:${_i2i_onnx_gen}>)
  target_link_libraries(i2i_onnx PUBLIC i2i protobuf::libprotobuf)
  message(STATUS "i2i: ONNX exporter ON: protobuf ${Protobuf_VERSION}, schema ${I2I_ONNX_PROTO}")
else()
  if(_i2i_onnx_missing)
    list(JOIN _i2i_onnx_missing " and " _i2i_onnx_missing_text)
    message(STATUS "i2i: ONNX exporter OFF (${_i2i_onnx_missing_text} not found; cmake/install_deps.sh)")
  else()
    message(STATUS "i2i: ONNX exporter OFF (I2I_WITH_ONNX=OFF)")
  endif()
endif()
