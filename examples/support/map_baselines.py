"""The baselines of the process map benchmark (`examples/bench_map.rs`): the
time of a directly-follows map of an XES log in pm4py or rust4pm, the log
already read (reading is excluded), best of `RUNS` runs. Prints one line of
JSON: {"library", "seconds", "runs", "edges"}.

    /work/venv-pm4py/bin/python examples/support/map_baselines.py pm4py LOG.xes
    /work/venv-r4pm/bin/python examples/support/map_baselines.py r4pm LOG.xes

pm4py: `discover_dfg` + `discover_performance_dfg` on the data frame
`read_xes` gives (frequencies, start and end activities, and the durations'
mean, median and more). rust4pm (`pip install r4pm`): its frequency-only
`discover_dfg` on the event log it imported into its registry.
"""

import json
import sys
import time

RUNS = 3


def best(work):
    times = []
    result = None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    library, path = sys.argv[1], sys.argv[2]
    if library == "pm4py":
        import pm4py

        log = pm4py.read_xes(path)

        def work():
            dfg, start, end = pm4py.discover_dfg(log)
            performance, _, _ = pm4py.discover_performance_dfg(log)
            return len(dfg)

        seconds, edges = best(work)
    elif library == "r4pm":
        import r4pm

        log = r4pm.import_item("EventLog", path)

        def work():
            dfg = r4pm.bindings.discover_dfg(log)
            return dfg

        seconds, dfg = best(work)
        edges = len(dfg.get("directly_follows_relations", dfg)) if isinstance(dfg, dict) else None
    else:
        raise SystemExit(f"unknown library {library!r} (pm4py or r4pm)")
    print(json.dumps({"library": library, "seconds": seconds, "runs": RUNS, "edges": edges}))


if __name__ == "__main__":
    main()
