"""Discovery: paths (files, folders, zips, LMS bulk downloads) -> SubmissionFile list."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from grader.discover import (
    DiscoveryError, LmsIdentity, SubmissionFile, discover, discover_all, split_display_path, student_id,
)
from grader.loader import load_submission

DEF = "def relu(x):\n    return x\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def summary(found: list[SubmissionFile]) -> list[tuple[str, str, str]]:
    return [(f.id, f.kind, f.display_path) for f in found]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("kimminji_12345_678901_numerical.ipynb", "kimminji"),
        ("kimminji_LATE_12345_678901_numerical.py", "kimminji"),
        ("Kim Minji_12345_assignsubmission_file_numerical.py", "Kim Minji"),
        ("Kim Minji_12345_assignsubmission_file_", "Kim Minji"),  # a Moodle per-student folder
        ("alice.py", "alice"),
        ("my_hw_2.ipynb", "my_hw_2"),
        ("bob.v2.PY", "bob.v2"),
        ("김민지.py", "김민지"),
    ],
)
def test_student_id(name: str, expected: str) -> None:
    assert student_id(name) == expected


def test_files_and_folders_mixed(tmp_path: Path) -> None:
    write(tmp_path, {
        "class/alice.py": DEF,
        "class/bob.ipynb": "{}",
        "class/notes.txt": "ignored",
        "class/carol/numerical.py": DEF,
        "class/.hidden.py": DEF,
        "class/__pycache__/x.py": DEF,
        "class/dave/hw/.ipynb_checkpoints/main-checkpoint.ipynb": "{}",
        "class/dave/hw/main.ipynb": "{}",
        "extra/erin.py": DEF,
    })
    found = discover([tmp_path / "class", str(tmp_path / "extra/erin.py")], tmp_path / "work")
    assert [(f.id, f.kind) for f in found] == [("alice", "py"), ("bob", "ipynb"), ("carol", "py"), ("dave", "ipynb"), ("erin", "py")]
    assert found[2].display_path == f"{tmp_path}/class/carol/numerical.py"
    assert found[3].path == tmp_path / "class/dave/hw/main.ipynb"


def test_folder_with_several_files_chooses_or_merges(tmp_path: Path) -> None:
    write(tmp_path, {
        "in/ann/numerical.ipynb": "{}", "in/ann/scratch.py": DEF, "in/ann/util.py": DEF,
        "in/ben/main.py": DEF, "in/ben/util.py": DEF,
        "in/cat/a.py": DEF, "in/cat/lib/b.py": DEF,
        "in/dan/report.pdf": "%PDF",
    })
    found = discover([tmp_path / "in"], tmp_path / "work", assignment="numerical")
    base = f"{tmp_path}/in"
    assert summary(found) == [
        ("ann", "ipynb", f"{base}/ann/numerical.ipynb [1 of 3 files: named after the assignment]"),
        ("ben", "py", f"{base}/ben/main.py [1 of 2 files: named main]"),
        ("cat", "dir", f"{base}/cat [merged 2 files: a.py, lib/b.py]"),
        ("dan", "dir", f"{base}/dan [no .py or .ipynb file]"),
    ]
    assert split_display_path(found[1].display_path) == (f"{base}/ben/main.py", "1 of 2 files: named main")
    assert split_display_path("a/b.py") == ("a/b.py", None)


def test_merged_folder_loads_every_file_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, {"cat/a.py": "import numpy as np\nW = np.ones(2)\n",
                     "cat/lib/b.py": "def forward(x):\n    return x @ W\ntrain(1)\n"})
    sub = discover([tmp_path], tmp_path / "work")[0]
    loaded = load_submission(sub.path, sub.id, sub.display_path)
    assert [(s.where, s.source) for s in loaded.statements] == [
        ("a.py, line 1", "import numpy as np"), ("a.py, line 2", "W = np.ones(2)"),
        ("lib/b.py, line 1", "def forward(x):\n    return x @ W"),
    ]
    assert [(n.where, n.message) for n in loaded.notes] == [
        ("", f"{tmp_path}/cat: merged 2 files: a.py, lib/b.py"),
        ("", "not run (only imports, definitions and simple constants are): 1 top-level statement, at lib/b.py, line 3"),
    ]
    assert [(g.function, g.name, g.file) for g in loaded.global_reads] == [("forward", "W", "lib/b.py")]
    assert loaded.path == f"{tmp_path}/cat"


def test_folder_without_sources_loads_as_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"in/dan/report.pdf": "%PDF", "in/eve.py": DEF})
    dan = discover([tmp_path / "in"], tmp_path / "work")[0]
    loaded = load_submission(dan.path, dan.id, dan.display_path)
    assert loaded.error == f"{tmp_path}/in/dan: no .py or .ipynb file to grade"


def test_lms_bulk_names_and_id_clashes(tmp_path: Path) -> None:
    write(tmp_path, {
        "dl/kimminji_12345_678901_numerical.ipynb": "{}",
        "dl/kimminji_LATE_12345_678999_numerical.ipynb": "{}",
        "dl/Lee Jiho_777_assignsubmission_file_numerical.py": DEF,
        "dl/Park Sora_778_assignsubmission_file_/numerical.py": DEF,
        "dl/alice.py": DEF,
        "dl2/alice.py": DEF,
        "dl2/alice-2.py": DEF,
    })
    found = discover([tmp_path / "dl", tmp_path / "dl2"], tmp_path / "work")
    # clashes get -2, -3 in (case-insensitive) display-path order; "alice-2.py" sorts before "alice.py";
    # kimminji's two uploads (same LMS user 12345) are one submission: the later attachment, marked LATE
    assert [f.id for f in found] == ["alice", "kimminji", "Lee Jiho", "Park Sora", "alice-2", "alice-3"]
    assert [Path(f.display_path).name for f in found] == [
        "alice.py", "kimminji_LATE_12345_678999_numerical.ipynb",
        "Lee Jiho_777_assignsubmission_file_numerical.py", "numerical.py", "alice-2.py", "alice.py"]
    assert found[1].lms == LmsIdentity("canvas", "12345", "kimminji", late=True, attachment_id="678999")
    assert found[2].lms == LmsIdentity("moodle", "777", "Lee Jiho")
    assert found[3].lms == LmsIdentity("moodle", "778", "Park Sora")
    assert found[0].lms is None


def test_every_file_is_graded_or_skipped_with_a_reason(tmp_path: Path) -> None:
    """A PDF-only student, a Canvas re-upload (hw-1.py), a student's two different files, notes.txt."""
    write(tmp_path, {
        "dl/parkseoyeon_123_456_hw.py": DEF,
        "dl/parkseoyeon_123_456_hw-1.py": DEF + "# fixed\n",
        "dl/choiyuna_124_460_report.pdf": "%PDF",
        "dl/hanbit_125_470_numerical.py": DEF,
        "dl/hanbit_125_471_utils.py": DEF,
        "dl/notes.txt": "hi",
    })
    found = discover_all([tmp_path / "dl"], tmp_path / "work", assignment="numerical")
    dl = f"{tmp_path}/dl"
    assert [(f.id, f.path.name) for f in found.submissions] == [
        ("hanbit", "hanbit_125_470_numerical.py"), ("parkseoyeon", "parkseoyeon_123_456_hw-1.py")]
    assert found.submissions[1].notes == (
        "resubmission: graded parkseoyeon_123_456_hw-1.py, the latest of 2 uploads (older: parkseoyeon_123_456_hw.py)",)
    assert found.submissions[0].display_path.endswith("[1 of 2 files: named after the assignment]")
    assert [(s.path, s.reason) for s in found.skipped] == [
        (f"{dl}/choiyuna_124_460_report.pdf", "a .pdf file, not .py, .ipynb or .zip: not graded"),
        (f"{dl}/hanbit_125_471_utils.py", "numerical.py is graded (named after the assignment) of this student's 2 files"),
        (f"{dl}/notes.txt", "a .txt file, not .py, .ipynb or .zip: not graded"),
        (f"{dl}/parkseoyeon_123_456_hw.py",
         "an older upload of hw-1.py: parkseoyeon_123_456_hw-1.py is graded (resubmission)"),
    ]
    assert found.skipped[0].lms == LmsIdentity("canvas", "124", "choiyuna", attachment_id="460")


