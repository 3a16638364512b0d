#!/usr/bin/env python3
"""cowsim sweep --backend slurm on a real one-node Slurm cluster (scripts/slurm-local.sh): the
database equals the local backend's, host-time columns and statistics excepted."""
import os, sqlite3, subprocess, sys, tempfile

COWSIM, SOURCE = sys.argv[1], sys.argv[2]
SKIP = 77
SCRIPT = os.path.join(SOURCE, "scripts", "slurm-local.sh")
SPEC = """base:
  scenario: touch
  params: {size: 262144}
axes:
  tlb.stlb.a.entries: [768, 1536]
  kernel.thp.enabled: [never, always]
  seed: [1, 2, 3]
slurm: {chunk: 5, time: "00:10:00"}
"""
HOST = ("sim.host_seconds", "sim.accesses_per_host_second")


def contents(db_path):
    db = sqlite3.connect(db_path)
    points = db.execute("SELECT id, status, exit_code, stderr_tail, config_json, tlb_stlb_a_entries, kernel_thp_enabled, "
                        "seed FROM points ORDER BY id").fetchall()
    stats = db.execute("SELECT point, key, value FROM stats WHERE key NOT IN (?, ?) ORDER BY point, key", HOST).fetchall()
    axes = db.execute("SELECT * FROM axes ORDER BY position").fetchall()
    meta = db.execute("SELECT * FROM meta ORDER BY key").fetchall()
    return points, stats, axes, meta


def main():
    if os.geteuid() != 0:
        print("SKIP: the Slurm test starts munged, slurmctld and slurmd, which needs root")
        return SKIP
    for tool in ("sbatch", "slurmctld", "slurmd", "munged"):
        if subprocess.run(["sh", "-c", f"command -v {tool} || test -x /usr/sbin/{tool}"], capture_output=True).returncode:
            print(f"FAIL: {tool} is missing (scripts/install-deps.sh installs slurm-wlm and munge)")
            return 1
    with tempfile.TemporaryDirectory(prefix="cowsim-slurm-") as d:
        spec = os.path.join(d, "s.yaml")
        with open(spec, "w") as f:
            f.write(SPEC)
        env = dict(os.environ, COWSIM_SLURM_DIR=os.path.join(d, "cluster"))
        try:
            subprocess.run([SCRIPT, "start"], check=True, env=env, timeout=120)
            # 2 x 2 x 3 = 12 points in chunks of 5: 3 array tasks.
            r = subprocess.run([COWSIM, "sweep", spec, "--out", os.path.join(d, "slurm"), "--backend", "slurm"],
                               capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stderr
            assert "(3 tasks)" in r.stdout, r.stdout
            # --detach then --collect: nothing left to run, everything already recorded.
            r = subprocess.run([COWSIM, "sweep", spec, "--out", os.path.join(d, "slurm"), "--collect"],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0 and "12 of 12 points recorded" in r.stdout, r.stdout + r.stderr
        finally:
            subprocess.run([SCRIPT, "stop"], env=env, timeout=60)
        subprocess.run([COWSIM, "sweep", spec, "--out", os.path.join(d, "local"), "-q"], check=True, timeout=300)
        s, l = contents(os.path.join(d, "slurm", "results.sqlite")), contents(os.path.join(d, "local", "results.sqlite"))
        assert len(s[0]) == 12 and all(p[1] == "done" for p in s[0]), s[0]
        assert len(s[1]) > 12 * 100, len(s[1])
        for name, a, b in zip(("points", "stats", "axes", "meta"), s, l):
            assert a == b, f"{name} differ between the slurm and local backends"
    print("OK: 12 points through Slurm, database equal to the local backend's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
