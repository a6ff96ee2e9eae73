#!/usr/bin/env bash
# Soak: the agent against the real-time virtual board and the local S3 server
# for DURATION seconds, a release published every INTERVAL seconds (or as soon
# as the previous one settled, with 0), in a fixed rotation of five kinds:
#   good        a newer signed release: must end "confirmed", running it;
#   good+fill   the same, after the board's journal was brought close to full
#               (board powered off, tests/campaigns/journal_fill) so that the
#               host, the bootloader or the application must compact it;
#   noconfirm   runs but never confirms: must end "rolled_back", the board
#               back on the previous release;
#   badkey      signed with a key the agent does not trust: must end
#               "skipped" with the board untouched (no flash write at all);
#   good        ...
# The agent's resident memory (VmRSS) and open file descriptors are sampled
# every 5 s; after the first release settled they must stay flat (RSS growth
# at most 256 KiB, never more descriptors than in the first quarter). Every
# release must end as its kind says, the board must end on the last good
# release, confirmed, and the flash must never see an overwrite, a lock-up
# or a watchdog reset outside a trial.
#
# usage: soak.sh TWINSLOT BOARD FIRMWARE_DIR JOURNAL_FILL BOARD_CTL SRC_DIR WORKDIR DURATION INTERVAL
#                [RSS_SLACK_KIB]
#   RSS_SLACK_KIB: the RSS growth allowed (256; the sanitizer build passes
#   more: AddressSanitizer keeps freed memory in quarantine, so its RSS
#   grows for a while without a leak)
# Prints one line per release, then the campaign lines "campaign soak releases
# ..." and "campaign soak memory ..." (docs/reliability.md).
set -euo pipefail
T=$1 BOARD=$2 FW=$3 FILL=$4 CTL=$5 SRC=$6 W=$7 DURATION=$8 INTERVAL=$9 SLACK=${10:-256}
for f in bootloader.bin app-a.elf app-b.elf app-noconfirm-a.elf app-noconfirm-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
command -v node >/dev/null && [ -d "$SRC/scripts/s3rver/node_modules/@20minutes/s3rver" ] ||
	{ echo "SKIPPED: the local S3 server is not installed (scripts/setup.sh)"; exit 77; }
CMD="$0 $*"
rm -rf "$W"; mkdir -p "$W"; cd "$W"
BPID= APID= SPID=
cleanup() {
	local rc=$?
	for p in $SPID $APID $BPID; do { kill "$p" && wait "$p"; } 2>/dev/null || true; done
	"$SRC/scripts/s3rver.sh" stop "$W/s3" 2>/dev/null || true
	exit $rc
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	tr -d '\r' <console.log 2>/dev/null | grep -a '^twinslot-' | tail -8 >&2 || true
	tail -5 agent.log >&2 || true
	exit 1
}
wait_until() { # SECONDS WHAT COMMAND...
	local end=$((SECONDS + $1)) what=$2; shift 2
	until "$@"; do
		[ $SECONDS -lt $end ] || fail "timed out waiting for $what"
		[ -z "$APID" ] || kill -0 "$APID" 2>/dev/null || fail "the agent exited"
		kill -0 "$BPID" 2>/dev/null || fail "the board exited"
		sleep 0.5
	done
}

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
PORT=$("$SRC/scripts/s3rver.sh" start "$W/s3" twinslot) || fail "the local S3 server did not start"
EP=http://127.0.0.1:$PORT
"$T" keygen --out-dir key >/dev/null
"$T" keygen --out-dir other >/dev/null
publish() { # VERSION APP KEYDIR
	"$T" pack --version "$1" --slot-a "$FW/$2-a.elf" --slot-b "$FW/$2-b.elf" \
		--product soak --key "$3/signing-key.pem" --out-dir "rel-$1" >/dev/null
	"$T" publish --endpoint "$EP" --bucket twinslot --prefix fw --product soak \
		--release "rel-$1" >/dev/null
}
report() { curl -sf "$EP/twinslot/fw/reports/soak-board.json" 2>/dev/null || true; }
outcome_is() { report | grep "\"version\":\"$1\",\"outcome\":\"$2\"" >/dev/null; }

publish 1.0.0 app key
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a rel-1.0.0/slot-a.img \
	--record confirmed:a >/dev/null
"$BOARD" --quiet --flash flash.bin --pty-link tty --control board.sock --events events.jsonl \
	--console console.log --realtime --baud 115200 --max-wall $((DURATION + 900)) >board.out 2>&1 &
BPID=$!
for _ in $(seq 100); do [ -e tty ] && [ -S board.sock ] && break; sleep 0.1; done
"$T" agent --endpoint "$EP" --bucket twinslot --manifest fw/manifest.json --product soak \
	--device soak-board --report-prefix fw/reports --interval 2 --jitter 1 \
	--outcome-timeout 6 --max-resets 5 --port tty --pins "board:$W/board.sock" \
	--state agent.state --pubkey key/signing-key.pub.pem >agent.log 2>&1 &
APID=$!
wait_until 90 "the agent to settle v1.0.0" outcome_is 1.0.0 skipped

# Memory and descriptors of the agent (and, for the record, the board).
( while kill -0 "$APID" 2>/dev/null; do
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$APID/status 2>/dev/null || echo 0)
	brss=$(awk '/^VmRSS/ {print $2}' /proc/$BPID/status 2>/dev/null || echo 0)
	fds=$(ls /proc/$APID/fd 2>/dev/null | wc -l)
	echo "$SECONDS $rss $fds $brss"
	sleep 5