def test_an_lms_zip_inside_a_folder_is_a_batch_and_the_output_folder_is_never_graded(tmp_path: Path) -> None:
    write(tmp_path, {"in/dana.py": DEF, "in/out/students/x.py": DEF, "in/old/.grader/store": "", "in/old/a.py": DEF})
    make_zip(tmp_path / "in/submissions.zip", {
        "hw1/kimminji_12345_678901_numerical.py": DEF, "hw1/leejun_12346_678902_numerical.py": DEF,
        "hw1/kimminji_12345_678901_readme.pdf": "%PDF",
    })
    make_zip(tmp_path / "in/erin.zip", {"erin/a.py": DEF, "erin/b.py": DEF})
    found = discover_all([tmp_path / "in"], tmp_path / "work", exclude=[tmp_path / "in/out"])
    base = f"{tmp_path}/in"
    assert [(f.id, f.display_path) for f in found.submissions] == [
        ("dana", f"{base}/dana.py"),
        ("erin", f"{base}/erin.zip/erin [merged 2 files: a.py, b.py]"),
        ("kimminji", f"{base}/submissions.zip/hw1/kimminji_12345_678901_numerical.py"),
        ("leejun", f"{base}/submissions.zip/hw1/leejun_12346_678902_numerical.py"),
    ]
    assert [(s.path, s.reason.split(":")[0]) for s in found.skipped] == [
        (f"{base}/old/", "an output folder of an earlier grader run"),
        (f"{base}/out/", "the output folder of this run"),
        (f"{base}/submissions.zip/hw1/kimminji_12345_678901_readme.pdf", "a .pdf file, not .py, .ipynb or .zip"),
    ]


