# Record -> replay on the same platform reproduces the run: the replay issues the identical DMA
# stream (its own recording, output addresses included, is byte-identical to the original's),
# every DMA reaches the physical address recorded for it (the replay checks out=), and the IOMMU
# and device see the same translations (their stats compare exactly).
#   cmake -DSIM=iommu-sim -DCONFIG=x.yaml -DDEVICE=dma0 -DEXT=trace|itb -DOUT=dir -P ...
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${SIM} run ${CONFIG} --out ${OUT}/run --record-trace ${OUT}/run.${EXT}
                        --record-out
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "recording run failed")
endif()
execute_process(COMMAND ${SIM} replay ${OUT}/run.${EXT} --config ${CONFIG} --out ${OUT}/replay
                        --record-trace ${OUT}/replay.${EXT} --record-out
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "replay failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/run.${EXT} ${OUT}/replay.${EXT}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the replay issued a different DMA stream than the recorded run")
endif()
execute_process(COMMAND ${SIM} compare ${OUT}/run/stats.json ${OUT}/replay/stats.json
                        --only system.iommu0.* --only system.${DEVICE}.reads
                        --only system.${DEVICE}.writes --only system.${DEVICE}.bytes
                        --only system.${DEVICE}.errors --only system.${DEVICE}.latency.*
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the replay's translations differ from the recorded run's")
endif()
