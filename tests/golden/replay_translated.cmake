# Replay on a translating platform reproduces the recorded translations: a run of CONFIG (a
# DMA-API device whose driver maps its buffer BASE..BASE+SIZE 1:1 once) is recorded with each
# DMA's physical address (--record-out); the trace, with that mapping as a map event in front,
# is replayed through the same platform, whose host driver then programs the tables itself,
# and every DMA must reach the recorded address (out= is checked). A copy with one out= changed
# must fail, naming its line.
#   cmake -DSIM=iommu-sim -DCONFIG=x.yaml -DRID=01:00.0 -DBASE=0x.. -DSIZE=0x.. -DOUT=dir -P ...
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${SIM} run ${CONFIG} --out ${OUT}/run --record-trace ${OUT}/run.trace
                        --record-out
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "recording run failed")
endif()
file(STRINGS ${OUT}/run.trace lines)
list(LENGTH lines n)
if(n LESS 12)
  message(FATAL_ERROR "the recording holds too few DMAs (${n} lines)")
endif()
list(GET lines 0 header)
list(SUBLIST lines 1 -1 dmas)
list(GET dmas 0 first)
if(NOT first MATCHES " out=0x")
  message(FATAL_ERROR "--record-out did not record the output address: ${first}")
endif()
set(map "0 map ${RID} - ${BASE} ${SIZE} rw out=${BASE}")
list(JOIN dmas "\n" body)
file(WRITE ${OUT}/replay.trace "${header}\n${map}\n${body}\n")

execute_process(COMMAND ${SIM} replay ${OUT}/replay.trace --config ${CONFIG} --out ${OUT}/replay
                        --summary "system.*.out_*" --summary "system.*.software.maps"
                RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the replay failed:\n${log}${err}")
endif()
if(NOT log MATCHES "out_checked +[1-9][0-9]* " OR NOT log MATCHES "out_mismatches +0 "
   OR NOT log MATCHES "software.maps +1 ")
  message(FATAL_ERROR "the replay did not map and check every DMA:\n${log}")
endif()

# Line 13 of the trace (the 11th DMA) gets another output address.
list(GET dmas 10 victim)
string(REGEX REPLACE " out=0x" " out=0x1" tampered "${victim}")
list(REMOVE_AT dmas 10)
list(INSERT dmas 10 "${tampered}")
list(JOIN dmas "\n" body)
file(WRITE ${OUT}/tampered.trace "${header}\n${map}\n${body}\n")
execute_process(COMMAND ${SIM} replay ${OUT}/tampered.trace --config ${CONFIG}
                        --out ${OUT}/tampered
                RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "a replay with a wrong out= passed:\n${log}")
endif()
if(NOT err MATCHES "error: [^\n]*tampered.trace:13: dma ${RID} 0x[0-9a-f]+: expected out=0x1")
  message(FATAL_ERROR "the failure does not name the tampered line:\n${err}")
endif()
