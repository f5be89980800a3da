# Runs one golden reference config and compares its stats exactly with the stored file.
#   cmake -DSIM=iommu-sim -DCONFIG=x.yaml -DGOLDEN=x.json -DOUT=dir -P check_golden.cmake
execute_process(COMMAND ${SIM} run ${CONFIG} --out ${OUT} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "iommu-sim run ${CONFIG} failed (${rc})")
endif()
execute_process(COMMAND ${SIM} compare ${GOLDEN} ${OUT}/stats.json RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "stats differ from ${GOLDEN}; if the change is intended, refresh with "
                      "tests/golden/refresh.sh and commit the new files")
endif()
