#!/usr/bin/env bash
# End to end: the twinslot CLI against twinslot-board (unpaced) running the
# real bootloader and application over the board's pty, BOOT0/NRST through
# its control socket. Asserts on the board's flash file, event log and
# console, not on our own messages.
# usage: e2e_board.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_CTL WORKDIR
set -euo pipefail
T=$1 BOARD=$2 FW=$3 CTL=$4 W=$5
for f in bootloader.bin app-a.elf app-b.elf app-a.bin app-b.bin app-hang-a.elf app-hang-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"

fail() { echo "FAIL: $*" >&2; echo "--- console tail:" >&2; tail -5 console.txt >&2 || true; exit 1; }
step() { echo "== $*"; }

# Releases. big: the app padded to 256 KB (its self-test hashes all of it).
for v in 1.0.0 1.1.0 1.2.0 1.3.0; do
  "$T" pack --version $v --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r$v >/dev/null
done
"$T" pack --version 9.0.0 --product 8 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir rprod >/dev/null
"$T" pack --version 1.5.0 --product 7 --slot-a "$FW/app-hang-a.elf" --slot-b "$FW/app-hang-b.elf" --out-dir rhang >/dev/null
for s in a b; do
  cp "$FW/app-$s.bin" big-$s.bin
  head -c $((256 * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >> big-$s.bin
done
"$T" pack --version 1.4.0 --product 7 --slot-a big-a.bin --addr-a 0x08020200 \
  --slot-b big-b.bin --addr-b 0x08080200 --out-dir rbig >/dev/null
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img >/dev/null

"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
  --console console.txt --quiet >board.out 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
for _ in $(seq 100); do grep -q "twinslot-app: confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
grep -q "twinslot-app: confirmed" console.txt || fail "the board did not boot v1.0.0"

flash() { "$T" flash --path rom --port tty --pins board:ctl.sock -q --allow-unsigned "$@"; }
run_rc() { # WANT CMD...: run, check the exit code
  local want=$1; shift
  set +e; "$@" >out.txt 2>err.txt; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat out.txt err.txt >&2; fail "exit $rc, expected $want: $*"; }
}
mark() { MARK=$(wc -l < events.jsonl); }
since() { tail -n +$((MARK + 1)) events.jsonl; }
slot_has() { # SLOT IMG: the flash file holds IMG at the slot
  local off=$((0x80000)); [ "$1" = A ] && off=$((0x20000))
  cmp -s -n "$(stat -c%s "$2")" "$2" <(tail -c +$((off + 1)) flash.bin) || fail "slot $1 does not hold $2"
}
wait_for() { for _ in $(seq 60); do "$@" && return 0; sleep 0.05; done; "$@"; }
has_vrange() { since | grep '"type":"rom_cmd","cmd":49,"ok":true,"addr":4294901760,"range":3,"psize":32' >/dev/null; }
console_confirmed() { grep -q "twinslot-app: v$1 slot $2" console.txt && tail -3 console.txt | grep "twinslot-app: confirmed" >/dev/null; }
erased_sectors() { since | grep '"type":"flash_erase"' | sed 's/.*"sector":\([0-9-]*\).*/\1/' | tr '\n' ' '; }

update() { # RELEASE SLOT VERSION [SECTORS]
  mark
  run_rc 0 flash --image "$1"
  slot_has "$2" "$1/slot-$(echo "$2" | tr AB ab).img"
  local sec; [ "$2" = A ] && sec="5 " || sec="8 "; [ -n "${4:-}" ] && sec="$4"
  [ "$(erased_sectors)" = "$sec" ] || fail "erased sectors '$(erased_sectors)', expected '$sec'"
  wait_for has_vrange || fail "voltage range not set"
  since | grep '"type":"flash_program"' | grep -v '"psize":32' | grep . >/dev/null && fail "programming not x32"
  wait_for console_confirmed "$3" "$2" || fail "v$3 did not boot and confirm in slot $2"
}

step "A -> B -> A -> B"
update r1.1.0 B 1.1.0
update r1.2.0 A 1.2.0
update r1.3.0 B 1.3.0

step "status tells the truth"
run_rc 0 "$T" status --port tty --pins board:ctl.sock --json -q
grep -q '"A":{"present":true,"version":"1.2.0"' out.txt || fail "status slot A: $(cat out.txt)"
grep -q '"B":{"present":true,"version":"1.3.0".*"record":"CONFIRMED".*"running":true' out.txt || fail "status slot B: $(cat out.txt)"
grep -q '"next_target":"A"' out.txt || fail "status target: $(cat out.txt)"

step "refusals leave flash untouched"
sleep 0.3
refuse() {
  local before; before=$(sha256sum < flash.bin); mark
  run_rc 1 flash "$@"
  sleep 0.3
  [ "$(sha256sum < flash.bin)" = "$before" ] || fail "flash changed by refused: $*"
  since | grep '"type":"flash_\(erase\|program\)"' >/dev/null && fail "flash operations during refused: $*"
  echo "   refused: $(grep -v warning err.txt | head -1)"
}
refuse --image r1.0.0                  # downgrade
refuse --image r1.3.0                  # same version
refuse --image rprod                   # other product
refuse --image r1.2.0/slot-b.img       # wrong slot (A is the inactive one)... and older
refuse --image r1.3.0/slot-b.img       # linked for slot B, the running slot

step "a board that stops answering mid-write fails cleanly; a retry succeeds"
mark
"$CTL" ctl.sock "cut after 40" >/dev/null
run_rc 4 flash --image rbig
"$CTL" ctl.sock "power cycle" >/dev/null
for _ in $(seq 100); do tail -1 console.txt | grep "confirmed" >/dev/null && break; sleep 0.05; done
tail -4 console.txt | grep "twinslot-app: v1.3.0 slot B" >/dev/null || fail "board did not come back on v1.3.0"
update rbig A 1.4.0 "5 6 "

step "a release that never confirms is rolled back"
mark
run_rc 5 flash --image rhang --timeout 60
grep -q "twinslot-boot: slot A v1.4.0 (other slot failed its trial: rolled back)" console.txt \
  || fail "no rollback line"
echo "PASS"
