"""Shared by the platform's Python tests: stats.json without the host-time entries."""
import json
import os

HOST_KEYS = ("host_seconds", "accesses_per_host_second")


def stats_without_host(d):
    """stats.json of the run folder `d`, less the host-time entries that differ run to run."""
    with open(os.path.join(d, "stats.json")) as f:
        s = json.load(f)
    for k in HOST_KEYS:
        s["sim"].pop(k)
    return s
