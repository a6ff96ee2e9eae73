#!/usr/bin/env bash
# The main job: the whole over-the-air story on this machine, with the local
# S3 server and the virtual STM32F407 board running the real bootloader and
# application.
#
#   start the local S3 server; build and publish v1.0.0; provision the board
#   with the bootloader and v1.0.0; start the agent; publish v1.1.0 (the agent
#   sees it with one HEAD, streams it into the inactive slot, the board boots
#   it and it confirms); publish a broken v1.2.0 that never confirms (the
#   agent forces its trials with NRST pulses until the bootloader rolls back
#   to v1.1.0, and reports it); show the board's journal and the report.
#
# usage: scripts/demo.sh [--realtime] [--no-setup] [--build-dir DIR]
#                        [--workdir DIR] [--keep]
#   --realtime     the board paces its CPU and serial link in real time at
#                  115200 baud (default: unpaced, as fast as it runs)
#   --no-setup     skip scripts/setup.sh (Debian packages)
#   --build-dir    the CMake build directory (default: build/; reused)
#   --workdir      where the run keeps its files (default: a temporary
#                  directory, removed at the end unless --keep)
# Uses 127.0.0.1 only. Every wait is bounded; all processes are stopped on
# exit, also on failure or Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
REALTIME=0 SETUP=1 BUILD=$here/build WORK= KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--realtime) REALTIME=1 ;;
	--no-setup) SETUP=0 ;;
	--build-dir) BUILD=$(realpath -m "$2"); shift ;;
	--workdir) WORK=$(realpath -m "$2"); KEEP=1; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B= G= R= N=; fi
STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s==> %d. %s%s\n' "$B" "$STEP" "$*" "$N"; }
info() { printf '    %s\n' "$*"; }
die() {
	printf '%sdemo: FAILED: %s%s\n' "$R" "$*" "$N" >&2
	if [ -n "${WORK:-}" ] && [ -f "$WORK/console.log" ]; then
		echo "--- last board console lines ($WORK/console.log):" >&2
		tr -d '\r' <"$WORK/console.log" | grep -ao 'twinslot-[a-z]*: .*' | tail -15 >&2 || true
	fi
	exit 1
}

# ---- setup and build -------------------------------------------------------
if [ "$SETUP" = 1 ]; then
	step "Install the Debian and npm packages (scripts/setup.sh)"
	"$here/scripts/setup.sh"
fi
step "Build the bootloader, the application, the tools and the virtual board ($BUILD)"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$here" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.configure.log" 2>&1 ||
		{ cat "$BUILD.configure.log" >&2; die "cmake configure failed"; }
	rm -f "$BUILD.configure.log"
fi
cmake --build "$BUILD" -j2 --target twinslot twinslot-board firmware >/dev/null 2>"$BUILD/demo-build.err" ||
	cmake --build "$BUILD" -j2 >/dev/null 2>"$BUILD/demo-build.err" ||
	{ cat "$BUILD/demo-build.err" >&2; die "build failed"; }
TW=$BUILD/tools/twinslot
BOARD=$BUILD/sim/twinslot-board
FW=$BUILD/firmware
for f in "$TW" "$BOARD" "$FW/bootloader.bin" "$FW/app-a.elf" "$FW/app-b.elf" \
	"$FW/app-noconfirm-a.elf" "$FW/app-noconfirm-b.elf"; do
	[ -e "$f" ] || die "$f was not built"
done
info "twinslot, twinslot-board and the firmware are in $BUILD"

