#!/usr/bin/env bash
# twinslot compose: layout basics and every refusal (exact message, exit 1,
# no output file, an existing one untouched). test_compose.c checks the
# layout in depth with the formats library.
# usage: compose.sh TWINSLOT APPS_DIR READELF
source "$(dirname "$0")/lib.sh"

C="twinslot compose"
"$TWINSLOT" pack --version 1.2.3 --slot-a "$APPS/app_a.elf" --slot-b "$APPS/app_b.elf" --out-dir rel >/dev/null
cp rel/slot-a.img a.img
cp rel/slot-b.img b.img
head -c 3000 /dev/urandom > bl.bin

expect 0 "" -- "$TWINSLOT" compose -o flash.bin --bootloader bl.bin --slot-a a.img --slot-b b.img \
	--record confirmed:a --record pending:b --record attempt:b:3
equal "stdout" "$(cat out.txt)" "flash.bin: 1048576 bytes for 0x08000000, bootloader 3000 bytes, slot A 1.2.3, slot B 1.2.3, 3 journal records"
equal "size" "$(stat -c %s flash.bin)" 1048576
cmp -s <(head -c 3000 flash.bin) bl.bin && ok || fail "bootloader bytes"
cmp -s <(tail -c +$((0x20000 + 1)) flash.bin | head -c "$(stat -c %s a.img)") a.img && ok || fail "slot A bytes"
cmp -s <(tail -c +$((0x80000 + 1)) flash.bin | head -c "$(stat -c %s b.img)") b.img && ok || fail "slot B bytes"
# a slot cut out of the flash file inspects as the image it came from
tail -c +$((0x80000 + 1)) flash.bin | head -c $((0x60000)) > slotb-readback.img
expect_rc 0 -- "$TWINSLOT" inspect slotb-readback.img
equal "the record area starts with the journal magic" "$(od -An -tx4 -j $((0xE0000)) -N4 flash.bin | tr -d ' ')" "524a5754"
equal "4th record position erased" "$(od -v -An -tx1 -j $((0xE0000 + 96)) -N32 flash.bin | tr -d ' \n')" \
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
# 1 MB minus what was written is erased
equal "erased bytes" "$(tr -d '\377' < flash.bin | wc -c)" \
	"$(( $(tr -d '\377' < bl.bin | wc -c) + $(tr -d '\377' < a.img | wc -c) + $(tr -d '\377' < b.img | wc -c) + $(head -c $((0xE0000 + 96)) flash.bin | tail -c 96 | tr -d '\377' | wc -c) ))"

# --- refusals ----------------------------------------------------------------
echo "old flash" > keep.bin
refuse() { # refuse "message" args... : -o out.bin must not appear, keep.bin unchanged
	local msg=$1
	shift
	rm -f out.bin
	expect 1 "$msg" -- "$TWINSLOT" compose -o out.bin "$@"
	[ ! -e out.bin ] && ok || fail "$*: out.bin was written"
	expect 1 "$msg" -- "$TWINSLOT" compose -o keep.bin "$@"
	equal "keep.bin untouched" "$(cat keep.bin)" "old flash"
	equal "no temporary files" "$(ls -A | grep -c '^\.' || true)" 0
}
head -c 16385 /dev/zero > bl17k.bin
refuse "$C: bl17k.bin: the bootloader is 16385 bytes, but sector 0 holds at most 16384 bytes" --bootloader bl17k.bin
: > bl0.bin
refuse "$C: bl0.bin: the bootloader is empty" --bootloader bl0.bin
refuse "$C: $APPS/app_a.elf: linked at 0x08020200, but the bootloader must start at 0x08000000" \
	--bootloader "$APPS/app_a.elf"
refuse "$C: nobl.bin: cannot open: No such file or directory" --bootloader nobl.bin
refuse "$C: b.img: the header says slot B (load address 0x08080200), but it was given as --slot-a" --slot-a b.img
refuse "$C: a.img: the header says slot A (load address 0x08020200), but it was given as --slot-b" --slot-b a.img
cp a.img corrupt.img && flip_byte corrupt.img 700
refuse "$C: corrupt.img: sha256 mismatch: the application bytes do not hash to the header's SHA-256: the image is corrupted" \
	--slot-a corrupt.img
cp a.img hdr.img && flip_byte hdr.img 20
refuse "$C: hdr.img: header CRC mismatch: the header is corrupted" --slot-a hdr.img
head -c -4 a.img > cut.img
refuse "$C: cut.img: the file is $(( $(stat -c %s a.img) - 4 )) bytes, but the header says $(stat -c %s a.img) (512-byte header + $(( $(stat -c %s a.img) - 512 )) application bytes)" \
	--slot-a cut.img
refuse "$C: bl.bin: not a twinslot image (no \"TWSL\" magic at offset 0)" --slot-a bl.bin
refuse "$C: --record \"pending:b\": no image given for slot B (--slot-b) to take the version and hash from; give them with TYPE:SLOT:ATTEMPT:VERSION:HASHHEX" \
	--slot-a a.img --record confirmed:a --record pending:b
refuse "$C: --record \"booted:a\": unknown type \"booted\" (expected pending, attempt, confirmed, rolled_back or min_counter)" \
	--slot-a a.img --record booted:a
refuse "$C: --record \"pending:c\": unknown slot \"c\" (expected a or b)" --slot-a a.img --record pending:c
refuse "$C: --record \"pending\": expected TYPE:SLOT, TYPE:SLOT:ATTEMPT or TYPE:SLOT:ATTEMPT:VERSION:HASHHEX" \
	--record pending
refuse "$C: --record \"attempt:a:0\": attempt count \"0\": expected 1-255" --slot-a a.img --record attempt:a:0
refuse "$C: --record \"attempt:a:256\": attempt count \"256\": expected 1-255" --slot-a a.img --record attempt:a:256
refuse "$C: --record \"confirmed:a:1\": only attempt records carry an attempt count; give 0 or leave it out" \
	--slot-a a.img --record confirmed:a:1
refuse "$C: --record \"pending:b:0:1.2:00112233445566778899aabb\": version \"1.2\": expected MAJOR.MINOR.PATCH in decimal without leading zeros, MAJOR and MINOR 0-255, PATCH 0-65535" \
	--record pending:b:0:1.2:00112233445566778899aabb
refuse "$C: --record \"pending:b:0:1.2.0:0011\": hash \"0011\": expected 24 or 64 hex digits (the first 12 bytes, or all, of the image's SHA-256)" \
	--record pending:b:0:1.2.0:0011
# full form needs no image
expect 0 "" -- "$TWINSLOT" compose -o full.bin --record pending:b:0:1.2.0:00112233445566778899aabb --record attempt:b:7:1.2.0:00112233445566778899aabb
equal "full-form records written" "$(od -v -An -tx1 -j $((0xE0000 + 32)) -N32 full.bin | tr -d ' \n' | head -c 8)" "54574a52"

# usage errors: exit 2
expect 2 "$C: needs -o FLASH.bin (see twinslot compose --help)" -- "$TWINSLOT" compose --slot-a a.img
expect 2 "$C: unexpected argument \"a.img\" (see twinslot compose --help)" -- "$TWINSLOT" compose -o x.bin a.img
expect 2 "$C: option --record needs a value (see twinslot compose --help)" -- "$TWINSLOT" compose -o x.bin --record
[ ! -e x.bin ] && ok || fail "usage error wrote x.bin"
expect 0 "" -- "$TWINSLOT" compose --help
grep -q "TYPE:SLOT:ATTEMPT:VERSION:HASHHEX" out.txt && ok || fail "compose --help"

finish
