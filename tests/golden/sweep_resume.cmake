# A failed point is recorded without stopping the rest; a rerun skips finished points.
#   cmake -DSIM=iommu-sim -DSWEEP=failing_sweep.yaml -DOUT=dir -P sweep_resume.cmake
file(REMOVE_RECURSE ${OUT})
execute_process(COMMAND ${SIM} sweep ${SWEEP} -j 2 --out ${OUT} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "a sweep with a failed point exited 0")
endif()
file(READ ${OUT}/results.csv csv)
if(NOT csv MATCHES "p0000,0,1,4,ok,[^\n]*[0-9]" OR NOT csv MATCHES "p0001,0,1,0,failed")
  message(FATAL_ERROR "results.csv does not record one ok and one failed point:\n${csv}")
endif()
file(READ ${OUT}/points/p0001/log.txt log)
if(NOT log MATCHES "outstanding")
  message(FATAL_ERROR "the failed point's log does not say why:\n${log}")
endif()
execute_process(COMMAND ${SIM} sweep ${SWEEP} -j 2 --out ${OUT} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out)
if(NOT out MATCHES "2 points, 1 already done, running 1")
  message(FATAL_ERROR "the rerun did not resume:\n${out}")
endif()
