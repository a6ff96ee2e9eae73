#!/usr/bin/env bash
# Link-fault campaign: whole updates (`twinslot flash --journal-check`)
# through a serial line that corrupts (one bit flipped) or drops bytes in
# both directions at a given rate per byte. Each update must end installed
# and confirmed (exit 0), or fail leaving the running image intact (exit 3:
# no talk, 4: nothing committed; 6/7: committed, verdict not seen on the
# noisy console). After every update, with the faults off, the flash file
# is checked: the slot that ran is byte-identical to before, the other slot
# is as before, empty of a header, or exactly the release, and a live
# PENDING/CONFIRMED record only ever names the exact release. Never a
# committed image that differs from the release.
#
# usage: link_faults.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_JOURNAL BOARD_CTL \
#          WORKDIR ROUNDS SIZE_KB MODES RATES [PATH]
#   e.g. ... 2 48 "corrupt drop" "0.00001 0.0001 0.001"
# PATH: rom (default: the ROM bootloader, campaign "link") or app (the
# running application's update service, twinslot flash --path app, campaign
# "app-link"; docs/app-update.md).
# Prints one line per update and a summary line per mode and rate:
#   campaign link corrupt-0.001 cases=4 faults=N size_kb=48 confirmed=3 failed=1 ... wrong=0
#   reproduce: <this script with the arguments that rerun that mode and rate>
# APP_BAUD (environment): cap the app path's baud (twinslot flash --app-baud).
set -euo pipefail
T=$1 BOARD=$2 FW=$3 JOURNAL=$4 CTL=$5 W=$6 ROUNDS=$7 SIZE_KB=$8 MODES=$9 RATES=${10}
P=${11:-rom}
NAME=link
[ "$P" = app ] && NAME=app-link
case "$P" in rom|app) ;; *) echo "link_faults.sh: PATH must be rom or app, not $P" >&2; exit 2 ;; esac
SELF=$(readlink -f "$0")
for f in bootloader.bin app-a.bin app-b.bin; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Releases signed with a key made here, of SIZE_KB, all different (the app padded with random bytes; its
# self-test hashes its whole image, so a wrong byte never confirms).
"$T" keygen --out-dir key >/dev/null
mkrel() { # VERSION
	for s in a b; do
		cp "$FW/app-$s.bin" app-$s.bin
		head -c $((SIZE_KB * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >> app-$s.bin
	done
	"$T" pack --version "$1" --product 7 --key key/signing-key.pem \
		--slot-a app-a.bin --addr-a 0x08020200 \
		--slot-b app-b.bin --addr-b 0x08080200 --out-dir "r$1" >/dev/null
}
mkrel 1.0.0
"$T" compose -o flash.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
	--record confirmed:a >/dev/null
"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
	--console console.txt --quiet >board.out 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -e tty ] && [ -S ctl.sock ] && break; sleep 0.05; done
ctl() { "$CTL" ctl.sock "$1" >/dev/null || fail "board control '$1'"; }

slot_off() { [ "$1" = a ] && echo $((0x20000)) || echo $((0x80000)); }
slot_bytes() { tail -c +$(($(slot_off "$1") + 1)) "$2" | head -c $((0x60000)); }
holds() { # SLOT IMAGE FLASH: the slot holds IMAGE byte for byte
	cmp -s -n "$(stat -c%s "$2")" "$2" <(tail -c +$(($(slot_off "$1") + 1)) "$3")
}
no_header() { [ "$(tail -c +$(($(slot_off "$1") + 1)) "$2" | head -c 512 | tr -d '\377' | wc -c)" = 0 ]; }

version=0
for mode in $MODES; do
	for rate in $RATES; do
		conf=0 failed=0 notalk=0 unseen=0 wrong=0 faults=0
		for r in $(seq "$ROUNDS"); do
			version=$((version + 1))
			v=1.$version.0
			mkrel "$v"
			cp flash.bin before.bin
			ev0=$(wc -l < events.jsonl)
			ctl "uart $mode $rate"
			set +e
			"$T" flash --path "$P" ${APP_BAUD:+--app-baud $APP_BAUD} --port tty --pins board:ctl.sock -q --journal-check --timeout 15 \
				--pubkey key/signing-key.pub.pem \
				--image "r$v" >out.txt 2>err.txt
			rc=$?
			set -e
			ctl "uart $mode 0"
			n=$(tail -n +$((ev0 + 1)) events.jsonl | grep -c '"type":"fault_injected"' || true)
			faults=$((faults + n))
			sleep 0.3 # the board settles (a trial may still be confirming)
			cp flash.bin after.bin
			# The invariants, on the flash file.
			live=$("$JOURNAL" --live after.bin | tail -1)
			for s in a b; do
				S=${s^^}
				img=r$v/slot-$s.img
				if cmp -s <(slot_bytes $s before.bin) <(slot_bytes $s after.bin); then
					continue # untouched
				fi
				if holds $s "$img" after.bin || no_header $s after.bin; then
					continue
				fi
				wrong=$((wrong + 1))
				echo "WRONG: round $mode $rate $r: slot $S changed and is neither empty nor v$v" >&2
			done
			# A committed record names an image that validates in full
			# (board_journal --live counts only those); it must be v$v or
			# what ran before.
			for s in a b; do
				S=${s^^}
				case $live in *" $S=pending:"*|*" $S=confirmed:"*|*" $S=attempt:"*)
					holds $s "r$v/slot-$s.img" after.bin ||
						cmp -s <(slot_bytes $s before.bin) <(slot_bytes $s after.bin) || {
						wrong=$((wrong + 1)); echo "WRONG: slot $S committed, not a release" >&2; } ;;
				esac
			done
			case $rc in
				0) conf=$((conf + 1)) ;;
				3) notalk=$((notalk + 1)) ;;
				4) failed=$((failed + 1)) ;;
				6|7) unseen=$((unseen + 1)) ;;
				*) cat err.txt >&2; fail "$mode $rate round $r: exit $rc" ;;
			esac
			echo "update $mode $rate #$r v$v: exit $rc, $n faults injected$( [ $rc = 0 ] || echo ": $(grep -v warning err.txt | tail -1 | cut -c1-160)")"
			if [ $rc = 0 ]; then
				[ -n "$(grep -o 'slot [AB]' out.txt | head -1)" ] || fail "no slot in: $(cat out.txt)"
			fi
		done
		echo "campaign $NAME $mode-$rate cases=$ROUNDS faults=$faults size_kb=$SIZE_KB confirmed=$conf failed=$failed no_talk=$notalk unobserved=$unseen wrong=$wrong"
		echo "reproduce: bash $SELF $T $BOARD $FW $JOURNAL $CTL $W $ROUNDS $SIZE_KB $mode $rate $P"
		[ "$wrong" = 0 ] || fail "a committed image differs from the release"
	done
done
echo "PASS"
