#!/usr/bin/env bash
# Bad-firmware campaign (issue 13 point 4): bad releases installed on the
# virtual board, which must end on the last good image within the attempt
# limit wherever the design can catch the fault. Three parts:
#
#   boot   crafted images written straight into slot B's flash with a PENDING
#          record (what a buggy or foreign writer could leave): linked for
#          the wrong slot, relabelled for B with code linked for A, body cut
#          short, initial SP outside RAM (and inside flash), reset handler in
#          the bootloader or in the other slot. The bootloader must run the
#          confirmed slot A at the first boot, one reset, no trial of B.
#   host   the same images given to `twinslot flash`: refused (exit 1) before
#          the board is touched, the flash file byte-identical.
#   agent  signed releases built from the firmware's bad variants, published
#          to the local S3 server and installed by `twinslot agent --once`:
#          hang, HardFault, never confirms, self-test fails, corrupts its own
#          slot after the commit, confirms and then keeps crashing. For each:
#          the final running image (console and journal in the flash file),
#          the resets (event log), the agent's exit code and state (failed),
#          and a second poll that must not touch the board (not retried).
#          A last good release must still install and confirm.
#
# Per part one line (docs/reliability.md is generated from them):
#   campaign badfw <part> cases=N faults=N <outcome>=N ... bricks=0 wrong=0 unconfirmed=0 failures=0
#   reproduce: <command>
# Violations: bricks (no hash-valid image runs after the case and its
# documented recovery), wrong (the board runs an image other than the last
# good one where the design catches the fault), unconfirmed (an image runs
# outside a trial without a CONFIRMED record), failures (any other broken
# expectation: exit code, reset count beyond the attempt limit, a retry).
#
# usage: bad_firmware.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_JOURNAL BOARD_CTL WORKDIR SRC_DIR \
#          [PARTS [AGENT_CASES]]
#   PARTS default "boot host agent"; AGENT_CASES default all:
#   "hang fault noconfirm selftest-fail corrupt-self crash-later cascade";
#   "cascade-default" (not in the list) shows a known limit and fails.
# Exit 0 when every part ran without a violation, 1 on a violation, 77 when
# the firmware is not built (or, for a run of the agent part alone, without
# the local S3 server).
set -uo pipefail
T=$1 BOARD=$2 FW=$3 JOURNAL=$4 CTL=$5 W=$6 SRC=$7
PARTS=${8:-boot host agent}
AGENT_CASES=${9:-hang fault noconfirm selftest-fail corrupt-self crash-later cascade}
REPRO="bash tests/campaigns/bad_firmware.sh build/tools/twinslot build/sim/twinslot-board build/firmware build/tests/sim/board_journal build/tests/host/board_ctl /tmp/badfw \$PWD"
for f in bootloader.bin app-a.elf app-b.elf app-hang-b.elf app-fault-b.elf app-noconfirm-b.elf \
	app-selftest-fail-b.elf app-corrupt-self-b.elf app-crash-later-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W" || exit 1
die() { echo "FAIL: $*" >&2; exit 1; }
BPID=
stop_board() { [ -n "$BPID" ] && { kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; }; BPID=; }
S3UP=
cleanup() { stop_board; [ -n "$S3UP" ] && "$SRC/scripts/s3rver.sh" stop "$W/s3" >/dev/null 2>&1; }
trap cleanup EXIT

"$T" keygen --out-dir key >/dev/null || die "keygen"
P=twinslot-badfw
pack() { # VERSION OUT_DIR ELF_A ELF_B
	"$T" pack --version "$1" --product $P --key key/signing-key.pem \
		--slot-a "$FW/$3" --slot-b "$FW/$4" --out-dir "$2" >/dev/null || die "pack $1"
}
pack 1.0.0 good app-a.elf app-b.elf

