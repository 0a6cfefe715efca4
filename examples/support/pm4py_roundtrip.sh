#!/bin/sh
# Every shared log imported, exported as XES and as OCEL 2.0 JSON by the
# workbench, and the exports read back by pm4py: prints pm4py's figures of
# each export as JSON (committed as crates/core/tests/core/data/pm4py_exports.json).
#
#   examples/support/pm4py_roundtrip.sh BINARY DATA_DIR [PYTHON]
set -eu
binary=$1
data=$2
python=${3:-/work/venv-pm4py/bin/python}
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for input in "$data"/*.xes "$data"/*.xes.gz "$data"/*.jsonocel "$data"/*.xmlocel "$data"/*.sqlite "$data"/*.csv; do
    [ -e "$input" ] || continue
    name=$(basename "$input")
    case "$name" in
        *.csv) from=csv ;;
        *.xes|*.xes.gz) from=xes ;;
        *) from=ocel ;;
    esac
    "$binary" import "$work/$name.redb" --from "$from" "$input" > /dev/null
    "$binary" export "$work/$name.redb" --xes "$work/$name.export.xes" > /dev/null
    "$binary" export "$work/$name.redb" --ocel "$work/$name.export.jsonocel" > /dev/null
done
"$python" "$here/pm4py_figures.py" "$work"/*.export.* 2>/dev/null
