#!/usr/bin/env bash
# twinslot inspect: good images pass, every kind of damage is named and fails.
# usage: inspect.sh TWINSLOT APPS_DIR READELF
source "$(dirname "$0")/lib.sh"

I="twinslot inspect"
"$TWINSLOT" pack --version 2.5.7 --slot-a "$APPS/app_a.elf" --out-dir rel --product 42 >/dev/null
cp rel/slot-a.img good.img
app_size=$(( $(stat -c %s good.img) - 512 ))
hash=$(tail -c +513 good.img | sha256sum | cut -d' ' -f1)

expect 0 "" -- "$TWINSLOT" inspect good.img
equal "text output" "$(cat out.txt)" "file: good.img ($((app_size + 512)) bytes)
magic: ok
header: version 1, 512 bytes, CRC ok
slot: A
load address: 0x08020200
app size: $app_size bytes
version: 2.5.7
product: 0x0000002a
security counter: 0
flags: 0x00000000
sha256: $hash
sha256 check: ok
vectors: ok (initial SP 0x20020000, reset handler $(printf '0x%08x' "$(( $(od -An -tu4 -j 516 -N4 good.img) ))"))
signature: none"
expect 0 "" -- "$TWINSLOT" inspect --json good.img
equal "json ok" "$(json_field ok out.txt)" "true"
equal "json version_packed" "$(json_field version_packed out.txt)" "$(( (2 << 24) | (5 << 16) | 7 ))"
equal "json hash" "$(json_field sha256 out.txt)" "$hash"

# a flipped byte anywhere in the header's CRC-covered bytes: refused, nothing on stdout
for off in 0 4 8 12 16 24 32 63 64 66 68 200 508; do
	cp good.img bad.img
	flip_byte bad.img $off
	case $off in
	0) want="not a twinslot image (no \"TWSL\" magic at offset 0)" ;;
	*) want="header CRC mismatch: the header is corrupted" ;;
	esac
	expect 1 "$I: bad.img: $want" -- "$TWINSLOT" inspect bad.img --json
	equal "no JSON for a bad header (offset $off)" "$(cat out.txt)" ""
done

# a flipped byte in the application: the hash check names both hashes
for off in 512 600 $((512 + app_size - 1)); do
	cp good.img bad.img
	flip_byte bad.img $off
	actual=$(tail -c +513 bad.img | sha256sum | cut -d' ' -f1)
	if [ $off -lt 520 ]; then
		# the initial SP changed too: 0x20020000 ^ 0xFF = 0x200200ff
		vec="
$I: bad.img: implausible vector table: initial stack pointer 0x200200ff is outside SRAM (0x20000001..0x20020000) and CCM (0x10000001..0x10010000)"
	else
		vec=""
	fi
	expect 1 "$I: bad.img: sha256 mismatch: the header says $hash, the $app_size application bytes hash to $actual: the image is corrupted$vec" \
		-- "$TWINSLOT" inspect bad.img --json
	equal "hash_ok false" "$(json_field hash_ok out.txt)" "false"
	equal "ok false" "$(json_field ok out.txt)" "false"
	expect_rc 1 -- "$TWINSLOT" inspect bad.img
	grep -qx "sha256 check: MISMATCH (application bytes hash to $actual)" out.txt && ok ||
		fail "text output of a corrupted app: $(cat out.txt)"
done

# truncated application, short file, blank header, directory, missing file
head -c -1 good.img > short.img
expect 1 "$I: short.img: truncated: the header says $app_size application bytes, the file has $((app_size - 1)) after the header" \
	-- "$TWINSLOT" inspect short.img
head -c 100 good.img > tiny.img
expect 1 "$I: tiny.img: too short for an image: 100 bytes, the header alone is 512" \
	-- "$TWINSLOT" inspect tiny.img
head -c 4096 /dev/zero | tr '\0' '\377' > blank.img
expect 1 "$I: blank.img: header is blank (all 0xFF): an erased slot, not an image" \
	-- "$TWINSLOT" inspect blank.img
expect 1 "$I: missing.img: cannot open: No such file or directory" -- "$TWINSLOT" inspect missing.img
mkdir d
expect 1 "$I: d: cannot read: Is a directory" -- "$TWINSLOT" inspect d
expect 1 "$I: $APPS/app_a.elf: not a twinslot image (no \"TWSL\" magic at offset 0)" \
	-- "$TWINSLOT" inspect "$APPS/app_a.elf"

# bytes after the image (e.g. a slot read back from flash): a note, still ok
cp good.img long.img
head -c 100 /dev/zero | tr '\0' '\377' >> long.img
expect 0 "$I: long.img: note: 100 bytes after the application are not part of the image" \
	-- "$TWINSLOT" inspect long.img

# JSON escapes the file name
cp good.img 'we"ird\name.img'
expect 0 "" -- "$TWINSLOT" inspect --json 'we"ird\name.img'
grep -q '^{"file":"we\\"ird\\\\name.img","file_size":' out.txt && ok || fail "JSON escaping: $(cat out.txt)"

# usage errors
expect 2 "$I: needs an IMAGE (see twinslot inspect --help)" -- "$TWINSLOT" inspect
expect 2 "$I: unknown option \"--jsn\" (see twinslot inspect --help)" -- "$TWINSLOT" inspect good.img --jsn
expect 2 "$I: unexpected argument \"long.img\" (see twinslot inspect --help)" -- "$TWINSLOT" inspect good.img long.img

finish