def _bomb(path: Path, megabytes: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.py", "w") as member:
            for _ in range(megabytes):
                member.write(b"#" * (1 << 20))
    return path


def test_a_bad_student_archive_is_that_students_load_error_only(tmp_path: Path) -> None:
    """Corrupt, a zip bomb, a 256-byte member name, 60,000 members: each costs only its own submission."""
    write(tmp_path, {"in/good.py": DEF})
    (tmp_path / "in/corrupt.zip").write_bytes(b"PK\x03\x04 not really a zip")
    _bomb(tmp_path / "in/bomb.zip", 30)
    make_zip(tmp_path / "in/longname.zip", {"x" * 256 + ".py": DEF, "ok.py": DEF})
    with zipfile.ZipFile(tmp_path / "in/many.zip", "w") as zf:
        for n in range(60_000):
            zf.writestr(f"d/{n}.py", "")
    found = discover_all([tmp_path / "in"], tmp_path / "work")
    subs = {f.id: f for f in found.submissions}
    assert subs["good"].error is None and subs["longname"].error is None
    assert subs["longname"].notes == (f"{tmp_path}/in/longname.zip: skipped a member whose name is longer than 255 "
                                      f"bytes ('{'x' * 119}…')",)
    assert "corrupt.zip: not a readable zip archive" in subs["corrupt"].error
    assert "bomb.zip: unpacks to more than 20 MB of .py/.ipynb files" in subs["bomb"].error
    assert "many.zip: holds 60000 files, more than the 2000 an archive may hold" in subs["many"].error
    assert all(len(f.display_path) < 300 for f in found.submissions)
    assert sum(p.stat().st_size for p in (tmp_path / "work").rglob("*") if p.is_file()) < 25 * 2**20


def test_batch_zip_with_nested_folders_macosx_student_zips_and_evil_members(tmp_path: Path) -> None:
    inner = make_zip(tmp_path / "inner.zip", {"hw/numerical.py": DEF, "hw/.DS_Store": "x", "../escape.py": DEF})
    batch = make_zip(tmp_path / "batch.zip", {
        "submissions/alice_1_2_numerical.py": DEF,
        "submissions/bob/src/relu.py": DEF,
        "submissions/__MACOSX/._alice_1_2_numerical.py": "junk",
        "__MACOSX/submissions/._bob": "junk",
        "submissions/carol_3_4_hw.zip": inner.read_bytes(),
        "submissions/readme.md": "skipped",
        "../evil.py": "import os",
        "/abs/evil.py": "import os",
    })
    work = tmp_path / "work"
    found = discover([batch], work)
    assert summary(found) == [
        ("alice", "py", f"{batch}/submissions/alice_1_2_numerical.py"),
        ("bob", "py", f"{batch}/submissions/bob/src/relu.py"),
        ("carol", "py", f"{batch}/submissions/carol_3_4_hw.zip/hw/numerical.py"),
    ]
    assert found[0].notes == (f"{batch}: skipped unsafe archive member '../evil.py'",
                              f"{batch}: skipped unsafe archive member '/abs/evil.py'")
    assert found[2].notes == (f"{batch}/submissions/carol_3_4_hw.zip: skipped unsafe archive member '../escape.py'",)
    assert all(work in f.path.parents for f in found)
    assert not (tmp_path / "evil.py").exists() and not (work / "evil.py").exists() and not (work.parent / "escape.py").exists()
    assert sorted(p.name for p in work.rglob("*") if p.is_file()) == [
        "alice_1_2_numerical.py", "carol_3_4_hw.zip", "numerical.py", "relu.py"]
    assert load_submission(found[2].path, found[2].id, found[2].display_path).defined == ["relu"]


def test_zip_size_cap(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"a.py": "x = 1\n" * 2000})
    with pytest.raises(DiscoveryError, match=r"big\.zip: unpacks to more than 0 MB .*unpack it yourself"):
        discover([archive], tmp_path / "work", max_extract_bytes=1000)


