#!/usr/bin/env bash
# The security counter end to end (issue 12; docs/security.md), on the
# virtual board with the real bootloader and application:
#   1. v1.0.0 (counter 1) boots on trial and confirms: the minimum is 1;
#   2. `twinslot flash` installs v1.1.0 (counter 2), it confirms: the client
#      raises the minimum to 2 (status shows it);
#   3. an older signed release, v1.0.1 with counter 1, is refused by
#      `twinslot flash` before any flash write, with --force too (through the
#      ROM; through the application its update service refuses BEGIN);
#   4. the same release is forced into slot A through the ROM bootloader with
#      stm32flash (what a host that skips the check could do), with a PENDING
#      record appended after the journal's last one: at the next reset the
#      bootloader refuses it (console line, LED code green+orange+red,
#      ROLLED_BACK A in the journal) and keeps running v1.1.0; v1.0.1 never
#      runs; status shows the minimum and the refused slot.
# Asserts on the flash file (board_journal --live), the console and the
# event log. stm32flash comes from PATH (exit 77 without it).
# usage: e2e_counter.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_JOURNAL WORKDIR
set -euo pipefail
T=$1 BOARD=$2 FW=$3 LIVE=$4 W=$5
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
STM32FLASH=$(command -v stm32flash) ||
	{ echo "SKIPPED: stm32flash not installed (scripts/setup.sh installs it)"; exit 77; }
rm -rf "$W"; mkdir -p "$W"; cd "$W"
fail() { echo "FAIL: $*" >&2; echo "--- console tail:" >&2; tail -8 console.txt >&2 || true
	 echo "--- journal:" >&2; "$LIVE" --live flash.bin | grep -v stale >&2 || true; exit 1; }
step() { echo "== $*"; }

"$T" keygen --out-dir k >/dev/null
pack() { # VERSION COUNTER DIR
	"$T" pack --version "$1" --security-counter "$2" --product 7 --key k/signing-key.pem \
		--slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" --out-dir "$3" >/dev/null
}
pack 1.0.0 1 r1.0.0
pack 1.1.0 2 r1.1.0
pack 1.0.1 1 r1.0.1
"$T" inspect r1.1.0/slot-b.img | grep -x "security counter: 2" >/dev/null || fail "inspect: no counter"
"$T" inspect --json r1.0.1/slot-a.img | grep -F '"security_counter":1,' >/dev/null ||
	fail "inspect --json: no counter"
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img >/dev/null

"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
	--console console.txt --quiet >board.out 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
wait_line() { # TEXT [SECONDS]
	for _ in $(seq $((${2:-10} * 20))); do grep -qxF "$1" <(tr -d '\r' <console.txt) && return 0; sleep 0.05; done
	fail "no console line '$1'"
}
wait_line "twinslot-app: confirmed"
summary() { "$LIVE" --live flash.bin | tail -1; }
case "$(summary)" in *" min=1") ;; *) fail "minimum after the first confirm: $(summary)" ;; esac

B="--port tty --pins board:ctl.sock -q"
K="--pubkey k/signing-key.pub.pem"
status_min() { "$T" status $B --json | grep -o '"min_security_counter":[0-9]*' | cut -d: -f2; }
[ "$(status_min)" = 1 ] || fail "status: minimum $(status_min), expected 1"

step "v1.1.0 (counter 2) confirms: the minimum becomes 2"
"$T" flash $B $K --image r1.1.0 >out.txt 2>err.txt || { cat out.txt err.txt >&2; fail "flash v1.1.0"; }
for _ in $(seq 100); do case "$(summary)" in *" B=confirmed:0 min=2") break ;; esac; sleep 0.05; done
case "$(summary)" in *" newest=confirmed:B "*" B=confirmed:0 min=2") ;; *) fail "after v1.1.0: $(summary)" ;; esac
"$LIVE" --live flash.bin | grep -E "^pos=[0-9]+ seq=[0-9]+ min_counter B attempt=0 v=0x00000002 counts$" >/dev/null ||
	fail "no MIN_COUNTER 2 record"
[ "$(status_min)" = 2 ] || fail "status: minimum $(status_min), expected 2"
"$T" status $B >status.txt
grep -x "minimum security counter: 2 (MIN_COUNTER record, seq [0-9]*): the bootloader boots no image below it" \
	status.txt >/dev/null || { cat status.txt; fail "status text: no minimum line"; }

