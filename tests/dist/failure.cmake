# Runs failure_probe under mpiexec -np 2 in one failure mode and checks that the job ends with a
# non-zero status, within LIMIT seconds, with a message naming rank 1 (docs/distributed.md, "Failures").
#   cmake -DMPIEXEC=... -DFLAGS=... -DPROBE=... -DMODE=exit|kill|throw|stall -DLIMIT=60 [-DEXPECT=regex] -P failure.cmake
# EXPECT defaults to "rank 1"; a stalled rank cannot be named by the ranks waiting for it, so the stall
# case expects the watchdog's message instead.
string(TIMESTAMP t0 "%s")
separate_arguments(flags NATIVE_COMMAND "${FLAGS}")
execute_process(COMMAND ${MPIEXEC} ${flags} -np 2 ${PROBE} ${MODE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${LIMIT})
string(TIMESTAMP t1 "%s")
math(EXPR took "${t1} - ${t0}")
set(all "${out}\n${err}")
message("---- output of mpiexec (${MODE}, ${took} s, status ${rc}) ----\n${all}\n----")
if(rc MATCHES "timeout" OR took GREATER_EQUAL ${LIMIT})
  message(FATAL_ERROR "dist_failure_${MODE}: the job did not end within ${LIMIT} s (a hang)")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "dist_failure_${MODE}: the job ended with status 0 although rank 1 failed")
endif()
if(NOT EXPECT)
  set(EXPECT "rank 1")
endif()
if(NOT all MATCHES "${EXPECT}")
  message(FATAL_ERROR "dist_failure_${MODE}: no message matches '${EXPECT}'")
endif()
message("dist_failure_${MODE}: ended in ${took} s with status ${rc}; the message matches '${EXPECT}'")
