# The test onnx_export_cli: `i2i export` (the i2i tool, which runs i2i_export) on the checkpoint folders
# that onnx_export wrote (pix2pixHD G and D, EGSC-IT b2a); check_onnx.py (onnx_runtime) then checks the
# files against our outputs. Without the i2i tool (I2I_BUILD_TOOLS=OFF) it calls i2i_export directly.
#   cmake "-DEXPORT=<i2i>;export" -DCASES=<folder> -P run_export_cli.cmake
foreach(run "checkpoint_pix2pixhd;cli_pix2pixhd_G.onnx;--size;32x32"
            "checkpoint_pix2pixhd;cli_pix2pixhd_D.onnx;--net;D;--size;32x32"
            "checkpoint_egscit;cli_egscit_b2a.onnx;--size;20x24;--direction;b2a;--no-noise")
  list(POP_FRONT run dir file)
  execute_process(COMMAND ${EXPORT} --model ${CASES}/${dir} --onnx ${CASES}/${file} ${run} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EXPORT} --model ${dir} --onnx ${file} ${run} failed (${rc})")
  endif()
endforeach()
