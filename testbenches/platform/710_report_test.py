#!/usr/bin/python3
"""cowsim report: HTML of a run folder and of a sweep database, checked in headless Chromium.

Usage: 710_report_test.py COWSIM_BINARY. Each report is opened in Debian's chromium: the page's
own check (an inline script) counts the plots whose SVG has a drawn size and shapes and writes
a verdict into #verdict, read back with --dump-dom; a screenshot must be a non-blank PNG.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

COWSIM = None
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(html_path, tmp, *args):
    profile = tempfile.mkdtemp(dir=tmp, prefix="profile-")
    r = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, "file://" + html_path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r


def verdict(html_path, tmp):
    dom = chromium(html_path, tmp, "--virtual-time-budget=5000", "--dump-dom").stdout.decode()
    m = re.search(r'<p id="verdict" data-plots="(\d+)" data-good="(\d+)">([^<]*)</p>', dom)
    return m and (int(m.group(1)), int(m.group(2)), m.group(3))


def read(path):
    with open(path) as f:
        return f.read()


def make_sweep_fixture(d):
    """The sweep database contract (docs/reports.md): 2 x 2 points over stlb.entries x fork, one failed."""
    os.makedirs(d)
    db = sqlite3.connect(os.path.join(d, "results.sqlite"))
    db.executescript("""
      CREATE TABLE points(id TEXT PRIMARY KEY, status TEXT, exit_code INTEGER, host_seconds REAL,
        peak_rss_kib INTEGER, stderr_tail TEXT, config_json TEXT, out_dir TEXT, ax_stlb INTEGER, ax_fork TEXT);
      CREATE TABLE axes(position INTEGER PRIMARY KEY, name TEXT, column_name TEXT);
      CREATE TABLE stats(point TEXT, key TEXT, value REAL, PRIMARY KEY(point, key));
      CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
      INSERT INTO axes VALUES (0, 'tlb.stlb.entries', 'ax_stlb'), (1, 'kernel.fork', 'ax_fork');
      INSERT INTO meta VALUES ('spec', 'study.yaml'), ('cowsim_version', '0.1.0');
    """)
    points = [("p1", "done", 0, 512, "classic", 100.0), ("p2", "done", 0, 1536, "classic", 80.0),
              ("p3", "done", 0, 512, "odf", 30.0), ("p4", "done", 0, 1536, "odf", 25.0),
              ("p5", "failed", 2, 3072, "odf", None)]
    for pid, status, code, stlb, fork, fork_cycles in points:
        db.execute("INSERT INTO points VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (pid, status, code, 1.5, 20000, "" if code == 0 else "bad value", "{}", "points/" + pid, stlb, fork))
        if fork_cycles is not None:
            db.execute("INSERT INTO stats VALUES (?,?,?)", (pid, "kernel.fork_cycles", fork_cycles))
            db.execute("INSERT INTO stats VALUES (?,?,?)", (pid, "sim.seconds", fork_cycles / 1e3))
    db.commit()
    db.close()


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cowsim-690-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.run_dir = os.path.join(cls.tmp, "run")
        r = subprocess.run([COWSIM, "run", "-q", "--out", cls.run_dir, "--sample-interval", "100us"],
                           stderr=subprocess.PIPE)
        assert r.returncode == 0, r.stderr

    def report(self, src, out, *extra):
        return subprocess.run([COWSIM, "report", src, "-o", out, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def test_run_report_renders_every_plot_in_chromium(self):
        out = os.path.join(self.tmp, "run.html")
        r = self.report(self.run_dir, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        page = read(out)
        self.assertNotRegex(page, r'(src|href)="https?:')  # self-contained: nothing fetched
        for title in ("Fault latency CDF by outcome", "Page-walk latency CDF per core", "Mean cycles per step of a CoW fault",
                      "Rss and Private_Dirty per process", "Dirty memory per snapshot"):
            self.assertIn(title, page)
        self.assertIn("fork 1\u21922", page)  # the fork marked on the memory plot
        self.assertIn("No spans in this run", page)
        self.assertEqual(verdict(out, self.tmp), (5, 5, "RENDER-OK 5/5 plots drawn"))
        png = os.path.join(self.tmp, "run.png")
        chromium(out, self.tmp, "--window-size=1000,2400", f"--screenshot={png}")
        with open(png, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(data), 20000)  # a blank 1000x2400 page compresses to a few kB

    def test_a_broken_plot_is_caught_by_the_page_check(self):
        out = os.path.join(self.tmp, "broken.html")
        self.assertEqual(self.report(self.run_dir, out).returncode, 0)
        page = read(out)
        # Empty the first plot's SVG: the check must say so.
        start = page.index("<svg")
        end = page.index("</svg>", start) + len("</svg>")
        with open(out, "w") as f:
            f.write(page[:start] + '<svg width="0" height="0"></svg>' + page[end:])
        plots, good, text = verdict(out, self.tmp)
        self.assertEqual((plots, good), (5, 4))
        self.assertTrue(text.startswith("RENDER-BAD"))

    def test_sweep_report_plots_each_metric_against_each_axis(self):
        d = os.path.join(self.tmp, "sweep")
        make_sweep_fixture(d)
        out = os.path.join(self.tmp, "sweep.html")
        r = self.report(d, out, "--metrics", "kernel.fork_cycles,sim.seconds")
        self.assertEqual(r.returncode, 0, r.stderr)
        page = read(out)
        # 2 metrics x 2 axes = 4 plots; against stlb one line per fork strategy and vice versa.
        for title in ("kernel.fork_cycles against tlb.stlb.entries", "kernel.fork_cycles against kernel.fork",
                      "sim.seconds against tlb.stlb.entries", "sim.seconds against kernel.fork"):
            self.assertIn(title, page)
        self.assertIn("kernel.fork=classic", page)
        self.assertIn("tlb.stlb.entries=1536", page)
        self.assertIn("<td>p5</td><td>3072</td><td>odf</td><td>failed</td><td>2</td>", page)  # the table keeps failures
        self.assertEqual(verdict(out, self.tmp), (4, 4, "RENDER-OK 4/4 plots drawn"))

    def test_sweep_default_metrics_and_bad_input(self):
        d = os.path.join(self.tmp, "sweep2")
        make_sweep_fixture(d)
        out = os.path.join(self.tmp, "sweep2.html")
        self.assertEqual(self.report(d, out).returncode, 0)
        self.assertIn("kernel.fork_cycles against kernel.fork", read(out))  # a default metric present
        r = self.report(d, out + "x", "--metrics", "no.such.key")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"no.such.key", r.stderr)
        self.assertFalse(os.path.exists(out + "x"))
        r = self.report(self.tmp, os.path.join(self.tmp, "none.html"))
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"neither a run folder", r.stderr)
        bad = os.path.join(self.tmp, "badjson")
        os.makedirs(bad)
        with open(os.path.join(bad, "stats.json"), "w") as f:
            f.write('{"sim": \n  oops}')
        r = self.report(bad, os.path.join(self.tmp, "bad.html"))
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"stats.json: line 2", r.stderr)

    def test_run_without_timeseries_or_histograms_still_reports(self):
        d = os.path.join(self.tmp, "bare")
        os.makedirs(d)
        with open(os.path.join(self.run_dir, "stats.json")) as f:
            stats = json.load(f)
        with open(os.path.join(d, "stats.json"), "w") as f:
            json.dump(stats, f)
        out = os.path.join(self.tmp, "bare.html")
        self.assertEqual(self.report(d, out).returncode, 0)
        page = read(out)
        self.assertIn("No timeseries.csv", page)
        self.assertIn("Mean cycles per step of a CoW fault", page)  # from stats.json alone
        self.assertEqual(verdict(out, self.tmp), (1, 1, "RENDER-OK 1/1 plots drawn"))


if __name__ == "__main__":
    COWSIM = sys.argv.pop(1)
    unittest.main()
