#!/usr/bin/env bash
# The demo's story from the ESP32 port's own code (esp32-agent: the port's
# sources compiled unchanged against the ESP-IDF stand-in), on the virtual
# board (unpaced) and the local S3 server:
#   v1.0.0 runs in slot A; publish v1.1.0 -> installed in B and confirmed;
#   publish v1.2.0 built from app-noconfirm -> three trials, rolled back.
# Asserts on the board's flash file (slot bytes, journal records), its
# console, the agent's report object in S3, the stand-in's NVS file, and the
# agent's own exit (non-zero when the stand-in saw the port ask for the
# wrong frame format, drive NRST push-pull, or leave NVS writes uncommitted).
# usage: standin_story.sh SRC BUILD ESP32_AGENT TWINSLOT BOARD BOARD_JOURNAL
set -euo pipefail
SRC=$1 BUILD=$2 AGENT=$3 TW=$4 BOARD=$5 JOURNAL=$6
FW=$BUILD/firmware
for f in bootloader.bin app-a.elf app-b.elf app-noconfirm-a.elf app-noconfirm-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIP: $FW/$f not built"; exit 77; }
done
command -v node >/dev/null && [ -d "$SRC/scripts/s3rver/node_modules/@20minutes/s3rver" ] ||
	{ echo "SKIP: the local S3 server is not installed (scripts/setup.sh)"; exit 77; }
W=$(mktemp -d /tmp/twinslot-esp32.XXXXXX)
BOARD_PID= AGENT_PID=
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	[ -n "$BOARD_PID" ] && kill "$BOARD_PID" 2>/dev/null && wait "$BOARD_PID" 2>/dev/null
	"$SRC/scripts/s3rver.sh" stop "$W/s3" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	echo "--- agent (last lines)" >&2; tail -25 "$W/agent.log" >&2 || true
	echo "--- console" >&2; tr -d '\r' <"$W/console.log" | grep -a '^twinslot-' | tail -15 >&2 || true
	exit 1
}
wait_until() { # SECONDS WHAT COMMAND...
	local end=$((SECONDS + $1)) what=$2; shift 2
	until "$@"; do
		[ $SECONDS -lt $end ] || fail "timed out waiting for $what"
		kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited while waiting for $what"
		sleep 0.2
	done
}

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
rc=0; PORT=$("$SRC/scripts/s3rver.sh" start "$W/s3" twinslot) || rc=$?
[ $rc = 77 ] && { echo "SKIP: the local S3 server cannot run"; exit 77; }
[ $rc = 0 ] || fail "the local S3 server did not start"
EP=http://127.0.0.1:$PORT
report_is() { curl -sf "$EP/twinslot/fw/reports/esp32-board.json" 2>/dev/null |
	grep "\"version\":\"$1\",\"outcome\":\"$2\"" >/dev/null; }
"$TW" keygen --out-dir "$W/key" >/dev/null
export TS_PUBKEY=$W/key/signing-key.pub.pem
publish() { # VERSION APP: signed, as a vendor releases it
	"$TW" pack --version "$1" --product twinslot-demo --key "$W/key/signing-key.pem" \
		--slot-a "$FW/$2-a.elf" --slot-b "$FW/$2-b.elf" \
		--out-dir "$W/rel-$1" >/dev/null
	"$TW" publish --endpoint "$EP" --bucket twinslot --prefix fw --product twinslot-demo \
		--release "$W/rel-$1" >"$W/publish-$1.out"
}
publish 1.0.0 app
"$TW" compose -o "$W/flash.bin" --bootloader "$FW/bootloader.bin" \
	--slot-a "$W/rel-1.0.0/slot-a.img" --record confirmed:a >/dev/null
"$BOARD" --quiet --flash "$W/flash.bin" --pty-link "$W/tty" --control "$W/board.sock" \
	--events "$W/events.jsonl" --console "$W/console.log" --max-wall 600 &
