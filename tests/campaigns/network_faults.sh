#!/usr/bin/env bash
# Network-fault campaign (issue 13 point 3): the agent, one poll per run,
# installs a new release per case from the local S3 server through a proxy
# that resets, truncates, answers 5xx, trickles, replaces the image or the
# manifest mid-request, or is not there, and with its clock 20 minutes off;
# every case must end confirmed, at once or on a later poll, and the flash
# file never holds a mixed image (docs/agent.md, "Network faults").
#
# `twinslot agent --once`, one poll
# per run, against the virtual board (unpaced) and the local S3 server
# reached through netfault_proxy (tests/cloud/cutproxy.c), which breaks the
# traffic. Per case a new release is published, then:
#   1. up to FAULTY_POLLS polls under the fault: each ends confirmed, or fails
#      leaving nothing committed (the flash checked after every poll);
#   2. if none confirmed: polls without the fault ("retried later") must
#      install and confirm the release.
# Fault kinds:
#   reset          each connection, 80 %, reset (RST) at a random byte offset
#                  below a quarter of the image size (a new draw per connection)
#   truncate       the same with a clean close (FIN): bodies end short
#   5xx            20 % of requests answered 500 InternalError / 503 SlowDown
#   trickle        answers paced at 64 KB/s, 30 % of connections stalled 3 s
#   etag-change    the image is replaced (published again, other bytes) while
#                  the agent downloads it: held after 3000 bytes of its first GET
#   manifest-swap  a newer release published between the manifest's HEAD and
#                  its GET (the GET held before it is forwarded)
#   skew           the agent's wall clock 20 minutes off (faketime; +/- in
#                  turn): the poll must fail and say the clock is off
#   refused        nothing listens at the endpoint: fail, "cannot connect"
# After every poll, on the flash file: each slot is as before, empty of a
# header, or exactly one of the case's releases (byte for byte); a live
# PENDING/ATTEMPT/CONFIRMED record only names such an image (never a mixed
# image). After every case: the board runs the case's release (bricks:
# nothing confirmed to boot; unconfirmed: the running slot's newest record is
# not CONFIRMED).
#
# usage: network_faults.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_JOURNAL PROXY SRC_DIR
#          WORKDIR ROUNDS SIZE_KB [KINDS]
# Prints per kind:
#   campaign network <kind> cases=N faults=N polls=N confirmed=N retried=N
#     bricks=0 wrong=0 unconfirmed=0 failures=0
#   reproduce: <command>
# Exit 0 when every count of violations is 0, 1 otherwise, 77 when it cannot
# run (no firmware, no local S3 server, no faketime for the skew kind).
# (No -e: every command's status is looked at, and counted, by the script.)
set -uo pipefail
T=$1 BOARD=$2 FW=$3 JOURNAL=$4 PROXY=$5 SRC=$6 W=$7 ROUNDS=$8 SIZE_KB=$9
KINDS=${10:-reset truncate 5xx trickle etag-change manifest-swap skew refused}
FAULTY_POLLS=${FAULTY_POLLS:-4}
# The application's self-test hashes its whole image on the emulated CPU:
# the verdict waits longer for larger releases (it ends at the verdict).
OUTCOME_TIMEOUT=$((5 + SIZE_KB / 8))
REPRO="tests/campaigns/network_faults.sh $T $BOARD $FW $JOURNAL $PROXY $SRC $W"

for f in bootloader.bin app-a.bin app-b.bin; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
case " $KINDS " in *" skew "*)
	command -v faketime >/dev/null || { echo "SKIPPED: faketime not installed (scripts/setup.sh)"; exit 77; } ;;
