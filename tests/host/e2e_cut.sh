#!/usr/bin/env bash
# End to end: `twinslot flash` of release 1.1.0 into slot B while the board's
# power fails after k flash operations, for a spread of k over what the host
# does through the ROM bootloader (the erase of sector 8, early, middle and
# late 256-byte writes, the last write of the body, both halves of the image
# header, which the engine writes last, the PENDING record) and one past it
# (the bootloader's ATTEMPT, after PENDING is whole). After each cut: power on;
# the board boots A v1.0.0 confirmed (B's header or PENDING is missing or
# torn), or, once PENDING was whole, B on trial, which confirms; then a retry
# of `twinslot flash` succeeds and B confirms. Asserted on the board's
# console, event log and flash file (slot B byte for byte, the journal with
# lib's scan through board_journal --live), never on our own messages.
# usage: e2e_cut.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_LIVE WORKDIR
set -euo pipefail
T=$1 BOARD=$2 FW=$3 LIVE=$4 W=$5
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"; W=$PWD
SECONDS=0
CASE=uncut
BPID=
trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null || true' EXIT
fail() {
	echo "FAIL [$CASE]: $*" >&2
	echo "--- flash output" >&2; cat out.txt err.txt >&2 2>/dev/null || true
	echo "--- console" >&2; tr -d '\r' <console.txt >&2 || true
	echo "--- journal" >&2; "$LIVE" --live flash.bin >&2 || true
	echo "--- events (no LEDs)" >&2; grep -v '"led"' events.jsonl | cut -c1-150 | tail -40 >&2 || true
	exit 1
}
ctl() { "$BOARD" --ctl ctl.sock "$@" >/dev/null || fail "control: $*"; }
wait_until() { # SECONDS COMMAND...: poll every 20 ms
	local n=$(($1 * 50)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.02; done
	return 1
}
con() { tr -d '\r' <console.txt; }
last_app_is() { # VERSION SLOT WORD [MARK]: after console line MARK, the last
	# boot's lines are that app's banner ... WORD
	local c; c=$(con | tail -n +$((${4:-0} + 1)) | grep '^twinslot-' | tail -4)
	echo "$c" | grep -x "twinslot-app: v$1 slot $2" >/dev/null &&
		[ "$(echo "$c" | grep '^twinslot-app: ' | tail -1)" = "twinslot-app: $3" ]
}
has_ev() { grep -qF "$1" events.jsonl 2>/dev/null; }

"$T" pack --version 1.0.0 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.0.0 >/dev/null
"$T" pack --version 1.1.0 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.1.0 >/dev/null
"$T" compose -o start.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
	--record confirmed:a >/dev/null
IMG=$W/r1.1.0/slot-b.img

# A fresh board on start.bin, running A v1.0.0 (confirmed).
start_board() { # SEED
	[ -n "$BPID" ] && { ctl quit; wait "$BPID" || true; BPID=; }
	rm -f tty ctl.sock events.jsonl console.txt
	cp start.bin flash.bin
	"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
		--console console.txt --quiet --rom-time 10 --seed "$1" --max-wall 120 >board.out 2>&1 &
	BPID=$!
	wait_until 5 test -S ctl.sock || fail "no control socket"
	wait_until 10 last_app_is 1.0.0 A "already confirmed" || fail "the board did not boot A"
}
flash() { # EXPECTED_EXIT [options]: twinslot flash of 1.1.0
	local want=$1 rc; shift
	set +e
	"$T" flash --path rom --port tty --pins board:ctl.sock -q --allow-unsigned --image "$IMG" "$@" >out.txt 2>err.txt
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "twinslot flash exit $rc, expected $want"
}
ops() { grep -E '"type":"(flash_program|flash_erase)"' events.jsonl |
	sed -E 's/.*"type":"flash_program","addr":([0-9]+),"len":([0-9]+).*/program \1 \2/;
		s/.*"type":"flash_erase","sector":(-?[0-9]+).*/erase \1/'; }
b_holds_img() { cmp -s -n "$(stat -c%s "$IMG")" "$IMG" <(tail -c +$((0x80000 + 1)) flash.bin); }
check_b_confirmed() {
	wait_until 10 last_app_is 1.1.0 B confirmed || fail "B did not boot and confirm"
	b_holds_img || fail "slot B does not hold the image"
	local sum; sum=$("$LIVE" --live flash.bin | tail -1)
	case "$sum" in *" dirty=0 "*" newest=confirmed:B A=confirmed:0 B=confirmed:0") ;;
	*) fail "journal: $sum" ;; esac
}
no_overwrite() { ! has_ev '"type":"flash_overwrite"' || fail "flash_overwrite"; }

