"""The command line as a hurried user meets it (`python -m grader` in a subprocess): component names in any
case and as comma lists, arguments in the wrong order, an archive of a whole class given to `grader check`,
examples in `--help`, a legend under the class table."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers_submissions import buggy_source, reference_source, write_py, write_zip


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=600)


def test_only_takes_any_case_and_comma_lists(tmp_path: Path) -> None:
    sub = write_py(tmp_path / "mine.py", buggy_source("numerical", "sse_no_half"))
    done = cli("check", "numerical", str(sub), "--only", "SOFTMAX,Sum_Squared_Error", "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    assert {c["component"] for c in results["checks"]} == {"softmax", "sum_squared_error"}


def test_swapped_arguments_get_a_hint(tmp_path: Path) -> None:
    sub = write_py(tmp_path / "hw.py", reference_source("numerical"))
    done = cli("check", str(sub), "numerical")
    assert done.returncode == 2
    assert f"the assignment comes first: did you mean `numerical {sub}`?" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    graded = cli("grade", str(sub), "numerical", "--out", str(tmp_path / "out"))
    assert graded.returncode == 2 and "the assignment comes first" in graded.stderr


def test_check_refuses_an_archive_of_several_submissions(tmp_path: Path) -> None:
    ok = reference_source("numerical")
    archive = write_zip(tmp_path / "class.zip", {"alice.py": ok, "bob.py": ok})
    done = cli("check", "numerical", str(archive))
    assert done.returncode == 2
    assert "class.zip holds 2 submissions (alice, bob); `grader check` grades one" in done.stderr
    assert f"grader grade numerical {archive} --out DIR" in done.stderr
    single = write_zip(tmp_path / "mine.zip", {"hw/numerical.py": ok})
    assert cli("check", "numerical", str(single), "--only", "relu").returncode == 0


def test_help_shows_examples() -> None:
    for args in (["--help"], ["grade", "--help"], ["check", "--help"], ["export", "--help"]):
        done = cli(*args)
        assert done.returncode == 0 and "example" in done.stdout, args
