#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang++ -fsanitize=fuzzer,address,undefined against the system NSS) and
# runs each for a bounded time on a copy of its seed corpus (fuzz/corpus/<harness>/ is never rewritten).
#
#   bash fuzz/run.sh [seconds per harness] [harness ...]     (npm run fuzz -- 300 engine_server)
#
# Environment: FUZZ_TIME (seconds per harness, default 60; the first argument wins), FUZZ_SUMMARY (a file
# that gets one JSON line per harness), FUZZ_WORK (working directory, kept; default a temporary one,
# removed), CXX (default clang++), FUZZ_RSS_MB (default 2048).
# Per harness it prints (and writes to FUZZ_SUMMARY) the time run, executions and executions per second,
# seed and final corpus size, cov/ft (which include the NSS-state extra counters, see fuzz/common.h) and
# peak RSS. Exits non-zero when a harness fails to build, or finds a crash, leak, timeout or out-of-memory input (the
# reproducers are copied to fuzz-findings/<harness>/ in the current directory).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${FUZZ_TIME:-60}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
all=(engine_server engine_client pkcs12 cert_der)
harnesses=("$@")
[[ ${#harnesses[@]} -eq 0 ]] && harnesses=("${all[@]}")

cxx="${CXX:-clang++}"
command -v "$cxx" > /dev/null || { echo "fuzz: $cxx not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
read -r -a nss_cflags <<< "$(node scripts/nss-flags.js cflags | tr '\n' ' ')"
read -r -a nss_libs <<< "$(node scripts/nss-flags.js libs | tr '\n' ' ')"

if [[ -n "${FUZZ_WORK:-}" ]]; then
  work="$FUZZ_WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/node-nss-fuzz-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi

flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra
  -Wno-unused-parameter -Wno-missing-field-initializers)

sources() {
  case "$1" in
    engine_server) echo "-DFUZZ_SERVER=1 fuzz/engine.cc fuzz/common.cc native/nss/memio.cc native/nss/ssl_cycle.cc" ;;
    engine_client) echo "-DFUZZ_SERVER=0 fuzz/engine.cc fuzz/common.cc native/nss/memio.cc native/nss/ssl_cycle.cc" ;;
    pkcs12) echo "-DFUZZ_PKCS12=1 fuzz/pkcs12_der.cc fuzz/common.cc native/nss/cert_info.cc native/nss/pkcs12.cc" ;;
    cert_der) echo "-DFUZZ_CERT_DER=1 fuzz/pkcs12_der.cc fuzz/common.cc native/nss/cert_info.cc" ;;
    *) return 1 ;;
  esac
}

max_len() {
  case "$1" in
    cert_der) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

failed=0
for name in "${harnesses[@]}"; do
  src="$(sources "$name")" || { echo "fuzz: unknown harness '$name' (${all[*]})" >&2; exit 2; }
  bin="$work/bin/$name"
  mkdir -p "$work/bin" "$work/corpus/$name" "$work/artifacts/$name"
  # The pkcs12 harness keeps a database in TMPDIR: on a disk, SQLite's syncs made each import take about
  # 0.25 s (measured: 20 runs of one file took 8.5 s with /tmp on disk, 1.3 s on /dev/shm).
  tmp="$work/tmp/$name"
  if [[ -d /dev/shm && -w /dev/shm ]]; then tmp="/dev/shm/node-nss-fuzz-$$-$name"; fi
  mkdir -p "$tmp"
  echo "== $name: building"
  # shellcheck disable=SC2086 # $src is a list of words
  "$cxx" "${flags[@]}" "${nss_cflags[@]}" $src -o "$bin" "${nss_libs[@]}"
  cp -R "fuzz/corpus/$name/." "$work/corpus/$name/"
  seeds="$(find "fuzz/corpus/$name" -type f | wc -l)"
  log="$work/$name.log"
  echo "== $name: fuzzing for ${seconds}s"
  rc=0
  started=$SECONDS
  # fast_unwind_on_malloc=0: NSS is built without frame pointers, and only the slow unwinder sees past its
  # first frame (lsan.supp's entries match on NSS frames). It costs: 20 frames keep the pkcs12 harness at
  # about two thirds of its speed with fast unwinding (measured: 21 against 32 inputs/s with 12 frames).
  TMPDIR="$tmp" \
    ASAN_OPTIONS="fast_unwind_on_malloc=0:malloc_context_size=20:detect_leaks=1:abort_on_error=0:symbolize=1" \
    LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$bin" -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -timeout=30 \
    -max_len="$(max_len "$name")" -print_final_stats=1 -artifact_prefix="$work/artifacts/$name/" \
    "$work/corpus/$name" > "$log" 2>&1 || rc=$?
  elapsed=$((SECONDS - started))
  rm -rf "$tmp"

  status="$(grep -E 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/' "$log" | tail -n 1 || true)"
  cov="$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<< "$status")"
  ft="$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<< "$status")"
  corp="$(sed -nE 's/.*corp: ([0-9]+)\/([0-9]+[a-zA-Z]*).*/\1/p' <<< "$status")"
  corp_bytes="$(sed -nE 's/.*corp: ([0-9]+)\/([0-9]+[a-zA-Z]*).*/\2/p' <<< "$status")"
  stat() { sed -nE "s/^stat::$1:[[:space:]]+([0-9]+).*/\\1/p" "$log" | tail -n 1; }
  execs="$(stat number_of_executed_units)"
  per_sec="$(stat average_exec_per_sec)"
  rss="$(stat peak_rss_mb)"
  findings="$(find "$work/artifacts/$name" -type f | wc -l)"
  echo "== $name: ${elapsed}s, execs ${execs:-?} (${per_sec:-?}/s), corpus $seeds -> ${corp:-?} files (${corp_bytes:-?}), cov ${cov:-?} ft ${ft:-?}, peak RSS ${rss:-?} MB, findings $findings, exit $rc"
  if [[ -n "${FUZZ_SUMMARY:-}" ]]; then
    printf '{"harness":"%s","seconds":%s,"elapsed":%s,"seeds":%s,"execs":%s,"execs_per_sec":%s,"corpus_files":%s,"corpus_size":"%s","cov":%s,"ft":%s,"peak_rss_mb":%s,"findings":%s,"exit":%s}\n' \
      "$name" "$seconds" "$elapsed" "$seeds" "${execs:-null}" "${per_sec:-null}" "${corp:-null}" "${corp_bytes:-}" "${cov:-null}" \
      "${ft:-null}" "${rss:-null}" "$findings" "$rc" >> "$FUZZ_SUMMARY"
  fi
  if [[ $rc -ne 0 || $findings -ne 0 ]]; then
    failed=1
    mkdir -p "fuzz-findings/$name"
    cp "$work/artifacts/$name/"* "fuzz-findings/$name/" 2> /dev/null || true
    cp "$log" "fuzz-findings/$name/"
    echo "== $name: FAILED; reproducers and log in fuzz-findings/$name/" >&2
    grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 >&2 || true
  fi
done
exit "$failed"
