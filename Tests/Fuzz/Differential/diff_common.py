"""Shared by the differential drivers: runs a harness binary in print mode (FUZZ_PRINT=1: one
case per line on stdin, one verdict per line on stdout) and reports divergences."""

import os
import subprocess
import sys


def escape(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0")


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", "0": "\0"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def run_harness(binary, cases):
    """cases: lists of string fields. Returns one list of verdict fields per case."""
    stdin = "".join("\t".join(escape(field) for field in case) + "\n" for case in cases)
    env = dict(os.environ, FUZZ_PRINT="1", ASAN_OPTIONS="detect_leaks=0", SWIFT_BACKTRACE="enable=no")
    result = subprocess.run([binary], input=stdin.encode("utf-8", "surrogateescape"), capture_output=True, env=env, check=False)
    if result.returncode != 0:
        sys.exit(f"{binary} failed in print mode (status {result.returncode}):\n{result.stderr.decode(errors='replace')[-2000:]}")
    lines = result.stdout.decode("utf-8", "surrogateescape").split("\n")[: len(cases)]
    if len(lines) != len(cases):
        sys.exit(f"{binary} answered {len(lines)} cases of {len(cases)}")
    return [[unescape(field) for field in line.split("\t")] for line in lines]


class Report:
    def __init__(self, name):
        self.name, self.cases, self.divergences, self.intended = name, 0, [], {}

    def intended_difference(self, label):
        self.intended[label] = self.intended.get(label, 0) + 1

    def divergence(self, case, ours, reference):
        self.divergences.append((case, ours, reference))

    def finish(self):
        intended = ", ".join(f"{label}: {count}" for label, count in sorted(self.intended.items())) or "none"
        print(f"differential {self.name}: {self.cases} cases, {len(self.divergences)} divergences; intended differences seen: {intended}")
        for case, ours, reference in self.divergences[:20]:
            print(f"  DIVERGENCE {case!r}\n    ours:      {ours!r}\n    reference: {reference!r}")
        return 1 if self.divergences else 0
