#!/usr/bin/python3
"""An invariant violated during a run ends the real CLI as an internal error (issue 13 §3).

Usage: 686_invariant_exit_test.py COWSIM CORRUPTING. CORRUPTING is cowsim's own CLI (the same
sc_main, subcommands and exit codes) with a corruption seeded into the model
(686_corrupting_cowsim.cpp). Through a real process it must show: exit code 1, the checker's
exact "invariant violated (...)" message as the last line of stderr, and --out left as it was:
no stats.json in a new folder, the previous run's complete results untouched in a used one.
The corruption: once the last process has exited, the most recently freed frame gets
reference count 1 while it stays on the free list (the tool names the frame on stderr).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from stats_util import stats_without_host as stats

COWSIM = CORRUPTING = None
# fork-cow with a 4 MiB heap: a parent and a child, a few hundred CoW faults, well under a second.
RUN = ["run", "--scenario", "fork-cow", "--param", "heap=4M", "-q"]


def files(d):
    """Every file under d (relative path -> bytes), the run lock aside."""
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            if n != ".cowsim-lock":
                with open(p, "rb") as f:
                    out[os.path.relpath(p, d)] = f.read()
    return out



class InvariantExit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cowsim-686-")
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def corrupt(self, out, *extra):
        return subprocess.run([CORRUPTING, "free-frame-ref", *RUN, "--out", out, *extra], capture_output=True, text=True)

    def expect_violation(self, p, when):
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.strip().splitlines()
        m = re.fullmatch(r"cowsim-corrupting: free frame (0x[0-9a-f]+) now has reference count 1 "
                         r"\(after exit by pid (\d+)\)", lines[0])
        self.assertIsNotNone(m, p.stderr)
        frame, pid = m.groups()
        self.assertEqual(len(lines), 2, p.stderr)
        when = when.replace("PID", pid)
        self.assertRegex(lines[1], "^" + re.escape(
            f"cowsim run: internal error: invariant violated ({when}): frame {frame} is on the 4 KiB free list but "
            "has reference count 1, expected 0").replace(r"CYCLE", r"[0-9]+") + "$")

    def test_the_tool_without_a_corruption_is_cowsim(self):
        a, b = os.path.join(self.d, "a"), os.path.join(self.d, "b")
        self.assertEqual(subprocess.run([COWSIM, *RUN, "--out", a]).returncode, 0)
        self.assertEqual(subprocess.run([CORRUPTING, "none", *RUN, "--out", b]).returncode, 0)
        self.assertEqual(stats(a), stats(b))

    def test_end_of_run_check_into_a_new_folder_writes_nothing(self):
        out = os.path.join(self.d, "new")
        self.expect_violation(self.corrupt(out), "end of run")
        self.assertFalse(os.path.exists(os.path.join(out, "stats.json")))
        self.assertEqual(files(out) if os.path.exists(out) else {}, {}, "a failed run left files behind")

    def test_end_of_run_check_keeps_the_previous_results(self):
        out = os.path.join(self.d, "used")
        # The previous results: another run (a different heap), complete.
        self.assertEqual(subprocess.run([COWSIM, "run", "--scenario", "fork-cow", "--param", "heap=2M", "-q",
                                         "--out", out]).returncode, 0)
        before = files(out)
        self.assertIn("stats.json", before)
        self.expect_violation(self.corrupt(out), "end of run")
        self.assertEqual(files(out), before, "the previous results changed")

    def test_check_after_every_call_catches_it_at_the_exit(self):
        out = os.path.join(self.d, "checked")
        self.expect_violation(self.corrupt(out, "--check"), "after exit by pid PID near cycle CYCLE")
        self.assertFalse(os.path.exists(os.path.join(out, "stats.json")))


if __name__ == "__main__":
    COWSIM, CORRUPTING = sys.argv.pop(1), sys.argv.pop(1)
    unittest.main()
