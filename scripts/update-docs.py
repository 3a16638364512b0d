#!/usr/bin/env python3
"""Regenerates the parts of docs/ that come from the code (parameter, scenario and statistics tables)."""
import pathlib
import re
import subprocess
import sys

cowsim = sys.argv[1]
doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
table = subprocess.run([cowsim, "params", "--preset", "default", "--markdown"], check=True,
                       capture_output=True, text=True).stdout
text = doc.read_text()
text = re.sub(r"(<!-- params:begin -->\n).*?(<!-- params:end -->)", lambda m: m.group(1) + table + m.group(2),
              text, flags=re.S)
doc.write_text(text)

# The scenario reference: every built-in scenario and its parameters.
scen_doc = doc.parent / "scenarios.md"
table = subprocess.run([cowsim, "scenarios", "--markdown"], check=True, capture_output=True, text=True).stdout
text = scen_doc.read_text()
text = re.sub(r"(<!-- scenarios:begin -->\n).*?(<!-- scenarios:end -->)", lambda m: m.group(1) + table + m.group(2),
              text, flags=re.S)
scen_doc.write_text(text)

# The statistics reference: every statistic a run writes, from a run of the default scenario.
import json
import tempfile

stats_doc = doc.parent / "statistics.md"
with tempfile.TemporaryDirectory() as out:
    subprocess.run([cowsim, "run", "--scenario", "fork-cow", "--param", "heap=4M", "-q", "--out", out], check=True)
    lines = pathlib.Path(out, "stats.txt").read_text().splitlines()
rows = {}
for line in lines:
    path, rest = line.split(" ", 1)
    desc = rest.split(" # ", 1)[1]
    unit = ""
    if desc.endswith(")") and " (" in desc:
        desc, unit = desc[:-1].rsplit(" (", 1)
    path = re.sub(r"^processes\.\d+\.", "processes.<pid>.", path)
    path = re.sub(r"^cores\.\d+\.", "cores.<n>.", path)
    path = re.sub(r"^kernel\.faults\.[a-z_]+\.", "kernel.faults.<outcome>.", path)
    path = re.sub(r"^kernel\.forks\.\d+\.", "kernel.forks.<i>.", path)
    path = re.sub(r"\.faults_by_error_code\.0x[0-9a-f]+$", ".faults_by_error_code.<code>", path)
    rows.setdefault(path, (unit, desc))
table = "| statistic | unit | description |\n|---|---|---|\n"
table += "".join(f"| `{p}` | {u} | {d} |\n" for p, (u, d) in rows.items())
text = stats_doc.read_text()
text = re.sub(r"(<!-- stats:begin -->\n).*?(<!-- stats:end -->)", lambda m: m.group(1) + table + m.group(2),
              text, flags=re.S)
stats_doc.write_text(text)
