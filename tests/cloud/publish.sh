#!/usr/bin/env bash
# twinslot publish against the local S3 server: images first, manifest last,
# and what is stored is byte-identical to the release directory; a wrong
# secret is refused with SignatureDoesNotMatch and uploads nothing.
# usage: publish.sh TWINSLOT SOURCE_DIR
set -eu
TWINSLOT=$1; SRC=$2
WORK=$(mktemp -d)
rc=0; "$SRC/scripts/s3rver.sh" start "$WORK/s3" twinslot >"$WORK/port" || rc=$?
if [ $rc -eq 77 ]; then echo "SKIPPED: local S3 server unavailable"; rm -rf "$WORK"; exit 77; fi
[ $rc -eq 0 ] || { echo "FAIL: s3rver did not start"; exit 1; }
trap '"$SRC/scripts/s3rver.sh" stop "$WORK/s3"; rm -rf "$WORK"' EXIT
PORT=$(cat "$WORK/port"); EP=http://127.0.0.1:$PORT
cd "$WORK"

le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"; }
mkbin() { { le32 0x20020000; le32 $(($1 + 0x101)); head -c 1000 /dev/urandom; } >"$2"; }
mkbin 0x08020200 a.bin; mkbin 0x08080200 b.bin
"$TWINSLOT" pack --version 1.2.3 --product twinslot --slot-a a.bin --addr-a 0x08020200 \
	--slot-b b.bin --addr-b 0x08080200 --out-dir rel >/dev/null

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=wrong
if "$TWINSLOT" publish --bucket twinslot --prefix fw --endpoint "$EP" --release rel >out 2>err; then
	echo "FAIL: publish with a wrong secret succeeded"; exit 1; fi
grep -q "SignatureDoesNotMatch (HTTP 403)" err || { echo "FAIL: no SignatureDoesNotMatch:"; cat err; exit 1; }
cat err
export AWS_SECRET_ACCESS_KEY=S3RVER
"$TWINSLOT" publish --bucket twinslot --prefix fw/ --endpoint "$EP" --release rel >out 2>err ||
	{ echo "FAIL: publish:"; cat err; exit 1; }
cat out
# order: images, then the manifest last
grep '^uploaded' out | sed 's/ (.*//; s/ last$//' >order
printf '%s\n' "uploaded s3://twinslot/fw/1.2.3/slot-a.img" "uploaded s3://twinslot/fw/1.2.3/slot-b.img" \
	"uploaded s3://twinslot/fw/manifest.json" | diff - order || { echo "FAIL: upload order"; exit 1; }
# what is stored is what was released (anonymous GETs: s3rver serves them)
for s in a b; do
	curl -sf "$EP/twinslot/fw/1.2.3/slot-$s.img" -o got-$s.img
	cmp got-$s.img rel/slot-$s.img || { echo "FAIL: slot-$s differs"; exit 1; }
	sha=$(sha256sum rel/slot-$s.img | cut -d' ' -f1)
	curl -sf "$EP/twinslot/fw/manifest.json" | grep "\"key\": \"fw/1.2.3/slot-$s.img\", \"size\": $(stat -c %s rel/slot-$s.img), \"sha256\": \"$sha\"" >/dev/null ||
		{ echo "FAIL: manifest entry for slot $s"; exit 1; }
done
curl -sf "$EP/twinslot/fw/manifest.json" | grep '"version": "1.2.3"' >/dev/null || { echo "FAIL: version"; exit 1; }
echo "PASS"
