#!/usr/bin/env python3
"""Regenerates the parts of docs/ that come from the code: parameter, scenario and statistics
tables, and every block of quoted cowsim output.

    update-docs.py COWSIM            rewrite docs/ (make docs)
    update-docs.py --check COWSIM    exit 1 with a diff if any generated part is out of date, or
                                     if docs cite files outside the repository or paths that do
                                     not exist (the ctest Docs.GeneratedDocsAreCurrent)

Quoted output is a fenced block between two markers; the first names the command:

    <!-- output: run --scenario redis-bgsave | keep ^(redis|  ) -->
    ```
    ...
    ```
    <!-- output:end -->

The command runs in an empty temporary folder (a `run` without -o/--out gets one there), its
stdout and stderr are pasted with host times removed, optionally only the lines matching the
`keep` regular expression. `<!-- output: text-errors -->` and `binary-errors` paste the error of each
example in TEXT_ERRORS and BINARY_ERRORS, as `cowsim trace stat` prints it. tutorial.md has its own generator
(scripts/make-tutorial.py)."""
import difflib
import json
import pathlib
import re
import shlex
import struct
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HOST_TIME = re.compile(r" in [0-9.]+ s of host time")
BLOCK = re.compile(r"(<!-- output: (.*?) -->\n```[a-z]*\n)(.*?)(```\n<!-- output:end -->)", re.S)

# Text-trace errors quoted in docs/trace-format.md: each example is one bad trace.
TEXT_ERRORS = [
    "cowsim-trace 1\n1 mmap 0x7f0000000000 4K rw private,anon\n1 jmp 0x7f0000000000\n",
    "cowsim-trace 1\n1 mmap 0x7f0000000000 4K rw\n",
    "cowsim-trace 1\n1 exit now\n",
    "cowsim-trace 1\n1 munmap 0x7f0000000000 0x10K\n",
    "cowsim-trace 1\n1 munmap 0x7f0000000000 1.1K\n",
    "cowsim-trace 1\n1 compute 18446744073709551616\n",
    "cowsim-trace 1\n0 exit\n",
    "cowsim-trace 1\n7 fork 7\n",
    "cowsim-trace 1\n1 r 0x8000000000000000\n",
    "cowsim-trace 1\n1 munmap 0xfffffffffff000 8K\n",
    "cowsim-trace 1\n1 w 0x7f0000000000 +0\n",
    "cowsim-trace 2\n",
    "\x7fELF\x02\x01\x01\x00\n",
]


# Binary-trace errors quoted in docs/trace-format.md, built byte by byte from its layout tables.
def _header(version=1, flags=0, magic=b"\x89CWB\r\n\x1a\n"):
    return magic + struct.pack("<II", version, flags)


def _slot(op, a=0, b=0, pid=0, x=0):
    return struct.pack("<BBHIQ", op, a, b, pid, x)


def _slot2(y=0, z=0):
    return struct.pack("<QQ", y, z)


_END = _slot(0x02)
_EXIT = _slot(0x43, pid=1)
BINARY_ERRORS = [
    _header(magic=b"\x89CWB\r\n\n\n") + _END,                                # LF->CRLF damage
    _header(version=2) + _END,
    _header(flags=0x10) + _END,
    _header() + _slot(0x11, pid=1, x=0x7f0000000000),                        # munmap cut after slot 1
    _header() + _EXIT,                                                        # no end record
    _header() + _slot(0x03, pid=1) + _END,
    _header() + _slot(0x60, pid=1, x=0) + _EXIT + _END,                       # post of an undefined name
    _header() + _slot(0x01, b=65535, pid=0) + _END,
    _header() + _slot(0x11, a=1, pid=1, x=0x7f0000000000) + _slot2(4096, 0) + _END,
    _header() + _slot(0x43, pid=0) + _END,
]


def run(cowsim, args, cwd):
    return subprocess.run([cowsim] + args, cwd=cwd, capture_output=True, text=True, errors="replace")


def command_output(cowsim, spec):
    spec, _, keep = spec.partition(" | keep ")
    with tempfile.TemporaryDirectory() as tmp:
        if spec == "text-errors":
            lines = []
            for i, text in enumerate(TEXT_ERRORS):
                pathlib.Path(tmp, "t.cwt").write_bytes(text.encode("latin-1"))
                p = run(cowsim, ["trace", "stat", "t.cwt"], tmp)
                if p.returncode != 2:
                    sys.exit(f"update-docs: TEXT_ERRORS[{i}] did not fail with exit code 2: {p.stderr}")
                lines.append(p.stderr.strip().removeprefix("cowsim trace: "))
            return "\n".join(lines) + "\n"
        if spec == "binary-errors":
            lines = []
            for i, data in enumerate(BINARY_ERRORS):
                pathlib.Path(tmp, "t.cwb").write_bytes(data)
                p = run(cowsim, ["trace", "stat", "t.cwb"], tmp)
                if p.returncode != 2:
                    sys.exit(f"update-docs: BINARY_ERRORS[{i}] did not fail with exit code 2: {p.stderr}")
                lines.append(p.stderr.strip().removeprefix("cowsim trace: "))
            return "\n".join(lines) + "\n"
        args = shlex.split(spec)
        if args and args[0] == "run" and not ({"-o", "--out", "--output"} & set(args)):
            args += ["-o", tmp + "/out"]
        p = run(cowsim, args, tmp)
        if p.returncode != 0:
            sys.exit(f"update-docs: 'cowsim {spec}' failed ({p.returncode}): {p.stderr}")
        text = HOST_TIME.sub("", p.stdout + p.stderr).replace(tmp + "/", "")
    lines = text.splitlines()
    if keep:
        lines = [l for l in lines if re.search(keep, l)]
    return "\n".join(lines) + "\n"


