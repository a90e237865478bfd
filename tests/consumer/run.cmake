# The `consumer` test: install the build tree into a scratch prefix, then configure, build and run
# tests/consumer against it. Run with cmake -P; the top-level CMakeLists.txt passes:
#   I2I_BUILD_DIR I2I_CONSUMER_SOURCE I2I_CONSUMER_WORK I2I_GENERATOR CMAKE_CXX_COMPILER CMAKE_BUILD_TYPE
#   I2I_CONSUMER_CUDA (ON/OFF) [CMAKE_CUDA_COMPILER CMAKE_CUDA_ARCHITECTURES] I2I_CONSUMER_MPI (ON/OFF)
# With CUDA OFF it also checks that asking for the cuda component fails, and says why.
cmake_minimum_required(VERSION 3.25)

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${rc}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${I2I_CONSUMER_WORK}/prefix)
set(build ${I2I_CONSUMER_WORK}/build)
file(REMOVE_RECURSE ${I2I_CONSUMER_WORK})
file(MAKE_DIRECTORY ${I2I_CONSUMER_WORK})

step("installing the build tree" ${CMAKE_COMMAND} --install ${I2I_BUILD_DIR} --prefix ${prefix} --component i2i)
if(NOT EXISTS ${prefix}/lib/cmake/i2i/i2iConfig.cmake AND NOT EXISTS ${prefix}/lib64/cmake/i2i/i2iConfig.cmake)
  file(GLOB_RECURSE found ${prefix}/*Config.cmake)
  message(FATAL_ERROR "consumer: no i2iConfig.cmake under ${prefix}/lib*/cmake/i2i (found: ${found})")
endif()

set(configure_args -S ${I2I_CONSUMER_SOURCE} -G ${I2I_GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
if(I2I_CONSUMER_CUDA)
  list(APPEND configure_args -DCONSUMER_CUDA=ON -DCMAKE_CUDA_COMPILER=${CMAKE_CUDA_COMPILER}
       "-DCMAKE_CUDA_ARCHITECTURES=${CMAKE_CUDA_ARCHITECTURES}")
endif()
if(I2I_CONSUMER_MPI)
  list(APPEND configure_args -DCONSUMER_MPI=ON)
endif()
step("configuring tests/consumer against ${prefix}" ${CMAKE_COMMAND} ${configure_args} -B ${build})
step("building tests/consumer" ${CMAKE_COMMAND} --build ${build})
step("running consumer" ${build}/consumer ${I2I_CONSUMER_WORK})
message(STATUS "${step_output}")
# The README's embedder program on a checkpoint the test makes itself.
step("making a tiny checkpoint" ${build}/make_checkpoint ${I2I_CONSUMER_WORK}/embed)
step("running the embedder program" ${build}/embed ${I2I_CONSUMER_WORK}/embed/G ${I2I_CONSUMER_WORK}/embed/label.png
     ${I2I_CONSUMER_WORK}/embed/inst.png ${I2I_CONSUMER_WORK}/embed/out.png cpu)
if(NOT EXISTS ${I2I_CONSUMER_WORK}/embed/out.png)
  message(FATAL_ERROR "consumer: the embedder program wrote no ${I2I_CONSUMER_WORK}/embed/out.png")
endif()
message(STATUS "embedder program translated label.png on the CPU")
if(I2I_CONSUMER_MPI)
  # Started without mpirun: dist::world() is the single-process communicator, MPI is never initialised.
  step("running consumer_mpi" ${build}/consumer_mpi)
  message(STATUS "${step_output}")
endif()
if(I2I_CONSUMER_CUDA)
  step("running consumer_cuda" ${build}/consumer_cuda)
  message(STATUS "${step_output}")
else()
  # A package installed without CUDA must refuse COMPONENTS cuda with a reason, not a cryptic error.
  execute_process(COMMAND ${CMAKE_COMMAND} ${configure_args} -B ${I2I_CONSUMER_WORK}/build-cuda -DCONSUMER_CUDA=ON
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0 OR NOT out MATCHES "built[ \t\r\n]+without[ \t\r\n]+CUDA")
    message(FATAL_ERROR "consumer: find_package(i2i COMPONENTS cuda) on a package without CUDA should fail "
                        "saying it was built without CUDA; got (${rc}):\n${out}")
  endif()
  message(STATUS "find_package(i2i COMPONENTS cuda) fails as it should on a CPU-only package")
endif()
message(STATUS "consumer: installed package works from ${prefix}")
