#!/usr/bin/env bash
# twinslot pack: round trip with inspect, agreement with sha256sum, readelf and
# objcopy, and every refusal with its exact message and no output file left.
# usage: pack.sh TWINSLOT APPS_DIR READELF
source "$(dirname "$0")/lib.sh"

cp "$APPS"/*.elf "$APPS"/*.bin .
P="twinslot pack"
HINT_A="slot A's application must start at 0x08020200 (slot base 0x08020000 + 512-byte header)"
HINT_B="slot B's application must start at 0x08080200 (slot base 0x08080000 + 512-byte header)"

# --- round trip: pack both slots, inspect agrees with independent tools -----
expect 0 "" -- "$TWINSLOT" pack --version 1.2.3 --slot-a app_a.elf --slot-b app_b.elf \
	--out-dir rel --product 0x1234ABCD --security-counter 0x10000
equal "files written" "$(ls -A rel | tr '\n' ' ')" "slot-a.img slot-b.img "
for s in a b; do
	img=rel/slot-$s.img
	S=$(echo $s | tr ab AB)
	expect 0 "" -- "$TWINSLOT" inspect "$img" --json
	cp out.txt $s.json
	equal "slot $s: one JSON line" "$(wc -l < $s.json)" 1
	equal "slot $s: slot" "$(json_field slot $s.json)" "$S"
	equal "slot $s: version" "$(json_field version $s.json)" "1.2.3"
	equal "slot $s: product" "$(json_field product_id $s.json)" "$((0x1234ABCD))"
	equal "slot $s: security counter" "$(json_field security_counter $s.json)" 65536
	# the counter is the u32 at 0x1C, little-endian, inside the signed bytes
	equal "slot $s: counter bytes" "$(od -An -tx1 -j 28 -N 4 "$img" | tr -d ' ')" "00000100"
	equal "slot $s: hash_ok" "$(json_field hash_ok $s.json)" "true"
	equal "slot $s: sig_type" "$(json_field sig_type $s.json)" "none"
	# sha256sum of the application bytes (everything after the 512-byte header)
	equal "slot $s: sha256 vs sha256sum" "$(json_field sha256 $s.json)" \
		"$(tail -c +513 "$img" | sha256sum | cut -d' ' -f1)"
	# the application bytes are exactly objcopy's binary (gaps filled with 0xFF)
	if tail -c +513 "$img" | cmp -s - app_$s.bin; then ok; else
		fail "slot $s: application bytes differ from objcopy -O binary --gap-fill 0xff"; fi
	equal "slot $s: app_size" "$(json_field app_size $s.json)" "$(stat -c %s app_$s.bin)"
	# load address equals readelf's lowest PT_LOAD physical address
	equal "slot $s: load address vs readelf" \
		"$(printf '0x%08x' "$(json_field load_addr $s.json)")" \
		"$(readelf_load_addr app_$s.elf)"
	# the human form says the same
	expect 0 "" -- "$TWINSLOT" inspect "$img"
	grep -qx "slot: $S" out.txt && grep -qx "sha256 check: ok" out.txt &&
		grep -qx "version: 1.2.3" out.txt && grep -qx "product: 0x1234abcd" out.txt &&
		grep -qx "signature: none" out.txt && grep -qx "header: version 1, 512 bytes, CRC ok" out.txt &&
		grep -qx "load address: $(readelf_load_addr app_$s.elf)" out.txt && ok ||
		fail "slot $s: inspect text output: $(cat out.txt)"
done
equal "slot A stdout line" "$("$TWINSLOT" pack --version 1.2.3 --slot-a app_a.elf --out-dir r2)" \
	"r2/slot-a.img: slot A, version 1.2.3, $(stat -c %s app_a.bin) application bytes at 0x08020200, sha256 $(sha256sum < app_a.bin | cut -d' ' -f1), unsigned"

# a raw binary with its address makes the same image as the ELF (product 0 default)
expect 0 "" -- "$TWINSLOT" pack --version 1.2.3 --slot-a app_a.bin --addr-a 0x08020200 --out-dir binrel
expect 0 "" -- "$TWINSLOT" pack --version 1.2.3 --slot-a app_a.elf --out-dir elfrel
if cmp -s binrel/slot-a.img elfrel/slot-a.img; then ok; else fail "BIN and ELF images differ"; fi
equal "only slot A written" "$(ls -A binrel)" "slot-a.img"
expect 0 "" -- "$TWINSLOT" pack --version 0.0.0 --slot-b=app_b.bin --addr-b=0x08080200 --out-dir=onlyb
equal "only slot B written" "$(ls -A onlyb)" "slot-b.img"
expect 0 "" -- "$TWINSLOT" pack --version 255.255.65535 --slot-a app_a.elf --out-dir maxver
"$TWINSLOT" inspect maxver/slot-a.img --json > maxver.json
equal "highest version" "$(json_field version maxver.json)" "255.255.65535"

# --- refusals: exact message, exit 1, no output file ------------------------
refuse() { # refuse "message" args... : pack into ./ref, which must stay empty
	local msg=$1
	shift
	rm -rf ref
	expect 1 "$msg" -- "$TWINSLOT" pack "$@" --out-dir ref
	assert_empty_dir ref
}
refuse "twinslot pack: app_b.elf: linked at 0x08080200, but $HINT_A" \
	--version 1.2.3 --slot-a app_b.elf
refuse "twinslot pack: app_a.elf: linked at 0x08020200, but $HINT_B" \
	--version 1.2.3 --slot-b app_a.elf
refuse "twinslot pack: at_slot_base.elf: linked at 0x08020000, but $HINT_A; if the vector table is at 0x...200, the linker loaded the ELF file header below it: use MEMORY regions or PHDRS in the linker script" \
	--version 1.2.3 --slot-a at_slot_base.elf
refuse "twinslot pack: app_a.bin: given address 0x08080200 (--addr-a), but $HINT_A" \
	--version 1.2.3 --slot-a app_a.bin --addr-a 0x08080200
big=$(stat -c %s big.bin)
[ "$big" -gt 392704 ] && ok || fail "big.bin is only $big bytes"
refuse "twinslot pack: big.elf: application is $big bytes, but slot A holds at most 392704 bytes (384 KB slot minus the 512-byte header)" \
	--version 1.2.3 --slot-a big.elf
refuse "twinslot pack: bad_sp.elf: implausible vector table: initial stack pointer 0x30000000 is outside SRAM (0x20000001..0x20020000) and CCM (0x10000001..0x10010000)" \
	--version 1.2.3 --slot-a bad_sp.elf
refuse "twinslot pack: no_thumb.elf: implausible vector table: reset handler 0x08020300 has no Thumb bit (bit 0 clear); Cortex-M code runs in Thumb state, so the address must be odd" \
	--version 1.2.3 --slot-a no_thumb.elf
last=$(printf '0x%08x' $((0x08020200 + $(stat -c %s reset_outside.bin) - 1)))
refuse "twinslot pack: reset_outside.elf: implausible vector table: reset handler 0x08000101 is outside the application (0x08020208..$last, after the initial SP and reset vector)" \
	--version 1.2.3 --slot-a reset_outside.elf
VER="expected MAJOR.MINOR.PATCH in decimal without leading zeros, MAJOR and MINOR 0-255, PATCH 0-65535 (for example 1.2.3)"
for v in 1.2 1.2.3.4 01.2.3 1.2.3-rc1 256.0.0 1.256.0 1.2.65536 "" v1.2.3 " 1.2.3" 1..3; do
	refuse "twinslot pack: version \"$v\": $VER" --version "$v" --slot-a app_a.elf
done
refuse "twinslot pack: product \"0x1FFFFFFFF\": expected a number from 0 to 0xffffffff (decimal, or hex with 0x)" \
	--version 1.2.3 --slot-a app_a.elf --product 0x1FFFFFFFF
refuse "twinslot pack: security counter \"-1\": expected a number from 0 to 0xffffffff (decimal, or hex with 0x)" \
	--version 1.2.3 --slot-a app_a.elf --security-counter -1
refuse "twinslot pack: nothere.elf: cannot open: No such file or directory" \
	--version 1.2.3 --slot-a nothere.elf
mkdir adir
refuse "twinslot pack: adir: cannot read: Is a directory" --version 1.2.3 --slot-a adir
echo "just text" > notes.txt
refuse "twinslot pack: notes.txt: not an ELF file (it does not start with 0x7F 'ELF'); for a raw binary give its address with --addr-a" \
	--version 1.2.3 --slot-a notes.txt
refuse "twinslot pack: app_a.elf: is an ELF file, but --addr-a says it is a raw binary: drop --addr-a to read the ELF" \
	--version 1.2.3 --slot-a app_a.elf --addr-a 0x08020200
refuse "twinslot pack: app_a.bin: --addr-a \"zz\": expected an address such as 0x08020200" \
	--version 1.2.3 --slot-a app_a.bin --addr-a zz
: > empty.bin
refuse "twinslot pack: empty.bin: application is 0 bytes: too small to hold a vector table (initial SP and reset handler)" \
	--version 1.2.3 --slot-a empty.bin --addr-a 0x08020200
cp app_a.bin misaligned.bin && poke_byte misaligned.bin 0 2 && poke_byte misaligned.bin 2 1
refuse "twinslot pack: misaligned.bin: implausible vector table: initial stack pointer 0x20010002 is not 4-byte aligned" \
	--version 1.2.3 --slot-a misaligned.bin --addr-a 0x08020200
cp app_a.elf x86.elf && poke_byte x86.elf 18 62
refuse "twinslot pack: x86.elf: ELF for machine 62 (x86-64), not ARM (40)" --version 1.2.3 --slot-a x86.elf
cp app_a.elf elf64.elf && poke_byte elf64.elf 4 2
refuse "twinslot pack: elf64.elf: 64-bit ELF (ELFCLASS64): expected a 32-bit ARM executable" \
	--version 1.2.3 --slot-a elf64.elf
cp app_a.elf be.elf && poke_byte be.elf 5 2
refuse "twinslot pack: be.elf: big-endian ELF (ELFDATA2MSB): expected a little-endian ARM executable" \
	--version 1.2.3 --slot-a be.elf
cp app_a.elf rel.elf && poke_byte rel.elf 16 1
refuse "twinslot pack: rel.elf: not an executable ELF (e_type 1, relocatable object file): give the linked application" \
	--version 1.2.3 --slot-a rel.elf
head -c 40 app_a.elf > t40.elf
refuse "twinslot pack: t40.elf: truncated ELF: the file is 40 bytes, shorter than the 52-byte ELF header" \
	--version 1.2.3 --slot-a t40.elf
head -c 100 app_a.elf > t100.elf
refuse "twinslot pack: t100.elf: truncated ELF: the program header table (offset 52, 64 bytes) extends past the end of the file (100 bytes)" \
	--version 1.2.3 --slot-a t100.elf
read -r seg_off seg_size < <("$READELF" -lW app_a.elf | awk '$1 == "LOAD" { print $2, $5; exit }')
seg_off=$((seg_off)); seg_size=$((seg_size))
cut_at=$((seg_off + seg_size - 1))
head -c $cut_at app_a.elf > tseg.elf
refuse "twinslot pack: tseg.elf: truncated ELF: segment 0 ($seg_size bytes at file offset $seg_off) extends past the end of the file ($cut_at bytes)" \
	--version 1.2.3 --slot-a tseg.elf
# one bad slot: neither image is written, and every problem is reported
refuse "twinslot pack: version \"1.2\": $VER
twinslot pack: bad_sp.elf: implausible vector table: initial stack pointer 0x30000000 is outside SRAM (0x20000001..0x20020000) and CCM (0x10000001..0x10010000)" \
	--version 1.2 --slot-a bad_sp.elf --slot-b app_b.elf
refuse "twinslot pack: app_b.elf: linked at 0x08080200, but $HINT_A" \
	--version 1.2.3 --slot-a app_b.elf --slot-b app_b.elf

# a refused pack leaves an existing release untouched (and no temporary file)
mkdir -p keep && cp rel/slot-a.img rel/slot-b.img keep/
before=$(sha256sum keep/* | sha256sum)
expect 1 "twinslot pack: bad_sp.elf: implausible vector table: initial stack pointer 0x30000000 is outside SRAM (0x20000001..0x20020000) and CCM (0x10000001..0x10010000)" \
	-- "$TWINSLOT" pack --version 9.9.9 --slot-a bad_sp.elf --slot-b app_b.elf --out-dir keep
equal "existing images untouched" "$(sha256sum keep/* | sha256sum)" "$before"
equal "no temporary files" "$(ls -A keep | tr '\n' ' ')" "slot-a.img slot-b.img "
# ...and a successful one replaces it
expect 0 "" -- "$TWINSLOT" pack --version 1.2.4 --slot-a app_a2.elf --out-dir keep
"$TWINSLOT" inspect keep/slot-a.img --json > keep.json
equal "replaced image version" "$(json_field version keep.json)" "1.2.4"
equal "still no temporary files" "$(ls -A keep | tr '\n' ' ')" "slot-a.img slot-b.img "
equal "output file mode follows umask" "$(umask 022; "$TWINSLOT" pack --version 1.0.0 --slot-a app_a.elf --out-dir modes >/dev/null; stat -c %a modes/slot-a.img)" "644"

# --- usage errors: exit 2 ---------------------------------------------------
expect 2 "twinslot pack: needs --version, --out-dir and at least one of --slot-a/--slot-b (see twinslot pack --help)" \
	-- "$TWINSLOT" pack --slot-a app_a.elf --out-dir u
expect 2 "twinslot pack: needs --version, --out-dir and at least one of --slot-a/--slot-b (see twinslot pack --help)" \
	-- "$TWINSLOT" pack --version 1.2.3 --out-dir u
expect 2 "twinslot pack: unknown option \"--slot-c\" (see twinslot pack --help)" \
	-- "$TWINSLOT" pack --version 1.2.3 --slot-c app_a.elf --out-dir u
expect 2 "twinslot pack: option --out-dir needs a value (see twinslot pack --help)" \
	-- "$TWINSLOT" pack --version 1.2.3 --slot-a app_a.elf --out-dir
expect 2 "twinslot pack: option --slot-a given twice (see twinslot pack --help)" \
	-- "$TWINSLOT" pack --version 1.2.3 --slot-a app_a.elf --slot-a app_a.elf --out-dir u
expect 2 "twinslot pack: --addr-b given without --slot-b" \
	-- "$TWINSLOT" pack --version 1.2.3 --slot-a app_a.elf --addr-b 0x08080200 --out-dir u
[ ! -e u ] && ok || fail "usage error created the output directory"
expect 0 "" -- "$TWINSLOT" pack --help
grep -q "Exit codes: 0 written, 1 refused, 2 usage error." out.txt && ok || fail "pack --help"
expect 2 "twinslot: unknown command \"pak\" (try twinslot help)" -- "$TWINSLOT" pak
expect_rc 2 -- "$TWINSLOT"
expect 0 "" -- "$TWINSLOT" --help
grep -q "^  2  usage error" out.txt && ok || fail "twinslot --help lists exit codes"

finish
