#!/usr/bin/env bash
# Long libFuzzer runs (issue 13 point 5): each target in turn for SECONDS
# from a copy of its committed seed corpus, at the lowest CPU priority, then
# one summary line per target (execs, execs/s, cov, ft, corpus, crashes).
# The grown corpora, logs and any crash inputs stay in WORK; nothing in the
# repository is written.
#   scripts/fuzz_long.sh BUILD_TEST_DIR [SECONDS] [WORK] [TARGET...]
# BUILD_TEST_DIR is a clang tree configured with -DTS_FUZZ=ON and the fuzz_*
# targets built. Default: 600 s each, WORK /tmp/twinslot-fuzz-long, every
# target that has a corpus in tests/fuzz/corpus.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/fuzz_long.sh BUILD_TEST_DIR [SECONDS] [WORK] [TARGET...]}
secs=${2:-600}
work=${3:-/tmp/twinslot-fuzz-long}
shift $(( $# < 3 ? $# : 3 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$here"/tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
# -max_len as in tests/fuzz/CMakeLists.txt
declare -A maxlen=([image_header]=2048 [journal_scan]=4097 [manifest]=4200 [elf]=16384
  [s3_xml]=8192 [http_headers]=8192 [an3155]=4096 [appupd_decode]=4200)
mkdir -p "$work"
status=0
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "fuzz_long $t: $bin not built: skipped"
    continue
  fi
  rm -rf "${work:?}/$t" && mkdir -p "$work/$t" "$work/$t-artifacts"
  cp "$here/tests/fuzz/corpus/$t/"* "$work/$t/"
  seeds=$(ls "$work/$t" | wc -l)
  start=$(date -u +%FT%TZ)
  cmd="nice -n 19 $bin -max_total_time=$secs -timeout=10 -max_len=${maxlen[$t]:-8192} -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 -artifact_prefix=$work/$t-artifacts/ $work/$t"
  $cmd > "$work/$t.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$work/$t.log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(ls "$work/$t" | wc -l)
  # crash-, leak-, timeout- and oom- inputs are failures; slow-unit- ones
  # (slower than 10 s once, not a time-out) are noted apart
  crashes=$(ls "$work/$t-artifacts" | grep -cE '^(crash|leak|timeout|oom)-')
  slow=$(ls "$work/$t-artifacts" | grep -c '^slow-unit-')
  echo "fuzz_long $t start=$start seconds=$secs execs=${execs:-?} execs_per_s=${rate:-?} cov=${cov:-?} ft=${ft:-?} seeds=$seeds corpus=$corp crashes=$crashes slow_units=$slow exit=$rc"
  echo "  command: $cmd"
  [ "$rc" -ne 0 ] && status=1
done
exit $status
