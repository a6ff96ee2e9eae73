#!/usr/bin/env bash
# The app path against the ROM path, one run, on the real-time board (issue
# 15's acceptance figure): a 256 KB release through the ROM bootloader at
# 115200 baud 8E1 (--path rom), then another through the running
# application's update service (--path app: offer at the console's 115200,
# then the baud both agree on). Prints for each: the flash command's wall
# time (to the new image confirmed), the time to the PENDING record, the
# board's downtime (from the old image's last instruction: the reset that
# ends it, to the new image's first: the event log's slot_entry) and the
# resets; the ratio app/ROM (target <= 0.25); the application's flash
# stalls during its update (flash_stall events).
#
# Two clocks: the wall clock (what the host saw) and the board's (the event
# log's t_ns, from the board's uptime when the command started: what an
# F407 running this firmware takes). They agree while the emulator keeps up
# with real time; the application's code is emulated (a loaded machine makes
# it lag: its board time then runs slower than the wall clock), the ROM
# bootloader is a model that never lags. The ratio is computed on both.
# usage: app_path.sh TWINSLOT BOARD FIRMWARE_DIR WORKDIR
# APP_BAUD (environment): cap the app path's baud (twinslot flash --app-baud).
set -euo pipefail
T=$1 BOARD=$2 FW=$3 W=$4
for f in bootloader.bin app-a.bin app-b.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"
fail() { echo "FAIL: $*" >&2; cat err.txt >&2 2>/dev/null || true; exit 1; }

"$T" pack --version 1.0.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.0.0 >/dev/null
for v in 1.1.0 1.2.0; do
	for s in a b; do
		cp "$FW/app-$s.bin" big-$s.bin
		head -c $((256 * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >>big-$s.bin
	done
	"$T" pack --version $v --product 7 --slot-a big-a.bin --addr-a 0x08020200 \
		--slot-b big-b.bin --addr-b 0x08080200 --out-dir r$v >/dev/null
done
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
	--record attempt:a:1 --record confirmed:a >/dev/null
"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
	--console console.txt --quiet --realtime --baud 115200 --bits 11 --rom-time 1000 >board.out 2>&1 &
BPID=$!
trap '"$BOARD" --ctl ctl.sock quit >/dev/null 2>&1 || kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q "already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
grep -q "twinslot-app: already confirmed" console.txt || fail "the board did not boot v1.0.0"

field() { sed -n "s/.*\"$1\":\"\{0,1\}\([0-9A-Za-z]*\).*/\1/p"; }
run() { # PATH RELEASE SLOT: prints "wall_ms pending_ms downtime_ns resets stalls stall_ns
	# stall_max_ns baud board_pending_ns board_entry_ns"
	local mark t0 t1 b0; mark=$(wc -l <events.jsonl)
	b0=$("$BOARD" --ctl ctl.sock state | sed -n 's/.* uptime_ns=\([0-9]*\).*/\1/p')
	t0=$(date +%s%3N)
	"$T" flash --path "$1" ${APP_BAUD:+--app-baud $APP_BAUD} --port tty --pins board:ctl.sock --allow-unsigned --image "$2" \
		--timeout 120 -q >out.txt 2>err.txt || fail "--path $1 of $2 failed"
	t1=$(date +%s%3N)
	tail -n +$((mark + 1)) events.jsonl >ev.txt
	local jrn=$((0x080E0000)) pend pend_b down_from down_to resets stalls sns baud
	# the PENDING record: the last program into the journal before the reset into the new image
	pend=$(awk -v j=$jrn '/"type":"reset"/ && seen { exit }
		/"type":"flash_program"/ { a = $0; sub(/.*"addr":/, "", a); sub(/,.*/, "", a); if (a + 0 >= j) { w = $0; seen = 1 } }
		END { print w }' ev.txt >pend.txt)
	pend=$(field wall_ms <pend.txt)
	pend_b=$(field t_ns <pend.txt)
	# the old image's last instruction: the first reset of the update
	down_from=$(grep '"type":"reset"' ev.txt | head -1 | field t_ns)
	down_to=$(grep "\"type\":\"slot_entry\".*\"slot\":\"$3\"" ev.txt | head -1 | field t_ns)
	resets=$(grep -c '"type":"reset"' ev.txt || true)
	stalls=$(awk '/"type":"reset"/ { exit } /"type":"flash_stall"/ { n++ } END { print n + 0 }' ev.txt)
	sns=$(awk '/"type":"reset"/ { exit } /"type":"flash_stall"/ { s = $0; sub(/.*"ns":/, "", s); sub(/[,}].*/, "", s); t += s; if (s + 0 > m) m = s + 0 }
		END { printf "%d %d", t, m }' ev.txt)
	baud=$(awk '/"type":"reset"/ { exit } /"type":"uart_enable"/ { l = $0 } END { print l }' ev.txt | field baud)
	[ -n "$pend" ] && [ -n "$down_from" ] && [ -n "$down_to" ] || fail "events incomplete for --path $1"
	echo "$((t1 - t0)) $((pend - t0)) $((down_to - down_from)) $resets $stalls $sns ${baud:-?}" \
		"$((pend_b - b0)) $((down_to - b0))"
}
ms() { printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000)); }
read -r rw rp rd rr _ _ _ _ rpb reb < <(run rom r1.1.0 B)
read -r aw ap ad ar as asn asmax abaud apb aeb < <(run app r1.2.0 A)
echo "bench app path: 256 KB image, real-time board; ROM 115200 8E1, console 115200 8N1"
echo "  rom path, wall:  to PENDING $(ms "$rp"), command (to confirmed) $(ms "$rw")"
echo "  rom path, board: to PENDING $(ms $((rpb / 1000000))), to the new image's first instruction $(ms $((reb / 1000000)))"
echo "  rom path: downtime $(ms $((rd / 1000000))) (board time), $rr resets"
echo "  app path, wall:  to PENDING $(ms "$ap"), command (to confirmed) $(ms "$aw"), line at ${abaud} baud"
echo "  app path, board: to PENDING $(ms $((apb / 1000000))), to the new image's first instruction $(ms $((aeb / 1000000)))"
echo "  app path: downtime $(ms $((ad / 1000000))) (board time), $ar reset(s)"
awk -v a="$ap" -v r="$rp" -v ab="$apb" -v rb="$rpb" -v ae="$aeb" -v re="$reb" 'BEGIN {
	printf "  ratio app/rom to PENDING: %.3f on the board clock, %.3f on the wall clock (target <= 0.25)\n", ab / rb, a / r
	printf "  ratio app/rom to the new image running: %.3f on the board clock\n", ae / re }'
echo "  app stalls during its update: $as, $(ms $((asn / 1000000))) in all, longest $(ms $((asmax / 1000000)))"