esac
rm -rf "$W"; mkdir -p "$W"; cd "$W" || exit 1
BPID= PXPID= S3UP=
cleanup() {
	[ -z "$PXPID" ] || kill "$PXPID" 2>/dev/null
	[ -z "$BPID" ] || kill "$BPID" 2>/dev/null
	[ -z "$S3UP" ] || "$SRC/scripts/s3rver.sh" stop "$W/s3" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 143' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER # s3rver's own pair
S3PORT=$("$SRC/scripts/s3rver.sh" start "$W/s3" twinslot)
rc=$?
[ $rc = 77 ] && { echo "SKIPPED: the local S3 server is not installed (scripts/setup.sh)"; exit 77; }
[ $rc = 0 ] || fail "the local S3 server did not start"
S3UP=1
S3=http://127.0.0.1:$S3PORT

# Releases signed with a key made here, of SIZE_KB, every one different (the
# app padded with random bytes; its self-test hashes the whole image, so a
# wrong byte never confirms).
"$T" keygen --out-dir key >/dev/null || fail keygen
mkrel() { # VERSION DIR
	for s in a b; do
		cp "$FW/app-$s.bin" app-$s.bin
		head -c $((SIZE_KB * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >>app-$s.bin
	done
	"$T" pack --version "$1" --product netfault --key key/signing-key.pem \
		--slot-a app-a.bin --addr-a 0x08020200 \
		--slot-b app-b.bin --addr-b 0x08080200 --out-dir "$2" >/dev/null || fail "pack $1"
}
publish() { # DIR
	"$T" publish --endpoint "$S3" --bucket twinslot --prefix fw --product netfault \
		--release "$1" >publish.out 2>&1 || { cat publish.out >&2; fail "publish $1"; }
}
mkrel 1.0.0 r1.0.0
publish r1.0.0
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
	--record confirmed:a >/dev/null || fail compose
"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
	--console console.txt --quiet >board.out 2>&1 &
BPID=$!
for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
[ -e tty ] || fail "the board did not start"

LAST_OUT= POLLS=0
poll() { # ENDPOINT [PREFIX...]: one agent poll; sets RC, output in poll.err
	local ep=$1; shift
	"$@" "$T" agent --once --endpoint "$ep" --bucket twinslot --manifest fw/manifest.json \
		--product netfault --device net --outcome-timeout $OUTCOME_TIMEOUT --max-resets 2 \
		--port tty --pins board:ctl.sock --state agent.state \
		--pubkey key/signing-key.pub.pem >poll.out 2>poll.err
	RC=$?
	LAST_OUT=$(grep -v '^ *$' poll.err | tail -1 | cut -c1-220)
	POLLS=$((POLLS + 1))
}
poll "$S3" # settles v1.0.0: the board runs it already
[ $RC = 0 ] || { cat poll.err >&2; fail "first poll: exit $RC"; }

slot_off() { [ "$1" = a ] && echo $((0x20000)) || echo $((0x80000)); }
slot_bytes() { tail -c +$(($(slot_off "$1") + 1)) "$2" | head -c $((0x60000)); }
holds() { # SLOT IMAGE FLASH: the slot holds IMAGE byte for byte
	cmp -s -n "$(stat -c%s "$2")" "$2" <(tail -c +$(($(slot_off "$1") + 1)) "$3")
}
no_header() { [ "$(tail -c +$(($(slot_off "$1") + 1)) "$2" | head -c 512 | tr -d '\377' | wc -c)" = 0 ]; }
holds_one() { # SLOT FLASH RELDIR...: the slot holds one of the releases
	local s=$1 f=$2 rel; shift 2
	for rel in "$@"; do holds "$s" "$rel/slot-$s.img" "$f" && return 0; done
	return 1
}

# The flash invariants after a poll, against before.bin; RELS: the case's
# releases. Counts into WRONG.
check_flash() {
	cp flash.bin after.bin
	local live s S
	live=$("$JOURNAL" --live after.bin | tail -1)
	for s in a b; do
		S=${s^^}
		if ! cmp -s <(slot_bytes $s before.bin) <(slot_bytes $s after.bin) &&
			! holds_one $s after.bin $RELS && ! no_header $s after.bin; then
			WRONG=$((WRONG + 1))
			echo "WRONG: $kind #$r: slot $S changed and is neither empty nor a release" >&2
		fi
		case $live in *" $S=pending:"*|*" $S=confirmed:"*|*" $S=attempt:"*)
			holds_one $s after.bin $RELS ||
				cmp -s <(slot_bytes $s before.bin) <(slot_bytes $s after.bin) || {
				WRONG=$((WRONG + 1)); echo "WRONG: $kind #$r: slot $S committed, not a release" >&2; } ;;
		esac
	done
}

# After a case: the board runs EXPECT from a slot whose newest live record
# is CONFIRMED and that holds the release byte for byte.
check_end() { # VERSION RELDIR
	local line slot live
	line=$(tr -d '\r' <console.txt | grep -a '^twinslot-app: v' | tail -1)
	slot=$(sed -n 's/.* slot \([AB]\).*/\1/p' <<<"$line")
	live=$("$JOURNAL" --live flash.bin | tail -1)
	case $live in *" A=confirmed:"*|*" B=confirmed:"*) ;; *)
		BRICKS=$((BRICKS + 1)); echo "BRICK: $kind #$r: no confirmed image: $live" >&2; return ;;
	esac
	if [ -z "$slot" ]; then
		BRICKS=$((BRICKS + 1)); echo "BRICK: $kind #$r: no application running" >&2; return
	fi
	case $live in *" $slot=confirmed:"*) ;; *)
		UNCONF=$((UNCONF + 1)); echo "UNCONFIRMED: $kind #$r: slot $slot runs: $live" >&2 ;;
	esac
	local s=${slot,,}
	if [[ $line != *"v$1 "* ]] || ! holds $s "$2/slot-$s.img" flash.bin; then
		FAILURES=$((FAILURES + 1))
		echo "FAILURE: $kind #$r: the board runs '$line', not v$1 of $2" >&2
	fi
}

