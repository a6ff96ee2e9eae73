#!/usr/bin/env bash
# Every fault campaign at full size, with one command, then docs/reliability.md
# written from their output (tests/campaigns/reliability.sh). Meant to end
# within the hour on a 2-core machine: the soak (real time, mostly idle) and
# the power-cut campaign run alongside the others, which run one after
# another.
#
# usage: scripts/campaigns.sh [--no-setup] [--build-dir DIR] [--logs DIR]
#                             [--soak SECONDS] [--only NAME] [--no-docs]
#   --soak   how long the soak runs (default 3300: it runs alongside the
#            rest, and all of it must end within the hour)
#   --only   run one campaign (soak, powercut, link, badfw, network,
#            badinput, board-boot_compaction, board-app_confirm,
#            board-app_compaction, board-rollback, counter-confirm, counter-app_compact,
#            counter-refuse_compact, app-link, app-cuts), keeping the other campaigns' logs in --logs
#   --no-docs  leave docs/reliability.md alone (the logs are still written)
#   --docs-only  only write docs/reliability.md from the logs in --logs
# Exit status: 0 when every campaign passed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SETUP=1 BUILD=$here/build LOGS=$here/build/campaigns SOAK=3300 ONLY= DOCS=1
while [ $# -gt 0 ]; do
	case "$1" in
	--no-setup) SETUP=0 ;;
	--build-dir) BUILD=$(realpath -m "$2"); shift ;;
	--logs) LOGS=$(realpath -m "$2"); shift ;;
	--soak) SOAK=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--no-docs) DOCS=0 ;;
	--docs-only) DOCS=2 ;;
	-h | --help) sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "campaigns: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$SOAK" in '' | *[!0-9]*) echo "campaigns: --soak takes seconds" >&2; exit 2 ;; esac
NAMES="soak powercut link badfw network badinput board-boot_compaction board-app_confirm
board-app_compaction board-rollback counter-confirm counter-app_compact counter-refuse_compact
app-link app-cuts"
if [ -n "$ONLY" ] && ! printf '%s\n' $NAMES | grep -x -- "$ONLY" >/dev/null; then
	echo "campaigns: --only $ONLY: no such campaign (one of: $(echo $NAMES))" >&2
	exit 2
fi

docs() {
	bash "$here/tests/campaigns/reliability.sh" "$LOGS" "$here" >"$here/docs/reliability.md"
	echo "wrote docs/reliability.md" >&2
}
if [ "$DOCS" = 2 ]; then docs; exit 0; fi
[ "$SETUP" = 0 ] || "$here/scripts/setup.sh"
cmake -S "$here" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
B=$BUILD TW=$BUILD/tools/twinslot BOARD=$BUILD/sim/twinslot-board FW=$BUILD/firmware
CT=$BUILD/tests/campaigns CTL=$BUILD/tests/host/board_ctl JOURNAL=$BUILD/tests/sim/board_journal
[ -n "$ONLY" ] || rm -rf "$LOGS"
mkdir -p "$LOGS"
start=$SECONDS
load() { cut -d' ' -f1-3 /proc/loadavg; }
commit=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
if [ -z "$ONLY" ]; then
	{
		echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "machine $(nproc) cores, $(uname -sm)"
		echo "load_start $(load)"
	} >"$LOGS/run.meta"
fi

# run NAME SCRIPT ARGS...: one campaign, its output in LOGS/NAME.log
run() {
	local name=$1 script=$2 t0=$SECONDS rc=0
	shift 2
	[ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || return 0
	echo "== $name: $script" >&2
	bash "$here/$script" "$@" >"$LOGS/$name.log" 2>&1 || rc=$?
	echo "$script" >"$LOGS/$name.script"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, load $(load)" >"$LOGS/$name.when"
	echo $((SECONDS - t0)) >"$LOGS/$name.wall"
	echo "$rc" >"$LOGS/$name.rc"
	grep '^campaign ' "$LOGS/$name.log" >&2 || true
	echo "== $name: exit $rc in $((SECONDS - t0)) s" >&2
}

# Three lanes: the soak (real time, mostly idle), the power-cut campaign
# (one core for most of the hour) and everything else, one after another.
run soak tests/campaigns/soak.sh "$TW" "$BOARD" "$FW" "$CT/journal_fill" "$CTL" "$here" \
	"$LOGS/soak-work" "$SOAK" 120 &
soak_pid=$!
run powercut tests/campaigns/powercut.sh "$TW" "$FW" "$CT/powercut" "$LOGS/powercut-work" full &
cut_pid=$!
run link tests/campaigns/link_faults.sh "$TW" "$BOARD" "$FW" "$JOURNAL" "$CTL" \
	"$LOGS/link-work" 3 128 "corrupt drop" "0.00001 0.0001 0.001"
run badfw tests/campaigns/bad_firmware.sh "$TW" "$BOARD" "$FW" "$JOURNAL" "$CTL" \
	"$LOGS/badfw-work" "$here"
run network tests/campaigns/network_faults.sh "$TW" "$BOARD" "$FW" "$JOURNAL" \
	"$CT/netfault_proxy" "$here" "$LOGS/network-work" 3 384
run badinput tests/campaigns/bad_input.sh "$TW" "$BOARD" "$FW" "$CTL" "$LOGS/badinput-work" \
	"$here" 1 4
# Every flash operation of the firmware's own journal writes, with the
# bootloader's ROLLED_BACK (rollback), which the cycle above does not reach.
for s in boot_compaction app_confirm app_compaction rollback; do
	run board-$s tests/sim/board_powercut.sh "$BOARD" "$TW" "$JOURNAL" "$FW" $s
done
for s in confirm app_compact refuse_compact; do
	run counter-$s tests/sim/board_powercut_counter.sh "$BOARD" "$TW" "$JOURNAL" "$FW" $s 1
done
# The app path (issue 15): link faults through the application's service,
# and power cuts at every 97th of its ~3,450 flash operations (each case is
# a real-time update: all of them take hours).
run app-link tests/campaigns/link_faults.sh "$TW" "$BOARD" "$FW" "$JOURNAL" \
	"$CTL" "$LOGS/app-link-work" 3 128 "corrupt drop" "0.0001" app
run app-cuts tests/host/e2e_app_cut.sh "$TW" "$BOARD" "$FW" "$JOURNAL" \
	"$B/tests/host/flash_truth" "$LOGS/app-cuts-work" sweep 97 1
wait "$cut_pid" || true
wait "$soak_pid" || true

if [ -z "$ONLY" ]; then
	echo "wall_s $((SECONDS - start))" >>"$LOGS/run.meta"
	echo "load $(sed -n 's/^load_start //p' "$LOGS/run.meta") at the start, $(load) at the end" >>"$LOGS/run.meta"
fi
[ "$DOCS" = 0 ] || docs
# (grep finds nothing when all passed: its status 1 must not end the script
# under pipefail and -e)
failed=$({ grep -lv '^0$' "$LOGS"/*.rc 2>/dev/null || true; } | xargs -r -n1 basename |
	sed 's/\.rc$//' | tr '\n' ' ')
[ -z "$failed" ] || { echo "campaigns FAILED: $failed(logs in $LOGS)" >&2; exit 1; }
echo "all campaigns passed in $((SECONDS - start)) s (logs in $LOGS)" >&2
