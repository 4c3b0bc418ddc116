#!/usr/bin/env bash
# Times two builds of ingest_bench (or iotcensus) one after the other, round after round, on one
# capture, and prints every round and the median of each: on a noisy machine, only a difference
# seen across alternated rounds counts.
#
# Usage: bench/alternate.sh [--rounds N] [--mode tally|finish|ingest] BASE NEW CAPTURE
#   bench/alternate.sh --rounds 6 /tmp/base/ingest_bench build-rel/ingest_bench /tmp/ntp10m.pcap
#   bench/alternate.sh --mode ingest /tmp/base/iotcensus build-rel/iotcensus /tmp/ntp1m.pcap
# tally: ingest_bench --only tally --repeat 5, (c) best of 5 and (c)'s first run, ns/packet.
# finish: ingest_bench --only finish --repeat 3, finish() best of 3, ms.
# ingest: iotcensus ingest -q into a fresh store and key each round, wall and user seconds.
set -euo pipefail

rounds=6
mode=tally
usage() { sed -n '6,11p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) break ;;
  esac
done
if (($# != 3)); then usage >&2; exit 2; fi
base=$1 new=$2 capture=$3
for f in "$base" "$new"; do [[ -x $f ]] || { echo "alternate.sh: $f: not an executable" >&2; exit 2; }; done
[[ -r $capture ]] || { echo "alternate.sh: $capture: cannot read" >&2; exit 2; }
case "$mode" in tally | finish | ingest) ;; *) echo "alternate.sh: unknown mode $mode" >&2; exit 2 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run of one binary: prints the round's figures, space-separated.
run_one() {
  local bin=$1 out
  case "$mode" in
    tally)
      out=$("$bin" "$capture" --only tally --repeat 5)
      awk '/^\(c\)/ {c = $NF} /first run/ {f = $NF} END {print c, f}' <<<"$out" ;;
    finish)
      out=$("$bin" "$capture" --only finish --repeat 3)
      sed -n 's/.*"finish_s":\([0-9.e-]*\).*/\1/p' <<<"$out" | awk '{printf "%.1f\n", $1 * 1000}' ;;
    ingest)
      rm -f "$work"/s.db* "$work/key"
      "$bin" keygen "$work/key" >/dev/null 2>&1
      /usr/bin/time -f '%e %U' -o "$work/time" "$bin" ingest -q --key "$work/key" \
        --store "$work/s.db" "$capture"
      cat "$work/time" ;;
  esac
}

case "$mode" in
  tally) header="(c) ns/packet, first run ns/packet" ;;
  finish) header="finish() ms" ;;
  ingest) header="wall s, user s" ;;
esac
echo "round  binary  $header"
: >"$work/base" && : >"$work/new"
for ((r = 1; r <= rounds; ++r)); do
  for side in base new; do
    bin=$base
    [[ $side == new ]] && bin=$new
    figures=$(run_one "$bin")
    echo "$figures" >>"$work/$side"
    printf '%5d  %-6s  %s\n' "$r" "$side" "$figures"
  done
done
# The median of each column.
median() {
  awk -v col="$2" '{print $col}' "$1" | sort -g |
    awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
columns=$(awk '{print NF; exit}' "$work/base")
for side in base new; do
  line="median ${side}:"
  for ((c = 1; c <= columns; ++c)); do line+=" $(median "$work/$side" "$c")"; done
  echo "$line"
done
