#!/usr/bin/env bash
# Exhaustive power cuts on the virtual board with the real bootloader and
# application (TS_FIRMWARE_DIR): docs/journal.md's argument, "How it is
# tested". For one scenario:
#   1. run it uncut and list its flash operations from the event log;
#   2. for k = 1..count: a fresh copy of the starting flash file, `cut after
#      k` (the k-th operation is torn: a word partly programmed, or a random
#      prefix of the sector erased), boot, wait for the cut, check that the
#      cut hit the k-th operation of the uncut run, `power on`, wait until an
#      application says it is confirmed, reset once more (NRST) and wait again;
#      the erase operation is cut with several seeds (different torn prefixes);
#   3. after each run assert on the flash file (board_journal --live: lib's
#      ts_journal_scan with the identities of the images validated in the
#      file) and on the event log and console:
#      - an application banner appeared within a bounded time, and the last
#        boot (the extra NRST) ran a confirmed image without writing flash;
#      - no boot of the never-confirmed image without an ATTEMPT first: each
#        of its boot lines says "trial n/3", each TRIAL LED code (orange) in
#        the event log follows a whole record programmed in that same boot,
#        never a journal-write failure (blue), and the final journal holds the
#        ATTEMPT with the last trial's count;
#      - the final journal is not dirty and its newest live record is what the
#        story expects: B confirmed, or A confirmed when the journal at the cut
#        held A's CONFIRMED and nothing live about B (a cut while compaction
#        rewrites B's record, which comes after A's: the update is lost, and B
#        must not run again), or, for the hanging B, ROLLED_BACK B with A
#        confirmed;
#      - no flash_overwrite event (nothing programs non-erased flash), no
#        lock-up, exactly one power cut.
# Scenarios (A 1.0.0 confirmed, B 1.1.0 pending in each):
#   boot_compaction  sector 11 full (A, B, then 4094 stale records): the
#                    bootloader's ATTEMPT compacts (erase, rewrite A and B,
#                    append); then the application's CONFIRMED
#   app_confirm      the bootloader's ATTEMPT, the application's CONFIRMED
#   app_compaction   4093 stale records, then A and B: the ATTEMPT fills the
#                    sector, the application's CONFIRMED compacts it
#   rollback         B is the hanging variant with two failed trials counted
#                    (ATTEMPT 1 and 2 composed in): the bootloader's ATTEMPT 3,
#                    the hang, the watchdog reset (the IWDG still running), the
#                    bootloader's ROLLED_BACK, A. (The first two trials are the
#                    same ATTEMPT write as app_confirm's, and each costs a 4 s
#                    watchdog period; board_e2e_hang_rolls_back runs all three.)
# usage: board_powercut.sh BOARD TWINSLOT BOARD_LIVE FIRMWARE_DIR SCENARIO
set -euo pipefail
BOARD=$1 TW=$2 LIVE=$3 FW=$4 SCEN=$5
ERASE_SEEDS=${POWERCUT_ERASE_SEEDS:-3}
for f in bootloader.bin app-a.elf app-b.elf app-hang-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIP: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
SECONDS=0
CASE=
fail() {
	echo "FAIL [$SCEN, $CASE]: $*" >&2
	echo "--- console" >&2; tr -d '\r' <"$T/con" >&2 || true
	echo "--- journal at the cut" >&2; grep -v stale "$T/off.txt" >&2 || true
	echo "--- journal now" >&2; "$LIVE" --live "$T/flash" | grep -v stale >&2 || true
	echo "--- events (no LEDs)" >&2; grep -v '"led"' "$T/ev" | cut -c1-160 >&2 || true
	exit 1
}
ctl() { "$BOARD" --ctl "$T/sock" "$@" >/dev/null || fail "control: $*"; }
# wait_until SECONDS COMMAND...: poll every 20 ms
wait_until() {
	local n=$(($1 * 50)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.02; done
	return 1
}
has_ev() { grep -qF "$1" "$T/ev" 2>/dev/null; }
confirmed_lines() { tr -d '\r' <"$T/con" 2>/dev/null | grep -cE '^twinslot-app: (already )?confirmed$' || true; }
at_least_confirmed() { [ "$(confirmed_lines)" -ge "$1" ]; }
ops_of() { # the flash operations of an event log, one per line
	grep -E '"type":"(flash_program|flash_erase)"' "$1" |
		sed -E 's/.*"type":"flash_program","addr":([0-9]+).*/program \1/;
			s/.*"type":"flash_erase","sector":(-?[0-9]+).*/erase \1/'
}

# --- the starting flash file -------------------------------------------------
A_V=0x01000000 B_V=0x01010000
app_b=app-b.elf
[ "$SCEN" = rollback ] && app_b=app-hang-b.elf
"$TW" pack --version 1.0.0 --slot-a "$FW/app-a.elf" --out-dir "$T/a" >/dev/null
"$TW" pack --version 1.1.0 --slot-b "$FW/$app_b" --out-dir "$T/b" >/dev/null
fill() { # N stale records: about version 0.0.1, an image in no slot
	local i
	for ((i = 0; i < $1; i++)); do echo "--record"; echo "rolled_back:a:0:0.0.1:000000000000000000000000"; done
}
live=(--record confirmed:a --record pending:b)
case "$SCEN" in
boot_compaction) mapfile -t F < <(fill 4094); recs=("${live[@]}" "${F[@]}") ;;
app_confirm) recs=("${live[@]}") ;;
rollback) recs=("${live[@]}" --record attempt:b:1 --record attempt:b:2) ;;
app_compaction) mapfile -t F < <(fill 4093); recs=("${F[@]}" "${live[@]}") ;;
*) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
"$TW" compose -o "$T/start" --bootloader "$FW/bootloader.bin" --slot-a "$T/a/slot-a.img" \
	--slot-b "$T/b/slot-b.img" "${recs[@]}" >/dev/null

