#!/bin/bash
# Checks that two iotcensus binaries give identical results (for speed work that must not change
# them): both ingest the same inputs into fresh stores with one key, and every output is compared.
# Usage: bench/compare_outputs.sh BASE_IOTCENSUS NEW_IOTCENSUS [EXTRA_CAPTURE...]
#   e.g. bench/compare_outputs.sh /tmp/base-iotcensus build-rel/iotcensus /tmp/speed-ntp10m.pcap
# Inputs: every capture under ../shared/data/pcap (malformed/ in a store of its own, each ntp/
# file alone too), a netgear-2003 daily file, netgear-2003 and modern-mix pcaps, a 1M-packet
# make_ntp_capture file (made with BUILD_DIR's make_ntp_capture, default build), and the extra
# captures. Outputs per store: ingest --json, stderr, exit status, report (day and hour),
# population, the flags per (bin, class, flag, source) (the same rows from schema 2 or 3) and
# sqlite3 .dump without the flag tables (ingest times blanked). Prints "N files, M differ"; exit 1
# if any.
set -u
[[ $# -ge 2 ]] || { sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(realpath "$1") new=$(realpath "$2"); shift 2
extra=("$@")
build=${BUILD_DIR:-build}
[[ $build = /* ]] || build="$root/$build"
shared="$root/../shared/data/pcap"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export IOTCENSUS_SCENARIOS_DIR="$root/scenarios"

"$new" keygen "$work/key" >/dev/null 2>&1 || exit 2
sim() { "$new" simulate -q "$@" || exit 2; }
sim --scenario netgear-2003 --scale 0.002 --seed 11 --format daily \
  --from 2003-05-01T00:00:00Z --to 2003-08-01T00:00:00Z --out "$work/ng-daily.csv"
sim --scenario netgear-2003 --scale 0.0005 --from 2003-09-01T00:00:00Z \
  --to 2003-09-03T00:00:00Z --out "$work/ng.pcap"
sim --scenario modern-mix --scale 0.02 --from 2023-01-01T00:00:00Z \
  --to 2023-01-15T00:00:00Z --out "$work/mm.pcap"
"$build/make_ntp_capture" --packets 1000000 --sources 100000 --out "$work/1m.pcap" >/dev/null 2>&1 ||
  exit 2

dump() {  # BIN OUTDIR NAME INGEST_ARGS...
  local bin=$1 out=$2 name=$3; shift 3
  local s="$work/$name.db"
  "$bin" ingest --json --store "$s" "$@" >"$out/$name.ingest.json" 2>"$out/$name.ingest.err"
  echo $? >"$out/$name.ingest.rc"
  sed -i -E 's/"(seconds|elapsed[a-z_]*|wall[a-z_]*|duration[a-z_]*)": *[0-9.e+-]+/"\1":X/g' \
    "$out/$name.ingest.json"
  "$bin" report --store "$s" --format csv --k 1 >"$out/$name.report.csv" 2>&1
  "$bin" report --store "$s" --format csv --k 1 --bin hour >"$out/$name.report-hour.csv" 2>&1
  "$bin" population --store "$s" --format csv --k 1 >"$out/$name.population.csv" 2>&1
  # Flags one row per (bin, class, flag, source) whatever the schema (version 3 stores sets of
  # flags, version 2 one row per flag); the dump without the flag tables.
  local flags="SELECT bin_start, class_id, flag_id, hex(source), packets FROM bin_flag"
  if [[ -n $(sqlite3 "$s" "SELECT name FROM sqlite_master WHERE name='bin_flag_set'" 2>/dev/null) ]]; then
    flags="SELECT f.bin_start, f.class_id, m.flag_id, hex(f.source), sum(f.packets)
      FROM bin_flag_set f JOIN flag_set_member m ON m.set_id=f.set_id GROUP BY 1, 2, 3, 4"
  fi
  sqlite3 "$s" "$flags ORDER BY 1, 2, 3, 4" >"$out/$name.flags.txt" 2>&1
  sqlite3 "$s" .dump |
    awk '/^CREATE TABLE (bin_flag|flag_set)/ {skip = 1}
         /^INSERT INTO "?(bin_flag|flag_set)/ {next}
         !skip {print}
         skip && /;$/ {skip = 0}' |
    sed -E "s/'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'\);$/'T');/" >"$out/$name.dump.sql" 2>&1
  rm -f "$s" "$s-wal" "$s-shm"
}
run_all() {  # BIN OUTDIR
  local bin=$1 out=$2 f
  mkdir -p "$out"
  mapfile -t good < <(find "$shared" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
    -not -path '*/malformed/*' | sort)
  mapfile -t bad < <(find "$shared/malformed" -type f | sort)
  dump "$bin" "$out" real --key "$work/key" "${good[@]}"
  dump "$bin" "$out" malformed --key "$work/key" "${bad[@]}"
  for f in $(find "$shared/ntp" -type f | sort); do
    dump "$bin" "$out" "ntp-$(basename "$f")" --key "$work/key" "$f"
  done
  dump "$bin" "$out" ng-daily --bin-width day --raw-addresses "$work/ng-daily.csv"
  for f in ng mm 1m; do dump "$bin" "$out" "$f" --key "$work/key" "$work/$f.pcap"; done
  for f in "${extra[@]}"; do dump "$bin" "$out" "extra-$(basename "$f")" --key "$work/key" "$f"; done
}
run_all "$base" "$work/base"
run_all "$new" "$work/new"
n=0 bad=0
for f in "$work/base"/*; do
  b=$(basename "$f")
  n=$((n + 1))
  # Store paths differ between the runs only by the directory; ignore them.
  if ! cmp -s <(sed "s#$work/##g" "$f") <(sed "s#$work/##g" "$work/new/$b"); then
    echo "DIFF $b"
    bad=$((bad + 1))
  fi
done
echo "$n files, $bad differ"
[[ $bad -eq 0 ]]
