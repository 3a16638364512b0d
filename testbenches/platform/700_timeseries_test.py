#!/usr/bin/python3
"""cowsim run --sample-interval (timeseries.csv), histograms.json and the progress line.

Usage: 700_timeseries_test.py COWSIM_BINARY. The default scenario fork-cow: a parent writes a
64 MiB heap (16384 pages), forks, the child writes 50% of it (8192 CoW copies), exits, and the
parent writes it all again.
"""
import csv
import json
import os
import pty
import subprocess
import sys
import tempfile
import unittest

from stats_util import stats_without_host

COWSIM = None


def run(out, *extra, stderr=subprocess.PIPE):
    return subprocess.run([COWSIM, "run", "--out", out, *extra], stdout=subprocess.PIPE, stderr=stderr)



class TimeSeriesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cowsim-680-")
        cls.plain = os.path.join(cls.tmp.name, "plain")
        cls.sampled = os.path.join(cls.tmp.name, "sampled")
        assert run(cls.plain, "-q").returncode == 0
        r = run(cls.sampled, "-q", "--sample-interval", "10us")
        assert r.returncode == 0, r.stderr
        with open(os.path.join(cls.sampled, "timeseries.csv")) as f:
            cls.rows = [{k: (int(v) if v else None) for k, v in row.items()} for row in csv.DictReader(f)]
        cls.stats = stats_without_host(cls.sampled)

    def test_statistics_identical_with_and_without_sampling(self):
        self.assertEqual(stats_without_host(self.plain), self.stats)
        with open(os.path.join(self.plain, "histograms.json")) as a, open(os.path.join(self.sampled, "histograms.json")) as b:
            self.assertEqual(json.load(a), json.load(b))
        self.assertFalse(os.path.exists(os.path.join(self.plain, "timeseries.csv")))

    def test_intervals_are_10us_of_core_cycles_and_end_at_the_run_end(self):
        mhz = round(self.stats["sim"]["cycles"] / self.stats["sim"]["seconds"] / 1e6)
        step = 10 * mhz  # 10 us x MHz cycles per us
        cycles = sorted({r["cycle"] for r in self.rows})
        self.assertEqual(cycles[-1], self.stats["sim"]["cycles"])
        for a, b in zip(cycles[:-2], cycles[1:-1]):
            self.assertEqual(b - a, step)
        self.assertLessEqual(cycles[-1] - cycles[-2], step)

    def test_interval_counts_add_up_to_the_run_totals(self):
        for pid, p in self.stats["processes"].items():
            mine = [r for r in self.rows if r["pid"] == int(pid)]
            for outcome, n in p["faults"].items():
                col = "faults." + outcome
                if col in mine[0]:
                    self.assertEqual(sum(r[col] for r in mine), n, f"pid {pid} {col}")
            self.assertEqual(sum(r["pages_copied"] for r in mine), p["faults"]["pages_copied"])
        machine = [r for r in self.rows if r["pid"] == 0]
        cores = self.stats["cores"].values()
        self.assertEqual(sum(r["walks"] for r in machine), sum(c["walks"] for c in cores))
        self.assertEqual(sum(r["dtlb_misses"] for r in machine), sum(c["tlb"]["l1d"]["misses"] for c in cores))
        self.assertEqual(sum(r["faults.cow_copy"] for r in machine), 8192)  # 50% of 16384 pages

    def test_memory_follows_the_scenario(self):
        parent = [r for r in self.rows if r["pid"] == 1]
        child = [r for r in self.rows if r["pid"] == 2]
        self.assertEqual(max(r["Rss_kB"] for r in parent), 65536)  # the 64 MiB heap
        self.assertEqual(child[0]["parent"], 1)
        # Every CoW copy makes one 4 KiB page the child's own: at each sample while it lives,
        # Private_Dirty = 4 kB x its copies so far; at exit (the last row) its memory is gone.
        copies = 0
        for r in child[:-1]:
            copies += r["faults.cow_copy"]
            self.assertEqual(r["Private_Dirty_kB"], 4 * copies, r["cycle"])
            self.assertEqual(r["Rss_kB"], 65536)
        self.assertGreater(copies, 8000)
        self.assertEqual(child[-1]["Rss_kB"], 0)
        # Rss grows while the parent populates: never down before the fork.
        fork = self.stats["kernel"]["forks"]["0"]["start_cycle"]
        before = [r["Rss_kB"] for r in parent if r["cycle"] <= fork]
        self.assertEqual(before, sorted(before))

    def test_a_rerun_without_sampling_removes_the_old_series(self):
        d = os.path.join(self.tmp.name, "rerun")
        self.assertEqual(run(d, "-q", "--sample-interval", "1ms").returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(d, "timeseries.csv")))
        self.assertEqual(run(d, "-q").returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(d, "timeseries.csv")))

    def test_bad_intervals_are_errors_before_anything_runs(self):
        for bad, says in (("10xs", "unknown unit 'xs'"), ("0", "positive duration"), ("-3us", "positive duration"),
                          ("us", "positive duration")):
            d = os.path.join(self.tmp.name, "bad")
            r = run(d, "--sample-interval", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn(b"--sample-interval '" + bad.encode() + b"'", r.stderr)
            self.assertIn(says.encode(), r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "stats.json")))

    def test_histograms_json_bins_add_up_to_the_counts(self):
        with open(os.path.join(self.sampled, "histograms.json")) as f:
            h = json.load(f)
        k = h["kernel.faults.cow_copy.latency"]
        self.assertEqual(sum(k["counts"]), self.stats["kernel"]["faults"]["cow_copy"]["latency"]["count"])
        self.assertEqual(k["lower_edges"], sorted(k["lower_edges"]))
        w = h["cores.0.walker.latency"]
        self.assertEqual(sum(w["counts"]), self.stats["cores"]["0"]["walker"]["latency"]["count"])