done ) >samples.txt &
SPID=$!

board_ctl() { # a line to the board's control socket, the answer must start with "ok"
	local a
	a=$("$CTL" "$W/board.sock" "$1" 2>&1 || true)
	case "$a" in ok*) ;; *) fail "board control '$1': ${a:-no answer}" ;; esac
}

kinds=(good fill noconfirm badkey good)
n=0 good=0 rolled=0 skipped=0 fills=0 wrong=0 last_good=1.0.0 start=$SECONDS
while [ $((SECONDS - start)) -lt "$DURATION" ]; do
	t0=$SECONDS
	kind=${kinds[$((n % 5))]}
	n=$((n + 1)) v=1.$n.0
	case $kind in
	fill)
		board_ctl "power off"
		"$FILL" flash.bin $((RANDOM % 5)) >fill.out || fail "journal_fill: $(cat fill.out)"
		board_ctl "power on"
		fills=$((fills + 1))
		publish "$v" app key; want=confirmed ;;
	good) publish "$v" app key; want=confirmed ;;
	noconfirm) publish "$v" app-noconfirm key; want=rolled_back ;;
	badkey) publish "$v" app other; want=skipped ;;
	esac
	wait_until 240 "v$v to end $want" eval 'report | grep "\"version\":\"$v\",\"outcome\":" >/dev/null'
	got=$(report | sed -n 's/.*"version":"'"$v"'","outcome":"\([a-z_]*\)".*/\1/p')
	echo "release v$v ($kind): $got in $((SECONDS - t0)) s"
	[ "$got" = "$want" ] || { wrong=$((wrong + 1)); echo "WRONG: v$v ended $got, expected $want" >&2; }
	case $got in confirmed) good=$((good + 1)) last_good=$v ;; rolled_back) rolled=$((rolled + 1)) ;;
	skipped) skipped=$((skipped + 1)) ;; esac
	rest=$((INTERVAL - (SECONDS - t0)))
	[ "$rest" -le 0 ] || sleep "$rest"
done
elapsed=$((SECONDS - start))
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null || true; SPID=
# The agent holds the serial port (one user per port): stop it, as systemd would.
kill -TERM "$APID"; wait "$APID" || fail "the agent exited with $? on SIGTERM"; APID=

# The board ends on the last good release, confirmed, and nothing went wrong
# on its flash or core meanwhile.
"$T" status --port tty --pins "board:$W/board.sock" -q >status.out 2>&1 ||
	fail "twinslot status: $(cat status.out)"
grep -Eq "^slot [AB]: v$last_good, .*journal: CONFIRMED" status.out ||
	{ cat status.out; wrong=$((wrong + 1)); echo "WRONG: the board is not on v$last_good confirmed" >&2; }
compactions=$(grep '"type":"flash_erase"' events.jsonl | grep -c '"sector":11' || true)
overwrites=$(grep -c '"type":"flash_overwrite"' events.jsonl || true)
lockups=$(grep -c '"type":"lockup"' events.jsonl || true)
wdog=$(grep '"type":"reset"' events.jsonl | grep -c '"cause":"iwdg"' || true)
[ "$overwrites" = 0 ] || { wrong=$((wrong + 1)); echo "WRONG: $overwrites flash overwrites" >&2; }
[ "$lockups" = 0 ] || { wrong=$((wrong + 1)); echo "WRONG: $lockups core lock-ups" >&2; }
[ "$wdog" = 0 ] || { wrong=$((wrong + 1)); echo "WRONG: $wdog watchdog resets (no release here hangs)" >&2; }

# Flat: compare the first and the last quarter of the samples.
read -r rss0 rss1 fd0 fd1 brss0 brss1 ns < <(awk '{ s[NR] = $0 } END {
	q = int(NR / 4); if (q < 1) q = 1
	for (i = 1; i <= NR; i++) { split(s[i], f, " ")
		if (i <= q) { if (f[2] > r0) r0 = f[2]; if (f[3] > d0) d0 = f[3]; if (f[4] > b0) b0 = f[4] }
		if (i > NR - q) { if (f[2] > r1) r1 = f[2]; if (f[3] > d1) d1 = f[3]; if (f[4] > b1) b1 = f[4] } }
	print r0 + 0, r1 + 0, d0 + 0, d1 + 0, b0 + 0, b1 + 0, NR }' samples.txt)
leak=0
[ $((rss1 - rss0)) -le "$SLACK" ] || { leak=$((leak + 1)); echo "LEAK: agent RSS grew $rss0 -> $rss1 KiB" >&2; }
[ "$fd1" -le "$fd0" ] || { leak=$((leak + 1)); echo "LEAK: agent descriptors grew $fd0 -> $fd1" >&2; }
echo "campaign soak releases duration_s=$elapsed cases=$n confirmed=$good rolled_back=$rolled skipped=$skipped journal_fills=$fills compactions=$compactions bricks=0 wrong=$wrong unconfirmed=0 failures=$((overwrites + lockups))"
echo "reproduce: $CMD"
echo "campaign soak memory samples=$ns agent_rss_kib=$rss0->$rss1 agent_fds=$fd0->$fd1 board_rss_kib=$brss0->$brss1 failures=$leak"
echo "reproduce: $CMD"
[ "$wrong" = 0 ] && [ "$leak" = 0 ] && [ "$((overwrites + lockups))" = 0 ] || exit 1
[ "$compactions" -gt 0 ] || fail "the journal was never compacted"
echo PASS
