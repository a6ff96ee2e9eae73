#!/usr/bin/env bash
# Board-core tests: run a tiny ARM program on twinslot-board and assert on
# what the outside sees (serial console, event log, flash file, control
# replies). Usage: board_fw.sh BOARD FW_DIR SCENARIO
set -euo pipefail
BOARD=$1 FW=$2 SCEN=$3
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; echo "--- console" >&2; cat "$T/con" >&2 || true;
	 echo "--- events" >&2; cat "$T/ev" >&2 || true; exit 1; }
# erased 1 MB flash with the program at 0x08000000; sector 5 pre-filled with zeros
make_flash() {
	head -c 1048576 /dev/zero | tr '\0' '\377' >"$T/flash"
	head -c 131072 /dev/zero | dd of="$T/flash" bs=4096 seek=32 conv=notrunc status=none
	dd if="$FW/$1.bin" of="$T/flash" conv=notrunc status=none
}
expect_line() { grep -qxF "$1" <(tr -d '\r' <"$T/con") || fail "console lacks line '$1'"; }
expect_event() { grep -q "$1" "$T/ev" || fail "event log lacks $1"; }
wait_for() { # wait_for FILE TEXT: up to 20 s
	for _ in $(seq 200); do grep -qF "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	fail "timed out waiting for '$2' in $1"
}
ctl() { "$BOARD" --ctl "$T/sock" "$@"; }
event_ns() { grep "\"type\":\"$1\"" "$T/ev" | sed -n "${2:-1}p" | sed 's/.*"t_ns":\([0-9]*\).*/\1/'; }
flash_hex() { od -A n -t x1 -v -j "$1" -N "$2" "$T/flash" | tr -d ' \n'; }

case "$SCEN" in
uart_leds_crc_systick)
	make_flash hello
	"$BOARD" --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--max-wall 30 >"$T/out" &
	PID=$!
	wait_for "$T/con" "10ms"
	pty=$(head -1 "$T/out")
	[ -c "$pty" ] || fail "board did not print its pty ($pty)"
	ctl "button 1" >/dev/null
	printf 'abc.' >"$pty"
	wait_for "$T/con" "done"
	[ "$(ctl leds)" = "ok PD12=1 PD13=0 PD14=0 PD15=0" ] || fail "leds: $(ctl leds)"
	ctl quit >/dev/null
	wait "$PID"; PID=
	expect_line "hello board"
	expect_line "cpuid 410fc241"     # Cortex-M4 r0p1
	expect_line "crc df8a8a2b"       # STM32 CRC unit of 0x12345678
	expect_line "10ms"
	expect_line "abc"                # echoed through USART1 RX
	expect_line "button 1"
	expect_event '"type":"led","pin":"PD12","on":true'
	expect_event '"type":"led","pin":"PD14","on":false'
	expect_event '"type":"uart_enable","usart":"USART1","baud":115942'
	# the 10 x 1 ms SysTick wait: >= 10 ms of board time between LED and line
	;;
flash_if_program_erase_errors)
	make_flash flash
	rc=0
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --max-time 3 \
		--exit-on-lockup || rc=$?
	[ "$rc" = 3 ] || fail "exit status $rc, expected 3 (lock-up)"
	expect_line "cr 80000000"          # LOCK after reset
	expect_line "unlocked 00000000"
	expect_line "erase 00000001"       # EOP (EOPIE set), no error
	expect_line "program32 00000001"
	expect_line "pgperr 00000040"      # byte store with PSIZE x32
	expect_line "pgperr16 00000040"    # halfword store with PSIZE x8
	expect_line "pgaerr 00000060"      # misaligned word store
	expect_line "pgserr 00000080"      # store with PG clear
	expect_line "program8 00000000"    # EOPIE clear: no EOP
	expect_line "overwrite 00000000"
	expect_line "readback 11220000ffffffff"
	expect_line "locked 80000000"      # CR writes ignored while locked
	expect_line "store-locked 00000080"
	grep -q "not reached" "$T/con" && fail "the core ran on after a wrong key"
	[ "$(flash_hex $((0x20000)) 20)" = "00002211a5a5a5a5ffffffffffffffff5affffff" ] ||
		fail "sector 5 start: $(flash_hex $((0x20000)) 20)"
	nonff=$(dd if="$T/flash" bs=4096 skip=32 count=32 status=none | tr -d '\377' | wc -c)
	[ "$nonff" = 9 ] || fail "sector 5 has $nonff non-erased bytes, expected 9"
	expect_event '"type":"flash_erase","sector":5,"psize":32'
	expect_event '"type":"flash_overwrite","addr":134348800'
	expect_event '"type":"lockup".*wrong KEYR key 0x12345678'
	# code runs from flash: the erase stalls the core for its duration
	e=$(event_ns flash_erase) p=$(event_ns flash_program)
	[ $((p - e)) -ge 1000000000 ] || fail "program came $((p - e)) ns after the erase"
	;;
