#!/usr/bin/env bash
# Only the vendor's releases run (issue 12), on the virtual board with the
# real bootloader and application: every forged, tampered, misdirected or
# replayed release is refused before any flash write, with a message that
# says why. Each row checks the exit code, a piece of the message, the board's
# flash file byte-identical and no flash_erase/flash_program event. The last
# step installs a good signed release, so the refusals are not a broken setup.
#   MODE flash: twinslot flash (unknown key, tampered header, tampered body,
#               slot A's image for slot B, replayed older release, unsigned)
#   MODE agent: the agent against the local S3 server (a manifest naming
#               another product, another version's images, a replayed older
#               release, an unsigned release); exit 77 without Node.js
# usage: e2e_trust.sh MODE TWINSLOT BOARD FIRMWARE_DIR WORKDIR SOURCE_DIR
set -euo pipefail
MODE=$1 T=$2 BOARD=$3 FW=$4 W=$5 SRC=$6
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }
P=twinslot-demo

# Keys: k1 is the vendor's (trusted), k2 someone else's.
"$T" keygen --out-dir k1 >/dev/null; "$T" keygen --out-dir k2 >/dev/null
pack() { # VERSION OUT_DIR [pack options]
	local v=$1 d=$2; shift 2
	"$T" pack --version "$v" --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir "$d" "$@" >/dev/null
}
pack 1.1.0 r1.1.0 --product $P --key k1/signing-key.pem
pack 1.2.0 r1.2.0 --product $P --key k1/signing-key.pem
pack 1.0.0 r1.0.0 --product $P --key k1/signing-key.pem
pack 1.2.0 rk2 --product $P --key k2/signing-key.pem
pack 1.2.0 runsigned --product $P
pack 1.2.0 rother --product other-product --key k1/signing-key.pem
set_crc() { head -c 508 "$1" | gzip -c | tail -c 8 | head -c 4 | dd of="$1" bs=1 seek=508 conv=notrunc status=none; }
# A signed header byte changed: the version's minor 2 -> 3 (1.3.0), CRC fixed.
cp r1.2.0/slot-b.img hdr.img; printf '\x03' | dd of=hdr.img bs=1 seek=18 conv=notrunc status=none; set_crc hdr.img
# One body byte changed.
cp r1.2.0/slot-b.img body.img; printf '\x55' | dd of=body.img bs=1 seek=2000 conv=notrunc status=none

# The board: signed v1.1.0 in slot A, confirmed.
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.1.0/slot-a.img \
	--record confirmed:a >/dev/null
"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
	--console console.txt --quiet >board.out 2>&1 &
