# The board core's tests (included from tests/sim/CMakeLists.txt): tiny ARM
# programs built with arm-none-eabi-gcc, run on twinslot-board, asserted on
# the flash file, the event log and the serial console. tests/CMakeLists.txt
# makes arm-none-eabi-gcc a configure-time requirement, so these are always
# registered.
set(ARM_GCC ${TS_ARM_GCC})
set(ARM_OBJCOPY ${TS_ARM_OBJCOPY})

set(BOARD_FW_SRC ${CMAKE_CURRENT_SOURCE_DIR}/board_fw)
set(BOARD_FW_OUT ${CMAKE_CURRENT_BINARY_DIR}/board_fw)
set(board_fw_bins)
foreach(prog hello flash resets stall)
  add_custom_command(
    OUTPUT ${BOARD_FW_OUT}/${prog}.bin
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BOARD_FW_OUT}
    COMMAND ${ARM_GCC} -mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostdlib
            -Wall -Wextra -Werror -T ${BOARD_FW_SRC}/fw.ld
            ${BOARD_FW_SRC}/${prog}.c -o ${BOARD_FW_OUT}/${prog}.elf
    COMMAND ${ARM_OBJCOPY} -O binary ${BOARD_FW_OUT}/${prog}.elf ${BOARD_FW_OUT}/${prog}.bin
    DEPENDS ${BOARD_FW_SRC}/${prog}.c ${BOARD_FW_SRC}/fw.h ${BOARD_FW_SRC}/fw.ld
    VERBATIM)
  list(APPEND board_fw_bins ${BOARD_FW_OUT}/${prog}.bin)
endforeach()
add_custom_target(board_fw ALL DEPENDS ${board_fw_bins})

foreach(t uart_leds_crc_systick flash_if_program_erase_errors
          iwdg_aircr_lockup_resets control_channel rom_reflash_runs_new_code
          flash_stall_loses_bytes_ram_keeps_them)
  add_test(NAME board_${t}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/board_fw.sh $<TARGET_FILE:twinslot-board>
            ${BOARD_FW_OUT} ${t})
  set_tests_properties(board_${t} PROPERTIES LABELS sim TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()

# End to end with the real firmware (${TS_FIRMWARE_DIR}) and flash images
# composed by the twinslot tool. Skipped (77) when the firmware is not built.
add_executable(board_journal board_journal.c)
target_link_libraries(board_journal PRIVATE twinslot_formats)
foreach(t boot_confirmed trial_confirms hang_rolls_back fault_rolls_back
          selftest_fail_requests_rollback corrupted_confirmed
          cut_during_program cut_during_erase)
  add_test(NAME board_e2e_${t}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/board_e2e.sh $<TARGET_FILE:twinslot-board>
            $<TARGET_FILE:twinslot> $<TARGET_FILE:board_journal> ${TS_FIRMWARE_DIR} ${t})
  set_tests_properties(board_e2e_${t} PROPERTIES LABELS sim TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