# --- one run: K = 0 uncut, else `cut after K` --------------------------------
# Leaves $T/flash, $T/ev, $T/con, $T/off.txt (journal at the cut).
run_case() { # K SEED
	local k=$1 seed=$2
	CASE="cut $k seed $seed"
	rm -f "$T/ev" "$T/con" "$T/sock" "$T/off.txt"
	CONMARK=0
	: >"$T/off.txt"
	cp "$T/start" "$T/flash"
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--boot0 1 --seed "$seed" --max-wall 60 &
	PID=$!
	wait_until 5 test -S "$T/sock" || fail "no control socket"
	[ "$k" -gt 0 ] && ctl "cut after $k"
	ctl "boot0 0" "nrst pulse"
	if [ "$k" -gt 0 ]; then
		wait_until 30 has_ev '"type":"power","on":false' || fail "no power cut"
		"$LIVE" --live "$T/flash" >"$T/off.txt"
		CONMARK=$(tr -d "\r" <"$T/con" | wc -l)
		ctl "power on"
	fi
	wait_until 30 at_least_confirmed 1 || fail "no application confirmed within 30 s"
	MARK=$(wc -l <"$T/ev")
	ctl "nrst pulse"
	wait_until 10 at_least_confirmed 2 || fail "no application after the extra reset"
	ctl quit
	wait "$PID" || true
	PID=
}