# --- uncut: the host's flash operations, from the event log --------------------
start_board 1
flash 0
check_b_confirmed
no_overwrite
# the host's operations: those before the first boot after the ROM session
ops_all=$(ops)
nhost=$(awk '/"type":"boot"/ && /"mode":"rom"/ { rom = 1 }
	/"type":"boot"/ && /"addr":134217728/ && rom { exit }
	rom && /"type":"(flash_program|flash_erase)"/ { n++ } END { print n + 0 }' events.jsonl)
# head on a here-string, not echo | head: under pipefail echo's SIGPIPE would fail it
head -n "$nhost" <<<"$ops_all" >host_ops.txt
[ "$(head -1 host_ops.txt)" = "erase 8" ] || fail "the host's first operation is not the erase of sector 8"
pending=$nhost
[ "$(sed -n "${pending}p" host_ops.txt)" = "program $((0x080E0000 + 32)) 32" ] ||
	fail "the host's last operation is not PENDING at journal position 1"
hdr1=$((pending - 2)) hdr2=$((pending - 1))
[ "$(sed -n "${hdr1}p;${hdr2}p" host_ops.txt | tr '\n' ' ')" = \
	"program $((0x08080000)) 256 program $((0x08080100)) 256 " ] ||
	fail "the header is not written last, just before PENDING"
body_last=$((pending - 3))
echo "host: $nhost flash operations (erase of sector 8, $((body_last - 1)) body writes, 2 header writes, PENDING)"

# --- the cuts ------------------------------------------------------------------
# k: the erase, the first, second, middle and last body writes, one late one,
# both header halves, PENDING, and the bootloader's first ATTEMPT word.
# After a cut the host waits out its time-outs (1 s per answer, 4 s for an
# erase, 4 s to re-sync) before it fails: the cases run five at a time, each
# with its own board in its own directory.
cut_case() { # K: in a directory of its own; exit status = verdict
	local k=$1
	trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null || true' EXIT
	CASE="cut after $k ($(sed -n "${k}p" ../host_ops.txt || true))"
	start_board $((k + 7))
	ctl "cut after $k"
	if [ "$k" -le "$nhost" ]; then
		# A cut while the PENDING record is programmed: it may or may not
		# have reached flash, and the host cannot ask the dead board, so
		# "nothing committed" (4) would be a guess: it says 7, see status.
		if [ "$k" = "$pending" ]; then
			flash 7
			grep 'the record may or may not be in the journal' err.txt >/dev/null ||
				fail "no 'may or may not' line"
		else
			flash 4
		fi
		has_ev '"type":"power_cut"' || fail "no power cut"
		wait_until 5 has_ev '"type":"power","on":false' || fail "the board did not lose power"
		local mark; mark=$(con | wc -l)
		ctl "power on"
		wait_until 10 last_app_is 1.0.0 A "already confirmed" "$mark" || fail "A did not come back"
		con | tail -n +$((mark + 1)) | grep -xE 'twinslot-boot: slot A v1\.0\.0 \(confirmed(; slot B: [a-zA-Z0-9 -]+)?\)' >/dev/null ||
			fail "A did not run as confirmed"
		con | grep 'slot B v1.1.0' >/dev/null && fail "B ran although it was never committed"
		flash 0
	else
		# PENDING is whole: the cut hits the bootloader's ATTEMPT; the
		# host sees no verdict. On power on B runs on trial and confirms.
		flash 6 --timeout 2
		wait_until 5 has_ev '"type":"power","on":false' || fail "no power cut"
		ctl "power on"
		wait_until 10 last_app_is 1.1.0 B confirmed || fail "B did not boot and confirm"
		con | grep -x 'twinslot-boot: slot B v1.1.0 trial 1/3 (new image)' >/dev/null ||
			fail "B did not boot on trial"
	fi
	check_b_confirmed
	no_overwrite
	[ "$(grep -c '"type":"power_cut"' events.jsonl)" = 1 ] || fail "not exactly one power cut"
	ctl quit; wait "$BPID" || true; BPID=
}
ctl quit; wait "$BPID" || true; BPID=
cp start.bin flash.bin
ks=(1 2 3 $((1 + (body_last - 1) / 2)) $((body_last - 1)) $body_last $hdr1 $hdr2 $pending $((pending + 1)))
pids=() bad=0
for i in "${!ks[@]}"; do
	k=${ks[$i]}
	mkdir -p "cut$k"
	(cd "cut$k" && cp ../start.bin . && cut_case "$k") >"cut$k.log" 2>&1 &
	pids+=($!)
	if [ $((i % 5)) = 4 ] || [ "$i" = $((${#ks[@]} - 1)) ]; then
		for p in "${pids[@]}"; do wait "$p" || bad=1; done
		pids=()
	fi
done
for k in "${ks[@]}"; do
	grep -q FAIL "cut$k.log" && { echo "--- cut after $k"; cat "cut$k.log"; }
done
[ "$bad" = 0 ] || { echo "FAIL: see above" >&2; exit 1; }
echo "host: ${#ks[@]} power cuts during twinslot flash (k = ${ks[*]}; the host does $nhost operations, k = $((pending + 1)) is the bootloader's ATTEMPT); $SECONDS s"
echo PASS
