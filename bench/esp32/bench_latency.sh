#!/usr/bin/env bash
# What the UART driver's RX latency costs the ESP32 port per update, on the
# virtual board in real time (115200 baud, 11 bits a byte as 8E1, the ROM's
# datasheet times at 100 %, as tests/host/e2e_realtime.sh runs it):
#   tuned     the port as built by default (RX full threshold 1, RX time-out
#             1 symbol): esp32-agent
#   untuned   the driver's defaults (threshold 120, time-out 10 symbols),
#             menuconfig's TWINSLOT_UART_DRIVER_DEFAULTS: esp32-agent-untuned
# Both are the port's sources against the ESP-IDF stand-in
# (tests/esp32/standin), which models that latency; the figures are the
# stand-in's model on this machine, not a measurement on an ESP32.
# Each run installs one SIZE_KB image into slot B of a fresh flash (v1.0.0
# confirmed in A) and waits for the new image to confirm.
# usage: bench/esp32/bench_latency.sh [BUILD_DIR] [SIZE_KB] [ROUNDS]   (build, 128, 3)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$here/build}") KB=${2:-128} ROUNDS=${3:-3}
TW=$BUILD/tools/twinslot BOARD=$BUILD/sim/twinslot-board FW=$BUILD/firmware
for f in "$TW" "$BOARD" "$BUILD/tests/esp32/esp32-agent" "$BUILD/tests/esp32/esp32-agent-untuned" \
	"$FW/bootloader.bin" "$FW/app-a.elf" "$FW/app-b.elf" "$FW/app-b.bin"; do
	[ -e "$f" ] || { echo "bench: $f not built (cmake --build $BUILD --target twinslot" \
		"twinslot-board firmware esp32-agent esp32-agent-untuned)" >&2; exit 77; }
done
W=$(mktemp -d /tmp/twinslot-esp32-bench.XXXXXX)
BPID=
trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
"$TW" keygen --out-dir key >/dev/null
export TS_PUBKEY=$W/key/signing-key.pub.pem
"$TW" pack --version 1.0.0 --key key/signing-key.pem --slot-a "$FW/app-a.elf" \
	--slot-b "$FW/app-b.elf" --out-dir r1 >/dev/null
for s in a b; do
	cp "$FW/app-$s.bin" big-$s.bin
	head -c $((KB * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >>big-$s.bin
done
"$TW" pack --version 1.1.0 --key key/signing-key.pem --slot-a big-a.bin --addr-a 0x08020200 --slot-b big-b.bin \
	--addr-b 0x08080200 --out-dir r2 >/dev/null

run() { # PROGRAM -> "install_ms total_ms"
	rm -f flash.bin tty ctl.sock console.txt
	"$TW" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1/slot-a.img \
		--record confirmed:a >/dev/null
	"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --console console.txt --quiet \
		--realtime --baud 115200 --bits 11 --rom-time 1000 >board.out 2>&1 &
	BPID=$!
	for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
	for _ in $(seq 200); do grep -q "already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
	TS_STANDIN_UART2_PTY=$W/tty TS_STANDIN_BOARD_CTL=$W/ctl.sock TS_STANDIN_LOG=E \
		"$1" flash r2/slot-b.img 20000 >out.txt 2>err.txt ||
		{ cat out.txt err.txt >&2; echo "bench: $1 failed" >&2; exit 1; }
	"$BOARD" --ctl ctl.sock quit >/dev/null 2>&1 || kill $BPID 2>/dev/null || true
	wait $BPID 2>/dev/null || true
	BPID=
	grep -q "outcome=confirmed" out.txt || { cat out.txt >&2; echo "bench: not confirmed" >&2; exit 1; }
	held=$(sed -n 's/.*bytes held in the FIFO model \([0-9]*\) ms.*/\1/p' err.txt)
	echo "$(sed -n 's/^install_ms=\([0-9]*\) total_ms=\([0-9]*\).*/\1 \2/p' out.txt) $held"
}
# The machine may be shared: alternate the two, ROUNDS times, and keep the
# fastest of each (noise only ever adds time).
ti= tt= ui= ut=
for r in $(seq "$ROUNDS"); do
	read -r a b th < <(run "$BUILD/tests/esp32/esp32-agent")
	read -r c d uh < <(run "$BUILD/tests/esp32/esp32-agent-untuned")
	echo "  round $r: tuned $a ms (held back $th ms), untuned $c ms (held back $uh ms)"
	[ -z "$ti" ] || [ "$a" -lt "$ti" ] && ti=$a tt=$b
	[ -z "$ui" ] || [ "$c" -lt "$ui" ] && ui=$c ut=$d
done
bytes=$(stat -c%s r2/slot-b.img)
echo "ESP32 port on the stand-in, virtual board real time 115200 8E1, $bytes-byte image, best of $ROUNDS:"
printf '  tuned   (threshold 1, time-out 1):     connect+install %6d ms, with restart and confirmation %6d ms\n' "$ti" "$tt"
printf '  untuned (threshold 120, time-out 10):  connect+install %6d ms, with restart and confirmation %6d ms\n' "$ui" "$ut"
awk -v t="$ti" -v u="$ui" -v tt="$tt" -v ut="$ut" 'BEGIN {
	printf "  untuned / tuned: %.2fx (connect+install), %.2fx (whole update); %+d ms per update\n",
		u / t, ut / tt, u - t }'