flash_stall_loses_bytes_ram_keeps_them)
	# real time, so the host's bytes arrive during the 1 s erases at 115200
	make_flash stall
	"$BOARD" --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--realtime --max-wall 30 >"$T/out" &
	PID=$!
	wait_for "$T/con" "ready A"
	pty=$(head -1 "$T/out")
	bytes=$(printf '%064d' 0)
	printf 'A%s' "$bytes" >"$pty"
	wait_for "$T/con" "ready B"
	printf 'B%s' "$bytes" >"$pty"
	wait_for "$T/con" "ready C"
	printf 'C%s' "$bytes" >"$pty"
	wait_for "$T/con" "end"
	state=$(ctl state)
	ctl quit >/dev/null
	wait "$PID"; PID=
	# code in flash stalls for the whole erase: one byte in DR, the rest overrun
	expect_line "flash n=00000001 ore=00000001"
	# code in RAM keeps polling the USART while BSY: all 64 bytes
	expect_line "ram n=00000040 ore=00000000"
	# code in RAM that reads a flash word during the erase: data reads are
	# not stalled (the read trap is off, docs/virtual-board.md), so it
	# keeps its bytes too, and the word reads what flash holds
	expect_line "ramread n=00000040 ore=00000000"
	[ "$(grep -c '"type":"flash_stall"' "$T/ev")" = 1 ] || fail "expected 1 flash_stall event"
	expect_event '"type":"flash_stall","pc":134[0-9]*,"by":"fetch","ns":\(1000000000\|9[0-9]\{8\}\)'
	expect_event '"type":"uart_overrun"'
	echo "$state" | grep " stalls=1 stall_ns=1[0-9]\{9\}$" >/dev/null || fail "state: $state"
	expect_event '"type":"exit".*"stalls":1,'
	;;
iwdg_aircr_lockup_resets)
	make_flash resets
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --max-time 0.2
	expect_line "power-on csr 0e000000"        # PORRSTF PINRSTF BORRSTF
	expect_line "after-iwdg csr 24000000"      # IWDGRSTF PINRSTF
	expect_line "after-sysreset csr 14000000"  # SFTRSTF PINRSTF
	expect_line "fed 20ms"
	expect_line "after-lockup csr 24000000"
	causes=$(grep '"type":"reset"' "$T/ev" | sed 's/.*"cause":"\([a-z]*\)".*/\1/' | tr '\n' ' ')
	[ "$causes" = "power iwdg software iwdg " ] || fail "reset causes: $causes"
	expect_event '"type":"lockup".*read at unmapped 0x60000000'
	s=$(event_ns iwdg_start) t=$(event_ns iwdg_timeout)
	[ $((t - s)) = 10000000 ] || fail "IWDG fired $((t - s)) ns after start, expected 10 ms"
	;;
control_channel)
	make_flash hello
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--max-wall 30 &
	PID=$!
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.1; done
	ctl state | grep "^ok mode=cpu .*power=on" >/dev/null || fail "state: $(ctl state)"
	ctl "boot0 1" "nrst pulse" | tail -1 | grep "mode=rom" >/dev/null || fail "nrst with BOOT0 high"
	ctl state | grep "^ok mode=rom .*boot0=1" >/dev/null || fail "state: $(ctl state)"
	[ "$(ctl leds)" = "ok PD12=0 PD13=0 PD14=0 PD15=0" ] || fail "leds in ROM mode"
	ctl "nrst 0" | grep "nrst=0 mode=off" >/dev/null || fail "nrst 0 holds the chip in reset"
	ctl "nrst 1" | grep "nrst=1 mode=rom" >/dev/null || fail "nrst released"
	ctl "power off" | grep "ok power=off mode=off" >/dev/null || fail "power off"
	ctl "power on" | grep "mode=rom" >/dev/null || fail "power on with BOOT0 high"
	ctl "boot0 0" "power cycle" | tail -1 | grep "mode=cpu" >/dev/null || fail "power cycle"
	ctl "cut after 2" "cut random 5" "cut off" "uart drop 0.5" "uart corrupt 0" >/dev/null ||
		fail "fault commands"
	ctl "bogus" && fail "unknown command accepted"
	ctl "uart drop 2" && fail "rate 2 accepted"
	ctl quit | grep -x "ok bye" >/dev/null || fail "quit"
	wait "$PID"; PID=
	causes=$(grep '"type":"reset"' "$T/ev" | sed 's/.*"cause":"\([a-z]*\)".*/\1/' | tr '\n' ' ')
	# nrst 0 holds the chip in reset; power on/cycle reset it from power
	[ "$causes" = "power nrst nrst power power " ] || fail "reset causes: $causes"
	expect_event '"type":"boot","addr":536805376,"mode":"rom"'
	;;
rom_reflash_runs_new_code)
	# run one program, rewrite sector 0 through the ROM bootloader with
	# another and Go: the new code must run, not stale translations
	STM32FLASH=$(command -v stm32flash) || { echo "SKIP: no stm32flash"; exit 77; }
	make_flash hello
	"$BOARD" --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--max-wall 60 >"$T/out" &
	PID=$!
	wait_for "$T/con" "10ms"
	pty=$(head -1 "$T/out")
	ctl "boot0 1" "nrst pulse" >/dev/null
	: >"$T/con"
	"$STM32FLASH" -m 8n1 -b 115200 -w "$FW/flash.bin" -S 0x08000000 -g 0x08000000 "$pty" \
		>"$T/stm32flash.log" 2>&1 || { cat "$T/stm32flash.log" >&2; fail "stm32flash"; }
	wait_for "$T/con" "cr 80000000"
	ctl quit >/dev/null
	wait "$PID"; PID=
	grep -q "hello board" "$T/con" && fail "the old program ran after the reflash"
	expect_event '"type":"rom_go","addr":134217728'
	;;
*) fail "unknown scenario $SCEN" ;;
esac
echo "PASS $SCEN"
