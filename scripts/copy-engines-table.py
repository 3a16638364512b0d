#!/usr/bin/env python3
"""docs/exploration.md, "Copy engines" and "Line-granular copy-on-write": runs scenarios once per
copy engine (or per CoW granularity) and prints the markdown tables.

  scripts/copy-engines-table.py [--granularity] [-j N] COWSIM OUTDIR SCENARIO[:K=V,...]...

Without --granularity: one row per copy engine (ENGINES), page granularity: fork, CoW fault
latency and its copy step, CoW time summed over faults, RowClone modes, and for scenarios with
SETs (redis-bgsave) the SET latency during the save.
With --granularity: one row per granularity x engine (GRANULARITY): fork, CoW time (faults plus
the overlay work outside faults), SET latency during the save, peak memory and the extra over
the heap/dataset, overlay storage.

Each run is `COWSIM run --scenario S --param K=V ... [--set options] -o OUTDIR/NAME`; a run whose
OUTDIR/NAME/command.txt holds the same command and whose stats.json exists is not run again, so
the tables can be re-printed (or extended) without re-running. -j runs N simulations at once.
"""
import concurrent.futures
import json
import pathlib
import subprocess
import sys

ENGINE_SETS = {
    "cpu_nt": [],
    "cpu": ["kernel.copy.engine=cpu"],
    "dma (poll)": ["kernel.copy.engine=dma"],
    "dma (sleep)": ["kernel.copy.engine=dma", "kernel.copy.dma_wait=sleep"],
    "rowclone": ["kernel.copy.engine=rowclone"],
    "rowclone + same_subarray": ["kernel.copy.engine=rowclone", "kernel.alloc.policy=same_subarray"],
    "rowclone + same_subarray + subarray_low": ["kernel.copy.engine=rowclone", "kernel.alloc.policy=same_subarray",
                                                "memory.dram.map.subarray_low=true"],
}
ENGINES = {name: [x for s in sets for x in ("--set", s)] for name, sets in ENGINE_SETS.items()}

# Granularity rows: the default engine and the fastest in-DRAM placement (conversions of
# overlays copy pages with the engine; overlay-on-write of a line does not).
GRANULARITY = {
    (g, e): ENGINES[e] + (["--set", "kernel.cow.granularity=line"] if g == "line" else [])
    for g in ("page", "line") for e in ("cpu_nt", "rowclone + same_subarray + subarray_low")
}


def slug(text):
    return text.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "plus").replace(",", "-") \
        .replace("=", "").replace(":", "-")


def run(cowsim, out, scenario, params, extra):
    cmd = [cowsim, "run", "--scenario", scenario, *params, *extra, "-o", str(out)]
    stamp = out / "command.txt"
    if not (stamp.exists() and stamp.read_text() == " ".join(cmd) and (out / "stats.json").exists()):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        stamp.write_text(" ".join(cmd))
    return json.loads((out / "stats.json").read_text())


def set_latency(s):
    """'p50 / p99 / p99.9' of the SETs that arrived during the save (µs), or None."""
    lat = s["scenario"]["results"].get("set_latency_usec")
    if not lat:
        return None
    d = lat["during"]
    return f"{d['p50']:,.1f} / {d['p99']:,.1f} / {d['p999']:,.1f}"


def cow_cycles(s):
    """Cycles the processes spent on copy-on-write: CoW faults, plus overlay work outside faults."""
    k = s["kernel"]
    f = k["faults"]["cow_copy"]["latency"]
    return f["count"] * f["mean"] + k.get("overlay", {}).get("access_cycles", 0)


def mib(b):
    return f"{b / 2**20:,.2f}"


