#!/usr/bin/env bash
# performance.sh [--quick] BUILD_DIR OUT.md: every figure of
# docs/performance.md from one run (issue 14), written to OUT.md.
#   - updates on the real-time virtual board (8E1 paced at 11 bits a byte,
#     the ROM's datasheet times at 100 %): twinslot at x32 and x8, with
#     --read-back, and Debian's stm32flash with and without -v, into slot B
#     of the same board; the bound for the same bytes (perf_bound, from the
#     board's own model) and the ratios; blank blocks skipped;
#   - where twinslot's time goes per block (board event log, strace -c);
#   - the board's own turnaround latency; the bootloader's size and the boot
#     table (bench_boot_run, when the tree has it);
#   - the host engine's heap and stack per image size (valgrind massif) and
#     CPU time per MB; the S3 poll's requests, bytes and monthly cost.
# --quick: 256 KB at 115200 only, fewer extras: for trying, not for the doc.
# Figures are wall-clock on a shared machine: the load is printed at the
# start and the end, and every ratio compares runs of this one invocation.
set -euo pipefail
QUICK=0
# Figures of a shared machine: ask for a little priority (root may; else as is).
renice -n -5 -p $$ >/dev/null 2>&1 || true
NICE=$(nice)
[ "${1:-}" = --quick ] && { QUICK=1; shift; }
[ $# -eq 2 ] || { echo "usage: performance.sh [--quick] BUILD_DIR OUT.md" >&2; exit 2; }
B=$(realpath "$1") OUT=$(realpath -m "$2")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$B/tools/twinslot BOARD=$B/sim/twinslot-board FW=$B/firmware BOUND=$B/bench/perf/perf_bound
FLOOR=$B/bench/perf/perf_floor
for f in "$T" "$BOARD" "$BOUND" "$FLOOR" "$FW/bootloader.bin" "$FW/app-a.bin" "$FW/app-b.bin" "$FW/app-a.elf"; do
  [ -e "$f" ] || { echo "performance.sh: $f is not built (cmake --build $B)" >&2; exit 77; }
done
STM=$(command -v stm32flash || true)
W=$B/bench/perf/work
rm -rf "$W"; mkdir -p "$W"; cd "$W"
BPID=
stop_board() {
  [ -n "$BPID" ] || return 0
  "$BOARD" --ctl ctl.sock quit >/dev/null 2>&1 || kill "$BPID" 2>/dev/null || true
  wait "$BPID" 2>/dev/null || true
  BPID=
}
trap stop_board EXIT
die() { echo "performance.sh: $*" >&2; exit 1; }
ns() { date +%s%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
ms3() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); } # ms -> s.mmm
ratio() { printf '%d.%03d' $(($1 / $2)) $(($1 * 1000 / $2 % 1000)); } # A/B, 3 decimals
ratio2() { printf '%d.%02d' $(($1 / $2)) $(($1 * 100 / $2 % 100)); }

if [ $QUICK = 1 ]; then SIZES="256"; BAUDS="115200"; else SIZES="64 256 384"; BAUDS="57600 115200 230400"; fi
START_LOAD=$(load) START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "== load at start: $START_LOAD ($START_DATE)"

