"""Where no confinement beyond rlimits is possible, ``grader grade`` refuses with a one-line reason naming
the flag that overrides it; with the flag it grades and says "rlimits only" in results.json.

The machine is made such a place for one command: a user namespace whose own limit allows no further
user namespaces, and a process there without capabilities (uid 0 with no power, like an ordinary user
on a kernel with unprivileged user namespaces disabled)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers_submissions import reference_source, write_py

NO_NAMESPACES = "echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all \"$@\""


def without_namespaces(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "-Ur", "sh", "-c", NO_NAMESPACES, "sh", sys.executable, "-m", "grader", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weak")
    write_py(folder / "subs" / "correct.py", reference_source("numerical"))
    probe = subprocess.run(["unshare", "-Ur", "sh", "-c", NO_NAMESPACES, "sh", "true"], capture_output=True)
    if shutil.which("unshare") is None or shutil.which("setpriv") is None or probe.returncode != 0:
        pytest.skip("cannot make a place without namespaces here (unshare -Ur)")
    return folder


def test_grade_refuses_with_one_line_and_the_flag(batch):
    proc = without_namespaces("grade", "numerical", str(batch / "subs"), "--out", str(batch / "refused"), "--quiet")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "rlimits only" in proc.stderr and "--allow-weak-isolation" in proc.stderr
    assert not (batch / "refused" / "results.json").exists()


def test_the_flag_grades_and_says_what_was_in_force(batch):
    proc = without_namespaces("grade", "numerical", str(batch / "subs"), "--out", str(batch / "out"), "--quiet",
                              "--allow-weak-isolation")
    assert proc.returncode == 0, proc.stderr[-2000:]
    sub = json.loads((batch / "out" / "results.json").read_text())["submissions"][0]
    assert sub["isolation"] == "rlimits only"
    assert sub["score"] == sub["max_score"]