# ---- the run's files and processes ----------------------------------------
if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/twinslot-demo.XXXXXX); else mkdir -p "$WORK"; fi
rm -rf "$WORK"/{s3,rel-*,keys,flash.bin,events.jsonl,console.log,agent.*,board.*,tty,report-*.json}
BOARD_PID= AGENT_PID=
cleanup() {
	local rc=$?
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	[ -n "$BOARD_PID" ] && kill "$BOARD_PID" 2>/dev/null && wait "$BOARD_PID" 2>/dev/null
	"$here/scripts/s3rver.sh" stop "$WORK/s3" 2>/dev/null || true
	if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; elif [ $rc != 0 ]; then echo "demo: files kept in $WORK" >&2; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s
wait_until() {
	local secs=$1 what=$2; shift 2
	local end=$((SECONDS + secs))
	until "$@"; do
		[ $SECONDS -lt $end ] || die "timed out after ${secs}s waiting for $what"
		[ -z "$AGENT_PID" ] || kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited while waiting for $what"
		[ -z "$BOARD_PID" ] || kill -0 "$BOARD_PID" 2>/dev/null || die "the board exited while waiting for $what"
		sleep 0.2
	done
}
console_has() { tr -d '\r' <"$WORK/console.log" 2>/dev/null | grep -a "$1" >/dev/null; }

# ---- the story --------------------------------------------------------------
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER # s3rver's own pair
step "Start the local S3 server (s3rver, verifies Signature V4) on 127.0.0.1"
PORT=$("$here/scripts/s3rver.sh" start "$WORK/s3" twinslot) || die "the local S3 server did not start"
EP=http://127.0.0.1:$PORT
info "endpoint $EP, bucket twinslot"
report_json() { curl -sf "$EP/twinslot/fw/reports/demo-board.json" 2>/dev/null; }
report_is() { # report_is VERSION OUTCOME
	report_json | grep "\"version\":\"$1\",\"outcome\":\"$2\"" >/dev/null
}

publish() { # publish VERSION APP_PREFIX: packed for the manifest's product, signed
	"$TW" pack --version "$1" --slot-a "$FW/$2-a.elf" --slot-b "$FW/$2-b.elf" \
		--product twinslot-demo --key "$WORK/keys/signing-key.pem" \
		--out-dir "$WORK/rel-$1" >/dev/null || die "pack $1"
	"$TW" publish --endpoint "$EP" --bucket twinslot --prefix fw --product twinslot-demo \
		--release "$WORK/rel-$1" >"$WORK/publish-$1.out" || die "publish $1"
	sed -n 's/^uploaded /    uploaded /p' "$WORK/publish-$1.out"
}

step "Generate the vendor's signing key (ECDSA P-256; offline in real life)"
"$TW" keygen --out-dir "$WORK/keys" | sed 's/^/    /' || die "keygen"
info "hosts get only $WORK/keys/signing-key.pub.pem; every release below is signed"

step "Build release v1.0.0 (each slot's link of the example app), sign and publish it"
publish 1.0.0 app

step "Provision the virtual board: bootloader + v1.0.0 in slot A, confirmed"
"$TW" compose -o "$WORK/flash.bin" --bootloader "$FW/bootloader.bin" \
	--slot-a "$WORK/rel-1.0.0/slot-a.img" --record confirmed:a >/dev/null || die "compose"
info "flash image $WORK/flash.bin (1 MB), journal: CONFIRMED slot A"
board_args=(--quiet --flash "$WORK/flash.bin" --pty-link "$WORK/tty" --control "$WORK/board.sock"
	--events "$WORK/events.jsonl" --console "$WORK/console.log" --max-wall 900)
[ "$REALTIME" = 1 ] && board_args+=(--realtime --baud 115200)
"$BOARD" "${board_args[@]}" &
BOARD_PID=$!
wait_until 10 "the board's serial port and control socket" test -S "$WORK/board.sock" -a -e "$WORK/tty"
wait_until 20 "v1.0.0 to boot" console_has "twinslot-app: v1.0.0 slot A"
info "board: $(tr -d '\r' <"$WORK/console.log" | grep -ao 'twinslot-boot: .*' | tail -1)"
info "serial port $WORK/tty, pins board:$WORK/board.sock$([ "$REALTIME" = 1 ] && echo ', paced at 115200 baud')"

step "Start the agent (polls fw/manifest.json every ~2 s with HEAD + If-None-Match)"
OT=3; [ "$REALTIME" = 1 ] && OT=6
"$TW" agent --endpoint "$EP" --bucket twinslot --manifest fw/manifest.json \
	--product twinslot-demo --device demo-board --report-prefix fw/reports \
	--interval 2 --jitter 1 --outcome-timeout "$OT" --max-resets 5 \
	--port "$WORK/tty" --pins "board:$WORK/board.sock" --state "$WORK/agent.state" \
	--pubkey "$WORK/keys/signing-key.pub.pem" &
AGENT_PID=$!
wait_until 60 "the agent to settle v1.0.0 (the board already runs it)" report_is 1.0.0 skipped
info "the agent read the board (v1.0.0 runs) and settled the manifest's ETag"

step "Publish v1.1.0: the agent sees a new ETag, streams the image into slot B"
publish 1.1.0 app
wait_until 120 "v1.1.0 to be installed and confirmed" report_is 1.1.0 confirmed
console_has "twinslot-app: v1.1.0 slot B" || die "the console never showed v1.1.0 running"
info "board: $(tr -d '\r' <"$WORK/console.log" | grep -ao 'twinslot-boot: .*' | tail -1)"
info "board: $(tr -d '\r' <"$WORK/console.log" | grep -ao 'twinslot-app: confirmed.*' | tail -1)"

step "Publish a broken v1.2.0 (runs, feeds the watchdog, never confirms)"
publish 1.2.0 app-noconfirm
wait_until 180 "v1.2.0 to be rolled back" report_is 1.2.0 rolled_back
info "board: $(tr -d '\r' <"$WORK/console.log" | grep -ao 'twinslot-boot: .*' | tail -1)"

step "Stop the agent (SIGTERM)"
kill -TERM "$AGENT_PID"
for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$AGENT_PID" 2>/dev/null && die "the agent did not stop within 10 s of SIGTERM"
wait "$AGENT_PID" || die "the agent exited with status $?"
AGENT_PID=

step "Summary"
echo "    The board's slots and journal, read through its ROM bootloader (twinslot status):"
"$TW" status --port "$WORK/tty" --pins "board:$WORK/board.sock" -q >"$WORK/status.out" ||
	die "twinslot status"
sed 's/^/      /' "$WORK/status.out"
echo "    The agent's report in the bucket (s3://twinslot/fw/reports/demo-board.json):"
report_json | sed 's/^/      /'
grep -q '^slot B: v1\.1\.0.*journal: CONFIRMED' "$WORK/status.out" ||
	die "the board is not on a confirmed v1.1.0 in slot B"
grep -q '^slot A: v1.2.0.*journal: ROLLED_BACK' "$WORK/status.out" ||
	die "slot A's v1.2.0 is not marked rolled back"
resets=$(grep "\"type\":\"reset\"" "$WORK/events.jsonl" | grep -c "\"cause\":\"nrst\"" || true)
printf '\n%sThe board runs v1.1.0 (slot B, confirmed); v1.2.0 failed its trial and was rolled back.%s\n' "$G" "$N"
info "board resets by NRST during the run: $resets (events: $WORK/events.jsonl)"