# ---- images: v1.0.0 small and confirmed in A; v1.1.0 of each size (random
# padding: no block blank), and a 256 KB one with blank runs.
"$T" pack --version 1.0.0 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r1.0.0 >/dev/null
mkrel() { # KB DIR [blank]: the application binaries padded to KB in all
  for s in a b; do
    cp "$FW/app-$s.bin" big-$s.bin
    local pad=$(($1 * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin")))
    if [ "${3:-}" = blank ]; then # 8 KB random, 8 KB 0xFF, ...: half the padding blank
      while [ "$pad" -gt 0 ]; do
        local n=$((pad < 8192 ? pad : 8192))
        head -c $n /dev/urandom >> big-$s.bin; pad=$((pad - n))
        n=$((pad < 8192 ? pad : 8192))
        head -c $n /dev/zero | tr '\0' '\377' >> big-$s.bin; pad=$((pad - n))
      done
    else
      head -c $pad /dev/urandom >> big-$s.bin
    fi
  done
  "$T" pack --version 1.1.0 --slot-a big-a.bin --addr-a 0x08020200 \
    --slot-b big-b.bin --addr-b 0x08080200 --out-dir "$2" >/dev/null
  [ "$(stat -c%s "$2/slot-b.img")" = $(($1 * 1024)) ] || die "release $2 is not $1 KB"
}
for kb in $SIZES; do mkrel "$kb" r$kb; done
mkrel 256 rblank blank
"$T" compose -o base.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
  --record attempt:a:1 --record confirmed:a >/dev/null

# ---- one run on a fresh board (the same flash contents every time)
start_board() { # BAUD BOOT0
  cp base.bin flash.bin; rm -f tty ctl.sock events.jsonl console.txt
  "$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
    --console console.txt --quiet --realtime --baud "$1" --bits 11 --rom-time 1000 \
    --boot0 "$2" >board.out 2>&1 &
  BPID=$!
  for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
  [ -e tty ] || die "the board did not start: $(cat board.out)"
  if [ "$2" = 0 ]; then
    for _ in $(seq 200); do grep -q "already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
    grep -q "already confirmed" console.txt || die "the board did not boot v1.0.0"
  else
    sleep 0.2 # past the ROM's 85 ms start-up
  fi
}
slot_b_holds() { # IMG
  cmp -s -n "$(stat -c%s "$1")" "$1" <(tail -c +$((0x80000 + 1)) flash.bin) || die "slot B does not hold $1 after: $2"
}
# Fills WALL_MS CPU_MS ROM_MS BLK_US (median Write Memory period in the ROM session, us)
rom_session_ms() {
  local a b
  a=$(grep '"type":"reset","cause":"nrst","boot0":1' events.jsonl | sed -n 1p | sed 's/.*"t_ns":\([0-9]*\).*/\1/')
  b=$(grep '"type":"reset","cause":"nrst","boot0":0' events.jsonl | sed -n 1p | sed 's/.*"t_ns":\([0-9]*\).*/\1/')
  [ -n "$a" ] && [ -n "$b" ] && echo $(((b - a) / 1000000)) || echo 0
}
block_period_us() { # [EVENTS]: median interval between successive Write Memory commands (board time)
  grep '"type":"rom_cmd","cmd":49,"ok":true' "${1:-events.jsonl}" | sed 's/.*"t_ns":\([0-9]*\).*/\1/' |
    awk 'NR>1 { d=$1-p; if (d < 200000000) print int(d/1000) } { p=$1 }' | sort -n |
    awk '{ v[NR]=$1 } END { if (NR) print v[int((NR+1)/2)]; else print 0 }'
}
run_ts() { # IMG BAUD ARGS...: twinslot flash into slot B
  local img=$1 baud=$2; shift 2
  RUN=$(echo "ts $img $baud $*" | tr -c "A-Za-z0-9\n" "_")
  start_board "$baud" 0
  local t0 t1
  t0=$(ns)
  /usr/bin/time -f '%U %S' -o cpu.txt "$T" flash --path rom --port tty --pins board:ctl.sock --baud "$baud" \
    --allow-unsigned --image "$img" --timeout 0 -q "$@" >ts.out 2>&1 ||
    { cat ts.out >&2; die "twinslot flash $img at $baud $* failed"; }
  t1=$(ns)
  WALL_MS=$(((t1 - t0) / 1000000))
  CPU_MS=$(awk '{ printf "%d", ($1 + $2) * 1000 }' cpu.txt)
  slot_b_holds "$img" "twinslot $*"
  ROM_MS=$(rom_session_ms)
  BLK_US=$(block_period_us)
  cp events.jsonl "events-$RUN.jsonl"
  stop_board
}
run_stm() { # IMG BAUD [-v]: stm32flash into slot B, the board already in its ROM
  local img=$1 baud=$2; shift 2
  start_board "$baud" 1
  local t0 t1
  t0=$(ns)
  "$STM" -b "$baud" -m 8n1 -w "$img" -S 0x08080000 "$@" tty >stm.out 2>&1 ||
    { cat stm.out >&2; die "stm32flash $img at $baud $* failed"; }
  t1=$(ns)
  # The ROM's 85 ms start-up had passed before stm32flash started; the bound
  # and twinslot's times include it: add it.
  WALL_MS=$(((t1 - t0) / 1000000 + 85))
  slot_b_holds "$img" "stm32flash $*"
  BLK_US=$(block_period_us)
  stop_board
}
run_floor() { # BAUD: perf_floor's 300 blocks on a blank board in its ROM; FLOOR_US, FLOOR_CPU_US
  head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' > floor.bin
  rm -f floor-events.jsonl
  "$BOARD" --flash floor.bin --pty-link floor-tty --events floor-events.jsonl --quiet --realtime --baud "$1" --bits 11 \
    --rom-time 1000 --boot0 1 >/dev/null 2>&1 &
  local p=$!
  for _ in $(seq 100); do [ -e floor-tty ] && break; sleep 0.05; done
  sleep 0.2
  /usr/bin/time -f '%U %S' -o floor-cpu.txt "$FLOOR" floor-tty "$1" 300 > floor.out 2>&1 ||
    { kill $p; cat floor.out >&2; die "perf_floor at $1 failed"; }
  kill $p; wait $p 2>/dev/null || true; rm -f floor-tty
  FLOOR_US=$(block_period_us floor-events.jsonl) # as twinslot's: from the board's log
  FLOOR_CPU_US=$(awk '{ printf "%d", ($1 + $2) * 1e6 / 300 }' floor-cpu.txt)
  FLOOR_LINE=$(cat floor.out)
}
phases() { # EVENTS: where a twinslot ROM session's board time went, in ms
  awk '
    function t(l) { sub(/.*"t_ns":/, "", l); sub(/,.*/, "", l); return l / 1e6 }
    /"reset","cause":"nrst","boot0":1/ && !tin { tin = t($0) }
    /"rom_sync"/ && !tsync { tsync = t($0) }
    /"rom_cmd","cmd":68,/ && !te { te = t($0) }
    /"rom_cmd","cmd":49,"ok":true/ { if (!tw) tw = t($0); tl = t($0); nw++ }
    /"reset","cause":"nrst","boot0":0/ && tin && !tout { tout = t($0) }
    END { printf "start=%.0f identify_read=%.0f erase_write=%.0f after=%.0f writes=%d\n",
          tsync - tin, te - tsync, tl - te, tout - tl, nw }' "$1"
}
bound_ms() { # IMG BAUD PSIZE [skip]
  local l; l=$("$BOUND" "$1" 0x08080000 "$2" 11 "$3")
  local k=bound_us; [ "${4:-}" = skip ] && k=skip_bound_us
  echo "$l" | tr ' ' '\n' | sed -n "s/^$k=//p" | awk '{ printf "%d", ($1 + 500) / 1000 }'
}
block_bound_us() { # BAUD PSIZE: one full 256-byte Write Memory block
  local prog=1024; [ "$2" = 8 ] && prog=4096
  echo $(( (268 * 11 * 1000000 + $1 / 2) / $1 + prog ))
}

# ---- the matrix
ROWS= SUMMARY= FLOORS=
for kb in $SIZES; do
  img=r$kb/slot-b.img
  for baud in $BAUDS; do
    echo "== $kb KB at $baud baud"
    b32=$(bound_ms "$img" "$baud" 32) b8=$(bound_ms "$img" "$baud" 8)
    run_ts "$img" "$baud"; ts32=$WALL_MS ts32rom=$ROM_MS ts32cpu=$CPU_MS ts32blk=$BLK_US
    ts32ph=$(phases "events-$RUN.jsonl")
    fl=-
    if [ "$kb" = 256 ]; then # the floor, right after, at this baud
      run_floor "$baud"; fl=$FLOOR_US
      fb=$(block_bound_us "$baud" 32)
      FLOORS+="| $baud | $fb us | $FLOOR_US us ($(ratio "$FLOOR_US" "$fb")x) | $ts32blk us ($(ratio "$ts32blk" "$fb")x) | $(((ts32blk - FLOOR_US) / 3)) us | $FLOOR_CPU_US us | $((ts32cpu * 1000 / 1024)) us |"$'\n'
    fi
    run_ts "$img" "$baud" --no-voltage-range; ts8=$WALL_MS ts8rom=$ROM_MS ts8cpu=$CPU_MS ts8blk=$BLK_US
    run_ts "$img" "$baud" --read-back; tsrb=$WALL_MS tsrbrom=$ROM_MS
    if [ -n "$STM" ]; then
      run_stm "$img" "$baud"; st=$WALL_MS stblk=$BLK_US
      run_stm "$img" "$baud" -v; stv=$WALL_MS
    else
      st=0 stv=0 stblk=0
    fi
    row() { # NAME MS ROM_MS BOUND_MS BLK_US BLOCK_BOUND_US CPU_MS
      local rom='-' blk='-' cpu='-'
      [ "$3" != - ] && rom="$(ms3 "$3") s"
      [ "$5" != - ] && [ "$5" != 0 ] && blk="$5 us ($(ratio "$5" "$6")x)"
      [ "$7" != - ] && cpu="$7 ms"
      if [ "$2" = 0 ]; then
        ROWS+="| $kb KB | $baud | $1 | not run (no stm32flash) | | | | | |"$'\n'
      else
        ROWS+="| $kb KB | $baud | $1 | $(ms3 "$2") s | $rom | $(ms3 "$4") s | **$(ratio "$2" "$4")x** | $blk | $cpu |"$'\n'
      fi
    }
    bb32=$(block_bound_us "$baud" 32) bb8=$(block_bound_us "$baud" 8)
    row "twinslot, x32" "$ts32" "$ts32rom" "$b32" "$ts32blk" "$bb32" "$ts32cpu"
    [ "$fl" != - ] && ROWS+="| $kb KB | $baud | floor client (\`perf_floor\`, 300 blocks, x32) | - | - | - | - | $fl us ($(ratio "$fl" "$bb32")x) | - |"$'\n'
    row "twinslot, x8 (\`--no-voltage-range\`)" "$ts8" "$ts8rom" "$b8" "$ts8blk" "$bb8" "$ts8cpu"
    row "twinslot, x32, \`--read-back\`" "$tsrb" "$tsrbrom" "$b32" - - -
    row "stm32flash (x8)" "$st" - "$b8" "$stblk" "$bb8" -
    row "stm32flash \`-v\` (x8)" "$stv" - "$b8" - - -
    if [ "$st" != 0 ]; then
      SUMMARY+="| $kb KB | $baud | $(ratio "$ts32" "$b32")x | $(ratio2 "$st" "$ts32")x | $(ratio2 "$stv" "$ts32")x | $(ratio2 "$st" "$ts8")x | $(ratio2 "$stv" "$tsrb")x |"$'\n'
    else
      SUMMARY+="| $kb KB | $baud | $(ratio "$ts32" "$b32")x | - | - | - | - |"$'\n'
    fi
    if [ "$kb" = 256 ] && [ "$baud" = 115200 ]; then
      M_TS32=$ts32 M_B32=$b32 M_ST=$st M_STV=$stv M_BLK=$ts32blk M_BB=$bb32 M_CPU=$ts32cpu M_ROM=$ts32rom M_PH="$ts32ph" M_FLOOR=$fl
    fi
  done
done

# ---- blank blocks skipped (256 KB, half of the padding 0xFF, 115200, x32)
echo "== blank blocks"
bimg=rblank/slot-b.img
bl=$("$BOUND" "$bimg" 0x08080000 115200 11 32)
nblank=$(echo "$bl" | tr ' ' '\n' | sed -n 's/^blank_blocks=//p')
nblk=$(echo "$bl" | tr ' ' '\n' | sed -n 's/^blocks=//p')
bb_all=$(bound_ms "$bimg" 115200 32) bb_skip=$(bound_ms "$bimg" 115200 32 skip)
run_ts "$bimg" 115200; blank_ts=$WALL_MS
blank_st=0
[ -n "$STM" ] && { run_stm "$bimg" 115200; blank_st=$WALL_MS; }

# ---- where twinslot's time goes at 115200 x32 (256 KB): system calls
echo "== system calls per block"
img=r256/slot-b.img
[ $QUICK = 1 ] || true
start_board 115200 0
strace -c -f -o strace.txt "$T" flash --path rom --port tty --pins board:ctl.sock --allow-unsigned \
  --image "$img" --timeout 0 -q >ts.out 2>&1 || { cat ts.out >&2; die "twinslot under strace failed"; }
slot_b_holds "$img" "twinslot under strace"
stop_board
SYSCALLS=$(awk '/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ && $NF != "total" { print $4, $NF }' strace.txt |
  sort -rn | head -8 | awk '{ printf "%s%s %s", sep, $2, $1; sep=", " }')
SYSTOTAL=$(awk '$NF == "total" { print $4 }' strace.txt)

# ---- the client's own cost per block, without the line: the unpaced board
# (bytes move at once, ROM times 0), twinslot and the floor client in turn
echo "== unpaced: the clients' own cost per block"
UNPACED=
for round in 1 2 3; do
  cp base.bin flash.bin; rm -f tty ctl.sock events.jsonl console.txt
  "$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
    --console console.txt --quiet --rom-time 0 >board.out 2>&1 &
  BPID=$!
  for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
  for _ in $(seq 200); do grep -q "already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
  "$T" flash --path rom --port tty --pins board:ctl.sock --allow-unsigned --image r256/slot-b.img --timeout 0 -q \
    >ts.out 2>&1 || { cat ts.out >&2; die "twinslot on the unpaced board failed"; }
  slot_b_holds r256/slot-b.img "twinslot, unpaced"
  u_ts=$(block_period_us)
  stop_board
  head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' > floor.bin
  rm -f floor-events.jsonl
  "$BOARD" --flash floor.bin --pty-link floor-tty --events floor-events.jsonl --quiet --rom-time 0 --boot0 1 >/dev/null 2>&1 &
  p=$!
  for _ in $(seq 100); do [ -e floor-tty ] && break; sleep 0.05; done
  sleep 0.2
  "$FLOOR" floor-tty 115200 1024 > floor.out 2>&1 || { kill $p; cat floor.out >&2; die "perf_floor unpaced failed"; }
  kill $p; wait $p 2>/dev/null || true; rm -f floor-tty
  u_fl=$(block_period_us floor-events.jsonl)
  UNPACED+="| $round | $u_fl us | $u_ts us | $((u_ts - u_fl)) us |"$'\n'
done

# ---- the board's own turnaround
echo "== board turnaround"
# twice: the board as the updates above ran it (sleeping until the next
# thing due), then with --spin-us 200 and this side spinning too, which
# takes both processes' wake-up latency out of the figure
turn() { # SPIN_US
  for baud in 57600 115200 230400; do
    head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' > ta-flash.bin
    "$BOARD" --flash ta-flash.bin --pty-link ta-tty --quiet --realtime --baud $baud --bits 11 --boot0 1 \
      --spin-us "$1" >/dev/null 2>&1 &
    p=$!
    for _ in $(seq 100); do [ -e ta-tty ] && break; sleep 0.05; done
    sleep 0.2
    SPIN=$([ "$1" = 0 ] && echo 0 || echo 1) "$B/bench/sim/turnaround" ta-tty $baud 11 300 || true
    kill $p; wait $p 2>/dev/null || true; rm -f ta-tty
  done
}
TURN=$(turn 0 2>&1)
TURN_SPIN=$(turn 200 2>&1)

# ---- the bootloader
echo "== bootloader"
BL_BYTES=$(stat -c%s "$FW/bootloader.bin")
BL_SIZE=$(arm-none-eabi-size "$FW/bootloader.elf" 2>/dev/null | awk 'NR == 2 { print "text " $1 ", data " $2 ", bss " $3 }' || true)
if cmake --build "$B" --target help 2>/dev/null | grep bench_boot_run >/dev/null; then
  BOOT=$(nice cmake --build "$B" --target bench_boot_run 2>&1 | grep -v '^\[\|^gmake\|^make\|Built target\|Scanning\|Consolidate' || true)
else
  BOOT="not measured in this run (this tree has no bench_boot_run target)"
fi

# ---- host engine memory (massif) and CPU per MB
echo "== memory"
if command -v valgrind >/dev/null && [ -x "$B/bench/host/bench_flash" ]; then
  MASSIF=$(SIZES_KB="$([ $QUICK = 1 ] && echo 64 || echo "64 256 384")" bash "$SRC/bench/host/massif.sh" "$B" 2>&1 || echo "massif.sh failed")
else
  MASSIF="not measured (valgrind or bench_flash missing)"
fi

# ---- polling
echo "== polling"
POLL=
if [ -x "$B/tests/cloud/cloud_s3" ]; then
  POLL=$(cd "$B/tests/cloud" && ./cloud_s3 2>&1 | grep -E '^(no-change|change) poll' || true)
fi
IV_MS=$(sed -n 's/.*cfg->interval_ms = \([0-9]*\);.*/\1/p' "$SRC/host/core/src/agent.c" | head -1)
END_LOAD=$(load) END_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "== load at end: $END_LOAD"

# ---- the document
NOCH_REQ=$(echo "$POLL" | sed -n 's/^no-change poll.*request \([0-9]*\) bytes.*/\1/p')
NOCH_RESP=$(echo "$POLL" | sed -n 's/^no-change poll.*response \([0-9]*\) bytes.*/\1/p')
CH_REQ=$(echo "$POLL" | sed -n 's/^change poll.*request \([0-9]*\) bytes.*/\1/p')
CH_RESP=$(echo "$POLL" | sed -n 's/^change poll.*response \([0-9]*\) bytes.*/\1/p')
PER_DAY=$((86400000 / IV_MS))
PER_MONTH=$((PER_DAY * 30 * 10000))
{
echo "# Performance"
echo
echo "Written by \`cmake --build build --target bench_performance\` (\`bench/perf/performance.sh\`)"
echo "on $START_DATE$([ $QUICK = 1 ] && echo ", **--quick** (one size, one baud)"). Every figure below comes from this one run, on"
echo "a 2-core machine shared with other jobs: load average $START_LOAD at the start,"
echo "$END_LOAD at the end ($END_DATE). Wall-clock figures move with that load; the"
echo "ratios compare runs of the same invocation, one after the other, on the same board."
echo
echo "## Updates on the real-time virtual board"
echo
echo "The board: \`twinslot-board --realtime --baud B --bits 11 --rom-time 1000\` (the line paced at"
echo "11 bits a byte as 8E1, the ROM's start-up and flash times at 100 % of the datasheet typical"
echo "values it models), started afresh for every run with the bootloader and a small v1.0.0 confirmed"
echo "in slot A. Every run puts the same file, a packed slot-B image of the size shown (header +"
echo "application + random bytes, so no block is blank), at 0x08080000, and the flash file is compared"
echo "with it afterwards."
echo
echo "- **twinslot**: \`twinslot flash --path rom --port tty --pins board:ctl.sock --baud B --image IMG --timeout 0 -q\`"
echo "  from its start to its exit: reset into the ROM, identify, read the slot headers and the journal,"
echo "  erase, write, header, PENDING record (read back), reset into the application. \`--timeout 0\`:"
echo "  the trial boot's outcome is not awaited. This is the verified update of docs/host.md: every"
echo "  byte sent is hashed against the signed header's SHA-256 before the commit, the header and the"
echo "  record are read back, and a link that showed any error is read back whole before the commit;"
echo "  the bootloader hashes the image again before it runs it. \`--read-back\` reads it back always."
echo "  \`--path rom\`: through the ROM bootloader, as stm32flash; the application's own path is"
echo "  [app-update.md](app-update.md)'s (\`bench_app_path_run\`)."
echo "  x8: \`--no-voltage-range\` (the ROM's reset setting, as stm32flash uses it)."
echo "- **stm32flash**: Debian's \`stm32flash -b B -m 8n1 -w IMG -S 0x08080000 [-v] tty\` (a pty"
echo "  carries no parity: \`-m 8n1\`; the board still paces 11 bits a byte), started with the board"
echo "  already in its ROM; 85 ms (the ROM's start-up, which the bound and twinslot include) are"
echo "  added to its time. It does not set the voltage range: x8."
echo "- **bound**: \`perf_bound\` (bench/perf/perf_bound.c) from the board's own model: per 256-byte"
echo "  Write Memory block 268 byte-times (2 + 5 + 258 bytes out, 3 ACKs back) of 11 bits, plus"
echo "  64 x 16 us of programming at x32 (256 x 16 us at x8); the Extended Erase of each sector"
echo "  touched (128 KB: 1 s at x32, 2 s at x8); 85 ms ROM start-up. No identification, no reads,"
echo "  no turnaround latency: no client can do better."
echo "- **ROM session**: board time from the reset into the ROM to the reset out of it (event log)."
echo "- **per block**: the median interval between successive Write Memory commands in the board's"
echo "  event log, and its ratio to one block's bound."
echo
echo "| image | baud | client | time | ROM session | bound | vs. bound | per block | CPU |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s' "$ROWS"
echo
echo "Ratios from the rows above (speed-up = the other's time / twinslot's):"
echo
echo "| image | baud | twinslot x32 vs. bound | speed-up over stm32flash | over stm32flash -v | twinslot x8 over stm32flash (both x8) | twinslot --read-back over stm32flash -v |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s' "$SUMMARY"
echo
if [ -n "${M_TS32:-}" ]; then
echo "**Issue 14's targets at 256 KB, 115200 baud, x32**: $(ms3 "$M_TS32") s against a bound of"
echo "$(ms3 "$M_B32") s is **$(ratio "$M_TS32" "$M_B32")x** (target: at most 1.05x);"
if [ "$M_ST" != 0 ]; then
echo "**$(ratio2 "$M_ST" "$M_TS32")x** faster than stm32flash (target 1.15x) and **$(ratio2 "$M_STV" "$M_TS32")x** faster than"
echo "stm32flash -v (target 1.8x)."
fi
echo
echo "### Where twinslot's time goes (256 KB, 115200, x32)"
echo
ph() { echo "$M_PH" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "From the board's event log of the twinslot x32 run above (board time, ms):"
echo
echo "| part | measured | in the bound |"
echo "| --- | --- | --- |"
echo "| reset into the ROM to its ACK of 0x7F (the ROM's start-up, then sync) | $(ph start) | 85 |"
echo "| identify (Get, Get ID), voltage range, both slot headers, the journal's end | $(ph identify_read) | 0 |"
echo "| first erase to the last Write Memory ($(ph writes) in all: voltage range, body, header, PENDING record; with the header's read-back and the record's blank check between them) | $(ph erase_write) | $((M_B32 - 85)) |"
echo "| after the record's Write Memory: its read-back, the reset out | $(ph after) | 0 |"
echo "| the command outside the ROM session (process start, port, BOOT0, the 10 ms reset pulses) | $((M_TS32 - M_ROM)) | 0 |"
echo
echo "Per block, the same run against the floor (\`perf_floor\`: a client of 70 lines that does"
echo "nothing but the three frames and three waits per block, one write() per frame, poll() and"
echo "read() per ACK), run right after it at the same baud; both medians from the board's event log:"
echo
echo "| baud | bound of one block | floor client, median | twinslot x32, median | twinslot over the floor, per turnaround | floor CPU per block | twinslot CPU per block (whole command / 1,024) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s' "$FLOORS"
echo
echo "- The floor's excess over the bound is what no client can remove: three wake-ups per block,"
echo "  the board's (its own turnaround, below) and the client's, paid in full on this loaded"
echo "  machine. AN3155 needs each ACK before the next frame (a frame sent early would be taken as"
echo "  a new command after a NACK), so the three turnarounds cannot be overlapped."
echo "- Without the line's pacing the load matters less and the clients' own cost shows: the"
echo "  same 256 KB update and \`perf_floor\` (1,024 blocks) against the unpaced board (bytes move"
echo "  at once, ROM times 0), in turn, three times; median time per block (three round trips"
echo "  of processing and scheduling, nothing else):"
echo
echo "  | round | floor client | twinslot | twinslot's own cost per block |"
echo "  | --- | --- | --- | --- |"
printf '%s' "$UNPACED" | sed 's/^/  /'
echo
echo "- System calls of the whole command (\`strace -c -f\`, a separate run under strace): $SYSTOTAL"
echo "  in all, $((SYSTOTAL / 1024)) per block; the most frequent: $SYSCALLS. Per block: one write()"
echo "  per frame (3), no tcdrain(), no sleep; per ACK one poll() and the read() of the ACK."
echo
fi
echo "### Blank blocks"
echo
echo "A 256 KB image whose padding alternates 8 KB of random bytes and 8 KB of 0xFF: $nblank of its"
echo "$nblk blocks are blank. twinslot does not send a block that is all 0xFF (the erased sector"
echo "already holds it; the streamed SHA-256 still covers it); stm32flash sends every block."
echo
echo "| client (115200, x32 bound) | time | bound, every block sent | bound, blank blocks skipped |"
echo "| --- | --- | --- | --- |"
echo "| twinslot, x32 | $(ms3 "$blank_ts") s | $(ms3 "$bb_all") s | $(ms3 "$bb_skip") s ($(ratio "$blank_ts" "$bb_skip")x) |"
if [ "$blank_st" != 0 ]; then
echo "| stm32flash (x8) | $(ms3 "$blank_st") s | $(ms3 "$(bound_ms "$bimg" 115200 8)") s (x8) | - |"
fi
echo
echo "## The board's own turnaround"
echo
echo "\`bench/sim/turnaround\`: 300 Get Version round trips per rate against the real-time board in its"
echo "ROM (7 bytes on the wire; the ROM model answers at once, so the excess is the board's and this"
echo "process's scheduling). Issue 14's target: at most 0.1 ms at the median."
echo
echo "The board as the updates above ran it (\`--realtime\`: it sleeps in poll() until the next"
echo "byte is due, so the machine's wake-up latency, tens of microseconds when it is idle, is in"
echo "every turnaround):"
echo
echo '```'
echo "$TURN"
echo '```'
echo
echo "The same board with \`--spin-us 200\` (a wait of at most 200 us is a busy poll, not a sleep:"
echo "it costs a core while paced bytes flow) and this process spinning too (\`SPIN=1\`), so what"
echo "is left is the board's own work per turnaround:"
echo
echo '```'
echo "$TURN_SPIN"
echo '```'
echo
echo "## The bootloader"
echo
echo "Flash size: $BL_BYTES bytes (\`bootloader.bin\`; ${BL_SIZE:-size not read}) of sector 0's 16 KB."
echo
echo "Boot time (\`cmake --build build --target bench_boot_run\`):"
echo
echo '```'
echo "$BOOT"
echo '```'
echo
echo "## The host engine: memory and CPU"
echo
echo "\`bench/host/massif.sh\`: \`bench_flash\` (the update engine and the Linux port, no CLI) under"
echo "valgrind massif with \`--stacks=yes\`, installing into the (unpaced) virtual board. Issue 14's"
echo "target: heap flat in image size and under 16 KB."
echo
echo '```'
echo "$MASSIF"
echo '```'
echo
if [ -n "${M_CPU:-}" ]; then
echo "CPU time of the whole \`twinslot flash\` process (user + system, \`/usr/bin/time\`) for 256 KB at"
echo "115200 x32: $M_CPU ms, $((M_CPU * 4)) ms per MB (the \"CPU\" column above has every run). Most of"
echo "it is the wait for the line: the process sleeps in poll() between ACKs."
echo
fi
echo "## Polling the bucket"
echo
if [ -n "$NOCH_REQ" ]; then
echo "Measured by \`cloud_s3\` against the local S3 server (signed HEAD of \`fw/manifest.json\` with"
echo "If-None-Match, HTTP bytes as libcurl sent and received them):"
echo
echo "| poll | requests | request bytes | response bytes | total |"
echo "| --- | --- | --- | --- | --- |"
echo "| nothing new (304 Not Modified) | 1 HEAD | $NOCH_REQ | $NOCH_RESP | $((NOCH_REQ + NOCH_RESP)) |"
[ -n "$CH_REQ" ] && echo "| a change (200, new ETag) | 1 HEAD | $CH_REQ | $CH_RESP | $((CH_REQ + CH_RESP)) |"
echo
echo "A change then costs the downloads it triggers: a GET of the manifest and a GET of the image"
echo "(its size plus one response header), each resumed by Range requests if cut (docs/cloud.md)."
else
echo "Not measured in this run: \`cloud_s3\` could not run (Node.js or the local S3 server missing)."
fi
echo
echo "The agent polls every $((IV_MS / 1000)) s by default (\`interval_ms\` in host/core/src/agent.c):"
echo "$PER_DAY HEAD requests per device per day. A fleet of 10,000 devices: $PER_MONTH requests in a"
echo "30-day month. At S3 Standard's request prices as published by AWS for us-east-1 (assumed"
echo "unchanged as of 2026-12-01: GET, HEAD and other requests \$0.0004 per 1,000; PUT, COPY, POST,"
echo "LIST \$0.005 per 1,000), HEAD is in the first class:"
echo "**\$$(awk -v n="$PER_MONTH" 'BEGIN { printf "%.2f", n / 1000 * 0.0004 }') per month** in requests"
echo "($(awk -v n="$PER_MONTH" 'BEGIN { printf "%.4f", n / 1000 * 0.0004 / 10000 }') dollars per device). Data transfer out is"
echo "billed apart (\$0.09 per GB to the internet after the first 100 GB a month, also as published"
echo "for us-east-1); only the responses leave AWS."
if [ -n "$NOCH_RESP" ]; then
echo "The no-change responses measured here ($NOCH_RESP bytes; AWS adds about 200 bytes of headers,"
echo "an estimate) make $(awk -v n="$PER_MONTH" -v b="$NOCH_RESP" 'BEGIN { printf "%.0f", n * b / 1e9 }')-$(awk -v n="$PER_MONTH" -v b="$NOCH_RESP" 'BEGIN { printf "%.0f", n * (b + 200) / 1e9 }') GB a month for the fleet, before TLS framing, against the free"
echo "100 GB a month (at most a few dollars beyond it). Each release then costs its image once per device: 10,000 x 256 KB"
echo "is 2.6 GB, about \$0.24, plus 20,000 GET requests (\$0.008)."
fi
} > "$OUT"
echo "== written: $OUT"
