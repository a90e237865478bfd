# The `translator_cli` test: `i2i translate` on a folder writes one image per input, bit-identical to
# what pix2pixhd_test writes for the same checkpoint, and its errors name the file.
# cmake -DFIXTURE=<translator_fixture> -DI2I=<i2i> -DP2PHD_TEST=<pix2pixhd_test> -DWORK=<dir> -P run_cli.cmake
cmake_minimum_required(VERSION 3.25)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "translator_cli: ${what} failed (${rc}):\n${out}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# Runs a command that must fail with a message matching every regex after MATCHES.
function(must_fail what)
  cmake_parse_arguments(F "" "" "COMMAND;MATCHES" ${ARGN})
  execute_process(COMMAND ${F_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "translator_cli: ${what} should fail but succeeded:\n${out}")
  endif()
  foreach(re IN LISTS F_MATCHES)
    if(NOT out MATCHES "${re}")
      message(FATAL_ERROR "translator_cli: ${what}: the error should match '${re}'; got:\n${out}")
    endif()
  endforeach()
  message(STATUS "${what}: ${out}")
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
run("making the checkpoint and maps" ${FIXTURE} ${WORK})

# The reference program and the tool on the same checkpoint and folder.
run("pix2pixhd_test" ${P2PHD_TEST} --name cpu_global --checkpoints_dir ${WORK} --dataroot ${WORK}/data
    --results_dir ${WORK}/results)
run("i2i translate on a folder" ${I2I} translate --model ${WORK}/cpu_global --input ${WORK}/data/test_label
    --output ${WORK}/out)
message(STATUS "${run_output}")
file(GLOB outputs ${WORK}/out/*.png)
list(LENGTH outputs n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "translator_cli: expected 3 outputs (one per input) in ${WORK}/out, found ${n}: ${outputs}")
endif()
foreach(stem a b c)
  # Both programs write the PNG with io::write_png: equal files mean bit-identical pixels.
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/out/${stem}.png
                          ${WORK}/results/cpu_global/test_latest/images/${stem}_synthesized_image.png
                  RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "translator_cli: ${stem}.png differs from pix2pixhd_test's ${stem}_synthesized_image.png")
  endif()
endforeach()
message(STATUS "i2i translate == pix2pixhd_test on a, b, c (bit-identical PNGs)")

# One file, its instance map found by the folder convention (test_label -> test_inst).
run("i2i translate on one file" ${I2I} translate --model ${WORK}/cpu_global/latest_net_G.safetensors
    --input ${WORK}/data/test_label/b.png --output ${WORK}/one)
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/one/b.png ${WORK}/out/b.png RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "translator_cli: translating b.png alone differs from translating its folder")
endif()

must_fail("a label out of range" COMMAND ${I2I} translate --model ${WORK}/cpu_global --input ${WORK}/bad_range/test_label
          --output ${WORK}/bad MATCHES "bad_range/test_label/x.png" "label 11" "cpu_global")
must_fail("a wrong image size" COMMAND ${I2I} translate --model ${WORK}/cpu_global --input ${WORK}/bad_size/test_label
          --output ${WORK}/bad MATCHES "bad_size/test_label/y.png" "60x36" "multiples of 8")
must_fail("a missing checkpoint" COMMAND ${I2I} translate --model ${WORK}/nothing --input ${WORK}/data/test_label
          --output ${WORK}/bad MATCHES "${WORK}/nothing")
must_fail("a bad device" COMMAND ${I2I} translate --model ${WORK}/cpu_global --input ${WORK}/data/test_label
          --output ${WORK}/bad --device tpu MATCHES "device 'tpu'")
must_fail("an unknown option" COMMAND ${I2I} translate --model ${WORK}/cpu_global --input ${WORK}/data/test_label
          --output ${WORK}/bad --colour MATCHES "--colour")
file(REMOVE_RECURSE ${WORK})
