#!/usr/bin/env bash
# Issue 5's acceptance at real speed: the virtual board paced in real time
# with the serial line at 115200 baud, 11 bits a byte (8E1), and the ROM's
# datasheet times at 100 %. `twinslot flash` of a 256 KB release goes into
# slot B, the board boots and confirms it; the second goes back to slot A.
# Asserts on the board's flash file (slot bytes, journal via flash_truth) and
# event log, and prints the wall time and throughput of each flash.
# usage: e2e_realtime.sh TWINSLOT BOARD FIRMWARE_DIR FLASH_TRUTH WORKDIR
set -euo pipefail
T=$1 BOARD=$2 FW=$3 TRUTH=$4 W=$5
for f in bootloader.bin app-a.elf app-b.elf app-a.bin app-b.bin; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"

fail() { echo "FAIL: $*" >&2; echo "--- console tail:" >&2; tail -5 console.txt >&2 || true; exit 1; }

# v1.0.0 small and confirmed in A; v1.1.0 and v1.2.0 padded to 256 KB images.
"$T" pack --version 1.0.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.0.0 >/dev/null
for v in 1.1.0 1.2.0; do
  for s in a b; do
    cp "$FW/app-$s.bin" big-$s.bin
    head -c $((256 * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >> big-$s.bin
  done
  "$T" pack --version $v --product 7 --slot-a big-a.bin --addr-a 0x08020200 \
    --slot-b big-b.bin --addr-b 0x08080200 --out-dir r$v >/dev/null
  [ "$(stat -c%s r$v/slot-a.img)" = 262144 ] || fail "release $v is not 256 KB"
done
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
  --record attempt:a:1 --record confirmed:a >/dev/null

"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
  --console console.txt --quiet --realtime --baud 115200 --bits 11 --rom-time 1000 >board.out 2>&1 &
BPID=$!
trap '"$BOARD" --ctl ctl.sock quit >/dev/null 2>&1 || kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
for _ in $(seq 100); do grep -q "already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
grep -q "twinslot-app: already confirmed" console.txt || fail "the board did not boot v1.0.0"

ms() { date +%s%3N; }
since() { tail -n +$((MARK + 1)) events.jsonl; }
wall_of() { sed 's/.*"wall_ms":\([0-9]*\).*/\1/'; }
slot_has() { # SLOT IMG: the flash file holds IMG at the slot
  local off=$((0x80000)); [ "$1" = A ] && off=$((0x20000))
  cmp -s -n "$(stat -c%s "$2")" "$2" <(tail -c +$((off + 1)) flash.bin) || fail "slot $1 does not hold $2"
}
confirmed_in_file() { # SLOT VERSION: the journal in the file: SLOT's newest live record CONFIRMED
  "$TRUTH" flash.bin | grep "\"$1\":{\"present\":true,\"header\":\"ok\",\"version\":\"$2\",[^}]*\"record\":\"CONFIRMED\"" >/dev/null
}
REPORT=
update() { # RELEASE SLOT VERSION SECTORS
  local img; img=$1/slot-$(echo "$2" | tr AB ab).img
  local bytes; bytes=$(stat -c%s "$img")
  MARK=$(wc -l < events.jsonl)
  local t0 t1; t0=$(ms)
  "$T" flash --path rom --port tty --pins board:ctl.sock --allow-unsigned --image "$1" --timeout 60 -q >out.txt 2>err.txt \
    || { cat out.txt err.txt >&2; fail "flash of $1 failed"; }
  t1=$(ms)
  slot_has "$2" "$img"
  # The board's own account: only the target's sectors erased, at x32;
  # a reset into the ROM, one out of it, then the new image's trial boot.
  local er; er=$(since | grep '"type":"flash_erase"' | sed 's/.*"sector":\([0-9]*\).*/\1/' | tr '\n' ' ')
  [ "$er" = "$4" ] || fail "erased sectors '$er', expected '$4'"
  [ "$(since | grep "\"type\":\"flash_program\"" | grep -cv "\"psize\":32")" = 0 ] || fail "programming not x32"
  local rom_in rom_out
  rom_in=$(since | grep '"type":"reset","cause":"nrst","boot0":1' | sed -n 1p | wall_of)
  rom_out=$(since | grep '"type":"reset","cause":"nrst","boot0":0' | sed -n 1p | wall_of)
  [ -n "$rom_in" ] && [ -n "$rom_out" ] || fail "no ROM session in the event log"
  for _ in $(seq 100); do confirmed_in_file "$2" "$3" && break; sleep 0.1; done
  confirmed_in_file "$2" "$3" || fail "the journal in the flash file has no CONFIRMED v$3 in slot $2"
  grep -q "twinslot-boot: slot $2 v$3 trial 1/3 (new image)" console.txt || fail "no trial boot of v$3 in $2"
  local wall=$((t1 - t0)) rom=$((rom_out - rom_in))
  local line; line=$(printf '%s -> slot %s: %d bytes; flash command %d.%03d s (%d B/s); ROM session %d.%03d s (%d B/s)' \
    "$1" "$2" "$bytes" $((wall / 1000)) $((wall % 1000)) $((bytes * 1000 / wall)) \
    $((rom / 1000)) $((rom % 1000)) $((bytes * 1000 / rom)))
  echo "   $line"
  REPORT+="$line"$'\n'
}

echo "== realtime, 115200 baud 8E1, ROM times at 100 %"
update r1.1.0 B 1.1.0 "8 9 "
update r1.2.0 A 1.2.0 "5 6 "
printf '%s' "$REPORT" > figures.txt
echo "PASS"
