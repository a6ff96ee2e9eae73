#!/usr/bin/env bash
# twinslot keygen / pack --key / verify / inspect --pubkey, and interoperability
# with openssl(1) both ways: openssl verifies what twinslot signed (after
# turning r || s into DER), twinslot verifies a header openssl signed.
# usage: sign.sh TWINSLOT APPS_DIR READELF
source "$(dirname "$0")/lib.sh"

# keygen: two files as openssl writes them, the private one 0600, never overwritten
expect_rc 0 -- "$TWINSLOT" keygen --out-dir k1
equal "private key mode" "$(stat -c %a k1/signing-key.pem)" "600"
equal "private key PEM" "$(head -1 k1/signing-key.pem)" "-----BEGIN PRIVATE KEY-----"
equal "public key PEM" "$(head -1 k1/signing-key.pub.pem)" "-----BEGIN PUBLIC KEY-----"
openssl pkey -in k1/signing-key.pem -noout && ok || fail "openssl cannot read the private key"
cp k1/signing-key.pem k1.copy
expect 1 "twinslot keygen: k1/signing-key.pem: File exists: refusing to overwrite a signing key" \
	-- "$TWINSLOT" keygen --out-dir k1
cmp -s k1/signing-key.pem k1.copy && ok || fail "keygen changed an existing key"
expect_rc 0 -- "$TWINSLOT" keygen --out-dir k2
id1=$(openssl pkey -pubin -in k1/signing-key.pub.pem -outform DER | tail -c 65 | sha256sum | cut -c1-8)

# pack --key signs both slots; verify accepts them with the right key only
expect_rc 0 -- "$TWINSLOT" pack --version 1.2.3 --slot-a "$APPS/app_a.elf" \
	--slot-b "$APPS/app_b.elf" --out-dir rel --product 7 --key k1/signing-key.pem
grep "slot-a.img: .*, signed, key id $id1\$" out.txt >/dev/null && ok ||
	fail "pack output lacks the key id $id1: $(cat out.txt)"
expect_rc 0 -- "$TWINSLOT" verify --pubkey k1/signing-key.pub.pem rel
equal "verify lines" "$(cut -d' ' -f1,2 out.txt)" "rel/slot-a.img: ok
rel/slot-b.img: ok"
expect_rc 0 -- "$TWINSLOT" verify --pubkey k2/signing-key.pub.pem --pubkey k1/signing-key.pub.pem rel/slot-b.img
expect 1 "twinslot verify: rel/slot-a.img: signed by key id $id1, which is none of the 1 public key given" \
	-- "$TWINSLOT" verify --pubkey k2/signing-key.pub.pem rel/slot-a.img
expect_rc 2 -- "$TWINSLOT" verify rel

# inspect shows type and key id, and verifies with --pubkey
expect_rc 0 -- "$TWINSLOT" inspect rel/slot-a.img
grep -x "signature: ecdsa-p256, key id $id1" out.txt >/dev/null && ok || fail "inspect: $(cat out.txt)"
expect_rc 0 -- "$TWINSLOT" inspect rel/slot-a.img --pubkey k1/signing-key.pub.pem --json
equal "inspect json sig_ok" "$(json_field sig_ok out.txt)" "true"
equal "inspect json key_id" "$(json_field key_id out.txt)" "$id1"
expect_rc 1 -- "$TWINSLOT" inspect rel/slot-a.img --pubkey k2/signing-key.pub.pem
grep -x "signature check: FAILED" out.txt >/dev/null && ok || fail "inspect: $(cat out.txt)"

# a signed header byte changed (the version), CRC fixed as an attacker would
set_crc() { # recompute the header CRC of $1 (the gzip trailer trick of docs/format.md)
	head -c 508 "$1" | gzip -c | tail -c 8 | head -c 4 |
		dd of="$1" bs=1 seek=508 conv=notrunc status=none
}
cp rel/slot-a.img tampered.img
poke_byte tampered.img 16 4
set_crc tampered.img
expect 1 "twinslot verify: tampered.img: signature by key id $id1 (k1/signing-key.pub.pem) does NOT verify: the header was changed after signing, or the signature is forged" \
	-- "$TWINSLOT" verify --pubkey k1/signing-key.pub.pem tampered.img