class ProgressTest(unittest.TestCase):
    def test_nothing_when_stderr_is_not_a_terminal(self):
        with tempfile.TemporaryDirectory() as d:
            r = run(d, "--param", "heap=4294967296")
            self.assertEqual(r.returncode, 0)
            self.assertEqual(r.stderr, b"")

    def test_a_line_on_a_terminal_then_cleared_and_quiet_silences_it(self):
        # A 10 GiB heap: 2.6M pages written twice, about 4 s on this machine: over the 2 s delay.
        with tempfile.TemporaryDirectory() as d:
            shown = self.on_pty(os.path.join(d, "a"), "--param", "heap=10737418240")
            frames = [f for f in shown.split(b"\r") if f.strip()]
            self.assertGreater(len(frames), 0, shown)
            self.assertRegex(frames[0].decode(), r"^cowsim: \d+/6553600 accesses \(\d+\.\d%\), [\d.]+ ms simulated, "
                                                 r"[\d.]+ M accesses/s, [\d.]+ s left *$")
            self.assertTrue(shown.endswith(b"\r"))  # erased: a line of spaces, then back to column 0
            self.assertEqual(shown.rsplit(b"\r", 2)[1].strip(), b"")
            self.assertEqual(self.on_pty(os.path.join(d, "q"), "-q", "--param", "heap=10737418240"), b"")
            # Drawing progress runs the simulation in slices: the statistics are the same.
            self.assertEqual(run(os.path.join(d, "b"), "-q", "--param", "heap=10737418240").returncode, 0)
            self.assertEqual(stats_without_host(os.path.join(d, "a")), stats_without_host(os.path.join(d, "b")))

    def on_pty(self, out, *extra):
        m, s = pty.openpty()
        p = subprocess.Popen([COWSIM, "run", "--out", out, *extra], stdout=subprocess.DEVNULL, stderr=s)
        os.close(s)
        shown = b""
        while True:
            try:
                data = os.read(m, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            shown += data
        os.close(m)
        self.assertEqual(p.wait(), 0)
        return shown


if __name__ == "__main__":
    COWSIM = sys.argv.pop(1)
    unittest.main()
