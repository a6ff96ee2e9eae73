#!/usr/bin/env bash
# Acceptance: Debian's stm32flash against twinslot-board's pseudo-terminal
# with BOOT0 high. It must identify the chip (0x413), write a 200 KB file to
# Slot A with -S, read it back identical, erase sectors, and start it with -g.
# A pty cannot carry parity, so stm32flash runs with -m 8n1 (see
# docs/virtual-board.md). ROM delays are scaled to 1% of the datasheet's.
# usage: rom_stm32flash.sh BOARD   (stm32flash from PATH; exit 77 without it)
set -euo pipefail
board=$1
stm32flash=$(command -v stm32flash) ||
	{ echo "SKIPPED: stm32flash not installed (scripts/setup.sh installs it)"; exit 77; }
dir=$(mktemp -d /tmp/ts-rom-stm32flash-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- events (tail)" >&2; tail -n 20 "$dir/events.jsonl" >&2 || true; exit 1; }

"$board" --flash "$dir/flash.bin" --events "$dir/events.jsonl" --pty-link "$dir/tty" \
	--control "$dir/ctl" --boot0 1 --rom-time 10 --max-wall 110 --quiet >"$dir/board.out" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -L "$dir/tty" ] && [ -S "$dir/ctl" ] && break; sleep 0.1; done
[ -L "$dir/tty" ] && [ -S "$dir/ctl" ] || { cat "$dir/board.out" >&2; fail "board did not create its pty and control socket"; }

nrst() { "$board" --ctl "$dir/ctl" "nrst pulse" | grep "mode=rom" >/dev/null || fail "nrst pulse did not restart the ROM"; }
flash() { "$stm32flash" -m 8n1 -b 115200 "$@" "$dir/tty"; }

# 1. Identify.
flash >"$dir/id.txt" 2>&1 || { cat "$dir/id.txt"; fail "identify"; }
grep -q "Device ID *: 0x0413 (STM32F40xxx/41xxx)" "$dir/id.txt" || { cat "$dir/id.txt"; fail "chip not identified as 0x413"; }
grep -q "Version *: 0x31" "$dir/id.txt" || fail "bootloader version not 3.1"

# 2. Write 200 KB of random bytes to Slot A (erases sectors 5-6 first).
head -c 204800 /dev/urandom >"$dir/image.bin"
nrst
flash -w "$dir/image.bin" -S 0x08020000 >"$dir/write.txt" 2>&1 || { cat "$dir/write.txt"; fail "write"; }
cmp <(tail -c +$((0x20000 + 1)) "$dir/flash.bin" | head -c 204800) "$dir/image.bin" \
	|| fail "flash file differs from the written image"
grep -q '"type":"rom_cmd","cmd":68,"ok":true,"sectors":\[5,6\]' "$dir/events.jsonl" \
	|| fail "write did not erase sectors 5 and 6"
if grep -q '"type":"flash_overwrite"' "$dir/events.jsonl"; then fail "write over non-erased flash"; fi

# 3. Read it back.
nrst
flash -r "$dir/back.bin" -S 0x08020000:204800 >"$dir/read.txt" 2>&1 || { cat "$dir/read.txt"; fail "read"; }
cmp "$dir/back.bin" "$dir/image.bin" || fail "read-back differs"

# 4. Erase only sectors 5 and 6 (a page-aligned range), check the file.
nrst
flash -o -S 0x08020000:262144 >"$dir/erase.txt" 2>&1 || { cat "$dir/erase.txt"; fail "erase"; }
[ "$(grep -c '"sectors":\[5,6\]' "$dir/events.jsonl")" -eq 2 ] || fail "erase did not erase sectors 5 and 6"
cmp <(tail -c +$((0x20000 + 1)) "$dir/flash.bin" | head -c 262144) <(head -c 262144 /dev/zero | tr '\0' '\377') \
	|| fail "sectors 5-6 not 0xFF after erase"

# 5. Write again and start it with -g, without an NRST pulse first: the ROM is
#    still synced, stm32flash's 0x7F is taken as a command and NACKed. The
#    CPU then starts from the (random) vector table at 0x08020000.
flash -w "$dir/image.bin" -S 0x08020000 -g 0x08020000 >"$dir/go.txt" 2>&1 || { cat "$dir/go.txt"; fail "write+go"; }
grep -q '"type":"rom_go","addr":134348800' "$dir/events.jsonl" || fail "no go to 0x08020000"
for _ in $(seq 20); do grep -q '"type":"boot","addr":134348800,"mode":"flash"' "$dir/events.jsonl" && break; sleep 0.1; done
grep -q '"type":"boot","addr":134348800,"mode":"flash"' "$dir/events.jsonl" || fail "board did not start the CPU at 0x08020000"
echo "ok: stm32flash identify, write 200 KB, read back, erase, go (on twinslot-board)"