def replace_marked(text, name, body):
    return re.sub(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", lambda m: m.group(1) + body + m.group(2),
                  text, flags=re.S)


def stats_table(cowsim):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([cowsim, "run", "--scenario", "fork-cow", "--param", "heap=4M", "-q", "--out", out + "/o"],
                       check=True)
        lines = pathlib.Path(out, "o", "stats.txt").read_text().splitlines()
        # Span statistics (docs/trace-format.md, "Spans"): a trace with spans and a window span.
        subprocess.run([cowsim, "run", str(ROOT / "traces/examples/spans.cwt"), "-q", "--out", out + "/s"], check=True)
        lines += [l for l in pathlib.Path(out, "s", "stats.txt").read_text().splitlines() if l.startswith("spans.")]
        # Contention (docs/memory-contention.md): only with two or more cores.
        subprocess.run([cowsim, "run", "--scenario", "fork-cow", "--param", "heap=4M", "--set", "cores=2", "-q",
                        "--out", out + "/c"], check=True)
        lines += [l for l in pathlib.Path(out, "c", "stats.txt").read_text().splitlines()
                  if l.startswith(("dram.", "kernel.locks.")) or re.search(r"\.steps\.(dram|lock)_wait ", l)]
    rows = {}
    for line in lines:
        path, rest = line.split(" ", 1)
        desc = rest.split(" # ", 1)[1]
        unit = ""
        if desc.endswith(")") and " (" in desc:
            desc, unit = desc[:-1].rsplit(" (", 1)
        path = re.sub(r"^spans\.fork\.window\.", "spans.<window>.window.", path)
        path = re.sub(r"^spans\.(fork|get)\.", "spans.<name>.", path)
        path = re.sub(r"^spans\.<name>\.processes\.\d+\.", "spans.<name>.processes.<pid>.", path)
        path = re.sub(r"^processes\.\d+\.", "processes.<pid>.", path)
        path = re.sub(r"^cores\.\d+\.", "cores.<n>.", path)
        path = re.sub(r"^dram\.channels\.\d+\.", "dram.channels.<i>.", path)
        path = re.sub(r"^kernel\.faults\.[a-z_]+\.", "kernel.faults.<outcome>.", path)
        path = re.sub(r"^kernel\.forks\.\d+\.", "kernel.forks.<i>.", path)
        path = re.sub(r"\.faults_by_error_code\.0x[0-9a-f]+$", ".faults_by_error_code.<code>", path)
        rows.setdefault(path, (unit, desc))
    table = "| statistic | unit | description |\n|---|---|---|\n"
    return table + "".join(f"| `{p}` | {u} | {d} |\n" for p, (u, d) in rows.items())


def generate(cowsim):
    """{path: new text} for every doc with generated parts."""
    def out(*args):
        return subprocess.run([cowsim] + list(args), check=True, capture_output=True, text=True).stdout

    docs = {p: p.read_text() for p in sorted(DOCS.glob("*.md")) if p.name != "tutorial.md"}
    docs[DOCS / "configuration.md"] = replace_marked(docs[DOCS / "configuration.md"], "params",
                                                     out("params", "--preset", "default", "--markdown"))
    docs[DOCS / "scenarios.md"] = replace_marked(docs[DOCS / "scenarios.md"], "scenarios", out("scenarios", "--markdown"))
    docs[DOCS / "statistics.md"] = replace_marked(docs[DOCS / "statistics.md"], "stats", stats_table(cowsim))
    for path, text in docs.items():
        docs[path] = BLOCK.sub(lambda m: m.group(1) + command_output(cowsim, m.group(2)) + m.group(4), text)
    return docs


OUTSIDE = re.compile(r"shared/reference|/work/|numbers\.md|linux-mm\.md")


def dangling_references(cowsim):
    """Citations of files outside the repository, and repository paths or links that do not
    exist, in docs/, README.md and what `cowsim presets` and `cowsim params` print."""
    problems = []
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]}
    for args in (["presets"], ["params"], ["scenarios"]):
        texts["cowsim " + args[0]] = subprocess.run([cowsim] + args, check=True, capture_output=True, text=True).stdout
    for name, text in texts.items():
        base = ROOT / name if name.endswith(".md") else ROOT
        prose = re.sub(r"`[^`\n]*`", "``", text)  # code spans quote syntax, not links
        for m in OUTSIDE.finditer(text):
            problems.append(f"{name}: cites '{m.group(0)}', which is not in the repository (docs/sources.md is)")
        for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", prose):
            if not re.match(r"[a-z]+:", m.group(1)) and not (base.parent / m.group(1)).exists():
                problems.append(f"{name}: link to '{m.group(1)}', which does not exist")
        for m in re.finditer(r"(?<![\w/.-])((?:docs|scripts|platform|models|traces|testbenches|bench)/[\w./-]+"
                             r"\.(?:md|py|h|cpp|json|cwt|cwb|sh))", text):
            if not (ROOT / m.group(1)).exists():
                problems.append(f"{name}: names '{m.group(1)}', which does not exist")
    return problems


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        sys.exit(__doc__)
    stale = 0
    for path, text in generate(str(pathlib.Path(args[0]).resolve())).items():
        old = path.read_text()
        if text == old:
            continue
        if check:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       f"{path.name} (committed)", f"{path.name} (from the tool)"))
        else:
            path.write_text(text)
    if stale:
        print(f"\n{stale} doc(s) out of date: regenerate with `make docs` (scripts/update-docs.py)")
    problems = dangling_references(str(pathlib.Path(args[0]).resolve())) if check else []
    for p in problems:
        print(p)
    return 1 if stale or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
