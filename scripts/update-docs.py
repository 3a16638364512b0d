#!/usr/bin/env python3
"""Regenerates the parts of docs/ that come from the code (the parameter table)."""
import pathlib
import re
import subprocess
import sys

cowsim = sys.argv[1]
doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
table = subprocess.run([cowsim, "params", "--preset", "default", "--markdown"], check=True,
                       capture_output=True, text=True).stdout
text = doc.read_text()
text = re.sub(r"(<!-- params:begin -->\n).*?(<!-- params:end -->)", lambda m: m.group(1) + table + m.group(2),
              text, flags=re.S)
doc.write_text(text)
