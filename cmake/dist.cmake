# I2I_WITH_MPI (AUTO/ON/OFF, like I2I_WITH_CUDA): i2i::mpi when MPI's C bindings are found by CMake's
# FindMPI. I2I_MPIEXEC and I2I_MPIEXEC_FLAGS are what the tests launch with: as root, Open MPI refuses
# to run without --allow-run-as-root, and CI's 2 cores need --oversubscribe for 2 ranks.
i2i_three_way("${I2I_WITH_MPI}" _i2i_mpi_mode)
set(I2I_MPI_ENABLED OFF)
if(_i2i_mpi_mode STREQUAL "OFF")
  message(STATUS "i2i: MPI OFF (I2I_WITH_MPI=OFF): dist::world() is always one process")
else()
  # The C API through the C++ compiler (the project enables no C language); no deprecated C++ bindings.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(I2I_MPI_ENABLED ON)
    message(STATUS "i2i: MPI ON: MPI ${MPI_CXX_VERSION} (I2I_WITH_MPI=${_i2i_mpi_mode}), mpiexec ${MPIEXEC_EXECUTABLE}")
  elseif(_i2i_mpi_mode STREQUAL "ON")
    message(FATAL_ERROR "i2i: I2I_WITH_MPI=ON but MPI was not found (Debian: apt-get install libopenmpi-dev openmpi-bin), "
                        "or configure with -DI2I_WITH_MPI=OFF.")
  else()
    message(STATUS "i2i: MPI OFF: not found (I2I_WITH_MPI=AUTO; Debian: libopenmpi-dev openmpi-bin)")
  endif()
endif()

if(I2I_MPI_ENABLED)
  add_library(i2i_mpi INTERFACE)
  add_library(i2i::mpi ALIAS i2i_mpi)
  set_target_properties(i2i_mpi PROPERTIES EXPORT_NAME mpi)
  target_link_libraries(i2i_mpi INTERFACE i2i MPI::MPI_CXX)
  target_compile_definitions(i2i_mpi INTERFACE I2I_WITH_MPI=1)
  set(_i2i_root_flag "")
  execute_process(COMMAND id -u OUTPUT_VARIABLE _i2i_uid OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_i2i_uid STREQUAL "0")
    set(_i2i_root_flag --allow-run-as-root)
  endif()
  set(I2I_MPIEXEC_FLAGS ${_i2i_root_flag} --oversubscribe CACHE STRING
      "Flags the tests pass to mpiexec before -np (Open MPI as root needs --allow-run-as-root)")
endif()

set(I2I_NCCL_ENABLED OFF)
if(I2I_CUDA_ENABLED)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${NCCL_ROOT} ENV NCCL_ROOT ${CUDAToolkit_INCLUDE_DIRS}
            PATH_SUFFIXES include)
  find_library(NCCL_LIBRARY nccl HINTS ${NCCL_ROOT} ENV NCCL_ROOT ${CUDAToolkit_LIBRARY_DIR}
               PATH_SUFFIXES lib lib64)
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    file(STRINGS ${NCCL_INCLUDE_DIR}/nccl.h _i2i_nccl_v REGEX "^#define NCCL_(MAJOR|MINOR|PATCH) ")
    string(REGEX REPLACE ".*NCCL_MAJOR ([0-9]+).*NCCL_MINOR ([0-9]+).*NCCL_PATCH ([0-9]+).*" "\\1.\\2.\\3"
           NCCL_VERSION "${_i2i_nccl_v}")
    set(I2I_NCCL_ENABLED ON)
    add_library(i2i_nccl INTERFACE)
    add_library(i2i::nccl ALIAS i2i_nccl)
    set_target_properties(i2i_nccl PROPERTIES EXPORT_NAME nccl)
    target_include_directories(i2i_nccl INTERFACE ${NCCL_INCLUDE_DIR})
    target_link_libraries(i2i_nccl INTERFACE i2i_cuda ${NCCL_LIBRARY})
    target_compile_definitions(i2i_nccl INTERFACE I2I_WITH_NCCL=1)
    if(I2I_MPI_ENABLED)
      target_link_libraries(i2i_nccl INTERFACE i2i_mpi)
    endif()
    message(STATUS "i2i: NCCL ON: ${NCCL_VERSION} (${NCCL_LIBRARY})")
  else()
    message(STATUS "i2i: NCCL OFF: nccl.h / libnccl not found (set NCCL_ROOT); GPU training is single-process")
  endif()
endif()

# A training program that runs under mpirun: MPI for the ranks when built with it and, for a program
# with GPU translation units (WITH_GPU), NCCL for the device gradients.
function(i2i_link_data_parallel target with_gpu)
  if(TARGET i2i::mpi)
    target_link_libraries(${target} PRIVATE i2i::mpi)
  endif()
  if(with_gpu AND TARGET i2i::nccl)
    target_link_libraries(${target} PRIVATE i2i::nccl)
  endif()
endfunction()