BOARD_PID=$!
for _ in $(seq 200); do [ -S "$W/board.sock" ] && [ -e "$W/tty" ] && break; sleep 0.05; done
[ -e "$W/tty" ] || fail "the board did not start"

# The ESP32's wiring, as the stand-in sees it: UART2 on the board's pty,
# GPIO4/GPIO5 on BOOT0/NRST, NVS in a file.
export TS_STANDIN_UART2_PTY=$W/tty TS_STANDIN_BOARD_CTL=$W/board.sock TS_STANDIN_NVS=$W/nvs.txt
start=$SECONDS
"$AGENT" agent "$EP" twinslot fw/manifest.json twinslot-demo esp32-board fw/reports 2000 3000 \
	>"$W/agent.log" 2>&1 &
AGENT_PID=$!
wait_until 60 "v1.0.0 to be settled (skipped: the board runs it)" report_is 1.0.0 skipped
publish 1.1.0 app
wait_until 120 "v1.1.0 to be confirmed" report_is 1.1.0 confirmed
publish 1.2.0 app-noconfirm
wait_until 180 "v1.2.0 to be rolled back" report_is 1.2.0 rolled_back
kill -TERM "$AGENT_PID"
arc=0; wait "$AGENT_PID" || arc=$?
AGENT_PID=
[ $arc = 0 ] || fail "the agent exited with $arc (see the stand-in's lines)"
echo "story ran in $((SECONDS - start)) s"
grep '^standin:' "$W/agent.log" || true

# The flash file: the published images, byte for byte.
for x in "b 1.1.0 $((0x80000))" "a 1.2.0 $((0x20000))"; do
	set -- $x
	img=$W/rel-$2/slot-$1.img
	cmp -s -n "$(stat -c %s "$img")" "$img" <(tail -c +$(($3 + 1)) "$W/flash.bin") ||
		fail "slot ${1^^} does not hold the published v$2 image"
done
# The journal: v1.1.0 confirmed in B, v1.2.0's three attempts, rolled back.
recs=$("$JOURNAL" "$W/flash.bin" | grep '^seq=' | sed 's/^seq=[0-9]* //' | tr '\n' ';')
want="confirmed A attempt=0 v=0x01000000;"
want+="pending B attempt=0 v=0x01010000;attempt B attempt=1 v=0x01010000;"
want+="confirmed B attempt=0 v=0x01010000;"
want+="pending A attempt=0 v=0x01020000;attempt A attempt=1 v=0x01020000;"
want+="attempt A attempt=2 v=0x01020000;attempt A attempt=3 v=0x01020000;"
want+="rolled_back A attempt=0 v=0x01020000;"
[ "$recs" = "$want" ] || fail "journal records: $recs"
# The console.
con=$(tr -d '\r' <"$W/console.log" | grep -a '^twinslot-' | tr '\n' ';')
for l in "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)" "twinslot-app: confirmed" \
	"twinslot-boot: slot A v1.2.0 trial 3/3 (trial continues)" \
	"twinslot-boot: slot B v1.1.0 (other slot failed its trial: rolled back)"; do
	case ";$con" in *";$l;"*) ;; *) fail "console lacks \"$l\"" ;; esac
done
# The report object and the agent's memory in NVS (namespace twinslot).
rep=$W/s3/data/twinslot/fw/reports/esp32-board.json._S3rver_object
grep -q '"version":"1.2.0","outcome":"rolled_back","board_version":"1.1.0"' "$rep" ||
	fail "report: $(cat "$rep")"
etag=$(curl -sfI "$EP/twinslot/fw/manifest.json" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
hex=$(printf '%s' "$etag" | od -An -tx1 | tr -d ' \n')
grep -q "^twinslot agent.etag $hex" "$W/nvs.txt" ||
	fail "NVS has not the manifest's ETag $etag: $(cat "$W/nvs.txt")"
echo "PASS esp32_standin_story ($((SECONDS - start)) s)"
