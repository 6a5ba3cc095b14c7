"""Write a pure-Python wheel from a folder of files (PEP 427): no build backend, no network, milliseconds."""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

WHEEL_TEXT = "Wheel-Version: 1.0\nGenerator: dlfs-grader kit\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def write_wheel(tree: Path, out_dir: Path, name: str, version: str, summary: str, requires: list[str],
                scripts: dict[str, str]) -> Path:
    """Zip every file under ``tree`` into ``out_dir/<name>-<version>-py3-none-any.whl``."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n",
                        "Requires-Python: >=3.10\n", *(f"Requires-Dist: {r}\n" for r in requires)])
    entry_points = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
    files = {str(p.relative_to(tree)).replace("\\", "/"): p.read_bytes()
             for p in sorted(tree.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = WHEEL_TEXT.encode()
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    files[f"{info}/top_level.txt"] = "".join(sorted({f.split("/")[0] + "\n" for f in files if "/" in f
                                                      and not f.startswith(info)})).encode()
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in files.items())
    record += f"{info}/RECORD,,\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(f"{info}/RECORD", record)
    return wheel