# a body byte changed: the hash check refuses it before the signature
cp rel/slot-a.img body.img
flip_byte body.img 600
expect_rc 1 -- "$TWINSLOT" verify --pubkey k1/signing-key.pub.pem body.img
grep "SHA-256 does not match" err.txt >/dev/null && ok || fail "body tamper: $(cat err.txt)"
# unsigned
expect_rc 0 -- "$TWINSLOT" pack --version 1.2.3 --slot-a "$APPS/app_a.elf" --out-dir plain
expect 1 "twinslot verify: plain/slot-a.img: unsigned (sig_type 0): not the vendor's release" \
	-- "$TWINSLOT" verify --pubkey k1/signing-key.pub.pem plain/slot-a.img
# a group-readable signing key is refused
cp k1/signing-key.pem loose.pem
chmod 640 loose.pem
expect 1 "twinslot pack: loose.pem: the signing key is readable or writable by group or others (mode 640): chmod 600 it (and consider it exposed)" \
	-- "$TWINSLOT" pack --version 1.2.3 --slot-a "$APPS/app_a.elf" --out-dir loose --key loose.pem
[ ! -e loose ] && ok || fail "pack wrote output with a refused key"

# openssl verifies twinslot's signature: r || s (0x44..0x83) to DER
rs=$(od -An -tx1 -j 68 -N 64 -v rel/slot-a.img | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${rs:0:64}" "${rs:64:64}" > sig.cnf
openssl asn1parse -genconf sig.cnf -out sig.der >/dev/null
head -c 64 rel/slot-a.img > signed.bin
openssl dgst -sha256 -verify k1/signing-key.pub.pem -signature sig.der signed.bin >/dev/null &&
	ok || fail "openssl does not verify twinslot's signature"
# ... and not on a changed byte
printf 'X' | dd of=signed.bin bs=1 seek=16 conv=notrunc status=none
openssl dgst -sha256 -verify k1/signing-key.pub.pem -signature sig.der signed.bin >/dev/null 2>&1 &&
	fail "openssl verified a changed header" || ok

# twinslot verifies openssl's signature: sign the 64 bytes with openssl, put
# r || s, key id and sig_type into an unsigned image, fix the CRC
cp plain/slot-a.img byossl.img
printf '\001\000\100\000' | dd of=byossl.img bs=1 seek=64 conv=notrunc status=none
id_bytes=$(openssl pkey -pubin -in k1/signing-key.pub.pem -outform DER | tail -c 65 | sha256sum | cut -c1-8)
printf "$(echo "$id_bytes" | sed 's/../\\x&/g')" | dd of=byossl.img bs=1 seek=132 conv=notrunc status=none
head -c 64 byossl.img > tosign.bin
openssl dgst -sha256 -sign k1/signing-key.pem -out ossl.der tosign.bin
ints=$(openssl asn1parse -inform DER -in ossl.der | sed -n 's/.*INTEGER *:\([0-9A-F]*\)$/\1/p')
r=$(echo "$ints" | sed -n 1p); s=$(echo "$ints" | sed -n 2p)
pad() { printf '%64s' "$1" | tr ' ' 0; }
printf "$(echo "$(pad "$r")$(pad "$s")" | sed 's/../\\x&/g')" |
	dd of=byossl.img bs=1 seek=68 conv=notrunc status=none
set_crc byossl.img
expect_rc 0 -- "$TWINSLOT" verify --pubkey k1/signing-key.pub.pem byossl.img
expect_rc 1 -- "$TWINSLOT" verify --pubkey k2/signing-key.pub.pem byossl.img

finish
