#!/usr/bin/env bash
# Times iotcensus against tshark and tcpdump on one synthetic NTP capture (same file, same run)
# and checks that every tool counts the same NTP packets. Builds nothing: run after the build.
#
# Usage: bench/compare_peers.sh [--packets N] [--sources N] [--seed S] [--repeat N]
#   BUILD_DIR=build-bench bench/compare_peers.sh --packets 1000000 --sources 100000
# BUILD_DIR (default "build", relative to the repository) must hold iotcensus,
# make_ntp_capture and ingest_bench. The capture goes to a mktemp -d folder, deleted on exit.
set -euo pipefail

packets=10000000
sources=1000000
seed=1
repeat=3

usage() { sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --packets) packets=$2; shift 2 ;;
    --sources) sources=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare_peers.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-build}
[[ $build = /* ]] || build="$root/$build"
for exe in iotcensus make_ntp_capture ingest_bench; do
  if [[ ! -x $build/$exe ]]; then
    echo "compare_peers.sh: $build/$exe not found; build first, e.g." >&2
    echo "  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C $build" >&2
    exit 2
  fi
done
for tool in tshark tcpdump; do
  command -v "$tool" >/dev/null || { echo "compare_peers.sh: $tool is not installed" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/iotcensus-peers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cap="$tmp/ntp.pcap"

progress() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# The integer value of "key" in a one-line JSON object.
json_int() { grep -o "\"$1\":[0-9]*" <<<"$2" | head -n1 | cut -d: -f2; }
json_num() { grep -oE "\"$1\":[0-9.eE+-]*" <<<"$2" | head -n1 | cut -d: -f2; }

progress "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
progress "generating $packets packets from $sources sources (seed $seed) into $cap"
gen=$("$build/make_ntp_capture" --out "$cap" --packets "$packets" --sources "$sources" \
      --seed "$seed" 2>"$tmp/gen.err") || { cat "$tmp/gen.err" >&2; exit 1; }
cat "$tmp/gen.err" >&2
gen_packets=$(json_int packets "$gen")
gen_sources=$(json_int sources_seen "$gen")
bytes=$(stat -c %s "$cap")

# Warm the page cache so that every tool reads the file from memory, as the first one would not.
cat "$cap" >/dev/null

progress "ingest_bench (read, decode, classify, tally in memory; best of $repeat)"
"$build/ingest_bench" "$cap" --repeat "$repeat" | tee "$tmp/bench.out" >&2
bench=$(grep '^{' "$tmp/bench.out")
bench_s=$(json_num tally_s "$bench")
bench_cpu=$(json_num tally_cpu_s "$bench")
bench_ntp=$(json_int ntp_packets "$bench")
bench_sources=$(json_int sources "$bench")

# Runs a command (a function here) under bash's `time`: sets wall_s and cpu_s (user + system of
# every process it started). CPU time shows what a shared machine took away from wall time.
TIMEFORMAT='%R %U %S'
timed() {
  { time "$@" 2>"$tmp/stderr"; } 2>"$tmp/time"
  read -r wall_s user_s sys_s <"$tmp/time"
  cpu_s=$(awk -v u="$user_s" -v s="$sys_s" 'BEGIN { printf "%.3f", u + s }')
}
run_ingest() { "$build/iotcensus" ingest --json --store "$tmp/census.db" "$cap" >"$tmp/ingest.out"; }
# TZ=UTC: without it glibc's localtime() stats /etc/localtime once per printed packet, which
# makes tcpdump about three times slower; with it tcpdump is timed at its best.
run_tcpdump() { TZ=UTC tcpdump -n -r "$cap" 'udp port 123' | wc -l >"$tmp/tcpdump.count"; }
run_tcpdump_filter() { TZ=UTC tcpdump -n -r "$cap" -w /dev/null 'udp port 123'; }
run_tshark() { tshark -n -r "$cap" -q -z io,stat,0,frame,ntp >"$tmp/tshark.out"; }

progress "iotcensus ingest end to end (one run; SQLite store, Crypto-PAn pseudonyms by default)"
timed run_ingest || { cat "$tmp/stderr" >&2; exit 1; }
ingest_s=$wall_s ingest_cpu=$cpu_s
ingest=$(cat "$tmp/ingest.out")
ingest_ntp=$(json_int ntp_packets "$ingest")
ingest_sources=$(json_int sources "$ingest")
progress "  $ingest_s s (cpu $ingest_cpu s): $ingest"

progress "TZ=UTC tcpdump -n -r FILE 'udp port 123' | wc -l (prints one decoded line per packet)"
timed run_tcpdump
tcpdump_s=$wall_s tcpdump_cpu=$cpu_s
tcpdump_count=$(tr -d ' ' <"$tmp/tcpdump.count")
progress "  $tcpdump_s s (cpu $tcpdump_cpu s), $tcpdump_count lines"

progress "TZ=UTC tcpdump -n -r FILE -w /dev/null 'udp port 123' (BPF filter only, nothing decoded)"
timed run_tcpdump_filter
tcpdump_w_s=$wall_s tcpdump_w_cpu=$cpu_s
progress "  $tcpdump_w_s s (cpu $tcpdump_w_cpu s)"

progress "tshark -n -r FILE -q -z io,stat,0,frame,ntp (dissects every packet; may take minutes)"
timed run_tshark || { cat "$tmp/stderr" >&2; exit 1; }
tshark_s=$wall_s tshark_cpu=$cpu_s
# The data row: "|  0.0 <> 13.2 | <all frames> | <bytes> | <ntp frames> | <bytes> |"
tshark_row=$(grep '<>' "$tmp/tshark.out" | tail -n1)
tshark_all=$(awk -F'|' '{ gsub(/ /, "", $3); print $3 }' <<<"$tshark_row")
tshark_ntp=$(awk -F'|' '{ gsub(/ /, "", $5); print $5 }' <<<"$tshark_row")
progress "  $tshark_s s (cpu $tshark_cpu s), $tshark_ntp NTP frames of $tshark_all"

echo
echo "Ingest peers on $(basename "$cap"): $gen_packets packets, $gen_sources sources, $bytes bytes"
printf '%-44s %9s %9s %12s %9s %9s %10s\n' tool seconds "cpu s" packets/s "vs tally" \
  "vs ingest" "NTP count"
row() {  # name seconds cpu-seconds count
  awk -v n="$1" -v s="$2" -v cpu="$3" -v c="$4" -v p="$gen_packets" -v b="$bench_s" \
    -v i="$ingest_s" 'BEGIN {
      printf "%-44s %9.3f %9.3f %12.0f %8.1fx %8.1fx %10s\n", n, s, cpu, p / s, s / b, s / i, c }'
}
row "iotcensus tally (ingest_bench c, best of $repeat)" "$bench_s" "$bench_cpu" "$bench_ntp"
row "iotcensus ingest (end to end, SQLite)" "$ingest_s" "$ingest_cpu" "$ingest_ntp"
row "TZ=UTC tcpdump 'udp port 123' | wc -l" "$tcpdump_s" "$tcpdump_cpu" "$tcpdump_count"
row "tcpdump 'udp port 123' -w /dev/null" "$tcpdump_w_s" "$tcpdump_w_cpu" "n/a"
row "tshark -q -z io,stat,0,frame,ntp" "$tshark_s" "$tshark_cpu" "$tshark_ntp"
echo "(seconds: wall time; vs tally / vs ingest: the tool's wall seconds divided by iotcensus's,"
echo " above 1 means slower than iotcensus; packets/s from wall time)"

status=0
if [[ $bench_ntp == "$gen_packets" && $ingest_ntp == "$gen_packets" &&
      $tcpdump_count == "$gen_packets" && $tshark_ntp == "$gen_packets" ]]; then
  echo "counts agree: every tool saw $gen_packets NTP packets (the generator wrote $gen_packets)"
else
  echo "COUNTS DISAGREE: generator $gen_packets, ingest_bench $bench_ntp, iotcensus ingest" \
       "$ingest_ntp, tcpdump $tcpdump_count, tshark $tshark_ntp"
  status=1
fi
if [[ $bench_sources == "$gen_sources" && $ingest_sources == "$gen_sources" ]]; then
  echo "sources agree: iotcensus found the $gen_sources sources the generator used"
else
  echo "SOURCES DISAGREE: generator $gen_sources, ingest_bench $bench_sources," \
       "iotcensus ingest $ingest_sources"
  status=1
fi
echo "{\"bench\":\"compare_peers\",\"packets\":$gen_packets,\"sources\":$gen_sources,\"bytes\":$bytes,\"iotcensus_tally_s\":$bench_s,\"iotcensus_ingest_s\":$ingest_s,\"iotcensus_ingest_cpu_s\":$ingest_cpu,\"tcpdump_s\":$tcpdump_s,\"tcpdump_filter_s\":$tcpdump_w_s,\"tshark_s\":$tshark_s,\"counts_agree\":$([[ $status == 0 ]] && echo true || echo false)}"
exit "$status"
