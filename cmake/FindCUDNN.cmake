# FindCUDNN — NVIDIA cuDNN (headers cudnn.h / cudnn_version.h, library libcudnn.so).
#
# Searches CUDNN_ROOT (variable or environment), $CUDNN_PATH, CUDAToolkit_ROOT, $CUDA_PATH and
# /usr/local/cuda, then the system paths (Debian/Ubuntu packages put cuDNN under .../x86_64-linux-gnu).
#
# Result variables: CUDNN_FOUND, CUDNN_INCLUDE_DIR, CUDNN_LIBRARY, CUDNN_VERSION (major.minor.patch),
# CUDNN_VERSION_MAJOR, CUDNN_VERSION_MINOR, CUDNN_VERSION_PATCH.
# Imported target: CUDNN::cudnn. cuDNN 9's libcudnn.so is a small front that loads its sub-libraries
# (libcudnn_ops, libcudnn_cnn, ...) at run time, so linking it alone is enough.

set(_cudnn_hints ${CUDNN_ROOT} $ENV{CUDNN_ROOT} $ENV{CUDNN_PATH} ${CUDAToolkit_ROOT} $ENV{CUDA_PATH})
if(CUDAToolkit_LIBRARY_ROOT)
  list(APPEND _cudnn_hints ${CUDAToolkit_LIBRARY_ROOT})
endif()

find_path(CUDNN_INCLUDE_DIR NAMES cudnn.h
          HINTS ${_cudnn_hints} PATHS /usr/local/cuda
          PATH_SUFFIXES include include/x86_64-linux-gnu include/aarch64-linux-gnu
          DOC "Folder holding cudnn.h")
find_library(CUDNN_LIBRARY NAMES cudnn
             HINTS ${_cudnn_hints} PATHS /usr/local/cuda
             PATH_SUFFIXES lib64 lib lib/x64 lib/x86_64-linux-gnu lib/aarch64-linux-gnu targets/x86_64-linux/lib
             DOC "libcudnn.so")

set(CUDNN_VERSION "")
set(CUDNN_HEADER "")
if(CUDNN_INCLUDE_DIR AND EXISTS ${CUDNN_INCLUDE_DIR}/cudnn.h)
  set(CUDNN_HEADER ${CUDNN_INCLUDE_DIR}/cudnn.h)
  # cuDNN >= 8 keeps the version in cudnn_version.h; older releases in cudnn.h.
  set(_cudnn_version_header ${CUDNN_INCLUDE_DIR}/cudnn_version.h)
  if(NOT EXISTS ${_cudnn_version_header})
    set(_cudnn_version_header ${CUDNN_INCLUDE_DIR}/cudnn.h)
  endif()
  file(STRINGS ${_cudnn_version_header} _cudnn_version_lines REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
  foreach(_part MAJOR MINOR PATCHLEVEL)
    string(REGEX MATCH "CUDNN_${_part} +([0-9]+)" _m "${_cudnn_version_lines}")
    set(_cudnn_${_part} ${CMAKE_MATCH_1})
  endforeach()
  if(NOT _cudnn_MAJOR STREQUAL "")
    set(CUDNN_VERSION_MAJOR ${_cudnn_MAJOR})
    set(CUDNN_VERSION_MINOR ${_cudnn_MINOR})
    set(CUDNN_VERSION_PATCH ${_cudnn_PATCHLEVEL})
    set(CUDNN_VERSION ${_cudnn_MAJOR}.${_cudnn_MINOR}.${_cudnn_PATCHLEVEL})
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CUDNN REQUIRED_VARS CUDNN_LIBRARY CUDNN_INCLUDE_DIR CUDNN_HEADER VERSION_VAR CUDNN_VERSION)

if(CUDNN_FOUND AND NOT TARGET CUDNN::cudnn)
  add_library(CUDNN::cudnn UNKNOWN IMPORTED)
  set_target_properties(CUDNN::cudnn PROPERTIES IMPORTED_LOCATION "${CUDNN_LIBRARY}"
                                                INTERFACE_INCLUDE_DIRECTORIES "${CUDNN_INCLUDE_DIR}")
endif()
mark_as_advanced(CUDNN_INCLUDE_DIR CUDNN_LIBRARY)
