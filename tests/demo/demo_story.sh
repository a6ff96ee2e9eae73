#!/usr/bin/env bash
# The main job as a test: runs scripts/demo.sh unpaced (the same story, the
# same script), then checks what it left behind, independently of anything
# the demo or the agent printed:
#   - the board's flash file: slot B holds the published v1.1.0 image byte
#     for byte, slot A the published v1.2.0; the journal (read with lib's
#     ts_journal_scan through board_journal) has v1.1.0 CONFIRMED in B after
#     its ATTEMPT, three ATTEMPTs of v1.2.0 in A and then ROLLED_BACK;
#   - the board's console and event log: the three trial boots of v1.2.0 with
#     NRST resets between them, the bootloader's rollback line, the watchdog
#     started for the trials;
#   - the S3 server's stored objects: the agent's report says v1.2.0 rolled
#     back with the board on v1.1.0.
# usage: demo_story.sh SOURCE_DIR BUILD_DIR BOARD_JOURNAL
set -euo pipefail
SRC=$1 BUILD=$2 JOURNAL=$3
for f in bootloader.bin app-a.elf app-b.elf app-noconfirm-a.elf app-noconfirm-b.elf; do
	[ -f "$BUILD/firmware/$f" ] || { echo "SKIP: $BUILD/firmware/$f not built"; exit 77; }
done
command -v node >/dev/null && [ -d "$SRC/scripts/s3rver/node_modules/@20minutes/s3rver" ] ||
	{ echo "SKIP: the local S3 server is not installed (scripts/setup.sh)"; exit 77; }
T=$(mktemp -d /tmp/twinslot-demo-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() {
	echo "FAIL: $*" >&2
	echo "--- journal" >&2; "$JOURNAL" "$T/flash.bin" >&2 || true
	echo "--- console" >&2; tr -d '\r' <"$T/console.log" | grep -ao 'twinslot-[a-z]*: .*' >&2 || true
	exit 1
}

start=$SECONDS
rc=0
"$SRC/scripts/demo.sh" --no-setup --build-dir "$BUILD" --workdir "$T" >"$T/demo.out" 2>&1 || rc=$?
[ $rc = 0 ] || { cat "$T/demo.out"; fail "scripts/demo.sh exited with $rc"; }
echo "demo ran in $((SECONDS - start)) s"

# The releases were signed and the agent checked each signature before erasing
# (issue 12): v1.1.0 and v1.2.0 were installed, so two verifications.
[ "$(stat -c %a "$T/keys/signing-key.pem")" = 600 ] || fail "the signing key is not 0600"
for v in 1.1.0 1.2.0; do
	"$BUILD/tools/twinslot" verify --pubkey "$T/keys/signing-key.pub.pem" "$T/rel-$v" >/dev/null ||
		fail "release $v does not verify"
done
n=$(grep -c "signature verified: ECDSA P-256, key id" "$T/demo.out" || true)
[ "$n" = 2 ] || { cat "$T/demo.out"; fail "the agent verified $n signatures, expected 2"; }
grep -F "allow-unsigned" "$T/demo.out" >/dev/null && fail "the demo ran with --allow-unsigned"
# Both installs went through the running application's update service (the
# app path, the agent's default `auto`), not the ROM bootloader.
n=$(grep -c "installing v1\.[12]\.0 .* through the application" "$T/demo.out" || true)
[ "$n" = 2 ] || fail "$n of the 2 installs went through the application"

# The flash file: the images are the published ones, byte for byte.
for x in "b 1.1.0 $((0x80000))" "a 1.2.0 $((0x20000))"; do
	set -- $x
	img=$T/rel-$2/slot-$1.img
	n=$(stat -c %s "$img")
	cmp -s -n "$n" "$img" <(tail -c +$(($3 + 1)) "$T/flash.bin") ||
		fail "slot ${1^^} does not hold the published v$2 image"
done

# The journal, record by record (seq type slot attempt version).
"$JOURNAL" "$T/flash.bin" >"$T/journal.txt"
recs=$(grep '^seq=' "$T/journal.txt" | sed 's/^seq=[0-9]* //' | tr '\n' ';')
want="confirmed A attempt=0 v=0x01000000;"
want+="pending B attempt=0 v=0x01010000;attempt B attempt=1 v=0x01010000;"
want+="confirmed B attempt=0 v=0x01010000;"
want+="pending A attempt=0 v=0x01020000;attempt A attempt=1 v=0x01020000;"
want+="attempt A attempt=2 v=0x01020000;attempt A attempt=3 v=0x01020000;"
want+="rolled_back A attempt=0 v=0x01020000;"
[ "$recs" = "$want" ] || fail "journal records: $recs"
tail -1 "$T/journal.txt" | grep "invalid=0 dirty=0 newest=rolled_back:A" >/dev/null ||
	fail "journal summary: $(tail -1 "$T/journal.txt")"

# The console: v1.1.0 confirmed; v1.2.0's three trials, then back to B. A
# line may follow the app path's binary frames without a newline between
# (the update came through the application, which then reset): match the
# lines wherever they start.
con=$(tr -d '\r' <"$T/console.log" | grep -ao 'twinslot-[a-z]*: .*' | tr '\n' ';')
for l in "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)" "twinslot-app: confirmed" \
	"twinslot-boot: slot A v1.2.0 trial 1/3 (new image)" \
	"twinslot-boot: slot A v1.2.0 trial 2/3 (trial continues)" \
	"twinslot-boot: slot A v1.2.0 trial 3/3 (trial continues)" \
	"twinslot-boot: slot B v1.1.0 (other slot failed its trial: rolled back)"; do
	case ";$con" in *";$l;"*) ;; *) fail "console lacks \"$l\"" ;; esac
