"""The figures pm4py reads from event logs, as JSON: the reference the import
and export tests compare against (crates/core/tests/core/data/pm4py_figures.json).

    /work/venv-pm4py/bin/python examples/support/pm4py_figures.py ../shared/data > OUT.json
    /work/venv-pm4py/bin/python examples/support/pm4py_figures.py FILE... > OUT.json

For a case-centric log (XES, CSV): cases, events, distinct activities, variants
(distinct activity sequences). For an object-centric log (OCEL 2.0 JSON, XML,
SQLite; OCEL 1.0 JSON, XML): events, objects, object types, distinct
activities, event-to-object relations. CSV is read as pm4py's documentation
does: pandas.read_csv, then format_dataframe with the XES column names.
"""

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import io, contextlib

with contextlib.redirect_stdout(io.StringIO()):
    import pandas as pd
    import pm4py


def case_figures(df):
    df = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    variants = df.groupby("case:concept:name", sort=False)["concept:name"].agg(tuple)
    return {
        "cases": int(df["case:concept:name"].nunique()),
        "events": int(len(df)),
        "activities": int(df["concept:name"].nunique()),
        "variants": int(variants.nunique()),
    }


def ocel_figures(ocel):
    return {
        "events": int(len(ocel.events)),
        "objects": int(len(ocel.objects)),
        "object_types": int(ocel.objects["ocel:type"].nunique()),
        "activities": int(ocel.events["ocel:activity"].nunique()),
        "relations": int(len(ocel.relations)),
    }


def figures(path):
    name = os.path.basename(path).lower()
    if name.endswith(".xes") or name.endswith(".xes.gz"):
        log = pm4py.read_xes(path, return_legacy_log_object=False)
        return "xes", case_figures(log)
    if name.endswith(".csv"):
        df = pd.read_csv(path)
        df = pm4py.format_dataframe(
            df, case_id="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp"
        )
        return "csv", case_figures(df)
    if name.endswith(".jsonocel") or name.endswith(".json"):
        with open(path) as f:
            head = f.read(4096)
        if '"ocel:' in head:
            return "ocel", ocel_figures(pm4py.read_ocel(path))
        return "ocel", ocel_figures(pm4py.read_ocel2_json(path))
    if name.endswith(".xmlocel") or name.endswith(".xml"):
        with open(path) as f:
            head = f.read(4096)
        if "<global" in head:
            return "ocel", ocel_figures(pm4py.read_ocel(path))
        return "ocel", ocel_figures(pm4py.read_ocel2_xml(path))
    if name.endswith(".sqlite"):
        return "ocel", ocel_figures(pm4py.read_ocel2_sqlite(path))
    return None, None


def main(arguments):
    paths = []
    for argument in arguments:
        if os.path.isdir(argument):
            paths += [os.path.join(argument, n) for n in sorted(os.listdir(argument))]
        else:
            paths.append(argument)
    result = {}
    for path in paths:
        with contextlib.redirect_stdout(io.StringIO()):
            kind, values = figures(path)
        if kind is not None:
            result[os.path.basename(path)] = {"kind": kind, **values}
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
