#!/usr/bin/env bash
# Power cuts at every flash operation of the minimum security counter's
# writes, on the virtual board with the real bootloader and application
# (docs/security.md, "The security counter"). The method is
# board_powercut.sh's: run the scenario uncut and list its flash operations
# from the event log; then for each k a fresh copy of the starting flash,
# `cut after k` (a word partly programmed, or a random prefix of the sector
# erased: the erase with several seeds), power on, wait until an application
# says it is confirmed, reset once more and wait again. Asserted after each:
#   - the image below the minimum (v1.0.0, counter 1) never runs once the
#     minimum is 2: no "twinslot-app: v1.0.0" line in any of those scenarios;
#   - no halt, no journal-write failure, no flash_overwrite, no lock-up,
#     exactly one power cut, which hit the k-th operation of the uncut run;
#   - in the end B (v1.1.0, counter 2) runs confirmed, the journal is not
#     dirty and holds the minimum 2 (board_journal --live: lib's scan with
#     the identities of the images validated in the file), and the settled
#     board (the extra reset) writes nothing: a torn write made the minimum
#     late at worst, never lower, and the next start of the confirmed image
#     wrote it again.
# Scenarios (counters: A v1.0.0 = 1, B v1.1.0 = 2):
#   confirm      A confirmed, minimum 1, B pending: the bootloader's ATTEMPT,
#                then the client's CONFIRMED and MIN_COUNTER 2 (one append of
#                two records; a cut between them leaves the minimum at 1 until
#                the application's next start writes it)
#   app_compact  the same with the sector nearly full (4092 stale records
#                first): the ATTEMPT fills it, the client's CONFIRMED +
#                MIN_COUNTER compacts (erase, MIN_COUNTER 1, B's ATTEMPT, A's
#                CONFIRMED, then the two new records)
#   refuse_compact  B confirmed with the minimum 2, an old A (counter 1)
#                forced in with a PENDING record as the sector's last record:
#                the bootloader's ROLLED_BACK for A compacts (erase,
#                MIN_COUNTER 2, A's PENDING, B's CONFIRMED, ROLLED_BACK A).
#                A cut after the erase loses the stored minimum: the empty
#                journal trials the highest counter (B), and a torn erase that
#                keeps only A's PENDING meets the implicit minimum (B's higher
#                counter, not failed): A is never run
# Prints the fault-campaign summary line (issue 13 convention).
# usage: board_powercut_counter.sh BOARD TWINSLOT BOARD_LIVE FIRMWARE_DIR SCENARIO [STRIDE]
#   STRIDE (default 1: every operation): cut at every STRIDE-th word program
#   only, and still at every erase and at the last operation. The suite uses
#   a stride; scripts/campaigns.sh runs every operation.
set -euo pipefail
BOARD=$1 TW=$2 LIVE=$3 FW=$4 SCEN=$5 STRIDE=${6:-1}
case "$STRIDE" in '' | 0 | *[!0-9]*) echo "STRIDE must be a positive number" >&2; exit 2 ;; esac
ARGS="$*"
ERASE_SEEDS=${POWERCUT_ERASE_SEEDS:-3}
for f in bootloader.bin app-a.elf app-b.elf; do
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
	echo "campaign powercut_counter $SCEN cases=$cuts failures=1"
	echo "reproduce: bash $0 $ARGS"
	exit 1
}
ctl() { "$BOARD" --ctl "$T/sock" "$@" >/dev/null || fail "control: $*"; }
wait_until() {
	local n=$(($1 * 50)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.02; done
	return 1
}
has_ev() { grep -qF "$1" "$T/ev" 2>/dev/null; }
confirmed_lines() { tr -d '\r' <"$T/con" 2>/dev/null | grep -cE '^twinslot-app: (already )?confirmed$' || true; }
at_least_confirmed() { [ "$(confirmed_lines)" -ge "$1" ]; }
ops_of() {
	grep -E '"type":"(flash_program|flash_erase)"' "$1" |
		sed -E 's/.*"type":"flash_program","addr":([0-9]+).*/program \1/;
			s/.*"type":"flash_erase","sector":(-?[0-9]+).*/erase \1/'
}

"$TW" pack --version 1.0.0 --security-counter 1 --slot-a "$FW/app-a.elf" --out-dir "$T/a" >/dev/null
"$TW" pack --version 1.1.0 --security-counter 2 --slot-b "$FW/app-b.elf" --out-dir "$T/b" >/dev/null
fill() { # N stale records: about version 0.0.1, an image in no slot
	local i
	for ((i = 0; i < $1; i++)); do echo "--record"; echo "rolled_back:a:0:0.0.1:000000000000000000000000"; done
}
A_RUNS_OK=1 # may A (counter 1) run at all in this scenario?
case "$SCEN" in
confirm) recs=(--record confirmed:a --record min_counter:a --record pending:b) ;;
app_compact) mapfile -t F < <(fill 4092)
	recs=("${F[@]}" --record confirmed:a --record min_counter:a --record pending:b) ;;
refuse_compact) mapfile -t F < <(fill 4093)
	recs=("${F[@]}" --record confirmed:b --record min_counter:b --record pending:a)
	A_RUNS_OK=0 ;;
*) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
"$TW" compose -o "$T/start" --bootloader "$FW/bootloader.bin" --slot-a "$T/a/slot-a.img" \
	--slot-b "$T/b/slot-b.img" "${recs[@]}" >/dev/null
cuts=0

run_case() { # K SEED
	local k=$1 seed=$2
	CASE="cut $k seed $seed"
	rm -f "$T/ev" "$T/con" "$T/sock"
	: >"$T/off.txt"
	cp "$T/start" "$T/flash"
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--boot0 1 --seed "$seed" --max-wall 200 &
	PID=$!
	wait_until 5 test -S "$T/sock" || fail "no control socket"
	[ "$k" -gt 0 ] && ctl "cut after $k"
	ctl "boot0 0" "nrst pulse"
	if [ "$k" -gt 0 ]; then
		wait_until 60 has_ev '"type":"power","on":false' || fail "no power cut"
		"$LIVE" --live "$T/flash" >"$T/off.txt"
		ctl "power on"
	fi
	# Bounds, not timings: a boot after a cut may hash both slots and erase
	# the 128 KB sector, which takes the emulator a while on a loaded machine.
	wait_until 90 at_least_confirmed 1 || fail "no application confirmed within 90 s"
	MARK=$(wc -l <"$T/ev")
	ctl "nrst pulse"
	wait_until 60 at_least_confirmed 2 || fail "no application after the extra reset"
	ctl quit
	wait "$PID" || true
	PID=
}

check_case() { # K
	local k=$1 con sum n
	con=$(tr -d '\r' <"$T/con")
	has_ev '"type":"flash_overwrite"' && fail "flash_overwrite: something programmed non-erased flash"
	has_ev '"type":"lockup"' && fail "lock-up"
	n=$(grep -c '"type":"power_cut"' "$T/ev" || true)
	[ "$n" = $((k > 0 ? 1 : 0)) ] || fail "$n power cuts"
	if [ "$k" -gt 0 ]; then
		local want cut
		want=$(sed -n "${k}p" "$T/ops0")
		cut=$(grep '"type":"power_cut"' "$T/ev" |
			sed -E 's/.*"kind":"program","addr":([0-9]+).*/program \1/;
				s/.*"kind":"erase","sector":([0-9]+).*/erase \1/')
		[ "$cut" = "$want" ] || fail "cut hit '$cut', the uncut run's operation $k is '$want'"
	fi
	echo "$con" | grep -E 'journal write failed|no bootable image' >/dev/null && fail "journal write failed or halt"
	if [ "$A_RUNS_OK" = 0 ]; then
		echo "$con" | grep -E '^twinslot-app: v1\.0\.0' >/dev/null &&
			fail "the image below the minimum (v1.0.0, counter 1) ran"
	fi
	sum=$("$LIVE" --live "$T/flash" | tail -1)
	case "$sum" in *" dirty=0 "*" B=confirmed:0 min=2") ;;
	*) fail "final journal: $sum (expected B confirmed, minimum 2)" ;; esac
	case "$(echo "$con" | grep '^twinslot-boot: ' | tail -1)" in
	"twinslot-boot: slot B v1.1.0 (confirmed)" | "twinslot-boot: slot B v1.1.0 (other slot was rolled back)") ;;
	*) fail "last boot: $(echo "$con" | grep '^twinslot-boot: ' | tail -1)" ;; esac
	[ -z "$(tail -n +$((MARK + 1)) "$T/ev" | ops_of /dev/stdin)" ] || fail "the settled board still writes flash"
	# Where the cut left the stored minimum (for the summary).
	case "$(tail -1 "$T/off.txt")" in *" min=2") AT2=$((AT2 + 1)) ;; *" min=1") AT1=$((AT1 + 1)) ;;
	"") ;; *) AT0=$((AT0 + 1)) ;; esac
}

AT0=0 AT1=0 AT2=0
run_case 0 1
ops_of "$T/ev" >"$T/ops0"
check_case 0
count=$(wc -l <"$T/ops0")
nerase=$(grep -c '^erase' "$T/ops0" || true)
[ "$count" -gt 0 ] || fail "the uncut run performed no flash operation"
case "$SCEN" in
*_compact) [ "$nerase" = 1 ] || fail "expected one compaction erase, got $nerase" ;;
*) [ "$nerase" = 0 ] || fail "unexpected erase" ;;
esac
echo "$SCEN: $count flash operations uncut ($nerase erase, $((count - nerase)) word programs)"
for ((k = 1; k <= count; k++)); do
	op=$(sed -n "${k}p" "$T/ops0")
	seeds=1
	[ "${op%% *}" = erase ] && seeds=$ERASE_SEEDS
	[ "${op%% *}" = erase ] || [ $(((k - 1) % STRIDE)) = 0 ] || [ "$k" = "$count" ] || continue
	for ((s = 1; s <= seeds; s++)); do
		run_case "$k" $((k * 100 + s))
		check_case "$k"
		cuts=$((cuts + 1))
	done
done
echo "$SCEN: stored minimum at the cut: 2 in $AT2, 1 in $AT1, none (erased or torn) in $AT0; 2 after every one; $SECONDS s"
echo "campaign powercut_counter $SCEN-stride$STRIDE cases=$cuts faults=$cuts settled=$cuts wrong=0 bricks=0 failures=0"
echo "reproduce: bash $0 $ARGS"
echo "PASS $SCEN"