def test_zip_names_from_korean_windows_are_repaired(tmp_path: Path) -> None:
    """Windows zips store names in the local code page (cp949) without the UTF-8 flag."""
    path = make_zip(tmp_path / "k.zip", {"placeholder.py": DEF})
    path.write_bytes(_rename_member(path.read_bytes(), b"placeholder.py", "김민지.py".encode("cp949")))
    assert [f.id for f in discover([path], tmp_path / "work")] == ["김민지"]


def _rename_member(data: bytes, old: bytes, new: bytes) -> bytes:
    """Rename the single member of a stored zip in place (local header, central directory, end record)."""
    import struct

    delta = len(new) - len(old)
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    end = data.index(b"PK\x05\x06")
    head = bytearray(data[local:central])
    struct.pack_into("<H", head, 26, len(new))
    head = head.replace(old, new, 1)
    cdir = bytearray(data[central:end])
    struct.pack_into("<H", cdir, 28, len(new))
    cdir = cdir.replace(old, new, 1)
    tail = bytearray(data[end:])
    struct.pack_into("<I", tail, 12, len(cdir))
    struct.pack_into("<I", tail, 16, central + delta)
    return bytes(data[:local]) + bytes(head) + bytes(cdir) + bytes(tail)


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: p / "nope", r"nope: no such file or folder; check the path"),
        (lambda p: make_zip(p / "empty.zip", {"readme.txt": "hi"}), r"no \.py or \.ipynb submission found in .*empty\.zip"),
        (lambda p: write(p, {"e/x.txt": "hi"}) / "e", r"no \.py or \.ipynb submission found in .*/e: pass submission"),
        (lambda p: write(p, {"r.pdf": "%PDF"}) / "r.pdf", r"r\.pdf: not a \.py, \.ipynb, folder or \.zip"),
    ],
)
def test_instructor_mistakes(tmp_path: Path, setup, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message) as info:
        discover([setup(tmp_path)], tmp_path / "work")
    assert "\n" not in str(info.value)


def test_corrupt_zip(tmp_path: Path) -> None:
    bad = tmp_path / "class.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DiscoveryError, match=r"class\.zip: not a readable zip archive \(.*\); download it again"):
        discover([bad], tmp_path / "work")


def test_same_file_twice_and_deterministic_order(tmp_path: Path) -> None:
    write(tmp_path, {"c/b.py": DEF, "c/a.py": DEF, "c/A2.py": DEF})
    first = discover([tmp_path / "c", tmp_path / "c" / "a.py"], tmp_path / "w1")
    again = discover([tmp_path / "c" / "a.py", tmp_path / "c"], tmp_path / "w2")
    assert [f.id for f in first] == ["a", "A2", "b"]
    assert [f.id for f in again] == ["a", "A2", "b"]
