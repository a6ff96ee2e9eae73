#!/usr/bin/env bash
# Bad input to every command, table-driven: each row runs one command with
# one bad value and checks the exit code, a piece of the message on stderr,
# and that nothing was written: the board's flash file byte-identical (and no
# flash operation in its event log), the output directory unchanged, no
# temporary file left. S3 endpoints point at a closed port: a row refused
# for its option, not for the network, proves the check came first.
# usage: e2e_badinput.sh TWINSLOT BOARD FIRMWARE_DIR WORKDIR
set -euo pipefail
T=$1 BOARD=$2 FW=$3 W=$4
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Releases and bad images.
for v in 0.9.0 1.0.0 1.1.0; do
  "$T" pack --version $v --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir r$v >/dev/null
done
"$T" pack --version 2.0.0 --product 8 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir rprod >/dev/null
cp r1.1.0/slot-b.img flipped.img
printf '\x55' | dd of=flipped.img bs=1 seek=2000 conv=notrunc 2>/dev/null
head -c 5000 r1.1.0/slot-b.img > short.img
cat r1.1.0/slot-b.img > long.img; echo x >> long.img
head -c 4096 /dev/urandom > garbage.img
: > empty.img
mkdir -p emptyrel; cp -r r1.1.0 badrel; cp flipped.img badrel/slot-b.img
# publish: the manifest's product (default "twinslot") names the headers' id
"$T" pack --version 1.1.0 --product twinslot --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir rpub >/dev/null
cp -r rpub badpub; cp rpub/slot-b.img badpub/slot-b.img
printf '\x55' | dd of=badpub/slot-b.img bs=1 seek=2000 conv=notrunc 2>/dev/null
# AWS credentials come from a 0600 file or the environment, never argv
printf '[default]\naws_access_key_id = K\naws_secret_access_key = S\n' > cred.ok; chmod 600 cred.ok
cp cred.ok cred.loose; chmod 644 cred.loose
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
  --record confirmed:a >/dev/null
mkdir -p out statedir; echo "keep me" > out/existing.bin
printf 'endpoint = http://127.0.0.1:1\nbucket = b\nport = tty\n# %s\nport = /dev/ttyINJECTED\n' \
  "$(head -c 5000 /dev/zero | tr '\0' x)" > long.conf
printf 'endpoint = http://127.0.0.1:1\nbucket = b\nport = tty\nfrobnicate = 1\n' > unknown.conf
printf 'endpoint = http://127.0.0.1:1\nbucket = b\nport = tty\nport = /dev/ttyS0\n' > twice.conf
printf 'endpoint = http://127.0.0.1:1\nbucket = b\nport = tty\nonce = true\n' > once.conf
printf 'endpoint = http://127.0.0.1:1\nbucket = b\nport = tty\njson = maybe\n' > flag.conf

"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
  --console console.txt --quiet >board.out 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
for _ in $(seq 100); do grep -q "twinslot-app: already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
grep -q "twinslot-app: already confirmed" console.txt || fail "the board did not boot v1.0.0"

B="--port tty --pins board:ctl.sock"
S3="--endpoint http://127.0.0.1:1 --bucket b"
state() { sha256sum flash.bin; find out statedir -type f | sort | xargs sha256sum; }
before=$(state)
rows=0
check() { # RC MESSAGE ARGS... (ARGS split by the shell as written in the table)
  local want=$1 msg=$2; shift 2
  local ev0; ev0=$(wc -l < events.jsonl)
  set +e; "$T" "$@" >out.txt 2>err.txt; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat out.txt err.txt >&2; fail "exit $rc, expected $want: twinslot $*"; }
  grep -F -- "$msg" err.txt >/dev/null || { cat err.txt >&2; fail "no \"$msg\" in stderr: twinslot $*"; }
  [ "$(state)" = "$before" ] || fail "something was written: twinslot $*"
  tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"flash_\(erase\|program\)"' >/dev/null &&
    fail "flash operations during: twinslot $*"
  rows=$((rows + 1))
}

