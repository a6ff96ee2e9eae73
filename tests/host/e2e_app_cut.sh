#!/usr/bin/env bash
# Power cuts during the app path (issue 15): `twinslot flash --path app` of
# release 1.1.0 into slot B while the board's power fails during the k-th
# flash operation the application makes (erases, body programs, the header
# it writes last, the PENDING record), and one past them (the bootloader's
# first operation after the application's restart). After each cut: power
# on; the board must boot and confirm A v1.0.0 (nothing committed) or B
# v1.1.0 whole (PENDING was whole) - never a mixed board: a slot B whose
# header validates holds exactly the release, and every live record names
# an image that validates in full (board_journal --live). Then a retry
# (--path auto) installs and confirms B. Asserted on the flash file, the
# console and the event log.
#
# usage: e2e_app_cut.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_JOURNAL FLASH_TRUTH WORKDIR
#                       subset | sweep [STRIDE [FIRST]]
#   subset: the erases, the first, middle and last body programs, both ends
#           of the header and of the PENDING record, and one past them
#   sweep:  every STRIDE-th operation from FIRST (default 1 1: all of them)
# Prints "campaign app-cut PART cases=N faults=N old=N new=N bricks=0
# wrong=0 unconfirmed=0 failures=0" and a "reproduce:" line.
# APP_BAUD (environment): cap the app path's baud (twinslot flash --app-baud).
set -euo pipefail
T=$1 BOARD=$2 FW=$3 JOURNAL=$4 TRUTH=$5 W=$6 MODE=$7 STRIDE=${8:-1} FIRST=${9:-1}
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
case "$MODE" in subset|sweep) ;; *) echo "usage: ... subset|sweep [STRIDE [FIRST]]" >&2; exit 2 ;; esac
SELF=$(readlink -f "$0")
rm -rf "$W"; mkdir -p "$W"; cd "$W"; W=$PWD
SECONDS=0
BPID=
trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null || true' EXIT
CASE=uncut
fail() {
	echo "FAIL [$CASE]: $*" >&2
	echo "--- flash output" >&2; cat out.txt err.txt >&2 2>/dev/null || true
	echo "--- console" >&2; tr -d '\r' <console.txt | tail -15 >&2 || true
	echo "--- journal" >&2; "$JOURNAL" --live flash.bin >&2 || true
	exit 1
}
ctl() { "$BOARD" --ctl ctl.sock "$@" >/dev/null || fail "control: $*"; }
wait_until() { # SECONDS COMMAND...: poll every 20 ms
	local n=$(($1 * 50)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.02; done
	return 1
}
# the console as text, each line from its twinslot- prefix on (the app path's
# frames, at another baud, precede the next line on the console copy)
con() { tr -d '\r' <console.txt | tr -c '[:print:]\n' '?' | sed 's/^.*\(twinslot-\(boot\|app\): \)/\1/'; }
has_ev() { grep -qF "$1" events.jsonl 2>/dev/null; }
last_app_is() { # VERSION SLOT WORD [MARK]
	local c; c=$(con | tail -n +$((${4:-0} + 1)) | grep '^twinslot-' | tail -4)
	echo "$c" | grep -x "twinslot-app: v$1 slot $2" >/dev/null &&
		[ "$(echo "$c" | grep '^twinslot-app: ' | tail -1)" = "twinslot-app: $3" ]
}
b_holds_img() { cmp -s -n "$(stat -c%s "$IMG")" "$IMG" <(tail -c +$((0x80000 + 1)) flash.bin); }
slot_a() { tail -c +$((0x20000 + 1)) "$1" | head -c $((0x60000)); }
ops() { grep -E '"type":"(flash_program|flash_erase)"' events.jsonl |
	sed -E 's/.*"type":"flash_program","addr":([0-9]+),"len":([0-9]+).*/program \1 \2/;
		s/.*"type":"flash_erase","sector":(-?[0-9]+).*/erase \1/'; }

"$T" pack --version 1.0.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.0.0 >/dev/null
"$T" pack --version 1.1.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.1.0 >/dev/null
"$T" compose -o start.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
	--record confirmed:a >/dev/null
IMG=$W/r1.1.0/slot-b.img

start_board() { # SEED
	rm -f tty ctl.sock events.jsonl console.txt
	cp ../start.bin flash.bin 2>/dev/null || cp start.bin flash.bin
	"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
		--console console.txt --quiet --rom-time 10 --seed "$1" --max-wall 300 >board.out 2>&1 &
	BPID=$!
	wait_until 5 test -S ctl.sock || fail "no control socket"
	wait_until 10 last_app_is 1.0.0 A "already confirmed" || fail "the board did not boot A"
}
stop_board() { ctl quit; wait "$BPID" || true; BPID=; }

# --- uncut: the application's flash operations, from the event log -----------
mkdir uncut; cd uncut
start_board 1
mark=$(wc -l <events.jsonl)
"$T" flash --path app ${APP_BAUD:+--app-baud $APP_BAUD} --port tty --pins board:ctl.sock -q --allow-unsigned --image "$IMG" \
	--timeout 20 >out.txt 2>err.txt || fail "the uncut update failed"
wait_until 10 last_app_is 1.1.0 B confirmed || fail "B did not confirm"
grep -q '"boot0":1' events.jsonl && fail "the uncut update entered the ROM"
# the app's operations: after the command started, before the app's restart
tail -n +$((mark + 1)) events.jsonl | awk '/"type":"reset"/ { exit } { print }' >app_events.jsonl
grep -E '"type":"(flash_program|flash_erase)"' app_events.jsonl |
	sed -E 's/.*"type":"flash_program","addr":([0-9]+),"len":([0-9]+).*/program \1 \2/;
		s/.*"type":"flash_erase","sector":(-?[0-9]+).*/erase \1/' >../app_ops.txt
stop_board
cd ..
nops=$(wc -l <app_ops.txt)
[ "$nops" -gt 3 ] || fail "only $nops flash operations in the uncut run"
[ "$(head -1 app_ops.txt)" = "erase 8" ] || fail "the app's first operation is not the erase of sector 8"
hdr=$((0x08080000)) body=$((0x08080200)) jrn=$((0x080E0000))
line_of() { awk -v lo="$1" -v hi="$2" -v pick="$3" '$1 == "program" && $2 >= lo && $2 < hi { n = NR; if (!f) f = NR }
	END { print (pick == "first" ? f : n) + 0 }' app_ops.txt; }
b_first=$(line_of $body $((0x080E0000)) first) b_last=$(line_of $body $((0x080E0000)) last)
h_first=$(line_of $hdr $body first) h_last=$(line_of $hdr $body last)
j_first=$(line_of $jrn $((0x08100000)) first) j_last=$(line_of $jrn $((0x08100000)) last)
[ "$b_first" -gt 0 ] && [ "$h_first" -gt "$b_last" ] && [ "$j_first" -gt "$h_last" ] ||
	fail "the app does not write body, then header, then PENDING (body $b_first-$b_last, header $h_first-$h_last, journal $j_first-$j_last)"
[ "$j_last" = "$nops" ] || fail "the app's last operation is not its PENDING record"
echo "app path: $nops flash operations (erases 1-$((b_first - 1)), body $b_first-$b_last, header $h_first-$h_last, PENDING $j_first-$j_last)"

# --- the cuts ------------------------------------------------------------------
cut_case() { # K: in a directory of its own; prints one verdict line
	local k=$1
	trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null || true' EXIT
	CASE="cut after $k ($(sed -n "${k}p" ../app_ops.txt | grep . || echo "the bootloader's first after the restart"))"
	start_board $((k + 7))
	cp flash.bin before.bin
	ctl "cut after $k"
	"$T" flash --path app ${APP_BAUD:+--app-baud $APP_BAUD} --port tty --pins board:ctl.sock -q --allow-unsigned --image "$IMG" \
		--timeout 5 >out.txt 2>err.txt &
	local fp=$!
	# the host cannot help a board without power: once it is off, stop it
	for _ in $(seq 1500); do
		has_ev '"type":"power","on":false' && break
		kill -0 $fp 2>/dev/null || break
		sleep 0.02
	done
	kill -TERM $fp 2>/dev/null || true
	wait $fp 2>/dev/null || true
	wait_until 5 has_ev '"type":"power","on":false' || fail "the power did not fail"
	[ "$(grep -c '"type":"power_cut"' events.jsonl)" = 1 ] || fail "not exactly one power cut"
	local mark; mark=$(con | wc -l)
	ctl "power on"
	local outcome
	if wait_until 10 last_app_is 1.0.0 A "already confirmed" "$mark"; then
		outcome=old
	elif wait_until 10 last_app_is 1.1.0 B confirmed "$mark"; then
		outcome=new
	else
		echo "BRICK: $CASE: no application confirmed after power on"; return 0
	fi
	cmp -s <(slot_a flash.bin) <(slot_a before.bin) || { echo "WRONG: $CASE: slot A changed"; return 0; }
	local truth; truth=$("$TRUTH" flash.bin)
	case "$truth" in *'"B":{"present":true,"header":"ok"'*)
		b_holds_img || { echo "WRONG: $CASE: slot B validates but is not the release"; return 0; } ;;
	esac
	local live; live=$("$JOURNAL" --live flash.bin | tail -1)
	case "$live" in *" B=pending:"*|*" B=attempt:"*|*" B=confirmed:"*)
		b_holds_img || { echo "WRONG: $CASE: a live record names slot B, which is not the release"; return 0; } ;;
	esac
	if [ "$outcome" = old ]; then
		case "$live" in *" B=pending:"*|*" B=confirmed:"*)
			echo "WRONG: $CASE: B committed but A runs"; return 0 ;;
		esac
		"$T" flash --path auto ${APP_BAUD:+--app-baud $APP_BAUD} --port tty --pins board:ctl.sock -q --allow-unsigned \
			--image "$IMG" --timeout 20 >retry.txt 2>&1 ||
			{ echo "FAILURE: $CASE: the retry failed: $(tail -1 retry.txt)"; return 0; }
		wait_until 10 last_app_is 1.1.0 B confirmed || { echo "UNCONFIRMED: $CASE: retry"; return 0; }
		b_holds_img || { echo "WRONG: $CASE: B after the retry is not the release"; return 0; }
	fi
	has_ev '"type":"flash_overwrite"' && { echo "WRONG: $CASE: flash_overwrite"; return 0; }
	stop_board
	echo "OK $outcome: $CASE"
}