# --- assertions after a run --------------------------------------------------
check_case() { # K
	local k=$1 con jl sum exp n
	con=$(tr -d '\r' <"$T/con")
	has_ev '"type":"flash_overwrite"' && fail "flash_overwrite: something programmed non-erased flash"
	has_ev '"type":"lockup"' && fail "lock-up"
	n=$(grep -c '"type":"power_cut"' "$T/ev" || true)
	[ "$n" = $((k > 0 ? 1 : 0)) ] || fail "$n power cuts"
	if [ "$k" -gt 0 ]; then
		# the cut hit the k-th operation of the uncut run
		local want cut
		want=$(sed -n "${k}p" "$T/ops0")
		cut=$(grep '"type":"power_cut"' "$T/ev" |
			sed -E 's/.*"kind":"program","addr":([0-9]+).*/program \1/;
				s/.*"kind":"erase","sector":([0-9]+).*/erase \1/')
		[ "$cut" = "$want" ] || fail "cut hit '$cut', the uncut run's operation $k is '$want'"
	fi
	echo "$con" | grep -E 'journal write failed|no bootable image' >/dev/null && fail "journal write failed or halt"

	# the never-confirmed image only ever boots on a counted trial
	echo "$con" | awk '
		/^twinslot-boot: / { inb = 0 }
		/^twinslot-app: v1\.1\.0 slot B$/ { inb = 1 }
		/^twinslot-app: v1\.0\.0 slot A$/ { inb = 0 }
		/^twinslot-app: confirmed$/ && inb { bconf = 1 }
		/^twinslot-boot: slot B v1\.1\.0/ && !bconf && !/ trial [1-3]\/3 \(/ {
			print "unconfirmed B booted without a counted trial: " $0; bad = 1 }
		END { exit bad }' || fail "trial guard (console)"
	# each TRIAL LED code follows a whole record programmed in the same boot
	awk -v j=$((0x080E0000)) '
		/"type":"boot"/ { run = 0; last = -1; code_t = ""; done = 0; code = ""; next }
		/"type":"flash_erase"/ { run = 0; next }
		/"type":"flash_program"/ {
			a = $0; sub(/.*"addr":/, "", a); sub(/,.*/, "", a); a += 0
			run = (a == last + 4) ? run + 1 : 1; last = a; next }
		/"type":"led"/ && /"on":true/ && !done {
			t = $0; sub(/.*"t_ns":/, "", t); sub(/,.*/, "", t)
			p = $0; sub(/.*"pin":"/, "", p); sub(/".*/, "", p)
			if (code_t == "") { code_t = t; whole = run >= 8 && (last - j) % 32 == 28 && last >= j }
			if (t != code_t) { done = 1; next }
			if (p == "PD15") { print "journal write failed (blue LED)"; bad = 1 }
			if (p == "PD13" && !whole) { print "TRIAL without a whole record written first"; bad = 1 }
		}
		END { exit bad }' "$T/ev" || fail "trial guard (events)"

	jl=$("$LIVE" --live "$T/flash")
	sum=$(echo "$jl" | tail -1)
	case "$sum" in *" dirty=0 "*) ;; *) fail "final journal: $sum" ;; esac
	local lastboot lasttrial
	lastboot=$(echo "$con" | grep '^twinslot-boot: ' | tail -1)
	[ "$(echo "$con" | grep '^twinslot-app: ' | tail -1)" = "twinslot-app: already confirmed" ] ||
		fail "the last boot's application did not find itself confirmed"
	[ -z "$(tail -n +$((MARK + 1)) "$T/ev" | ops_of /dev/stdin)" ] || fail "the settled board still writes flash"
	lasttrial=$(echo "$con" | grep -oE '^twinslot-boot: slot B v1\.1\.0 trial [1-3]/3' | tail -1 |
		sed -E 's/.* trial ([1-3])\/3/\1/' || true)
	if [ "$SCEN" = rollback ]; then
		case "$sum" in *" newest=rolled_back:B A=confirmed:0 "*) ;; *) fail "final journal: $sum" ;; esac
		[ "$lastboot" = "twinslot-boot: slot A v1.0.0 (other slot was rolled back)" ] ||
			fail "last boot: $lastboot"
		[ "$lasttrial" = 3 ] || fail "the last trial of B was '$lasttrial', not 3"
		echo "$jl" | grep -E "^pos=[0-9]+ seq=[0-9]+ attempt B attempt=3 v=$B_V live$" >/dev/null ||
			fail "no ATTEMPT 3 for B in the journal"
		OUT_A=$((OUT_A + 1))
		return
	fi
	# B runs in the end unless the cut left A's CONFIRMED and nothing live
	# about B: then the board stays on A (compaction rewrites the newest
	# record first, so this no longer happens; the test says if it does)
	exp=B
	if [ "$k" -gt 0 ]; then
		case "$(tail -1 "$T/off.txt")" in *" A=confirmed:0 B=none") exp=A ;; esac
	fi
	case "$sum" in *" newest=confirmed:$exp "*"$exp=confirmed:0"*) ;; *) fail "final journal: $sum (expected B confirmed)" ;; esac
	if [ $exp = B ]; then
		[ "$lastboot" = "twinslot-boot: slot B v1.1.0 (confirmed)" ] || fail "last boot: $lastboot"
		[ -n "$lasttrial" ] || fail "B confirmed without a trial"
		echo "$jl" | grep -E "^pos=[0-9]+ seq=[0-9]+ attempt B attempt=$lasttrial v=$B_V live$" >/dev/null ||
			fail "no ATTEMPT $lasttrial for B in the final journal"
		OUT_B=$((OUT_B + 1))
	else
		[ "$lastboot" = "twinslot-boot: slot A v1.0.0 (confirmed)" ] || fail "last boot: $lastboot"
		echo "$con" | tail -n +$((CONMARK + 1)) | grep "^twinslot-app: v1\\.1\\.0 slot B$" >/dev/null &&
			fail "B ran after the cut although nothing live names it"
		OUT_A=$((OUT_A + 1))
		[ "$k" -gt 0 ] && A_KS="$A_KS $k"
	fi
}

