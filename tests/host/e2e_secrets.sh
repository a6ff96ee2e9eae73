#!/usr/bin/env bash
# AWS credentials never leak (issue 12): publish and the agent read them from
# a 0600 credentials file (or the environment), never from the command line;
# a run of publish (a wrong secret, then the right one) and of the agent
# (installing the release on the virtual board and reporting to S3) must not
# show the secret key or the session token in any output, log line, state
# file, object in the bucket, or in the process list (`ps -eo args`, sampled
# while they run). The local S3 server gets its own key pair with a random
# secret for this (S3RVER_EXTRA_KEY). Exit 77 without Node.js.
# usage: e2e_secrets.sh TWINSLOT BOARD FIRMWARE_DIR WORKDIR SOURCE_DIR
set -euo pipefail
T=$1 BOARD=$2 FW=$3 W=$4 SRC=$5
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

AK=AKIDTWINSLOTSECRETS
SECRET="tsSecret$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
WRONG="tsWrong$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOKEN="tsToken$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
rc=0; S3RVER_EXTRA_KEY="$AK:$SECRET" "$SRC/scripts/s3rver.sh" start "$W/s3" twinslot >port.txt 2>s3.err || rc=$?
[ $rc -eq 77 ] && { cat s3.err; echo "SKIPPED: no local S3 server (Node.js)"; exit 77; }
[ $rc -eq 0 ] || { cat s3.err; fail "s3rver did not start"; }
EP="http://127.0.0.1:$(cat port.txt)"

"$T" keygen --out-dir keys >/dev/null
"$T" pack --version 1.0.0 --product twinslot --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" \
	--out-dir r1.0.0 --key keys/signing-key.pem >/dev/null
"$T" pack --version 1.1.0 --product twinslot --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" \
	--out-dir r1.1.0 --key keys/signing-key.pem >/dev/null
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
	--record confirmed:a >/dev/null
"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
	--console console.txt --quiet >board.out 2>&1 &
BPID=$!
SAMPLER=
cleanup() {
	kill $BPID 2>/dev/null || true
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
	"$SRC/scripts/s3rver.sh" stop "$W/s3" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done

# The process list, sampled every 20 ms for the whole run.
( while :; do ps -eo args >>ps.txt 2>/dev/null; sleep 0.02; done ) & SAMPLER=$!

creds() { # FILE SECRET [TOKEN]
	{ echo "[default]"; echo "aws_access_key_id = $AK"; echo "aws_secret_access_key = $2"
	  [ -n "${3:-}" ] && echo "aws_session_token = $3"; } > "$1"
	chmod 600 "$1"
}
creds wrong.cred "$WRONG" "$TOKEN"
creds good.cred "$SECRET"
creds loose.cred "$SECRET"; chmod 644 loose.cred

# a wrong secret: refused by S3, and the message names the cause, not the secret
if "$T" publish --endpoint "$EP" --bucket twinslot --prefix fw --release r1.0.0 \
	--credentials wrong.cred >pub-wrong.out 2>pub-wrong.err; then fail "a wrong secret was accepted"; fi
grep -F "SignatureDoesNotMatch" pub-wrong.err >/dev/null || { cat pub-wrong.err; fail "no SignatureDoesNotMatch"; }
# a credentials file others can read: refused before anything is sent
if "$T" publish --endpoint "$EP" --bucket twinslot --prefix fw --release r1.1.0 \
	--credentials loose.cred >pub-loose.out 2>pub-loose.err; then fail "a loose credentials file was used"; fi
grep -F "readable or writable by group or others (mode 644)" pub-loose.err >/dev/null || { cat pub-loose.err; fail "loose.cred: no reason"; }
# the release, and the agent installing and reporting it
"$T" publish --endpoint "$EP" --bucket twinslot --prefix fw --release r1.1.0 \
	--credentials good.cred >pub.out 2>pub.err || { cat pub.err; fail "publish"; }
printf 'endpoint = %s\nbucket = twinslot\nmanifest = fw/manifest.json\nport = tty\npins = board:ctl.sock\ncredentials = good.cred\npubkey = keys/signing-key.pub.pem\nreport-prefix = fw/reports\ndevice = secrets-board\nstate = agent.state\noutcome-timeout = 20\nverbose = true\n' "$EP" > agent.conf
"$T" agent --config agent.conf --once >agent.out 2>agent.err || { cat agent.err; fail "the agent failed"; }
grep -F "confirmed" agent.err >/dev/null || { cat agent.err; fail "the agent did not install v1.1.0"; }
curl -sf "$EP/twinslot/fw/reports/secrets-board.json" > report.json || fail "no report in the bucket"
kill $SAMPLER; wait $SAMPLER 2>/dev/null || true; SAMPLER=
grep -F "$AK" ps.txt >/dev/null && fail "the access key id is in the process list"
[ -s ps.txt ] && grep -F "twinslot agent" ps.txt >/dev/null || fail "the process list was not sampled during the agent's run"

# Nowhere: outputs, logs, state, the board's files, the bucket (all objects
# and s3rver's metadata), the process list.
leaks=$(grep -rlaF -e "$SECRET" -e "$WRONG" -e "$TOKEN" --exclude=good.cred --exclude=wrong.cred \
	--exclude=loose.cred . 2>/dev/null || true)
[ -z "$leaks" ] || fail "a secret appears in: $leaks"
echo "PASS: no secret or token in $(find . -type f | wc -l) files ($(wc -l < ps.txt) process-list lines sampled)"