# --- image surgery (test-only; the shipped tools refuse all of these) -------
le32() { printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/' | xxd -r -p; }
put_at() { dd of="$1" bs=1 seek="$2" conv=notrunc status=none; } # FILE OFFSET < bytes
fix_crc() { head -c 508 "$1" | gzip -c | tail -c 8 | head -c 4 | put_at "$1" 508; }
fix_sha() { tail -c +513 "$1" | sha256sum | cut -c1-64 | xxd -r -p | put_at "$1" 32; }
unsign() { head -c $((0x88 - 0x40)) /dev/zero | put_at "$1" $((0x40)); } # sig_type..key_id
craft() { # CASE OUT: an image for slot B with one defect
	local b=good/slot-b.img
	case $1 in
	wrong-slot) cp good/slot-a.img "$2" ;; # a good image, linked for A, in slot B
	relabelled) # header says slot B, code linked for A
		cp good/slot-a.img "$2"; le32 $((0x08080200)) | put_at "$2" 8; unsign "$2"; fix_crc "$2" ;;
	truncated) # header of the whole image, second half of the body missing
		local n; n=$(stat -c %s $b)
		head -c $((512 + (n - 512) / 2)) $b > "$2" ;;
	sp-outside-ram) cp $b "$2"; le32 $((0x30000000)) | put_at "$2" 512; fix_sha "$2"; unsign "$2"; fix_crc "$2" ;;
	sp-in-flash) cp $b "$2"; le32 $((0x08090000)) | put_at "$2" 512; fix_sha "$2"; unsign "$2"; fix_crc "$2" ;;
	reset-in-bootloader) cp $b "$2"; le32 $((0x08000101)) | put_at "$2" 516; fix_sha "$2"; unsign "$2"; fix_crc "$2" ;;
	reset-in-other-slot) cp $b "$2"; le32 $((0x08020301)) | put_at "$2" 516; fix_sha "$2"; unsign "$2"; fix_crc "$2" ;;
	*) die "unknown crafted case $1" ;;
	esac
}
CRAFTED="wrong-slot relabelled truncated sp-outside-ram sp-in-flash reset-in-bootloader reset-in-other-slot"
# What the bootloader's validation says about each (docs/bootloader.md, <state>).
boot_err() {
	case $1 in
	wrong-slot) echo "wrong address" ;;
	truncated) echo "SHA-256 mismatch" ;;
	*) echo "implausible vector table" ;;
	esac
}
hdr_u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; } # FILE OFFSET
sha_hex() { od -An -tx1 -j 32 -N32 "$1" | tr -d ' \n'; }
version_str() { local v; v=$(hdr_u32 "$1" 16); echo "$((v >> 24)).$(((v >> 16) & 255)).$((v & 65535))"; }

# The console from a byte offset, one line per console line: a reset in the
# middle of a line glues the next boot's first line to it, so split there.
console_tail() {
	tail -c +$(($1 + 1)) console.txt | tr -d '\r' | sed 's/\(.\)\(twinslot-\(boot\|app\): \)/\1\n\2/g'
}
# The image that runs now: the newest boot line and the application banner after it.
running() { # CONSOLE_OFFSET -> "A v1.0.0" or "none: <line>"
	local line
	line=$(console_tail "$1" | grep -a '^twinslot-boot: ' | tail -1)
	case $line in
	"twinslot-boot: slot "?" v"*) echo "$line" | sed 's/^twinslot-boot: slot \(.\) \(v[0-9.]*\).*/\1 \2/' ;;
	*) echo "none: $line" ;;
	esac
}
resets() { # EVENT_LINE0 -> "power iwdg ..." since that line
	tail -n +$(($1 + 1)) events.jsonl | grep '"type":"reset"' | sed 's/.*"cause":"\([a-z]*\)".*/\1/' | tr '\n' ' '
}
newest_live() { "$JOURNAL" --live "$1" | tail -1; }
slot_bytes() { [ "$1" = A ] && o=$((0x20000)) || o=$((0x80000)); tail -c +$((o + 1)) "$2" | head -c $((0x60000)); }
start_board() { # FLASH
	"$BOARD" --flash "$1" --pty-link tty --control ctl.sock --events events.jsonl \
		--console console.txt --quiet >board.out 2>&1 &
	BPID=$!
	for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
}
# Between two commands nobody reads the serial line, and the virtual board
# holds its console output back when the pty is full (a board in a fault
# loop fills it in seconds): it would stop. A real console flows on, so
# drain the line while waiting (raw, no echo: the board must not hear
# itself). Only between twinslot commands, never while one holds the port.
drain() { stty -F tty raw -echo 2>/dev/null; timeout 0.2 cat tty >/dev/null 2>&1 || true; }
wait_console() { # OFFSET TEXT SECONDS
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		console_tail "$1" | grep -aqF "$2" && return 0
		[ -e tty ] && drain || sleep 0.2
	done
	console_tail "$1" | grep -aqF "$2"
}
TOTAL_VIOL=0
summary() { # PART, from the counters
	local viol=$((bricks + wrong + unconfirmed + failures))
	TOTAL_VIOL=$((TOTAL_VIOL + viol))
	echo "campaign badfw $1 cases=$cases faults=${faults:-$cases} $2 bricks=$bricks wrong=$wrong unconfirmed=$unconfirmed failures=$failures"
	echo "reproduce: $REPRO \"$1\"${3:+ \"$3\"}"
}

