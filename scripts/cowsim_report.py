#!/usr/bin/python3
"""cowsim report: one self-contained HTML file with plots of a run folder or a sweep folder.

Run folder (cowsim run --out DIR): stats.json, histograms.json, timeseries.csv (optional,
--sample-interval), smaps/<label>/<pid>.smaps. Sweep folder: DIR/results.sqlite with the
tables points, axes, stats and meta (docs/reports.md). Plots are matplotlib SVG inlined in the
page: no network, no files next to it. Exit code 2 on bad input, with the file named.
Needs Debian's python3-matplotlib (scripts/install-deps.sh).
"""
import argparse
import csv
import html
import io
import json
import os
import sqlite3
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: smaller, selectable
matplotlib.rcParams["svg.hashsalt"] = "cowsim"  # same input, same SVG ids

DEFAULT_SWEEP_METRICS = [
    "kernel.fork_cycles",
    "kernel.faults.cow_copy.latency.p99",
    "sim.seconds",
    "sim.host_seconds",
]


class InputError(Exception):
    pass


def svg_of(fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog: it is inline


def figure(title, svg, note=""):
    n = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return f'<figure class="plot"><figcaption>{html.escape(title)}</figcaption>{svg}{n}</figure>'


def table(headers, rows):
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: line {e.lineno}: not JSON: {e.msg}")


def cdf_axes(ax, hist, label):
    edges, counts = hist["lower_edges"], hist["counts"]
    total = float(sum(counts))
    xs, ys, seen = [], [], 0
    for e, c in zip(edges, counts):
        xs.append(e)
        ys.append(seen / total)
        seen += c
        xs.append(e)
        ys.append(seen / total)
    ax.plot(xs, ys, label=f"{label} (n={int(total)})", drawstyle="default")


def cdf_plot(title, hists, unit="cycles"):
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, h in hists:
        cdf_axes(ax, h, label)
    ax.set_xscale("log")
    ax.set_xlabel(f"latency ({unit}, log scale)")
    ax.set_ylabel("fraction of samples")
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return figure(title, svg_of(fig))


def read_timeseries(path):
    rows = []
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        for lineno, row in enumerate(r, start=2):
            try:
                rows.append({k: (int(v) if v != "" else None) for k, v in row.items()})
            except (TypeError, ValueError):
                raise InputError(f"{path}: line {lineno}: a value is not an integer")
    if rows and not {"cycle", "pid", "Rss_kB", "Private_Dirty_kB"} <= set(rows[0]):
        raise InputError(f"{path}: line 1: missing one of the columns cycle, pid, Rss_kB, Private_Dirty_kB")
    return rows


def parse_smaps(path):
    """Totals of an smaps file's kB fields (Rss, Pss, Private_Dirty, ...)."""
    tot = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB" and parts[0].endswith(":"):
                k = parts[0][:-1]
                tot[k] = tot.get(k, 0) + int(parts[1])
    return tot


def run_report(d):
    stats = load_json(os.path.join(d, "stats.json"))
    hpath = os.path.join(d, "histograms.json")
    hists = load_json(hpath) if os.path.exists(hpath) else {}
    mhz = stats.get("sim", {}).get("cycles", 0) / max(stats.get("sim", {}).get("seconds", 0), 1e-30) / 1e6
    sections = []
    sim = stats.get("sim", {})
    scen = stats.get("scenario", {})
    head = [("simulated time", f"{sim.get('seconds', 0) * 1e3:.3f} ms ({sim.get('cycles', 0)} cycles)"),
            ("records / accesses", f"{sim.get('records', 0)} / {sim.get('accesses', 0)}"),
            ("host time", f"{sim.get('host_seconds', 0):.2f} s")]
    if scen:
        head.insert(0, ("scenario", scen.get("name", "")))
        for k, v in sorted(scen.get("results", {}).items()):
            if isinstance(v, (int, float)):
                head.append((f"scenario.{k}", v))
    sections.append("<h2>Run</h2>" + table(["", ""], head))

    plots = []
    faults = sorted((k.split(".")[2], v) for k, v in hists.items()
                    if k.startswith("kernel.faults.") and k.endswith(".latency") and v["counts"])
    if faults:
        plots.append(cdf_plot("Fault latency CDF by outcome", faults))
    walks = sorted((k.rsplit(".", 2)[0], v) for k, v in hists.items() if k.endswith("walker.latency") and v["counts"])
    if walks:
        plots.append(cdf_plot("Page-walk latency CDF per core", walks))
    spans = sorted((k[len("spans."):], v) for k, v in hists.items() if k.startswith("spans.") and v["counts"])
    if spans:
        plots.append(cdf_plot("Span latency CDFs", spans))
    sections.append("<h2>Latency</h2>" + "".join(plots) if plots else "<h2>Latency</h2><p>No latency histograms.</p>")
    if not spans:
        sections.append('<p class="note">No spans in this run (stats spans.*).</p>')

    # The CoW fault's step breakdown (kernel.faults.<outcome>.steps: mean cycles per step).
    steps = {o: f["steps"] for o, f in stats.get("kernel", {}).get("faults", {}).items()
             if isinstance(f, dict) and "steps" in f and f.get("latency", {}).get("count", 0)}
    cow = [o for o in ("cow_copy", "thp_copy", "hugetlb_copy", "zero_page_cow") if o in steps]
    if cow:
        names = [s for s in steps[cow[0]] if any(steps[o].get(s, 0) for o in cow)]
        fig, ax = plt.subplots(figsize=(7, 1.4 + 0.5 * len(cow)))
        left = [0.0] * len(cow)
        cmap = plt.get_cmap("tab20")
        for i, s in enumerate(names):
            vals = [steps[o].get(s, 0) for o in cow]
            ax.barh(cow, vals, left=left, label=s, color=cmap(i % 20))
            left = [a + b for a, b in zip(left, vals)]
        ax.set_xlabel("mean cycles per fault")
        ax.legend(fontsize=7, ncol=2, loc="center left", bbox_to_anchor=(1.01, 0.5))
        sections.append("<h2>Copy-on-write fault steps</h2>" + figure("Mean cycles per step of a CoW fault", svg_of(fig)))

    ts_path = os.path.join(d, "timeseries.csv")
    if os.path.exists(ts_path):
        rows = read_timeseries(ts_path)
        fig, ax = plt.subplots(figsize=(7, 3.6))
        pids = sorted({r["pid"] for r in rows if r["pid"] != 0})
        for i, pid in enumerate(pids):
            pr = [r for r in rows if r["pid"] == pid]
            t = [r["cycle"] / mhz / 1e3 for r in pr]
            c = f"C{i % 10}"
            ax.plot(t, [r["Rss_kB"] / 1024 for r in pr], color=c, label=f"pid {pid} Rss")
            ax.plot(t, [r["Private_Dirty_kB"] / 1024 for r in pr], color=c, ls="--", label=f"pid {pid} Private_Dirty")
        for f in stats.get("kernel", {}).get("forks", {}).values():
            x = f["start_cycle"] / mhz / 1e3
            ax.axvline(x, color="k", lw=0.8, ls=":")
            ax.annotate(f"fork {f['parent']}\u2192{f['child']}", (x, ax.get_ylim()[1] * 0.95), fontsize=8)
        ax.set_xlabel("simulated time (ms)")
        ax.set_ylabel("MiB")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        sections.append("<h2>Memory over time</h2>" + figure("Rss and Private_Dirty per process", svg_of(fig),
                                                             "From timeseries.csv; dotted lines: forks."))
    else:
        sections.append('<h2>Memory over time</h2><p class="note">No timeseries.csv: run with --sample-interval.</p>')

    smaps_dir = os.path.join(d, "smaps")
    snap_rows = []
    if os.path.isdir(smaps_dir):
        for label in sorted(os.listdir(smaps_dir)):
            for name in sorted(os.listdir(os.path.join(smaps_dir, label)), key=lambda n: (len(n), n)):
                t = parse_smaps(os.path.join(smaps_dir, label, name))
                snap_rows.append([label, name.split(".")[0]] + [t.get(k, 0) for k in
                                 ("Rss", "Pss", "Shared_Dirty", "Private_Dirty", "AnonHugePages")])
    if snap_rows:
        fig, ax = plt.subplots(figsize=(7, 0.8 + 0.45 * len(snap_rows)))
        labels = [f"{r[0]} pid {r[1]}" for r in snap_rows]
        ax.barh(labels, [r[5] / 1024 for r in snap_rows], label="Private_Dirty")
        ax.barh(labels, [r[4] / 1024 for r in snap_rows], left=[r[5] / 1024 for r in snap_rows], label="Shared_Dirty")
        ax.set_xlabel("MiB")
        ax.invert_yaxis()
        ax.legend(fontsize=8)
        sections.append("<h2>smaps snapshots</h2>" + figure("Dirty memory per snapshot", svg_of(fig)) +
                        table(["snapshot", "pid", "Rss kB", "Pss kB", "Shared_Dirty kB", "Private_Dirty kB",
                               "AnonHugePages kB"], snap_rows))
    return f"cowsim run {os.path.basename(os.path.abspath(d))}", sections


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def sweep_report(d, metrics):
    path = os.path.join(d, "results.sqlite")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        axes = db.execute("SELECT position, name, column_name FROM axes ORDER BY position").fetchall()
        cols = [c[1] for c in db.execute("PRAGMA table_info(points)")]
        points = [dict(zip(cols, r)) for r in db.execute("SELECT * FROM points ORDER BY id")]
        stats = {}
        for p, k, v in db.execute("SELECT point, key, value FROM stats"):
            stats.setdefault(p, {})[k] = v
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error as e:
        raise InputError(f"{path}: not a cowsim sweep database: {e}")
    for _, name, col in axes:
        if col not in cols:
            raise InputError(f"{path}: axis '{name}' names column '{col}', which table points does not have")
    keys = {k for s in stats.values() for k in s}
    if metrics:
        missing = [m for m in metrics if m not in keys]
        if missing:
            raise InputError(f"--metrics: no point has the statistic(s) {', '.join(missing)}")
    else:
        metrics = [m for m in DEFAULT_SWEEP_METRICS if m in keys] or sorted(keys)[:4]
    ok = [p for p in points if p.get("status") == "done"]
    sections = []
    if meta:
        sections.append("<h2>Sweep</h2>" + table(["", ""], sorted(meta.items())))
    plots = []
    for m in metrics:
        for _, name, col in axes:
            others = [(n, c) for _, n, c in axes if c != col]
            groups = {}
            for p in ok:
                if m not in stats.get(p["id"], {}):
                    continue
                g = tuple(p[c] for _, c in others)
                groups.setdefault(g, []).append((p[col], stats[p["id"]][m]))
            if not groups:
                continue
            fig, ax = plt.subplots(figsize=(6.5, 3.4))
            numeric = all(num(x) is not None for pts in groups.values() for x, _ in pts)
            cats = sorted({str(x) for pts in groups.values() for x, _ in pts})
            for g, pts in sorted(groups.items(), key=lambda kv: str(kv[0])):
                pts.sort(key=lambda xv: num(xv[0]) if numeric else cats.index(str(xv[0])))
                xs = [num(x) if numeric else cats.index(str(x)) for x, _ in pts]
                lab = ", ".join(f"{n}={v}" for (n, _), v in zip(others, g)) or m
                ax.plot(xs, [v for _, v in pts], marker="o", label=lab)
            if not numeric:
                ax.set_xticks(range(len(cats)))
                ax.set_xticklabels(cats, rotation=20, fontsize=8)
            ax.set_xlabel(name)
            ax.set_ylabel(m)
            ax.grid(True, alpha=0.3)
            if len(groups) > 1 or others:
                ax.legend(fontsize=7)
            plots.append(figure(f"{m} against {name}", svg_of(fig)))
    sections.append("<h2>Metrics against axes</h2>" + ("".join(plots) or "<p>No finished points to plot.</p>"))
    headers = ["id"] + [n for _, n, _ in axes] + ["status", "exit code", "host s", "peak RSS KiB"] + metrics
    rows = [[p["id"]] + [p[c] for _, _, c in axes] +
            [p.get("status"), p.get("exit_code"), p.get("host_seconds"), p.get("peak_rss_kib")] +
            [stats.get(p["id"], {}).get(m, "") for m in metrics] for p in points]
    sections.append("<h2>Points</h2>" + table(headers, rows))
    return f"cowsim sweep {os.path.basename(os.path.abspath(d))}", sections


STYLE = """body{font-family:sans-serif;max-width:60em;margin:1em auto;color:#222}
figure.plot{margin:1em 0;border:1px solid #ddd;padding:.5em}figcaption{font-weight:bold}
figure.plot svg{max-width:100%;height:auto}table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}.note{color:#666;font-size:.85em}
#verdict{font-size:.8em;color:#666}"""

# Counts the plots that have a drawn, non-empty image; a browser test reads #verdict.
CHECK = """<script>
window.cowsimErrors=[];window.addEventListener('error',function(e){cowsimErrors.push(String(e.message))});
window.addEventListener('load',function(){var figs=document.querySelectorAll('figure.plot'),good=0;
for(var i=0;i<figs.length;i++){var s=figs[i].querySelector('svg');if(!s)continue;var b=s.getBoundingClientRect();
if(b.width>50&&b.height>50&&s.querySelectorAll('path,use,rect').length>0)good++;}
var v=document.getElementById('verdict');v.setAttribute('data-plots',figs.length);v.setAttribute('data-good',good);
v.textContent=(good===figs.length&&cowsimErrors.length===0?'RENDER-OK ':'RENDER-BAD ')+good+'/'+figs.length+' plots drawn'+
(cowsimErrors.length?'; errors: '+cowsimErrors.join('; '):'');});
</script>"""


def main(argv):
    ap = argparse.ArgumentParser(prog="cowsim report", description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="a run folder (stats.json) or a sweep folder (results.sqlite)")
    ap.add_argument("-o", "--output", default="report.html", help="HTML file to write")
    ap.add_argument("--metrics", help="sweep: statistics to plot, comma-separated (flattened keys)")
    a = ap.parse_args(argv)
    try:
        if os.path.exists(os.path.join(a.dir, "results.sqlite")):
            title, sections = sweep_report(a.dir, [m for m in (a.metrics or "").split(",") if m])
        elif os.path.exists(os.path.join(a.dir, "stats.json")):
            title, sections = run_report(a.dir)
        else:
            raise InputError(f"{a.dir}: neither a run folder (stats.json) nor a sweep folder (results.sqlite)")
    except InputError as e:
        print(f"cowsim report: {e}", file=sys.stderr)
        return 2
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style>{CHECK}</head><body><h1>{html.escape(title)}</h1>" + "".join(sections) +
            "<p id='verdict'></p></body></html>\n")
    tmp = a.output + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(page)
        os.replace(tmp, a.output)
    except OSError as e:
        print(f"cowsim report: {a.output}: cannot write: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
