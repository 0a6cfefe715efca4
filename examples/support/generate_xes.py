#!/usr/bin/env python3
"""Writes a XES log shaped like `examples/bench_import.rs`'s (and like the
shared real logs: string, date and int attributes, 6-14 events per trace),
without building that example: `generate_xes.py OUT.xes [EVENTS]` (250,000 by
default). Seeded, so the same arguments give the same file. Used by the
import figures in PERFORMANCE.md."""

import random
import sys
from datetime import datetime, timezone

ACTIVITIES = [
    "Assign seriousness", "Take in charge ticket", "Wait", "Resolve ticket", "Closed",
    "Require upgrade", "Insert ticket", "Create SW anomaly", "Schedule intervention",
    "VERIFIED", "RESOLVED", "INVALID", "DUPLICATE", "Resolve SW anomaly",
]


def main():
    out_path = sys.argv[1]
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 250_000
    rng = random.Random(7)
    written = 0
    case = 0
    start = 1_349_794_217  # 2012-10-09
    with open(out_path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8" ?>\n')
        out.write('<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n')
        out.write('\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext" />\n')
        out.write('\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext" />\n')
        out.write('\t<string key="concept:name" value="generated helpdesk" />\n')
        while written < events:
            case += 1
            length = min(rng.randint(6, 14), events - written)
            parts = ["\t<trace>\n", f'\t\t<string key="concept:name" value="Case {case}" />\n',
                     f'\t\t<string key="customer" value="Value {rng.randrange(1, 400)}" />\n']
            at = start
            for index in range(length):
                activity = ACTIVITIES[0] if index == 0 else ACTIVITIES[rng.randrange(len(ACTIVITIES))]
                time = datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                parts.append("\t\t<event>\n")
                parts.append(f'\t\t\t<string key="concept:name" value="{activity}" />\n')
                parts.append(f'\t\t\t<string key="org:resource" value="Value {rng.randrange(1, 30)}" />\n')
                parts.append(f'\t\t\t<date key="time:timestamp" value="{time}" />\n')
                parts.append('\t\t\t<string key="lifecycle:transition" value="complete" />\n')
                parts.append(f'\t\t\t<int key="priority" value="{rng.randrange(1, 5)}" />\n')
                for key in ["product", "seriousness", "service_level", "workgroup"]:
                    parts.append(f'\t\t\t<string key="{key}" value="Value {rng.randrange(1, 12)}" />\n')
                parts.append("\t\t</event>\n")
                at += rng.randrange(60, 200_000)
            parts.append("\t</trace>\n")
            out.write("".join(parts))
            written += length
            start += rng.randrange(60, 4_000)
        out.write("</log>\n")
    print(f"{written} events, {case} traces")


if __name__ == "__main__":
    main()