if [ "$MODE" = subset ]; then
	ks=()
	for k in $(seq 1 $((b_first - 1))); do ks+=("$k"); done
	ks+=("$b_first" $((b_first + 1)) $(((b_first + b_last) / 2)) "$b_last" "$h_first" "$h_last"
	     "$j_first" "$j_last" $((nops + 1)))
	PART=subset
else
	ks=($(seq "$FIRST" "$STRIDE" $((nops + 1))))
	PART="sweep-$STRIDE-from-$FIRST"
fi
pids=()
for i in "${!ks[@]}"; do
	k=${ks[$i]}
	mkdir -p "cut$k"
	(cd "cut$k" && cut_case "$k") >"cut$k.log" 2>&1 &
	pids+=($!)
	if [ $((i % 2)) = 1 ] || [ "$i" = $((${#ks[@]} - 1)) ]; then
		for p in "${pids[@]}"; do wait "$p" || true; done
		pids=()
	fi
done
old=0 new=0 bricks=0 wrong=0 unconfirmed=0 failures=0
for k in "${ks[@]}"; do
	v=$(grep -E '^(OK|BRICK|WRONG|UNCONFIRMED|FAILURE)' "cut$k.log" | tail -1 || true)
	case "$v" in
	"OK old"*) old=$((old + 1)) ;;
	"OK new"*) new=$((new + 1)) ;;
	BRICK*) bricks=$((bricks + 1)); echo "$v" ;;
	WRONG*) wrong=$((wrong + 1)); echo "$v" ;;
	UNCONFIRMED*) unconfirmed=$((unconfirmed + 1)); echo "$v" ;;
	*) failures=$((failures + 1)); echo "--- cut after $k"; tail -20 "cut$k.log" ;;
	esac
done
echo "campaign app-cut $PART cases=${#ks[@]} faults=${#ks[@]} old=$old new=$new bricks=$bricks wrong=$wrong unconfirmed=$unconfirmed failures=$failures"
echo "reproduce: bash $SELF $T $BOARD $FW $JOURNAL $TRUTH $W $MODE $STRIDE $FIRST"
echo "app path: ${#ks[@]} power cuts of $((nops + 1)) operations (k = ${ks[*]}); $SECONDS s"
[ $((bricks + wrong + unconfirmed + failures)) = 0 ] || { echo "FAIL" >&2; exit 1; }
echo PASS