BPID=$!
cleanup() {
	kill $BPID 2>/dev/null || true
	[ "$MODE" = agent ] && "$SRC/scripts/s3rver.sh" stop "$W/s3" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
for _ in $(seq 100); do grep -q "twinslot-app: already confirmed" console.txt 2>/dev/null && break; sleep 0.05; done
grep -q "twinslot-app: already confirmed" console.txt || fail "the board did not boot v1.1.0"

B="--port tty --pins board:ctl.sock"
K="--pubkey k1/signing-key.pub.pem"
before=$(sha256sum < flash.bin)
rows=0
check() { # RC MESSAGE ARGS...
	local want=$1 msg=$2; shift 2
	local ev0; ev0=$(wc -l < events.jsonl)
	set +e; "$T" "$@" >out.txt 2>err.txt; local rc=$?; set -e
	[ "$rc" = "$want" ] || { cat out.txt err.txt >&2; fail "exit $rc, expected $want: twinslot $*"; }
	grep -F -- "$msg" err.txt >/dev/null || { cat err.txt >&2; fail "no \"$msg\" in stderr: twinslot $*"; }
	[ "$(sha256sum < flash.bin)" = "$before" ] || fail "the flash file changed: twinslot $*"
	tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"flash_\(erase\|program\)"' >/dev/null &&
		fail "flash operations during: twinslot $*"
	echo "refused as expected: twinslot $* -> $(grep -F -- "$msg" err.txt | head -1 | cut -c1-160)"
	rows=$((rows + 1))
}

if [ "$MODE" = flash ]; then
	check 1 "signed by key id $(cut -c1-8 <<<"$(openssl pkey -pubin -in k2/signing-key.pub.pem -outform DER | tail -c 65 | sha256sum)"), which is not one of the 1 trusted public key" \
		flash $B $K --image rk2 --timeout 0
	check 1 "signature does not verify with trusted key id" flash $B $K --image hdr.img --timeout 0
	check 1 "SHA-256 does not match its header" flash $B $K --image body.img --timeout 0
	check 1 "linked for slot A, but the slot to update is B" flash $B $K --image r1.2.0/slot-a.img --timeout 0
	check 1 "older than the running v1.1.0 in slot A (anti-rollback" flash $B $K --image r1.0.0 --timeout 0
	check 1 "the image is unsigned (pack it with --key)" flash $B $K --image runsigned --timeout 0
	check 1 "no trusted public key is configured (--pubkey)" flash $B --image r1.2.0 --timeout 0
	# two trusted keys (rotation): the other key's release is accepted by id,
	# the tampered header still is not
	check 1 "signature does not verify" flash $B $K --pubkey k2/signing-key.pub.pem --image hdr.img --timeout 0
	# the good release goes in
	"$T" flash $B $K --image r1.2.0 -q >out.txt 2>err.txt || { cat err.txt; fail "the signed v1.2.0 was not installed"; }
	cmp -s -n "$(stat -c %s r1.2.0/slot-b.img)" r1.2.0/slot-b.img \
		<(tail -c +$((0x80000 + 1)) flash.bin) || fail "slot B does not hold the signed v1.2.0"
	echo "PASS: $rows refusals before any flash write; the signed v1.2.0 installed"
	exit 0
fi

# ---- agent ---------------------------------------------------------------
rc=0; "$SRC/scripts/s3rver.sh" start "$W/s3" twinslot >port.txt 2>s3.err || rc=$?
[ $rc -eq 77 ] && { cat s3.err; echo "SKIPPED: no local S3 server (Node.js)"; exit 77; }
[ $rc -eq 0 ] || { cat s3.err; fail "s3rver did not start"; }
EP="http://127.0.0.1:$(cat port.txt)"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
publish() { # DIR PRODUCT PREFIX
	"$T" publish --endpoint "$EP" --bucket twinslot --prefix "$3" --product "$2" --release "$1" >/dev/null ||
		fail "publish $1"
}
put() { # KEY FILE: a raw upload, as a bucket writer without the signing key can do
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" \
		-H "x-amz-content-sha256: $(sha256sum < "$2" | cut -c1-64)" -T "$2" "$EP/twinslot/$1" >/dev/null ||
		fail "PUT $1"
}
manifest() { # PRODUCT VERSION KEY_A FILE_A KEY_B FILE_B
	printf '{"schema":1,"product":"%s","version":"%s","images":{"a":{"key":"%s","size":%s,"sha256":"%s"},"b":{"key":"%s","size":%s,"sha256":"%s"}}}' \
		"$1" "$2" "$3" "$(stat -c %s "$4")" "$(sha256sum < "$4" | cut -c1-64)" \
		"$5" "$(stat -c %s "$6")" "$(sha256sum < "$6" | cut -c1-64)" > m.json
	put fw/manifest.json m.json
}
A="--endpoint $EP --bucket twinslot --manifest fw/manifest.json --product $P $B $K --once --outcome-timeout 5"
n=0
agent() { n=$((n + 1)); check "$@" --state "st$n"; }

# another version's images under a newer version's manifest
publish r1.2.0 $P fw
manifest $P 1.3.0 fw/1.2.0/slot-a.img r1.2.0/slot-a.img fw/1.2.0/slot-b.img r1.2.0/slot-b.img
agent 0 "signed header is v1.2.0, but the manifest names v1.3.0" agent $A
# another product's signed images under this product's manifest
publish rother other-product other
manifest $P 1.2.0 other/1.2.0/slot-a.img rother/slot-a.img other/1.2.0/slot-b.img rother/slot-b.img
agent 0 "but the manifest's product is id" agent $A
# a manifest for another product
publish rother other-product fw
agent 0 "the manifest is for product \"other-product\", this device runs \"$P\"" agent $A
# slot A's image offered for slot B
put fw/swap/slot-a.img r1.2.0/slot-a.img; put fw/swap/slot-b.img r1.2.0/slot-b.img
manifest $P 1.2.0 fw/swap/slot-b.img r1.2.0/slot-b.img fw/swap/slot-a.img r1.2.0/slot-a.img
agent 0 "linked for slot A, but the slot to update is B" agent $A
# a replayed older signed release
publish r1.0.0 $P fw
agent 0 "v1.0.0 is older than the board's v1.1.0: refused (anti-rollback" agent $A
# an unsigned release
publish runsigned $P fw
agent 0 "the image is unsigned" agent $A
# last, as it erases slot B: a body byte changed in the bucket (the manifest's
# hash matching the bad object). The agent streams (no room to hold 384 KB on
# an ESP32), so this one is caught after the erase, before the header and the
# PENDING record: slot B is left without a header, the board keeps v1.1.0.
put fw/bad/slot-b.img body.img
manifest $P 1.2.0 fw/swap/slot-a.img r1.2.0/slot-a.img fw/bad/slot-b.img body.img
ev0=$(wc -l < events.jsonl)
set +e; "$T" agent $A --state stbody >out.txt 2>err.txt; rc=$?; set -e
grep -F "SHA-256 does not match the image header: nothing committed" err.txt >/dev/null ||
	{ cat err.txt; fail "a tampered body was not refused"; }
[ "$(tail -n +$((ev0 + 1)) events.jsonl | grep -c '"type":"flash_program"' || true)" -gt 0 ] || fail "no writes: the body check was not the refusal"
echo "refused as expected (after streaming, before the header and PENDING): tampered body, exit $rc"
grep -a "twinslot-app: v1.1.0" console.txt >/dev/null || fail "v1.1.0 no longer runs"
echo "PASS: $rows agent refusals before any flash write, and a tampered body never committed"
