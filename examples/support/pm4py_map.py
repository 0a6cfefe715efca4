"""Computes the process maps that `process-workbench map` must reproduce, with
pm4py, for every log of the shared data folder that the workbench imports
(XES and OCEL 2.0 JSON), and writes them as the map test's expected figures.

    /work/venv-pm4py/bin/python examples/support/pm4py_map.py ../shared/data \
        crates/core/tests/core/data/map

For an XES log: `discover_dfg` (edge counts, start and end activities),
`discover_performance_dfg` (mean and median seconds between the two events of
an edge) and `get_event_attribute_values(.., "concept:name")` (activities).
For an OCEL log the same, per object type, on `ocel_flattening(ocel, type)`.
The output is one JSON file per log: {"activities", "start", "end",
"edges": [{"from", "to", "count", "mean_s", "median_s"}]} (edges sorted by
from, to), or for OCEL {"object_types": {type: <that shape>}}.
"""

import json
import math
import sys
from pathlib import Path

import pm4py


def figures(df):
    dfg, start, end = pm4py.discover_dfg(df)
    performance, _, _ = pm4py.discover_performance_dfg(df)
    activities = pm4py.get_event_attribute_values(df, "concept:name")
    edges = []
    for (a, b), count in sorted(dfg.items()):
        perf = performance[(a, b)]
        edges.append(
            {
                "from": a,
                "to": b,
                "count": int(count),
                "mean_s": round(float(perf["mean"]), 6),
                "median_s": round(float(perf["median"]), 6),
            }
        )
        assert not math.isnan(edges[-1]["mean_s"])
    return {
        "activities": {k: int(v) for k, v in sorted(activities.items())},
        "start": {k: int(v) for k, v in sorted(start.items())},
        "end": {k: int(v) for k, v in sorted(end.items())},
        "edges": edges,
    }


def main():
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(data.iterdir()):
        name = path.name
        if name.endswith(".xes") or name.endswith(".xes.gz"):
            result = figures(pm4py.read_xes(str(path)))
        elif name.endswith(".jsonocel"):
            ocel = pm4py.read_ocel2_json(str(path))
            types = sorted(ocel.objects[ocel.object_type_column].unique())
            result = {
                "object_types": {
                    t: figures(pm4py.ocel_flattening(ocel, t)) for t in types
                }
            }
        else:
            continue
        target = out / (name + ".json")
        target.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print("wrote", target)


if __name__ == "__main__":
    main()