# --- part boot: the bootloader refuses what it cannot run ------------------
part_boot() {
	cases=0 caught=0 bricks=0 wrong=0 unconfirmed=0 failures=0
	for c in $CRAFTED; do
		cases=$((cases + 1))
		craft "$c" bad.img
		local v h; v=$(version_str bad.img); h=$(sha_hex bad.img)
		"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a good/slot-a.img \
			--record confirmed:a --record "pending:b:0:$v:$h" >/dev/null || die "compose ($c)"
		dd if=bad.img of=flash.bin bs=1 seek=$((0x80000)) conv=notrunc status=none
		cp flash.bin before.bin
		: > console.txt; : > events.jsonl
		"$BOARD" --quiet --flash flash.bin --events events.jsonl --console console.txt --max-time 2 ||
			die "board ($c)"
		local run rs err line
		run=$(running 0); rs=$(resets 0); err=$(boot_err "$c")
		line=$(console_tail 0 | grep -a '^twinslot-boot: ' | head -1)
		echo "boot $c: first boot: \"$line\"; resets: $rs; runs: $run"
		if [ "$run" != "A v1.0.0" ]; then
			case $run in none:*) bricks=$((bricks + 1)) ;; *) wrong=$((wrong + 1)) ;; esac
			echo "VIOLATION: boot $c: runs $run, not the last good A v1.0.0" >&2
		elif [ "$line" != "twinslot-boot: slot A v1.0.0 (confirmed; slot B: $err)" ]; then
			failures=$((failures + 1)); echo "FAILURE: boot $c: expected the reason '$err'" >&2
		elif [ "$rs" != "power " ] || grep -aq "trial" console.txt; then
			failures=$((failures + 1)); echo "FAILURE: boot $c: resets '$rs' or a trial of B" >&2
		elif ! console_tail 0 | grep -aqx "twinslot-app: already confirmed"; then
			unconfirmed=$((unconfirmed + 1)); echo "VIOLATION: boot $c: A not confirmed" >&2
		elif ! cmp -s <(slot_bytes A before.bin) <(slot_bytes A flash.bin) ||
			! cmp -s <(slot_bytes B before.bin) <(slot_bytes B flash.bin); then
			failures=$((failures + 1)); echo "FAILURE: boot $c: a slot changed" >&2
		else
			caught=$((caught + 1))
		fi
	done
	summary boot "caught_by_bootloader=$caught"
}

# --- part host: twinslot flash refuses them before touching the board ------
part_host() {
	cases=0 refused=0 bricks=0 wrong=0 unconfirmed=0 failures=0
	"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a good/slot-a.img \
		--record confirmed:a >/dev/null || die "compose"
	: > console.txt; : > events.jsonl
	start_board flash.bin
	wait_console 0 "twinslot-app: already confirmed" 60 || die "the board did not boot v1.0.0"
	local before; before=$(sha256sum < flash.bin)
	for c in $CRAFTED; do
		cases=$((cases + 1))
		craft "$c" bad.img
		local ev0 rc; ev0=$(wc -l < events.jsonl)
		"$T" flash --port tty --pins board:ctl.sock --allow-unsigned --timeout 0 --image bad.img \
			>out.txt 2>err.txt
		rc=$?
		local talked=no
		tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"reset"' >/dev/null && talked="yes (read the slots)"
		echo "host $c: twinslot flash exit $rc, board consulted: $talked: $(grep -iv warning err.txt | head -1 | cut -c1-150)"
		if [ "$(sha256sum < flash.bin)" != "$before" ]; then
			wrong=$((wrong + 1)); echo "VIOLATION: host $c: the flash changed" >&2
		elif tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"\(flash_erase\|flash_program\)"' >/dev/null; then
			failures=$((failures + 1)); echo "FAILURE: host $c: flash operations on the board" >&2
		elif [ $rc != 1 ]; then
			failures=$((failures + 1)); echo "FAILURE: host $c: exit $rc, not 1" >&2
		else
			refused=$((refused + 1))
		fi
	done
	stop_board
	summary host "refused=$refused"
}

