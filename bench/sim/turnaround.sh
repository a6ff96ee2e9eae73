#!/usr/bin/env bash
# turnaround.sh BOARD TURNAROUND WORKDIR: start the real-time board in its
# ROM bootloader at 57600, 115200 and 230400 baud (11 bits a byte, 8E1) and
# print the turnaround figures for each.
set -euo pipefail
BOARD=$1 TA=$2 W=$3
rm -rf "$W"; mkdir -p "$W"; cd "$W"
head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' > flash.bin
for baud in 57600 115200 230400; do
  "$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --quiet --realtime \
    --baud $baud --bits 11 --boot0 1 >board.out 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -e tty ] && break; sleep 0.05; done
  "$TA" tty $baud 11 300 || true
  kill $pid; wait $pid 2>/dev/null || true
  rm -f tty ctl.sock
done