OUT_A=0 OUT_B=0 A_KS=
run_case 0 1
ops_of "$T/ev" >"$T/ops0"
check_case 0
OUT_A=0 OUT_B=0
count=$(wc -l <"$T/ops0")
nerase=$(grep -c '^erase' "$T/ops0" || true)
[ "$count" -gt 0 ] || fail "the uncut run performed no flash operation"
case "$SCEN" in
boot_compaction | app_compaction) [ "$nerase" = 1 ] || fail "expected one compaction erase, got $nerase" ;;
*) [ "$nerase" = 0 ] || fail "unexpected erase" ;;
esac
if [ "$SCEN" = rollback ]; then # ROLLED_BACK is written after the watchdog reset
	after=$(awk '/"type":"reset"/ { c = $0; sub(/.*"cause":"/, "", c); sub(/".*/, "", c) }
		/"type":"flash_program"/ && ++n == 9 { print c }' "$T/ev")
	[ "$after" = iwdg ] || fail "the ROLLED_BACK write followed a '$after' reset, not the watchdog's"
fi
echo "$SCEN: $count flash operations uncut ($nerase erase, $((count - nerase)) word programs)"

cuts=0
for ((k = 1; k <= count; k++)); do
	op=$(sed -n "${k}p" "$T/ops0")
	seeds=1
	[ "${op%% *}" = erase ] && seeds=$ERASE_SEEDS
	for ((s = 1; s <= seeds; s++)); do
		run_case "$k" $((k * 100 + s))
		check_case "$k"
		cuts=$((cuts + 1))
	done
done
how="every operation"
[ "$nerase" -gt 0 ] && how="$how, the erase with $ERASE_SEEDS seeds"
if [ "$SCEN" = rollback ]; then
	ends="A runs after the rollback: $OUT_A"
else
	ends="B confirmed: $OUT_B, A kept (the cut took B's only live record: the update is lost, safely): $OUT_A${A_KS:+ (k =$A_KS)}"
fi
echo "$SCEN: $cuts power cuts ($how); afterwards $ends; $SECONDS s"
# Compaction rewrites the newest record first: no single cut loses the update.
[ "$SCEN" = rollback ] || [ "$OUT_A" = 0 ] || fail "$OUT_A cuts lost B's update (k =$A_KS)"
# the fault-campaign summary line (issue 13; fail() above ends the run on
# any violation, so the counts of violations are 0 when it is reached)
echo "campaign board_powercut $SCEN cases=$cuts faults=$cuts ops=$count b_confirmed=$OUT_B a_runs=$OUT_A bricks=0 wrong=0 unconfirmed=0 failures=0"
echo "reproduce: bash $0 BOARD TWINSLOT BOARD_LIVE FIRMWARE_DIR $SCEN"
echo "PASS $SCEN"