# --- part agent: bad releases through S3 and the agent ---------------------
# One bad release through the agent: CASE [AGENT OPTIONS]. The board runs
# whatever the previous step left (fresh_board for a clean start).
agent_case() {
	local c=$1; shift
	cases=$((cases + 1)); minor=$((minor + 1))
	local v=1.$minor.0 rc
	pack "$v" "r$v" app-a.elf "app-$c-b.elf"
	[ -f "$FW/app-$c-a.elf" ] && pack "$v" "r$v" "app-$c-a.elf" "app-$c-b.elf"
	"$T" publish --endpoint "$ep" --bucket twinslot --prefix fw --product $P --release "r$v" \
		>/dev/null || die "publish $v"
	local ev0 c0 f0; ev0=$(wc -l < events.jsonl); c0=$(stat -c %s console.txt)
	# shellcheck disable=SC2086
	"$T" agent $A "$@" >agent.out 2>agent.err
	rc=$?
	# Let the board settle: what runs after the verdict.
	case $c in
	corrupt-self)
		wait_console "$c0" "twinslot-app: already confirmed" 90 ||
			echo "corrupt-self: no confirmed image came back" ;;
	crash-later)
		# Confirmed on its trial; now the later boots: two resets.
		for _ in 1 2; do
			local c1; c1=$(stat -c %s console.txt)
			"$CTL" ctl.sock "nrst pulse" >/dev/null
			wait_console "$c1" "twinslot-app: test variant: HardFault at a boot" 60 || break
		done ;;
	*) sleep 1 ;;
	esac
	local run rs trials report outcome="" state
	run=$(running "$c0"); rs=$(resets "$ev0")
	resets_total=$((resets_total + $(wc -w <<<"$rs")))
	trials=$(console_tail "$c0" | grep -ac "^twinslot-boot: slot . v$v trial [0-9]")
	# The state file remembers the failed version (agent.failed: the packed
	# version, little-endian hex), which is what keeps it from being retried.
	state=$(grep -a "^agent.failed=" agent.state || true)
	report=$(cat s3/data/twinslot/fw/reports/badfw.json._S3rver_object 2>/dev/null || true)
	outcome=$(sed -n 's/.*"outcome":"\([a-z_]*\)".*/\1/p' <<<"$report")
	echo "agent $c v$v: agent exit $rc (report outcome: $outcome), resets: $rs, trials of v$v: $trials, runs: $run"
	# The verdict the design can give for each.
	local want_rc=5 caught=1
	case $c in corrupt-self | crash-later) want_rc=0 caught=0 ;; esac
	if [ $rc != $want_rc ]; then
		failures=$((failures + 1)); echo "FAILURE: agent $c: exit $rc, expected $want_rc" >&2
		tail -3 agent.err >&2
	fi
	[ "$trials" -le 3 ] || { failures=$((failures + 1)); echo "FAILURE: agent $c: $trials trials" >&2; }
	if [ $caught = 1 ]; then
		[ "$outcome" = rolled_back ] || { failures=$((failures + 1)); echo "FAILURE: agent $c: report '$outcome'" >&2; }
		[ "$state" = "agent.failed=0000$(printf %02x "$minor")01" ] ||
			{ failures=$((failures + 1)); echo "FAILURE: agent $c: state '$state' does not name v$v as failed" >&2; }
		if [ "$run" = "$good" ]; then rolled_back=$((rolled_back + 1))
		else
			case $run in none:*) bricks=$((bricks + 1)) ;; *) wrong=$((wrong + 1)) ;; esac
			echo "VIOLATION: agent $c: runs $run, not the last good $good" >&2
		fi
	else
		case $c in
		corrupt-self)
			# Documented guarantee: the damaged slot never runs unchecked;
			# the board returns to the last good image by itself. Which
			# check caught it: the bootloader's hash at boot, or (if the
			# bootloader trusts a confirmed image) the application's own
			# self-test and its rollback request.
			local how="neither"
			console_tail "$c0" | grep -aq "^twinslot-boot: slot A v1.0.0 (confirmed; slot B: SHA-256 mismatch)" &&
				how="bootloader_hash"
			console_tail "$c0" | grep -aq "^twinslot-app: self-test failed" && how="app_selftest_rollback"
			echo "agent $c: the corrupted slot was caught by: $how (the agent reported: $outcome)"
			if [ "$run" != "$good" ]; then
				case $run in none:*) bricks=$((bricks + 1)) ;; *) wrong=$((wrong + 1)) ;; esac
				echo "VIOLATION: agent $c: runs $run after corrupting itself" >&2
			elif [ $how = bootloader_hash ]; then corrupt_hash=$((corrupt_hash + 1))
			elif [ $how = app_selftest_rollback ]; then corrupt_selftest=$((corrupt_selftest + 1))
			else failures=$((failures + 1)); echo "FAILURE: agent $c: back on $run, but how?" >&2
			fi ;;
		crash-later)
			# Documented limit: a confirmed image runs without the
			# watchdog and is never rolled back by the bootloader; it
			# faults at every boot. The recovery is the host's: the ROM
			# bootloader is always reachable, `twinslot rollback` appends
			# ROLLED_BACK for it and the last good image runs again.
			local stuck
			stuck=$(console_tail "$c0" | grep -ac "^twinslot-app: test variant: HardFault at a boot")
			echo "agent $c: faults at $stuck later boots, not rolled back by the bootloader"
			[ "$stuck" -ge 2 ] || { failures=$((failures + 1)); echo "FAILURE: $c did not keep faulting ($stuck)" >&2; }
			local c2 e2; c2=$(stat -c %s console.txt); e2=$(wc -l < events.jsonl)
			"$T" rollback --port tty --pins board:ctl.sock -q >rb.out 2>rb.err ||
				{ failures=$((failures + 1)); echo "FAILURE: twinslot rollback: $(tail -1 rb.err)" >&2; }
			wait_console "$c2" "twinslot-app: already confirmed" 60 || true
			run=$(running "$c2")
			echo "agent $c: after twinslot rollback: runs $run"
			if [ "$run" != "$good" ]; then
				case $run in none:*) bricks=$((bricks + 1)) ;; *) wrong=$((wrong + 1)) ;; esac
				echo "VIOLATION: agent $c: runs $run after the host's rollback" >&2
				{ echo "--- console since the rollback"; console_tail "$c2" | tail -5
				  echo "--- rollback"; tail -n 3 rb.out rb.err; echo "--- events since"
				  tail -n +$((e2 + 1)) events.jsonl | grep -v '"led"' | cut -c1-160 | tail -n 25; } >&2
			else
				crash_host_rollback=$((crash_host_rollback + 1))
			fi ;;
		esac
	fi
	# Never an unconfirmed image outside a trial: the running slot's
	# newest live record is CONFIRMED.
	local live; live=$(newest_live flash.bin)
	case $live in *" ${run%% *}=confirmed:"*) ;; *)
		unconfirmed=$((unconfirmed + 1)); echo "VIOLATION: agent $c: runs $run, journal: $live" >&2 ;;
	esac
	# Not retried: the next poll leaves the board alone.
	ev0=$(wc -l < events.jsonl); f0=$(sha256sum < flash.bin)
	# shellcheck disable=SC2086
	"$T" agent $A "$@" >agent2.out 2>agent2.err
	rc=$?
	if [ $rc != 0 ] || [ "$(sha256sum < flash.bin)" != "$f0" ] ||
		tail -n +$((ev0 + 1)) events.jsonl | grep '"type":"\(reset\|flash_erase\|flash_program\)"' >/dev/null; then
		failures=$((failures + 1)); echo "FAILURE: agent $c: the next poll touched the board (exit $rc)" >&2
		tail -3 agent2.err >&2
	else
		echo "agent $c: next poll: exit 0, board untouched (not retried)"
	fi
	}
