#!/usr/bin/env bash
# On the real-time board (115200 baud, datasheet ROM times):
#   stop   SIGINT while `flash` writes and SIGTERM while it erases: exit 8,
#          BOOT0 low and the board back in its application, the slot left
#          without a header, nothing committed; the same update then works.
#   race   two commands started together on one board, many times: the
#          second is refused at once ("port busy", exit 3) or runs after the
#          first; every committed image in the flash file is byte-identical to
#          a release (never a mix of two writers).
# usage: e2e_stop_race.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_CTL WORKDIR [ROUNDS]
set -euo pipefail
T=$1 BOARD=$2 FW=$3 CTL=$4 W=$5 ROUNDS=${6:-12}
for f in bootloader.bin app-a.elf app-b.elf app-b.bin; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"

fail() { echo "FAIL: $*" >&2; echo "--- console tail:" >&2; tail -5 console.txt >&2 || true; exit 1; }
step() { echo "== $*"; }

for v in 1.0.0 1.1.0 1.2.0 1.3.0; do
  "$T" pack --version $v --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r$v >/dev/null
done
cp "$FW/app-b.bin" big-b.bin
head -c $((200 * 1024 - 512 - $(stat -c%s "$FW/app-b.bin"))) /dev/urandom >> big-b.bin
"$T" pack --version 1.9.0 --product 7 --slot-b big-b.bin --addr-b 0x08080200 --out-dir rbig >/dev/null
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
  --record confirmed:a >/dev/null

"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
  --console console.txt --quiet --realtime --baud 115200 --bits 11 --rom-time 1000 >board.out 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
for _ in $(seq 200); do grep -q "twinslot-app: already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
grep -q "twinslot-app: already confirmed" console.txt || fail "the board did not boot v1.0.0"

B="--port tty --pins board:ctl.sock"
events_since() { tail -n +$(($1 + 1)) events.jsonl; }
in_app() { "$CTL" ctl.sock state | grep "mode=cpu.*boot0=0" >/dev/null; }
slot_b_blank() { [ "$(head -c $((0x80000 + 512)) flash.bin | tail -c 512 | tr -d '\377' | wc -c)" = 0 ]; }

stop_at() { # SIGNAL EVENT-TYPE PHASE-WORDS
  local sig=$1 ev=$2 words=$3 m; m=$(wc -l < events.jsonl)
  "$T" flash --path rom $B --allow-unsigned -q --image rbig/slot-b.img >out.txt 2>err.txt & local P=$!
  for _ in $(seq 600); do events_since "$m" | grep "\"type\":\"$ev\"" >/dev/null && break; sleep 0.05; done
  kill "-$sig" $P
  set +e; wait $P; local rc=$?; set -e
  cat err.txt
  [ "$rc" = 8 ] || fail "SIG$sig during $ev: exit $rc, expected 8"
  grep -F "stopped on request $words: nothing committed" err.txt >/dev/null || fail "no stop line"
  grep -F "stopped: slot A v1.0.0 (running), slot B empty; nothing new was committed" err.txt \
    >/dev/null || fail "no slot line"
  for _ in $(seq 300); do in_app && break; sleep 0.05; done
  in_app || fail "the board is not back in its application: $("$CTL" ctl.sock state)"
  for _ in $(seq 300); do tail -1 console.txt | grep "already confirmed" >/dev/null && break; sleep 0.05; done
  tail -4 console.txt | grep "twinslot-app: v1.0.0 slot A" >/dev/null || fail "v1.0.0 did not run again"
  slot_b_blank || fail "slot B has a header after a stopped write"
  events_since "$m" | grep '"type":"flash_program".*"addr":134742016,' >/dev/null &&
    fail "the header (0x08080000) was written"
  true
}

step "SIGINT while writing, SIGTERM while erasing"
stop_at INT flash_program "while writing"
stop_at TERM flash_erase "while erasing"
"$T" flash --path rom $B --allow-unsigned -q --image rbig >/dev/null 2>err.txt || { cat err.txt; fail "the update after the stops failed"; }
tail -3 console.txt | grep "twinslot-app: v1.9.0 slot B" >/dev/null || fail "v1.9.0 did not boot"

step "$ROUNDS races of two commands on one board"
busy=0 after=0
for i in $(seq "$ROUNDS"); do
  a=r1.$(( i % 4 )).0 b=r1.$(( (i + 1) % 4 )).0
  "$T" flash --path rom $B --allow-unsigned -q --force --timeout 10 --image "$a" >a.out 2>a.err & PA=$!
  sleep "0.$(( RANDOM % 10 ))"
  if [ $((i % 2)) = 0 ]; then
    "$T" status $B -q >b.out 2>b.err & PB=$!
  else
    "$T" flash --path rom $B --allow-unsigned -q --force --timeout 10 --image "$b" >b.out 2>b.err & PB=$!
  fi
  set +e; wait $PA; ra=$?; wait $PB; rb=$?; set -e
  for r in "a $ra" "b $rb"; do
    set -- $r
    case $2 in
      0) ;;
      3) grep "port busy" "$1.err" >/dev/null || { cat "$1.err"; fail "round $i: $1 exit 3 without 'port busy'"; }
         busy=$((busy + 1)) ;;
      *) cat "$1.err"; fail "round $i: $1 exited $2" ;;
    esac
  done
  [ "$ra" = 0 ] && [ "$rb" = 0 ] && after=$((after + 1))
  # Every slot holding a header holds exactly one release's image.
  for s in a b; do
    off=$((0x20000)); [ $s = b ] && off=$((0x80000))
    hdr=$(head -c $((off + 512)) flash.bin | tail -c 512 | tr -d '\377' | wc -c)
    [ "$hdr" = 0 ] && continue
    same=
    for r in r1.0.0 r1.1.0 r1.2.0 r1.3.0 rbig; do
      img=$r/slot-$s.img; [ -f $img ] || continue
      cmp -s -n "$(stat -c%s $img)" $img <(tail -c +$((off + 1)) flash.bin) && same=$r
    done
    [ -n "$same" ] || fail "round $i: slot $s holds a header but no release's exact image"
  done
done
[ "$busy" -ge 1 ] || fail "no round saw 'port busy': the race never happened"
echo "PASS: 2 stops; $ROUNDS races: $busy refused as busy, $after ran one after the other, every slot a release"
