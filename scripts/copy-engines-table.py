#!/usr/bin/env python3
"""docs/exploration.md, "Copy engines": runs scenarios once per copy engine and prints the
markdown table (fork, CoW fault latency and its copy step, CoW time summed over faults).

  scripts/copy-engines-table.py COWSIM OUTDIR [SCENARIO:--param K=V,...]...
"""
import json
import pathlib
import subprocess
import sys

ENGINES = {
    "cpu_nt": [],
    "cpu": ["--set", "kernel.copy.engine=cpu"],
    "dma (poll)": ["--set", "kernel.copy.engine=dma"],
    "dma (sleep)": ["--set", "kernel.copy.engine=dma", "--set", "kernel.copy.dma_wait=sleep"],
    "rowclone": ["--set", "kernel.copy.engine=rowclone"],
    "rowclone + same_subarray": ["--set", "kernel.copy.engine=rowclone", "--set", "kernel.alloc.policy=same_subarray"],
    "rowclone + same_subarray + subarray_low": ["--set", "kernel.copy.engine=rowclone", "--set",
                                                 "kernel.alloc.policy=same_subarray", "--set",
                                                 "memory.dram.map.subarray_low=true"],
}


def run(cowsim, out, scenario, params, extra):
    cmd = [cowsim, "run", "--scenario", scenario, *params, *extra, "-o", str(out)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return cmd, json.loads((out / "stats.json").read_text())


def main():
    cowsim, outdir = sys.argv[1], pathlib.Path(sys.argv[2])
    specs = sys.argv[3:] or ["drill-write:heap=1G", "full-copy:heap=256M"]
    for spec in specs:
        scenario, _, ps = spec.partition(":")
        params = [x for p in ps.split(",") if p for x in ("--param", p)]
        print(f"\n{scenario} ({ps}):\n")
        print("| engine | fork (us) | CoW faults | CoW fault mean (cycles) | copy step mean (cycles) | "
              "copy step vs cpu_nt | CoW faults total (ms) | FPM / PSM / CPU pages | same-subarray hits |")
        print("|---|---|---|---|---|---|---|---|---|")
        base = None
        for name, extra in ENGINES.items():
            out = outdir / f"{scenario}-{ps.replace('=', '').replace(',', '-')}-{name.replace(' ', '_').replace('(', '').replace(')', '').replace('+', 'plus')}"
            cmd, s = run(cowsim, out, scenario, params, extra)
            k = s["kernel"]
            f = k["faults"]["cow_copy"]
            n, mean, copy = f["latency"]["count"], f["latency"]["mean"], f["steps"]["copy"]
            fork_us = sum(v["cycles"] for v in k["forks"].values()) / 3000
            base = base or copy
            rc = k.get("copy_engine", {}).get("rowclone")
            modes = f"{rc['fpm']['pages']} / {rc['psm']['pages']} / {rc['cpu']['pages']}" if rc else "-"
            hits = k.get("alloc", {}).get("same_subarray_hits", "-")
            print(f"| {name} | {fork_us:.1f} | {n} | {mean:.0f} | {copy:.0f} | {base / copy:.2f}x | "
                  f"{n * mean / 3e6:.2f} | {modes} | {hits} |")
        print("\nCommands: `" + " ".join(["cowsim", "run", "--scenario", scenario, *params]) +
              " [engine --set options above] -o DIR`")


if __name__ == "__main__":
    main()