def engines_table(specs, runs):
    for spec, params in specs:
        rows = runs[spec]
        has_sets = set_latency(rows[0][1]) is not None
        print(f"\n{spec.partition(':')[0]} ({spec.partition(':')[2]}):\n")
        head = ["engine", "fork (us)", "CoW faults", "CoW fault mean (cycles)", "copy step mean (cycles)",
                "copy step vs cpu_nt", "CoW faults total (ms)", "FPM / PSM / CPU pages", "same-subarray hits"]
        if has_sets:
            head.append("SET during save p50 / p99 / p99.9 (us)")
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        base = None
        for name, s in rows:
            k = s["kernel"]
            f = k["faults"]["cow_copy"]
            n, mean, copy = f["latency"]["count"], f["latency"]["mean"], f["steps"]["copy"]
            fork_us = sum(v["cycles"] for v in k["forks"].values()) / 3000
            base = base or copy
            rc = k.get("copy_engine", {}).get("rowclone")
            modes = f"{rc['fpm']['pages']} / {rc['psm']['pages']} / {rc['cpu']['pages']}" if rc else "-"
            hits = k.get("alloc", {}).get("same_subarray_hits", "-")
            cells = [name, f"{fork_us:.1f}", n, f"{mean:.0f}", f"{copy:.0f}", f"{base / copy:.2f}x",
                     f"{n * mean / 3e6:.2f}", modes, hits]
            if has_sets:
                cells.append(set_latency(s))
            print("| " + " | ".join(str(c) for c in cells) + " |")
        print()


def granularity_table(specs, runs):
    for spec, params in specs:
        rows = runs[spec]
        has_sets = set_latency(rows[0][1]) is not None
        print(f"\n{spec.partition(':')[0]} ({spec.partition(':')[2]}):\n")
        head = ["granularity", "engine", "fork (us)", "CoW faults", "CoW time (ms)", "peak memory (MiB)",
                "extra over the heap (MiB)", "overlay peak (MiB)", "conversions"]
        if has_sets:
            head.insert(5, "SET during save p50 / p99 / p99.9 (us)")
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for (g, e), s in rows:
            k = s["kernel"]
            p = s["scenario"]["params"]
            heap = p.get("dataset", p.get("heap", 0))
            peak = k["memory"]["frames_peak"] * 4096
            ov = k.get("overlay")
            fork_us = sum(v["cycles"] for v in k["forks"].values()) / 3000
            cells = [g, e, f"{fork_us:.1f}", k["faults"]["cow_copy"]["latency"]["count"],
                     f"{cow_cycles(s) / 3e6:,.2f}", mib(peak), mib(peak - heap),
                     mib(ov["bytes_peak"]) if ov else "-", ov["conversions"] if ov else "-"]
            if has_sets:
                cells.insert(5, set_latency(s))
            print("| " + " | ".join(str(c) for c in cells) + " |")
        print()


def main(argv):
    gran = "--granularity" in argv
    argv = [a for a in argv if a != "--granularity"]
    jobs = 1
    for i, a in enumerate(argv):
        if a.startswith("-j"):
            jobs = int(a[2:] or argv[i + 1])
            del argv[i:i + (1 if a[2:] else 2)]
            break
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cowsim, outdir = argv[0], pathlib.Path(argv[1])
    specs = []
    for spec in argv[2:]:
        scenario, _, ps = spec.partition(":")
        specs.append((spec, [scenario, [x for p in ps.split(",") if p for x in ("--param", p)]]))
    variants = GRANULARITY if gran else ENGINES
    work = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for spec, (scenario, params) in specs:
            for key, extra in variants.items():
                # A page-granularity row is the engines table's run (same command, reused).
                label = key[1] if gran and key[0] == "page" else "-".join(key) if gran else key
                out = outdir / slug(f"{spec}-{label}")
                out.mkdir(parents=True, exist_ok=True)
                work[(spec, key)] = pool.submit(run, cowsim, out, scenario, params, extra)
    runs = {spec: [(key, work[(spec, key)].result()) for key in variants] for spec, _ in specs}
    (granularity_table if gran else engines_table)(specs, runs)
    for spec, (scenario, params) in specs:
        print(f"{spec}: `cowsim run --scenario {scenario} {' '.join(params)} [--set options of the row] -o DIR`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
