# Determinism: the same config and seed give byte-identical stats files across runs, and a
# sweep gives byte-identical results and point stats whatever its -j.
#   cmake -DSIM=iommu-sim -DCONFIG=x.yaml -DSWEEP=s.yaml -DOUT=dir -P determinism.cmake
file(REMOVE_RECURSE ${OUT})
foreach(i 1 2)
  execute_process(COMMAND ${SIM} run ${CONFIG} --out ${OUT}/run${i} RESULT_VARIABLE rc
                  OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run ${i} failed")
  endif()
endforeach()
foreach(f stats.json stats.csv)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/run1/${f} ${OUT}/run2/${f}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${f} differs between two runs of ${CONFIG}")
  endif()
endforeach()
foreach(j 1 2)
  execute_process(COMMAND ${SIM} sweep ${SWEEP} -j ${j} --out ${OUT}/sweep-j${j}
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sweep -j ${j} failed")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/sweep-j1/results.csv
                        ${OUT}/sweep-j2/results.csv RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "results.csv differs between sweep -j 1 and -j 2")
endif()
file(GLOB points RELATIVE ${OUT}/sweep-j1/points ${OUT}/sweep-j1/points/*)
list(LENGTH points n)
if(n LESS 2)
  message(FATAL_ERROR "the sweep produced ${n} points")
endif()
foreach(p ${points})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/sweep-j1/points/${p}/stats.json
                          ${OUT}/sweep-j2/points/${p}/stats.json RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "points/${p}/stats.json differs between sweep -j 1 and -j 2")
  endif()
endforeach()
