# One program's command line against the rules every program follows (docs/decisions.md, "Command
# lines"): --help exits 0 and lists the flags; an unknown flag, a non-numeric value of a numeric flag and
# an out-of-range value each exit non-zero with a message that names the flag (and, for the range, says
# it is out of range). No data is needed: the parser refuses these before the program reads anything.
#
#   cmake -DEXE=<program> "-DPREFIX=<args before the options, e.g. a subcommand>" -DFLAG=--label_nc
#         -DOUT_OF_RANGE=4294967307 -P check_options.cmake      (FLAG empty: a program without numbers)
function(expect_failure what)
  execute_process(COMMAND ${EXE} ${PREFIX} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${what}: '${EXE} ${PREFIX} ${ARGN}' exited 0; expected a refusal\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

function(expect_text what text)
  string(FIND "${out}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: the message does not say '${text}':\n${out}")
  endif()
endfunction()

execute_process(COMMAND ${EXE} ${PREFIX} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--help exited ${rc}\n${out}${err}")
endif()
expect_text("--help" "--help")
if(FLAG)
  expect_text("--help" "${FLAG}")
endif()

expect_failure("an unknown flag" --no_such_flag 1)
expect_text("an unknown flag" "--no_such_flag")

if(FLAG)
  expect_failure("a non-numeric value" ${FLAG} abc)
  expect_text("a non-numeric value" "${FLAG}")
  expect_text("a non-numeric value" "'abc' is not")
  expect_failure("an out-of-range value" ${FLAG} ${OUT_OF_RANGE})
  expect_text("an out-of-range value" "${FLAG}")
  expect_text("an out-of-range value" "out of range (accepted:")
endif()
message(STATUS "${EXE} ${PREFIX}: --help, unknown flag, ${FLAG} abc, ${FLAG} ${OUT_OF_RANGE}: as expected")
