#!/usr/bin/env python3
"""cowsim sweep / results / compare, end to end through the real binary (docs/sweeps.md)."""
import csv, json, os, signal, sqlite3, subprocess, sys, tempfile, time, unittest, warnings

COWSIM = sys.argv.pop(1)

# 3 axes of 2 values: 2 x 2 x 2 = 8 points; the where filter drops thp=always with write=false
# (2 points: both STLB sizes), leaving 6.
GRID = """base:
  scenario: touch
  params: {size: 262144}
  seed: 1
axes:
  tlb.stlb.a.entries: [768, 1536]
  kernel.thp.enabled: [never, always]
  param.write: [true, false]
where: "kernel.thp.enabled == never or param.write == true"
"""


def run(*args, check=True):
    p = subprocess.run([COWSIM, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"cowsim {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def flat(j, prefix, out):
    if isinstance(j, dict):
        for k, v in j.items():
            flat(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(j, list):
        for i, v in enumerate(j):
            flat(v, f"{prefix}.{i}" if prefix else str(i), out)
    elif isinstance(j, (int, float)) and not isinstance(j, bool):
        out[prefix] = float(j)
    return out


class Sweep(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cowsim-sweep-")
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def spec(self, text, name="s.yaml"):
        path = os.path.join(self.d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ids(self, spec):
        lines = run("sweep", spec, "--out", os.path.join(self.d, "dry"), "--dry-run").stdout.splitlines()
        self.assertFalse(os.path.exists(os.path.join(self.d, "dry")), "--dry-run wrote the sweep folder")
        return [l.split()[0] for l in lines[1:]], lines[0]

    def test_grid_where_count(self):
        ids, head = self.ids(self.spec(GRID))
        self.assertEqual(head, "6 points")
        self.assertEqual(len(set(ids)), 6)

    def test_zip_count(self):
        # a and b zipped (3 pairs) x seed (2) = 6, not 3 x 3 x 2 = 18.
        ids, head = self.ids(self.spec("""base: {scenario: touch, params: {size: 65536}}
axes:
  tlb.stlb.a.entries: [384, 768, 1536]
  tlb.stlb.a.ways: [3, 6, 12]
  seed: [1, 2]
zip: [[tlb.stlb.a.entries, tlb.stlb.a.ways]]
"""))
        self.assertEqual(head, "6 points")

    def test_json_spec_and_stable_ids(self):
        a, _ = self.ids(self.spec(GRID))
        # The same sweep as JSON, axes in the same order: same ids. Adding a value to an axis
        # keeps the old points' ids (the grid grows by the new value's 1 x 2 x 2 - 1 filtered).
        js = {"base": {"scenario": "touch", "params": {"size": 262144}, "seed": 1},
              "axes": {"tlb.stlb.a.entries": [768, 1536], "kernel.thp.enabled": ["never", "always"],
                       "param.write": [True, False]},
              "where": "kernel.thp.enabled == never or param.write == true"}
        b, _ = self.ids(self.spec(json.dumps(js).replace("True", "true").replace("False", "false"), "s.json"))
        self.assertEqual(sorted(a), sorted(b))
        c, head = self.ids(self.spec(GRID.replace("[768, 1536]", "[768, 1536, 3072]"), "s2.yaml"))
        self.assertEqual(head, "9 points")
        self.assertTrue(set(a) <= set(c))

    def test_database_matches_stats_and_rerun_runs_nothing(self):
        out = os.path.join(self.d, "out")
        spec = self.spec(GRID)
        run("sweep", spec, "--out", out, "--jobs", "2")
        db = sqlite3.connect(os.path.join(out, "results.sqlite"))
        rows = db.execute("SELECT id, status, exit_code, out_dir, tlb_stlb_a_entries, kernel_thp_enabled, param_write, "
                          "config_json FROM points").fetchall()
        self.assertEqual(len(rows), 6)
        self.assertEqual([r[0] for r in db.execute("SELECT name FROM axes ORDER BY position")],
                         ["tlb.stlb.a.entries", "kernel.thp.enabled", "param.write"])
        self.assertEqual(db.execute("SELECT value FROM meta WHERE key='spec'").fetchone()[0], GRID)
        for pid, status, code, out_dir, entries, thp, write, cfg in rows:
            self.assertEqual((status, code), ("done", 0))
            stats = flat(json.load(open(os.path.join(out_dir, "stats.json"))), "", {})
            got = dict(db.execute("SELECT key, value FROM stats WHERE point=?", (pid,)).fetchall())
            self.assertEqual(got, stats)
            self.assertIn("scenario.results.faults", got)
            # The point ran what its axis values say.
            self.assertEqual(json.load(open(os.path.join(out_dir, "config.json")))["tlb"]["stlb"]["a"]["entries"], entries)
            self.assertEqual(json.loads(cfg)["axes"]["kernel.thp.enabled"], thp)
            # 262144 bytes = 64 pages, each touched once: 64 faults when writing.
            if write == "true" and thp == "never":
                self.assertEqual(got["scenario.results.faults"], 64)
        mtimes = {r[3]: os.stat(os.path.join(r[3], "stats.json")).st_mtime_ns for r in rows}
        again = run("sweep", spec, "--out", out)
        self.assertIn("6 already recorded, running 0", again.stdout)
        self.assertEqual(mtimes, {r[3]: os.stat(os.path.join(r[3], "stats.json")).st_mtime_ns for r in rows})
        # CSV: one row per point, the chosen keys as columns, values as in stats.json.
        path = os.path.join(self.d, "r.csv")
        run("results", out, "--csv", path, "--keys", "sim.cycles,scenario.results.faults")
        table = list(csv.DictReader(open(path)))
        self.assertEqual(len(table), 6)
        self.assertEqual(list(table[0].keys()), ["id", "status", "tlb_stlb_a_entries", "kernel_thp_enabled", "param_write",
                                                 "sim.cycles", "scenario.results.faults"])
        for row in table:
            out_dir = os.path.join(out, "points", row["id"])
            st = json.load(open(os.path.join(out_dir, "stats.json")))
            self.assertEqual(float(row["sim.cycles"]), st["sim"]["cycles"])
        # The report of this real database plots its finished points (it once looked for a
        # status the sweep never writes and plotted nothing).
        html = os.path.join(self.d, "r.html")
        run("report", out, "-o", html, "--metrics", "sim.cycles")
        page = open(html).read()
        self.assertNotIn("No finished points", page)
        self.assertIn("<svg", page)

    def test_failure_recorded_others_run(self):
        good = os.path.join(self.d, "good.cwt")
        run("gen", "touch", "--param", "size=65536", "-o", good)
        bad = os.path.join(self.d, "bad.cwt")
        with open(bad, "w") as f:
            f.write("this is not a trace\n")
        out = os.path.join(self.d, "out")
        run("sweep", self.spec(f"axes:\n  trace: [{good}, {bad}]\n  seed: [1, 2]\n"), "--out", out, "--jobs", "2")
        db = sqlite3.connect(os.path.join(out, "results.sqlite"))
        rows = db.execute("SELECT trace, status, exit_code, stderr_tail FROM points ORDER BY trace").fetchall()
        self.assertEqual(len(rows), 4)
        for trace, status, code, tail in rows:
            if trace == bad:
                self.assertEqual((status, code), ("failed", 2))
                self.assertIn("bad.cwt", tail)
            else:
                self.assertEqual((status, code), ("done", 0))

    def test_killed_sweep_resumes(self):
        out = os.path.join(self.d, "out")
        # 8 points of a 4 MiB touch (1024 faults each), one at a time.
        spec = self.spec("base: {scenario: touch, params: {size: 4194304}}\naxes:\n  seed: [1, 2, 3, 4, 5, 6, 7, 8]\n")
        p = subprocess.Popen([COWSIM, "sweep", spec, "--out", out, "--jobs", "1", "-q"])
        db_path = os.path.join(out, "results.sqlite")
        done = 0
        deadline = time.time() + 60
        while time.time() < deadline and done < 2:
            time.sleep(0.05)
            if os.path.exists(db_path):
                try:
                    done = sqlite3.connect(db_path).execute("SELECT count(*) FROM points").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
        p.send_signal(signal.SIGKILL)
        p.wait()
        db = sqlite3.connect(db_path)
        before = dict(db.execute("SELECT id, host_seconds FROM points").fetchall())
        self.assertTrue(2 <= len(before) < 8, f"{len(before)} points recorded before the kill")
        again = run("sweep", spec, "--out", out, "--jobs", "2")
        self.assertIn(f"{len(before)} already recorded, running {8 - len(before)}", again.stdout)
        after = dict(sqlite3.connect(db_path).execute("SELECT id, host_seconds FROM points").fetchall())
        self.assertEqual(len(after), 8)
        for k, v in before.items():
            self.assertEqual(after[k], v)  # not run again
        self.assertEqual(sqlite3.connect(db_path).execute("SELECT count(DISTINCT point) FROM stats").fetchone()[0], 8)

    def bad(self, text, line, words):
        out = os.path.join(self.d, "bad-out")
        p = run("sweep", self.spec(text, "bad.yaml"), "--out", out, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(f"bad.yaml:{line}:", p.stderr)
        for w in words:
            self.assertIn(w, p.stderr)
        self.assertFalse(os.path.exists(out), "a bad SPEC wrote the sweep folder")

    def test_bad_specs(self):
        self.bad("base: {scenario: touch}\naxes:\n  seed: [1]\nbogus: 3\n", 4, ["unknown key 'bogus'"])
        self.bad("base:\n  scenario: touch\n  colour: red\n", 3, ["unknown key 'base.colour'"])
        self.bad("base:\n  seed: abc\n", 2, ["base.seed", "abc"])
        self.bad("axes:\n  seed: [1, x]\n", 2, ["seed values", "'x'"])
        self.bad("axes:\n  seed: []\n", 2, ["is empty"])
        self.bad("axes:\n  tlb.stlb.a.entries: [1536,\n    nope]\n", 3, ["cannot be configured", "nope"])
        self.bad("axes:\n  tlb.stlb.a.entries: [1536]\n  no.such.knob: [1]\n", 3, ["cannot be configured", "no.such.knob"])
        self.bad("base: {scenario: touch}\naxes:\n  param.size: [4096, 5000]\n", 3, ["5000"])
        self.bad("axes:\n  seed: [1, 2]\nwhere: colour == red\n", 3, ["not an axis"])
        self.bad("axes:\n  seed: [1, 2]\n  a.b: [1]\nzip: [[seed, a.b]]\n", 4, ["zip"])
        self.bad("axes: [\n", 2, ["not valid YAML"])
        # 21 axes of 2 values: 2^21 = 2097152 points, past the 1000000 limit; refused before expanding.
        many = "".join(f"  param.a{i}: [1, 2]\n" for i in range(21))
        self.bad("axes:\n" + many, 2, ["the grid has 2097152 points", "more than 1000000"])

    def test_compare(self):
        a, b = os.path.join(self.d, "a"), os.path.join(self.d, "b")
        run("run", "--scenario", "touch", "--param", "size=65536", "--out", a, "-q")
        run("run", "--scenario", "touch", "--param", "size=131072", "--out", b, "-q")
        j = json.loads(run("compare", a, b, "--json").stdout)
        # 16 vs 32 pages touched: twice the faults.
        self.assertEqual(j["keys"]["scenario.results.faults"]["values"], [16, 32])
        self.assertEqual(j["keys"]["scenario.results.faults"]["ratio_to_first"], [1.0, 2.0])
        self.assertIn("sim.host_seconds", j["keys"])
        t = run("compare", a, b, "--keys", "scenario.results.pages").stdout
        self.assertIn("(2.00x)", t)
        self.assertEqual(run("compare", a, b, "--keys", "no.such", check=False).returncode, 2)
        self.assertEqual(run("compare", a, self.d + "/none", check=False).returncode, 2)


if __name__ == "__main__":
    warnings.simplefilter("ignore", ResourceWarning)
    unittest.main()