fresh_board() { # A v1.0.0 confirmed, nothing else
	stop_board
	"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a good/slot-a.img \
		--record confirmed:a >/dev/null || die "compose"
	: > console.txt; : > events.jsonl
	start_board flash.bin
	wait_console 0 "twinslot-app: already confirmed" 60 || die "the board did not boot v1.0.0"
}
part_agent() {
	cases=0 rolled_back=0 corrupt_hash=0 corrupt_selftest=0 crash_host_rollback=0 confirmed=0 resets_total=0 bricks=0 wrong=0 unconfirmed=0 failures=0
	local rc=0
	"$SRC/scripts/s3rver.sh" start "$W/s3" twinslot >port.txt 2>s3.err || rc=$?
	if [ $rc = 77 ]; then
		cat s3.err; echo "campaign badfw agent skipped: no local S3 server (Node.js)"
		AGENT_SKIPPED=1; return 0
	fi
	[ $rc = 0 ] || { cat s3.err; die "s3rver did not start"; }
	S3UP=1
	ep="http://127.0.0.1:$(cat port.txt)"
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	fresh_board
	A="--endpoint $ep --bucket twinslot --manifest fw/manifest.json --product $P
		--port tty --pins board:ctl.sock --pubkey key/signing-key.pub.pem --state agent.state
		--report-prefix fw/reports --device badfw --once --outcome-timeout 8 --max-resets 5"
	# The agent learns the board (v1.0.0) from the first release.
	"$T" publish --endpoint "$ep" --bucket twinslot --prefix fw --product $P --release good >/dev/null ||
		die "publish 1.0.0"
	# shellcheck disable=SC2086
	"$T" agent $A >agent.out 2>agent.err || { cat agent.err; die "agent on v1.0.0"; }
	good="A v1.0.0" minor=0
	for c in $AGENT_CASES; do
		case $c in
		cascade)
			# A release that corrupted its slot after its commit, then a
			# bad one: with --verify the host knows slot B is broken and
			# that A runs, so the hang goes into B and A stays.
			fresh_board; agent_case corrupt-self --verify; agent_case hang --verify ;;
		cascade-default)
			# The same without --verify: not in the default list, because
			# it shows a known limit (docs/bootloader.md): the agent knows
			# slots by their headers, takes the corrupted B for the
			# running slot and overwrites the good A; after the hang's
			# rollback no valid image is left (HALT, waiting for the host).
			fresh_board; agent_case corrupt-self; agent_case hang ;;
		*) fresh_board; agent_case "$c" ;;
		esac
	done
	# After all that, a good release still installs and confirms.
	cases=$((cases + 1)); minor=$((minor + 1))
	pack "1.$minor.0" "r1.$minor.0" app-a.elf app-b.elf
	"$T" publish --endpoint "$ep" --bucket twinslot --prefix fw --product $P --release "r1.$minor.0" \
		>/dev/null || die "publish 1.$minor.0"
	# shellcheck disable=SC2086
	"$T" agent $A >agent.out 2>agent.err
	rc=$?
	if [ $rc = 0 ] && grep -q '"outcome":"confirmed"' s3/data/twinslot/fw/reports/badfw.json._S3rver_object; then
		confirmed=$((confirmed + 1)); echo "agent good v1.$minor.0: installed and confirmed"
	else
		failures=$((failures + 1)); echo "FAILURE: the good v1.$minor.0 after the bad ones: exit $rc" >&2
		tail -3 agent.err >&2
	fi
	stop_board
	faults=$((cases - confirmed))
	# rolled_back: the board went back and the agent reported it; corrupt_*:
	# the board went back by itself (the agent had reported "confirmed");
	# crash_host_rollback: not caught on the board, recovered by the host;
	# confirmed: the good release after the bad ones; resets: every reset of
	# the board from the bad releases' installs to their settling.
	summary agent "rolled_back=$rolled_back corrupt_caught_by_hash=$corrupt_hash corrupt_caught_by_selftest=$corrupt_selftest crash_host_rollback=$crash_host_rollback confirmed=$confirmed resets=$resets_total" "$AGENT_CASES"
}

AGENT_SKIPPED=0
for p in $PARTS; do
	case $p in boot) part_boot ;; host) part_host ;; agent) part_agent ;; *) die "unknown part $p" ;; esac
done
[ "$PARTS" = agent ] && [ $AGENT_SKIPPED = 1 ] && exit 77
[ $TOTAL_VIOL = 0 ] || { echo "FAIL: $TOTAL_VIOL violations" >&2; exit 1; }
echo "PASS"
