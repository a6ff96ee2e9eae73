#!/usr/bin/env bash
# Peak memory of `twinslot flash` (engine + Linux port, heap and stack) with
# valgrind massif, for a 64 KB and a 384 KB (full-slot) image, against the
# virtual board. The engine holds no image in memory: the peaks must match.
# massif's peak includes what the shared libraries allocate while they load
# (libcurl, GnuTLS: ~110 KB, before main); a second, plain run of each
# prints the heap the update itself adds (glibc's mallinfo2).
# usage: [SIZES_KB="64 256 384"] bench/host/massif.sh [BUILD_DIR]   (default: build;
# sizes default to 64 and 384)
set -euo pipefail
B=$(realpath "${1:-build}")
T=$B/tools/twinslot BF=$B/bench/host/bench_flash BOARD=$B/sim/twinslot-board FW=$B/firmware
W=$(mktemp -d); trap 'kill $BPID 2>/dev/null || true; rm -rf "$W"' EXIT
cd "$W"
mkimg() { # VERSION TOTAL_BYTES DIR
  cp "$FW/app-a.bin" a.bin; cp "$FW/app-b.bin" b.bin
  head -c $(($2 - 512 - $(stat -c%s a.bin))) /dev/urandom >> a.bin
  head -c $(($2 - 512 - $(stat -c%s b.bin))) /dev/urandom >> b.bin
  "$T" pack --version "$1" --slot-a a.bin --addr-a 0x08020200 --slot-b b.bin --addr-b 0x08080200 \
    --out-dir "$3" >/dev/null
}
RUNS= minor=0
for kb in ${SIZES_KB:-64 384}; do
  minor=$((minor + 1)); mkimg 1.$minor.0 $((kb * 1024)) r$kb; RUNS+=" r$kb"
done
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" >/dev/null
"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --quiet >/dev/null 2>&1 &
BPID=$!
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
next_slot() { "$T" status --port tty --pins board:ctl.sock --json -q 2>/dev/null | grep next_target | sed 's/.*"next_target":"\(.\)".*/\1/' | tr AB ab; }
for r in $RUNS; do
  valgrind -q --tool=massif --stacks=yes --massif-out-file=massif.$r \
    "$BF" tty board:ctl.sock $r/slot-$(next_slot).img >out.$r 2>&1 ||
    { cat out.$r; echo "flash failed"; exit 1; }
  ms_print massif.$r | grep -m3 -A12 "^->" > tree.$r || true
  [ -n "${VERBOSE:-}" ] && cat tree.$r
  peak=$(grep -E '^mem_(heap|heap_extra|stacks)_B=' massif.$r | awk -F= '
    /^mem_heap_B/ {h=$2} /^mem_heap_extra_B/ {e=$2} /^mem_stacks_B/ {s=$2; t=h+e+s; if (t>m) m=t} END {print m}')
  heap=$(grep '^mem_heap_B=' massif.$r | cut -d= -f2 | sort -n | tail -1)
  stack=$(grep '^mem_stacks_B=' massif.$r | cut -d= -f2 | sort -n | tail -1)
  echo "$r: image $(stat -c%s $r/slot-a.img) bytes: peak heap+stack ${peak} B (heap max ${heap} B, stack max ${stack} B)"
  # Without valgrind (whose malloc glibc's counters do not see): the heap the
  # update adds to what the libraries allocated while loading.
  "$BF" tty board:ctl.sock $r/slot-$(next_slot).img >plain.$r 2>&1 || { cat plain.$r; echo "flash failed"; exit 1; }
  echo "$r:   $(grep "^heap in use" plain.$r)"
done