start_proxy() { # OPTIONS...
	rm -f px.port px.stats
	"$PROXY" --upstream "$S3PORT" --port-file px.port --stats-file px.stats "$@" 2>px.err &
	PXPID=$!
	for _ in $(seq 100); do [ -s px.port ] && break; sleep 0.05; done
	[ -s px.port ] || fail "the proxy did not start: $(cat px.err)"
	PX=http://127.0.0.1:$(cat px.port)
}
stop_proxy() { # [paced]: adds the injected faults to CASE_FAULTS (paced:
	# every connection counts, it was trickled)
	kill "$PXPID" 2>/dev/null; wait "$PXPID" 2>/dev/null; PXPID=
	local st; st=$(cat px.stats 2>/dev/null)
	local n=0 k kinds="cuts failed stalls holds"
	[ "${1:-}" = paced ] && kinds="$kinds connections"
	for k in $kinds; do
		n=$((n + $(sed -n "s/.*$k=\([0-9]*\).*/\1/p" <<<"$st")))
	done
	CASE_FAULTS=$((CASE_FAULTS + n))
}

# A poll in the background while the proxy holds a request: when it is
# held, publish DIR (straight to the server), then let the proxy go on.
poll_held() { # DIR
	rm -rf hold; mkdir hold
	( poll "$PX"; echo "$RC" >rc.txt ) &
	local pp=$!
	for _ in $(seq 600); do [ -e hold/held ] && break; kill -0 $pp 2>/dev/null || break; sleep 0.05; done
	if [ -e hold/held ]; then
		publish "$1"
	else
		FAILURES=$((FAILURES + 1)); echo "FAILURE: $kind #$r: no request was held" >&2
	fi
	touch hold/go
	wait $pp
	RC=$(cat rc.txt)
	POLLS=$((POLLS + 1))
	LAST_OUT=$(grep -v '^ *$' poll.err | tail -1 | cut -c1-220)
}