# RC | message (a fixed string) | arguments
while IFS='|' read -r rc msg args; do
  [ -z "$rc" ] || [ "${rc:0:1}" = "#" ] && continue
  eval "set -- $args"
  check "$rc" "$msg" "$@"
done <<EOF
# flash: every option, then every kind of bad image
2|--port is required|flash --image r1.1.0
2|--image is required|flash $B --allow-unsigned
2|--baud: a baud rate, not "abc"|flash $B --allow-unsigned --image r1.1.0 --baud abc
2|--baud: 12345 is not a standard baud rate|flash $B --allow-unsigned --image r1.1.0 --baud 12345
2|--console-baud: 12345 is not a standard baud rate|flash $B --allow-unsigned --image r1.1.0 --console-baud 12345
2|--timeout: seconds 0..3600, not "9999"|flash $B --allow-unsigned --image r1.1.0 --timeout 9999
2|--timeout: seconds 0..3600, not "-1"|flash $B --allow-unsigned --image r1.1.0 --timeout=-1
2|--product: not a number, not "x"|flash $B --allow-unsigned --image r1.1.0 --product x
2|unknown --pins 'gpio:x'|flash --port tty --pins gpio:x --image r1.1.0
2|--state /nonexistent/dir/st: cannot write in /nonexistent/dir|flash $B --allow-unsigned --image r1.1.0 --state /nonexistent/dir/st
2|unknown option "--imgae"|flash $B --allow-unsigned --imgae r1.1.0
2|option --image given twice|flash $B --allow-unsigned --image r1.1.0 --image r1.1.0
2|--force is a flag: it takes no value|flash $B --allow-unsigned --image r1.1.0 --force=please
2|unexpected argument "r1.1.0"|flash $B --allow-unsigned r1.1.0
1|nope: No such file or directory|flash $B --allow-unsigned --image nope
1|SHA-256 does not match its header|flash $B --allow-unsigned --image flipped.img
1|the file is 5000 bytes, its header says|flash $B --allow-unsigned --image short.img
1|(trailing bytes)|flash $B --allow-unsigned --image long.img
1|not a twinslot image|flash $B --allow-unsigned --image garbage.img
1|shorter than an image header|flash $B --allow-unsigned --image empty.img
1|neither slot-a.img nor slot-b.img is there|flash $B --allow-unsigned --image emptyrel
1|SHA-256 does not match its header|flash $B --allow-unsigned --image badrel
1|linked for slot A, but the slot to update is B|flash $B --allow-unsigned --image r1.1.0/slot-a.img
1|older than the running v1.0.0|flash $B --allow-unsigned --image r0.9.0 --product 7 --force=false
1|the same version as the running v1.0.0|flash $B --allow-unsigned --image r1.0.0/slot-b.img
1|the board runs product 0x00000007|flash $B --allow-unsigned --image rprod
3|/dev/null: not a serial port|flash --port /dev/null --image r1.1.0
3|cannot open: No such file or directory|flash --port ./nope --image r1.1.0
# status, confirm, rollback
2|--verbose is a flag: it takes no value|status $B --verbose=2
2|unknown option "--nope"|status $B --nope
2|--stay is a flag|status $B --stay=1x
2|--slot takes A or B|confirm $B --slot C
2|unexpected argument "A"|rollback $B A
1|nothing on trial to confirm|confirm $B
1|slot B holds no image to go back to|rollback $B
# read and erase
2|needs ADDR and LEN|read $B 0x08000000 -o out/existing.bin
2|ADDR and LEN are numbers|read $B 0x08000000 zero -o out/existing.bin
2|ADDR and LEN are numbers|read $B 0x08000000 0 -o out/existing.bin
2|is not inside one readable region|read $B 0x080FFF00 0x200 -o out/existing.bin
2|is not inside one readable region|read $B 0xFFFFFFF0 0x20 -o out/existing.bin
2|-o FILE is required|read $B 0x08000000 16
1|out/: is a directory|read $B 0x08000000 16 -o out/
1|cannot create a file in /nonexistent/|read $B 0x08000000 16 -o /nonexistent/x.bin
2|SECTORS: numbers 0..11|erase $B 12
2|SECTORS: numbers 0..11|erase $B 5-
2|sector 0 holds the bootloader: add --force|erase $B 0-1
2|needs SECTORS|erase $B
# agent: options and config files, all refused before the board or S3
2|endpoint and bucket are required|agent --port tty --state statedir/st
2|port is required|agent $S3
2|endpoint "ftp://x" is not http(s)://HOST[:PORT]|agent --endpoint ftp://x --bucket b $B
2|bucket name missing or contains '/'|agent --endpoint http://127.0.0.1:1 --bucket a/b $B
2|interval: expected a whole number 1..86400|agent $S3 $B --interval 0
2|outcome-timeout: expected a whole number 1..3600|agent $S3 $B --outcome-timeout 0
2|max-backoff: expected a whole number 0..86400|agent $S3 $B --max-backoff 90000
2|must not hold /, quotes or backslashes|agent $S3 $B --device a/b
2|unknown option "--secret-key"|agent $S3 $B --secret-key S
1|cred.loose: readable or writable by group or others (mode 644)|agent $S3 $B --credentials cred.loose
1|credentials nope.cred: No such file or directory|agent $S3 $B --credentials nope.cred
2|--state /nonexistent/dir/st: cannot write|agent $S3 $B --state /nonexistent/dir/st
1|long.conf:4: line longer than 4096 characters|agent --config long.conf
1|out: not a regular file|agent --config out
1|nope.conf: No such file or directory|agent --config nope.conf
1|unknown.conf:4: unknown setting "frobnicate"|agent --config unknown.conf
1|once.conf:4: unknown setting "once"|agent --config once.conf
1|twice.conf:4: "port" is set twice in the file|agent --config twice.conf
1|flag.conf:4: json takes true or false, not "maybe"|agent --config flag.conf
# unreachable endpoints: the cause is named, nothing on the board changes
4|HEAD s3://b/manifest.json: cannot connect (refused, or no route to the host)|agent $S3 $B --once
1|cannot connect (refused, or no route to the host)|publish $S3 --release rpub --credentials cred.ok
# publish: refused before the network
2|--bucket, --endpoint and --release are required|publish --endpoint http://127.0.0.1:1 --release r1.1.0
2|no credentials|publish $S3 --release r1.1.0
2|endpoint "http://" is not http(s)://HOST[:PORT]|publish --endpoint http:// --bucket b --release rpub --credentials cred.ok
1|SHA-256 does not match its header|publish $S3 --release badpub --credentials cred.ok
1|product id 0x00000007, but the manifest's product "twinslot"|publish $S3 --release r1.1.0 --credentials cred.ok
2|unknown option "--access-key"|publish $S3 --release rpub --access-key K
1|cred.loose: readable or writable by group or others|publish $S3 --release rpub --credentials cred.loose
1|emptyrel/slot-a.img: cannot open|publish $S3 --release emptyrel --credentials cred.ok
# pack and compose
1|version "1.2": expected MAJOR.MINOR.PATCH|pack --version 1.2 --slot-a $FW/app-a.elf --out-dir out
2|unknown option "--slot-c"|pack --version 1.2.3 --slot-c $FW/app-a.elf --out-dir out
1|not a twinslot image|compose -o out/existing.bin --slot-a garbage.img
2|needs an IMAGE|inspect
EOF

# A second user of the port (here flock(1), as every twinslot command locks
# it) makes a command fail at once with "port busy", touching nothing.
flock -x tty sleep 60 & HOLD=$!
for _ in $(seq 100); do flock -n tty true 2>/dev/null || break; sleep 0.05; done
check 3 "tty: port busy" status $B
check 3 "tty: port busy" flash $B --allow-unsigned --image r1.1.0
check 3 "tty: port busy" agent $S3 $B --once
kill $HOLD; wait $HOLD 2>/dev/null || true
echo "PASS: $rows refusals, flash and output files untouched"
