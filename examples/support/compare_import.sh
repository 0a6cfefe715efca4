#!/bin/sh
# Times `process-workbench import` of one XES log with two builds, taking
# turns, ROUNDS times each (3 by default), stores on a tmpfs; prints each run
# and the medians. Used by the import figures in PERFORMANCE.md:
#   compare_import.sh OLD_BINARY NEW_BINARY LOG.xes [ROUNDS]
set -eu
old=$1 new=$2 log=$3 rounds=${4:-3}
dir=$(mktemp -d "${TMPDIR:-/dev/shm}/compare-import.XXXXXX")
trap 'rm -rf "$dir"' EXIT
run() { # binary, label, round
    out="$dir/$2-$3.redb"
    start=$(date +%s.%N)
    "$1" import "$out" --from xes "$log" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
    rm -f "$out"
}
old_times="" new_times=""
i=1
while [ "$i" -le "$rounds" ]; do
    t=$(run "$old" old "$i"); echo "round $i old: $t s"; old_times="$old_times $t"
    t=$(run "$new" new "$i"); echo "round $i new: $t s"; new_times="$new_times $t"
    i=$((i + 1))
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mo=$(median "$old_times") mn=$(median "$new_times")
echo "median old: $mo s, new: $mn s, new/old: $(echo "scale=3; $mn / $mo" | bc)"
