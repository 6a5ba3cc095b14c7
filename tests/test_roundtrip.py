"""The instructor's round trip through the CLI (``python -m grader`` in a subprocess), as issue 11 tells it:

an LMS download with a PDF-only student, a Canvas resubmission, a late upload, a bulk-download zip sitting
inside the folder, the output folder inside the input folder, a roster with an absent student and four
broken student archives; the run is interrupted by Ctrl-C, rerun, killed by SIGKILL, rerun to the end, and
rerun unchanged. Nothing is lost, nothing is graded twice, every file is accounted for.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.helpers_submissions import buggy_source, reference_source, write_py, write_zip

OK = reference_source("numerical")
SLOW = OK + '''
import time


def sigmoid(x):
    time.sleep(0.1)
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
'''
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Numerical (1001)
    Points Possible,,,,,20
"Park, Seoyeon",123,S123,spark,A
"Choi, Yuna",124,S124,ychoi,A
"Kim, Minji",125,S125,mkim,A
"Lee, Jun",126,S126,jlee,B
"Han, Bit",127,S127,bhan,B
"Absent, Always",128,S128,aabsent,B
"""


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.py", "w") as member:
            for _ in range(30):
                member.write(b"#" * (1 << 20))


def _class(root: Path) -> SimpleNamespace:
    inbox = root / "inbox"
    dl = inbox / "download"
    write_py(dl / "parkseoyeon_123_456_numerical.py", buggy_source("numerical", "sigmoid_sign"))
    write_py(dl / "parkseoyeon_123_456_numerical-1.py", OK)  # Canvas renames a re-upload of the same name
    (dl / "choiyuna_124_460_report.pdf").write_bytes(b"%PDF-1.4 my homework as a PDF")
    write_py(dl / "kimminji_LATE_125_470_numerical.py", OK)
    for n in range(4):  # slow but correct: the run lasts long enough to be interrupted twice
        write_py(inbox / f"slow{n}.py", SLOW)
    write_zip(inbox / "submissions.zip", {
        "hw1/leejun_126_480_numerical.py": OK,
        "hw1/hanbit_127_490_numerical.py": buggy_source("numerical", "softmax_no_max"),
    })
    bad = inbox
    (bad / "corrupt.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    _bomb(bad / "bomb.zip")
    write_zip(bad / "longname.zip", {"x" * 300 + ".py": OK})
    with zipfile.ZipFile(bad / "many.zip", "w") as zf:
        for n in range(60_000):
            zf.writestr(f"d/{n}.py", "")
    roster = root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    return SimpleNamespace(root=root, inbox=inbox, out=inbox / "out", roster=roster)


def _command(c: SimpleNamespace, *extra: str) -> list[str]:
    return [sys.executable, "-m", "grader", "grade", "numerical", str(c.inbox), "--roster", str(c.roster),
            "--out", str(c.out), "--jobs", "1", *extra]


def _done(out: Path) -> int:
    store = out / ".grader" / "store.sqlite"
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start(c: SimpleNamespace) -> subprocess.Popen:
    return subprocess.Popen(_command(c), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, as a terminal's foreground job


def _wait_for(c: SimpleNamespace, proc: subprocess.Popen, at_least: int, limit: float = 240) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done = _done(c.out)
        if done >= at_least:
            return done
        assert proc.poll() is None, f"the run ended before it could be interrupted: {proc.communicate()}"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} submissions stored after {limit} s")


def _run(c: SimpleNamespace, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_command(c, *extra), capture_output=True, text=True, timeout=600)


def _counts(stdout: str) -> tuple[int, int]:
    match = re.search(r"graded (\d+), unchanged since the last run (\d+)", stdout)
    assert match, stdout
    return int(match[1]), int(match[2])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    c = _class(tmp_path_factory.mktemp("roundtrip"))
    total = 2 + 4 + 2 + 4  # download (park, kim; choi has only a PDF), slow, zip, bad archives

    # Ctrl-C once some submissions are stored
    proc = _start(c)
    _wait_for(c, proc, 4 + 2)  # the 4 broken archives are stored at once, then 2 graded
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    c.ctrl_c = SimpleNamespace(code=proc.returncode, stdout=out, stderr=err, done=_done(c.out),
                               results=json.loads((c.out / "results.json").read_text(encoding="utf-8")))

    # rerun, then SIGKILL the whole process group mid-run
    proc = _start(c)
    _wait_for(c, proc, c.ctrl_c.done + 1)
    c.killed_pid = proc.pid
    c.left_behind = sorted(p.name for p in (c.out / ".grader").glob("work-*"))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    c.after_kill = _done(c.out)

    # rerun to the end, then unchanged
    c.final = _run(c)
    c.unchanged = _run(c)
    c.total = total
    c.results = json.loads((c.out / "results.json").read_text(encoding="utf-8"))
    c.subs = {s["id"]: s for s in c.results["submissions"]}
    return c


def test_ctrl_c_exits_130_with_one_line_on_how_to_resume(scenario) -> None:
    ctrl_c = scenario.ctrl_c
    assert ctrl_c.code == 130, ctrl_c.stderr
    last = [line for line in ctrl_c.stderr.splitlines() if line.strip()][-1]
    assert re.fullmatch(rf"grader: interrupted: \d+ of {scenario.total} submissions graded and kept in .*out; "
                        r"run the same command again to grade the rest", last), last
    assert "Traceback" not in ctrl_c.stderr and "_pytest" not in ctrl_c.stderr and "KeyboardInterrupt" not in ctrl_c.stderr
    assert 6 <= ctrl_c.done < scenario.total
    partial = ctrl_c.results  # the views are rebuilt from the store at once
    assert partial["complete"] is False and len(partial["submissions"]) == ctrl_c.done
    assert len(partial["pending"]) == scenario.total - ctrl_c.done


def test_sigkill_loses_nothing_and_leaves_no_sources_behind(scenario) -> None:
    assert scenario.after_kill > scenario.ctrl_c.done
    assert scenario.left_behind == [f"work-{scenario.killed_pid}"]  # held unpacked archives while it ran
    assert not list((scenario.out / ".grader").glob("work-*"))  # the next run removed it
    assert not list(Path("/tmp").glob(f"grader-{scenario.killed_pid}-*"))


def test_reruns_grade_only_what_is_not_stored(scenario) -> None:
    assert scenario.final.returncode == 0, scenario.final.stderr
    graded, reused = _counts(scenario.final.stdout)
    assert reused == scenario.after_kill and graded + reused == scenario.total  # nothing graded twice
    assert _counts(scenario.unchanged.stdout) == (0, scenario.total)
    assert "legend: ✓ passed" in scenario.unchanged.stdout  # under the class table
    assert scenario.results["complete"] is True


def test_every_file_is_accounted_for(scenario) -> None:
    subs, skipped = scenario.subs, {Path(s["path"]).name or s["path"]: s["reason"] for s in scenario.results["skipped"]}
    assert skipped["choiyuna_124_460_report.pdf"] == "a .pdf file, not .py, .ipynb or .zip: not graded"
    assert skipped["parkseoyeon_123_456_numerical.py"].startswith("an older upload of numerical-1.py")
    assert any(p.rstrip("/").endswith("inbox/out") and "output folder of this run" in r
               for p, r in ((s["path"], s["reason"]) for s in scenario.results["skipped"]))
    assert set(subs) == {"parkseoyeon", "kimminji", "leejun", "hanbit", *(f"slow{n}" for n in range(4)),
                         "corrupt", "bomb", "longname", "many", "Choi, Yuna", "Absent, Always"}
    for line in (f"  {s['path']}: {s['reason']}" for s in scenario.results["skipped"]):
        assert line in scenario.final.stdout  # and in the terminal
    index = (scenario.out / "index.html").read_text(encoding="utf-8")
    assert "choiyuna_124_460_report.pdf" in index and "Absent, Always" in index


def test_resubmission_late_marker_and_lms_identity(scenario) -> None:
    park, kim = scenario.subs["parkseoyeon"], scenario.subs["kimminji"]
    assert park["path"].endswith("parkseoyeon_123_456_numerical-1.py") and park["score"] == park["max_score"]
    assert any("resubmission: graded parkseoyeon_123_456_numerical-1.py" in n["message"] for n in park["notes"])
    assert park["lms"] == {"system": "canvas", "user_id": "123", "name": "parkseoyeon", "late": False,
                           "attachment_id": "456"}
    assert park["roster"]["name"] == "Park, Seoyeon"
    assert kim["lms"]["late"] is True and kim["roster"]["user_id"] == "125"
    assert scenario.subs["hanbit"]["score"] < scenario.subs["leejun"]["score"] == 20  # from the zip in the folder


def test_roster_students_without_a_submission_are_missing(scenario) -> None:
    absent, choi = scenario.subs["Absent, Always"], scenario.subs["Choi, Yuna"]
    for sub in (absent, choi):
        assert sub["status"] == "missing" and sub["score"] == 0
        assert {c["status"] for c in sub["checks"]} == {"missing"}
        assert len(sub["checks"]) == len(scenario.results["checks"])
    assert "choiyuna_124_460_report.pdf (a .pdf file" in choi["error"]
    assert absent["error"] == "no submission received"


def test_bad_archives_cost_only_their_owner(scenario) -> None:
    subs = scenario.subs
    for sid, reason in (("corrupt", "not a readable zip archive"), ("bomb", "unpacks to more than 20 MB"),
                        ("many", "holds 60000 files")):
        assert subs[sid]["status"] == "load_error" and reason in subs[sid]["error"], subs[sid]["error"]
    assert subs["longname"]["status"] == "load_error"  # its only file had an impossible name: nothing to grade
    assert all(len(s["path"]) < 300 for s in subs.values())
    assert all(subs[f"slow{n}"]["score"] == 20 for n in range(4))


def test_canvas_and_moodle_exports_carry_the_lms_ids(scenario) -> None:
    out = scenario.out
    subprocess.run([sys.executable, "-m", "grader", "export", str(out), "--format", "canvas", "--out",
                    str(scenario.root / "canvas.csv")], check=True, capture_output=True)
    with open(scenario.root / "canvas.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    column = list(rows[0])[-1]
    assert column == scenario.results["title"] and rows[0]["Student"] == "Points Possible" and rows[0][column] == "20"
    by_id = {r["ID"]: r for r in rows[1:] if r["ID"]}
    assert set(by_id) == {"123", "124", "125", "126", "127", "128"}
    assert by_id["123"]["Student"] == "Park, Seoyeon" and by_id["123"]["SIS Login ID"] == "spark"
    assert by_id["128"][column] == "0" and by_id["123"][column] == "20"
    with open(out / "exports" / "moodle.csv", newline="", encoding="utf-8") as f:
        moodle = {r["Identifier"]: r for r in csv.DictReader(f)}
    assert moodle["Participant 123"]["Grade"] == "20.00" and moodle["Participant 128"]["Status"] == "No submission"