done
# ... and every boot after the rollback is v1.1.0 in slot B (the last one
# follows the demo's closing twinslot status).
after=$(tr -d '\r' <"$T/console.log" | grep -ao 'twinslot-boot: .*' |
	sed -n '/other slot failed its trial: rolled back/,$p' | grep -vc '^twinslot-boot: slot B v1.1.0 ' || true)
[ "$after" = 0 ] || fail "a boot other than slot B v1.1.0 after the rollback"

# The event log: between v1.2.0's first trial and the rollback, the agent's
# NRST pulses (BOOT0 low: a normal boot, not the ROM) did the resets, and the
# watchdog was started for the trials (a running IWDG survives resets).
ev=$T/events.jsonl
nrst_run=$(grep '"type":"reset"' "$ev" | grep -c '"cause":"nrst","boot0":0' || true)
# (the installs go through the application's update service, which resets
# the board itself: the three trial pulses of v1.2.0 are NRST's)
[ "$nrst_run" -ge 3 ] || fail "only $nrst_run NRST resets into the application"
grep -q '"type":"reset".*"cause":"iwdg"' "$ev" && fail "a watchdog reset (the trials should not hang)"
grep -q '"type":"iwdg_start"' "$ev" || fail "the trials did not run under the watchdog"
grep -q '"type":"lockup"' "$ev" && fail "the core locked up"

# The S3 server's stored report object.
rep=$T/s3/data/twinslot/fw/reports/demo-board.json._S3rver_object
[ -f "$rep" ] || fail "no report object in the S3 server ($rep)"
grep -q '"version":"1.2.0","outcome":"rolled_back","board_version":"1.1.0"' "$rep" ||
	fail "report: $(cat "$rep")"
# Three pulses end the three trials; on a loaded machine the rollback's boot
# line can miss one outcome window, and one more pulse (at most max-resets
# in all) then finds the board already rolled back. The journal above says
# how many trials there were.
grep -E '"nrst_pulses":[345],' "$rep" >/dev/null || fail "report: $(cat "$rep")"
echo "PASS demo_story ($((SECONDS - start)) s)"
