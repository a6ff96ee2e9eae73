#!/usr/bin/env bash
# The app path's firmware side on the virtual board: the real bootloader and
# example application (slot A, v1.0.0, confirmed) receive v1.1.0 for slot B
# through the receive service from a scripted host (appupd_client), then
# restart into it; the bootloader trial-boots it and it confirms itself.
# Also checks that the USART never overran while the service ran and that
# nothing was programmed over non-erased flash.
# Usage: board_appupd.sh BOARD TWINSLOT CLIENT FIRMWARE_DIR BAUD [CLIENT_ARGS...]
set -euo pipefail
BOARD=$1 TW=$2 CLIENT=$3 FW=$4 BAUD=$5
shift 5
APP=${APP:-app} # APP=app-big: the 256 KB release
for f in bootloader.bin $APP-a.elf $APP-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIP: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
T=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "board_appupd: keeping $T"
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- console" >&2; tr -d '\r' <"$T/con" | grep -a twinslot >&2 || true;
	 echo "--- events (no LEDs)" >&2; grep -v '"led"' "$T/ev" | tail -20 | cut -c1-200 >&2 || true; exit 1; }
wait_for() { # wait_for FILE TEXT [SECONDS]
	for _ in $(seq $((${3:-30} * 10))); do grep -aqF "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	fail "timed out waiting for '$2' in $1"
}
"$TW" pack --version 1.0.0 --slot-a "$FW/$APP-a.elf" --out-dir "$T/a" >/dev/null
"$TW" pack --version 1.1.0 --slot-b "$FW/$APP-b.elf" --out-dir "$T/b" >/dev/null
"$TW" compose -o "$T/flash" --bootloader "$FW/bootloader.bin" --slot-a "$T/a/slot-a.img" \
	--record confirmed:a >/dev/null
PORT=$((20000 + RANDOM % 20000))
"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --tcp "$PORT" \
	--control "$T/sock" --max-wall 120 &
PID=$!
wait_for "$T/con" "twinslot-app: already confirmed"
"$CLIENT" "$PORT" "$T/b/slot-b.img" "$BAUD" --slow 10 "$@" || fail "the session failed"
wait_for "$T/con" "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)"
wait_for "$T/con" "twinslot-app: v1.1.0 slot B"
wait_for "$T/con" "twinslot-app: confirmed"
"$BOARD" --ctl "$T/sock" quit >/dev/null 2>&1 || true
wait "$PID" || true
PID=
grep -q '"type":"flash_overwrite"' "$T/ev" && fail "firmware programmed over non-erased flash"
grep -q '"type":"lockup"' "$T/ev" && fail "lock-up"
over=$(grep -c '"type":"uart_overrun"' "$T/ev" || true)
# the board logs the baud the BRR really gives (941176 for 921600 at 16 MHz)
[ "$BAUD" = 115200 ] || grep uart_enable "$T/ev" | grep -v '"baud":115107' >/dev/null ||
	fail "the app never switched USART1 to $BAUD: $(grep uart_enable "$T/ev" | cut -c1-120)"
echo "board_appupd: USART overruns during the run: $over"
# board time (the device's own clock, unpaced) from the host's connection
# to the software reset into the new image
t0=$(grep -m1 '"type":"serial_tcp_client"' "$T/ev" | sed 's/.*"t_ns":\([0-9]*\).*/\1/')
t1=$(grep -m1 '"cause":"software"' "$T/ev" | sed 's/.*"t_ns":\([0-9]*\).*/\1/')
echo "board_appupd: $(stat -c %s "$T/b/slot-b.img") bytes, board time from the offer to the reset: $(( (t1 - t0) / 1000000 )) ms"
[ "$over" = 0 ] || fail "the receiver lost bytes ($over overruns)"
echo "PASS"
