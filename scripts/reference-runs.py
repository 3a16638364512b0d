#!/usr/bin/env python3
"""Whole-run equivalence check (docs/performance.md): runs a fixed set of traces and scenarios
under several configurations and keeps each stats.json with its host-time entries removed.

  scripts/reference-runs.py run COWSIM OUTDIR [--quick] [--check]   # record the reference set
                                                        # (--check: cowsim run --check)
  scripts/reference-runs.py compare DIR_A DIR_B           # exit 1 and list what differs

Record once with the binary before a change and once after; a change that must keep the
statistics bit-identical compares equal on every run."""
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

CONFIGS = {
    "default": [],
    "zen3": ["--preset", "zen3"],
    "icelake": ["--preset", "icelake-sp"],
    "cores2": ["--set", "cores=2"],
    "window8": ["--set", "core.window=8"],
    "pcid": ["--set", "tlb.pcid=true"],
    "tiny-tlb": ["--preset", "tiny-tlb"],
    "thp-always": ["--set", "kernel.thp.enabled=always"],
}

SCENARIOS = {
    "fork-cow": ["--param", "heap=8M"],
    "touch-read": ["--scenario", "touch", "--param", "size=2M", "--param", "write=false"],
    "redis-uniform": ["--scenario", "redis-bgsave", "--param", "dataset=16M", "--param", "write_rate=200000"],
    "redis-zipf-thp": ["--scenario", "redis-bgsave", "--param", "dataset=16M", "--param", "distribution=zipf",
                       "--param", "thp=on", "--param", "write_rate=200000"],
    "fork-exec": ["--scenario", "fork-exec", "--param", "heap=8M"],
    "prefork": ["--scenario", "prefork-server", "--param", "heap=8M", "--param", "requests=200"],
    "full-copy": ["--scenario", "full-copy", "--param", "heap=8M"],
    "thp-one-byte": ["--scenario", "thp-one-byte"],
    "drill-half": ["--scenario", "drill-half", "--param", "heap=16M"],
    "dontfork": ["--scenario", "dontfork"],
    "wipeonfork": ["--scenario", "wipeonfork"],
}


def strip_host(o):
    if isinstance(o, dict):
        return {k: strip_host(v) for k, v in o.items() if "host" not in k}
    if isinstance(o, list):
        return [strip_host(v) for v in o]
    return o


def inputs(quick):
    traces = sorted((ROOT / "testbenches/validation/scenarios").glob("*.cwt"))
    traces += sorted((ROOT / "traces/examples").glob("*.cwt"))
    for t in traces:
        yield "trace-" + t.stem, [str(t)]
    for name, args in SCENARIOS.items():
        a = list(args)
        if "--scenario" not in a:
            a = ["--scenario", "fork-cow"] + a
        yield "scen-" + name, a


def run(cowsim, outdir, quick, check=False):
    out = pathlib.Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    configs = {"default": []} if quick else CONFIGS
    failures = 0
    for name, args in inputs(quick):
        for cname, cargs in configs.items():
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [cowsim, "run"] + args + cargs + ["--out", tmp + "/o"] + (["--check"] if check else [])
                p = subprocess.run(cmd, capture_output=True, text=True)
                target = out / f"{name}@{cname}.json"
                if p.returncode != 0:
                    # A scenario that does not fit a configuration is recorded as its exit code.
                    target.write_text(json.dumps({"exit": p.returncode, "stderr": p.stderr[-400:]}, indent=1))
                    failures += 1
                    continue
                stats = json.loads(pathlib.Path(tmp, "o", "stats.json").read_text())
                target.write_text(json.dumps(strip_host(stats), indent=1, sort_keys=True))
    print(f"{len(list(out.glob('*.json')))} runs recorded in {out} ({failures} exited non-zero)")


def compare(a, b):
    a, b = pathlib.Path(a), pathlib.Path(b)
    names = sorted({p.name for p in a.glob("*.json")} | {p.name for p in b.glob("*.json")})
    bad = []
    for n in names:
        pa, pb = a / n, b / n
        if not pa.exists() or not pb.exists():
            bad.append(f"{n}: only in {'B' if not pa.exists() else 'A'}")
        elif pa.read_text() != pb.read_text():
            bad.append(f"{n}: differs (diff {pa} {pb})")
    for line in bad:
        print(line)
    print(f"{len(names) - len(bad)} of {len(names)} runs identical")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], "--quick" in sys.argv, "--check" in sys.argv)
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
