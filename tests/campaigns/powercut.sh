#!/usr/bin/env bash
# Power-cut campaign over one whole update cycle (issue 13, point 1): packs
# the releases, composes the starting flash and runs tests/campaigns/powercut
# (the board and the update engine in one process; what it cuts and checks is
# at the top of powercut.c and in docs/journal.md, "How it is tested").
#
# usage: powercut.sh TWINSLOT FIRMWARE_DIR POWERCUT WORKDIR [fast|full]
#                    [SEEDS RANDOM DOUBLE [SEED]]
#   fast (the suite): the last 36 operations of the 16 KB cycle once (the
#        two header blocks, PENDING, the bootloader's compaction and
#        ATTEMPT, the application's CONFIRMED), 6 random and 2 double cuts
#        of the 384 KB cycle
#   full: every operation of the 16 KB cycle with 3 tears each, 10000 random
#        and 1000 double cuts of the 384 KB cycle
#   SEEDS RANDOM DOUBLE override the counts, SEED the random choices (1).
#   JOBS=N in the environment: N processes share the cases (default 1 for
#   fast, the number of cores for full); the cases are the same.
# Prints per part "campaign powercut <part> cases=... bricks=0 wrong=0
# unconfirmed=0 failures=0" and "reproduce: ..."; exits 1 on any violation,
# 77 without the firmware.
#
# The cycle: slot A holds release 1.0.0, confirmed; the journal holds A's
# CONFIRMED and 4094 stale records, so the host's PENDING takes the last
# position and the bootloader's ATTEMPT compacts the journal (erase of
# sector 11, rewrite, append) inside the cycle; the application's CONFIRMED
# follows. The host installs release 1.1.0 into slot B. The exhaustive part
# also runs each case's prefix for real with the cut armed (--check-replay)
# and checks that the flash it leaves is the one rebuilt from the recording.
set -euo pipefail
T=$1 FW=$2 PC=$3 W=$4 MODE=${5:-fast}
case "$MODE" in
fast) SEEDS=1 RANDOM_N=6 DOUBLE_N=2 FIRST=64 EXH=tail-16k J=1 ;;
full) SEEDS=3 RANDOM_N=10000 DOUBLE_N=1000 FIRST=1 EXH=exhaustive-16k J=$(nproc) ;;
*) echo "usage: powercut.sh TWINSLOT FIRMWARE_DIR POWERCUT WORKDIR [fast|full] [SEEDS RANDOM DOUBLE [SEED]]" >&2
   exit 2 ;;
esac
SEEDS=${6:-$SEEDS} RANDOM_N=${7:-$RANDOM_N} DOUBLE_N=${8:-$DOUBLE_N} SEED=${9:-1}
for f in bootloader.bin bootloader.elf app-a.bin app-a.elf app-b.bin app-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
T=$(readlink -f "$T") FW=$(readlink -f "$FW") PC=$(readlink -f "$PC")
rm -rf "$W"; mkdir -p "$W"; cd "$W"
SELF="tests/campaigns/powercut.sh TWINSLOT FIRMWARE_DIR POWERCUT WORKDIR"

# Releases of SIZE_KB: the application padded with bytes that differ per
# release and slot (deterministic, so a rerun cuts the same bytes).
mkrel() { # DIR VERSION SIZE_KB
	local s
	for s in a b; do
		cp "$FW/app-$s.bin" "app-$s.bin"
		yes "twinslot $2 slot $s padding" | head -c $(($3 * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) \
			>>"app-$s.bin" || true
	done
	"$T" pack --version "$2" --product 7 --slot-a app-a.bin --addr-a 0x08020200 \
		--slot-b app-b.bin --addr-b 0x08080200 --out-dir "$1" >/dev/null
}
fill=()
for ((i = 0; i < 4094; i++)); do fill+=(--record rolled_back:a:0:0.0.1:000000000000000000000000); done
mkstart() { # OUT OLD_DIR
	"$T" compose -o "$1" --bootloader "$FW/bootloader.bin" --slot-a "$2/slot-a.img" \
		--record confirmed:a "${fill[@]}" >/dev/null
}
mkrel small-1.0.0 1.0.0 16
mkrel small-1.1.0 1.1.0 16
mkrel big-1.0.0 1.0.0 384
mkrel big-1.1.0 1.1.0 384
mkstart small.bin small-1.0.0
mkstart big.bin big-1.0.0

# The firmware's SHA-256 and delay loop run natively where the ELF
# files say they are (powercut.c explains); without the symbols they are
# emulated (the same results, several times slower).
hooks=(--fast-bsy)
if command -v arm-none-eabi-nm >/dev/null; then
	for e in bootloader app-a app-b; do
		while read -r addr _ name; do
			hooks+=(--native "$name@0x$addr")
		done < <(arm-none-eabi-nm "$FW/$e.elf" |
			awk '$3 == "ts_sha256_update" || $3 == "ts_delay_ms"')
	done
fi

bad=0
part() { # NAME COUNT REPRODUCE_ARGS -- POWERCUT ARGS (nothing when COUNT is 0)
	local name=$1 n=$2 rep=$3 rc=0
	shift 4
	[ "$n" != 0 ] || return 0
	"$PC" --name "$name" --seed "$SEED" --jobs "${JOBS:-$J}" "${hooks[@]}" "$@" || rc=$?
	echo "reproduce: $SELF $rep"
	[ "$rc" = 0 ] || bad=1
}
part "$EXH" "$SEEDS" "$MODE $SEEDS 0 0 $SEED" -- --part exhaustive --seeds "$SEEDS" --check-replay \
	--first "$FIRST" \
	--start small.bin --old small-1.0.0 --new small-1.1.0
part random-384k "$RANDOM_N" "$MODE 0 $RANDOM_N 0 $SEED" -- --part random --cases "$RANDOM_N" \
	--start big.bin --old big-1.0.0 --new big-1.1.0
part double-384k "$DOUBLE_N" "$MODE 0 0 $DOUBLE_N $SEED" -- --part double --cases "$DOUBLE_N" \
	--start big.bin --old big-1.0.0 --new big-1.1.0
exit "$bad"