step "the older release (counter 1) is refused before any flash write, --force or not"
for force in "" --force; do
	before=$(sha256sum < flash.bin); ev0=$(wc -l < events.jsonl)
	set +e; "$T" flash $B $K $force --path rom --image r1.0.1 >out.txt 2>err.txt; rc=$?; set -e
	[ "$rc" = 1 ] || { cat out.txt err.txt >&2; fail "flash $force v1.0.1: exit $rc, expected 1"; }
	grep -F "the image's security counter is 1, below the board's minimum 2" err.txt >/dev/null ||
		{ cat err.txt >&2; fail "no counter message"; }
	grep -F -- "--force does not override this" err.txt >/dev/null || fail "the message does not say --force cannot help"
	sleep 0.3
	[ "$(sha256sum < flash.bin)" = "$before" ] || fail "the flash file changed (flash $force)"
	tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"flash_\(erase\|program\)"' >/dev/null &&
		fail "flash operations during the refused flash $force"
	echo "   refused: $(grep -F 'security counter' err.txt | head -1 | cut -c1-160)"
done
# Through the application (the host cannot read the minimum on that path):
# its update service refuses BEGIN before erasing anything.
before=$(sha256sum < flash.bin); ev0=$(wc -l < events.jsonl)
set +e; "$T" flash $B $K --force --path app --image r1.0.1 >out.txt 2>err.txt; rc=$?; set -e
[ "$rc" != 0 ] || { cat out.txt err.txt >&2; fail "flash --path app v1.0.1 succeeded"; }
grep -F "the application refused BEGIN" err.txt >/dev/null || { cat err.txt >&2; fail "no BEGIN refusal"; }
sleep 0.3
[ "$(sha256sum < flash.bin)" = "$before" ] || fail "the flash file changed (flash --path app)"
tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"flash_\(erase\|program\)"' >/dev/null &&
	fail "flash operations during the refused flash --path app"
echo "   refused (app path, exit $rc): $(grep -F 'refused BEGIN' err.txt | head -1 | cut -c1-160)"

step "forced into slot A through the ROM: the bootloader refuses it"
ctl() { "$BOARD" --ctl ctl.sock "$@" >/dev/null || fail "control: $*"; }
ctl "boot0 1" "nrst pulse"
sfl() { "$STM32FLASH" -m 8n1 -b 115200 "$@" tty >sfl.txt 2>&1 || { cat sfl.txt >&2; fail "stm32flash $*"; }; }
sfl -w r1.0.1/slot-a.img -S 0x08020000
ctl "nrst pulse"
cmp -s -n "$(stat -c%s r1.0.1/slot-a.img)" r1.0.1/slot-a.img <(tail -c +$((0x20000 + 1)) flash.bin) ||
	fail "slot A does not hold v1.0.1 after stm32flash"
addr=$("$LIVE" --next pending:a flash.bin pending.bin) || fail "board_journal --next"
sfl -e 0 -w pending.bin -S "$addr"
ev0=$(wc -l < events.jsonl); con0=$(tr -d '\r' < console.txt | wc -l)
ctl "boot0 0" "nrst pulse"
wait_line "twinslot-boot: slot B v1.1.0 (other slot's security counter is below the minimum: rolled back)"
wait_line "twinslot-app: already confirmed"
tr -d '\r' < console.txt | tail -n +$((con0 + 1)) | grep "^twinslot-app: v1\.0\.1" >/dev/null &&
	fail "v1.0.1 ran"
case "$(summary)" in *" newest=rolled_back:A A=rolled_back:0 B=confirmed:0 min=2") ;;
*) fail "after the refusal: $(summary)" ;; esac
# The LED code of this boot: green, orange and red together.
leds=$(tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"led"' | grep '"on":true' |
	sed -E 's/.*"t_ns":([0-9]+).*"pin":"(PD1[2-5])".*/\1 \2/' | awk 'NR == 1 { t = $1 } $1 == t { print $2 }' |
	sort | tr '\n' ' ')
[ "$leds" = "PD12 PD13 PD14 " ] || fail "LED code '$leds', expected green+orange+red (PD12 PD13 PD14)"
"$T" status $B >status.txt
grep -E "^slot A: v1\.0\.1, .*security counter 1, .*\[below the minimum security counter: never booted\]" \
	status.txt >/dev/null || { cat status.txt; fail "status does not flag slot A"; }
grep -E "^slot B: v1\.1\.0, .*security counter 2, .*\(header ok, body not verified\); journal: CONFIRMED" \
	status.txt >/dev/null || { cat status.txt; fail "status: slot B's line"; }
# The next reset: row 9, nothing written.
before=$(sha256sum < flash.bin); con0=$(tr -d '\r' < console.txt | wc -l)
ctl "nrst pulse"
wait_line "twinslot-boot: slot B v1.1.0 (other slot was rolled back)"
for _ in $(seq 40); do [ "$(tr -d '\r' < console.txt | tail -n +$((con0 + 1)) | grep -c "already confirmed")" -ge 1 ] && break; sleep 0.05; done
[ "$(sha256sum < flash.bin)" = "$before" ] || fail "the settled board wrote flash"
echo "PASS"
