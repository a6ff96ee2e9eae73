# Exhaustive power cuts on the virtual board with the real bootloader and
# application (tests/sim/board_powercut.sh; docs/journal.md, "How it is
# tested"). Included from tests/sim/CMakeLists.txt. Skipped (77) when the
# firmware is not built. `ctest -L powercut`.
foreach(t boot_compaction app_confirm app_compaction rollback)
  add_test(NAME board_powercut_${t}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/board_powercut.sh $<TARGET_FILE:twinslot-board>
            $<TARGET_FILE:twinslot> $<TARGET_FILE:board_journal> ${TS_FIRMWARE_DIR} ${t})
  set_tests_properties(board_powercut_${t} PROPERTIES LABELS "sim;powercut" TIMEOUT 300
                       SKIP_RETURN_CODE 77)
endforeach()

# The minimum security counter's writes and the compactions that carry it
# (tests/sim/board_powercut_counter.sh; docs/security.md). The suite cuts at
# every erase and every 8th word program; scripts/campaigns.sh at every one.
foreach(t confirm app_compact refuse_compact)
  add_test(NAME board_powercut_counter_${t}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/board_powercut_counter.sh $<TARGET_FILE:twinslot-board>
            $<TARGET_FILE:twinslot> $<TARGET_FILE:board_journal> ${TS_FIRMWARE_DIR} ${t} 8)
  set_tests_properties(board_powercut_counter_${t} PROPERTIES LABELS "sim;powercut;campaign"
                       TIMEOUT 900 SKIP_RETURN_CODE 77)
endforeach()