total_status=0
version=0
for kind in $KINDS; do
	POLLS=0 WRONG=0 BRICKS=0 UNCONF=0 FAILURES=0 FAULTS=0 CONF=0 RETRIED=0
	for r in $(seq "$ROUNDS"); do
		version=$((version + 1)); v=1.$version.0
		mkrel "$v" "r$v"
		publish "r$v"
		RELS="r$v" expect=$v expect_dir=r$v
		cp flash.bin before.bin
		CASE_FAULTS=0
		done_faulty=0 confirmed=0
		for p in $(seq "$FAULTY_POLLS"); do
			seed=$((r * 7919 + version * 104729 + p))
			case $kind in
			reset) start_proxy --seed $seed --cut 80:$((SIZE_KB * 256)) --reset; poll "$PX"; stop_proxy ;;
			truncate) start_proxy --seed $seed --cut 80:$((SIZE_KB * 256)); poll "$PX"; stop_proxy ;;
			5xx) start_proxy --seed $seed --fail 20; poll "$PX"; stop_proxy ;;
			trickle) start_proxy --seed $seed --trickle 65536 --cut 0:$((SIZE_KB * 1024)) --stall 30:3000
				poll "$PX"; stop_proxy paced ;;
			etag-change)
				if [ "$p" = 1 ]; then
					mkrel "$v" "r$v-b" # the same version built again: other bytes
					RELS="r$v r$v-b" expect_dir=r$v-b
					start_proxy --hold "GET /twinslot/fw/$v/slot-:3000:$W/hold"
					poll_held "r$v-b"
					stop_proxy
				else
					poll "$S3"
				fi ;;
			manifest-swap)
				if [ "$p" = 1 ]; then
					version=$((version + 1)); v2=1.$version.0
					mkrel "$v2" "r$v2"
					RELS="r$v r$v2" expect=$v2 expect_dir=r$v2
					start_proxy --hold "GET /twinslot/fw/manifest.json:0:$W/hold"
					poll_held "r$v2"
					stop_proxy
				else
					poll "$S3"
				fi ;;
			skew)
				off=+20m; [ $((r % 2)) = 0 ] && off=-20m
				# (an ASan build: its runtime need not come first, faketime's does)
				poll "$S3" env FAKETIME_DONT_FAKE_MONOTONIC=1 \
					ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
					faketime -f "$off"
				CASE_FAULTS=$((CASE_FAULTS + 1))
				if [ $RC = 0 ] || ! grep -q "clock is .* the server's Date" poll.err; then
					FAILURES=$((FAILURES + 1))
					echo "FAILURE: $kind #$r: a clock $off off was not reported clearly (exit $RC): $LAST_OUT" >&2
				fi ;;
			refused)
				start_proxy; dead=$PX; stop_proxy # its port: nothing listens there now
				poll "$dead"
				CASE_FAULTS=$((CASE_FAULTS + 1))
				if [ $RC = 0 ] || ! grep -q "cannot connect" poll.err; then
					FAILURES=$((FAILURES + 1))
					echo "FAILURE: $kind #$r: a refused connection was not reported (exit $RC): $LAST_OUT" >&2
				fi ;;
			*) fail "unknown fault kind $kind" ;;
			esac
			check_flash
			echo "poll $kind #$r.$p v$expect: exit $RC$([ "$RC" = 0 ] || echo ": $LAST_OUT")"
			case $RC in
			0) if grep -q "confirmed: " poll.err; then confirmed=1; break; fi ;;
			4) ;;
			*) FAILURES=$((FAILURES + 1)); echo "FAILURE: $kind #$r: exit $RC: $LAST_OUT" >&2 ;;
			esac
			# skew and refused: one faulty poll is the case
			case $kind in skew|refused) break ;; esac
		done
		if [ $confirmed = 1 ]; then
			CONF=$((CONF + 1))
		else
			# Retried later, without the fault: must complete.
			for p in 1 2; do
				poll "$S3"
				check_flash
				echo "poll $kind #$r retry $p v$expect: exit $RC$([ "$RC" = 0 ] || echo ": $LAST_OUT")"
				[ $RC = 0 ] && grep -q "confirmed: " poll.err && { confirmed=1; break; }
			done
			if [ $confirmed = 1 ]; then
				RETRIED=$((RETRIED + 1))
			else
				FAILURES=$((FAILURES + 1))
				echo "FAILURE: $kind #$r: v$expect not confirmed on a later poll: $LAST_OUT" >&2
			fi
		fi
		check_end "$expect" "$expect_dir"
		FAULTS=$((FAULTS + CASE_FAULTS))
	done
	echo "campaign network $kind cases=$ROUNDS faults=$FAULTS polls=$POLLS confirmed=$CONF retried=$RETRIED bricks=$BRICKS wrong=$WRONG unconfirmed=$UNCONF failures=$FAILURES"
	echo "reproduce: $REPRO $ROUNDS $SIZE_KB $kind"
	[ $((BRICKS + WRONG + UNCONF + FAILURES)) = 0 ] || total_status=1
done
[ $total_status = 0 ] && echo PASS
exit $total_status
