"""Every test grades with one fixed instructor key (grader/secret.py), so hidden inputs are the same on
every run and no test writes a key into the home folder. Tests about keys set their own."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEST_KEY = "5e" * 32


def pytest_configure(config) -> None:  # noqa: ANN001 - pytest's hook
    if os.environ.get("GRADER_SECRET_FILE"):
        return
    path = Path(tempfile.gettempdir()) / f"dlfs-grader-test-key-{os.getuid()}"
    if not path.exists() or path.read_text().strip() != TEST_KEY:
        path.write_text(TEST_KEY + "\n")
        path.chmod(0o600)
    os.environ["GRADER_SECRET_FILE"] = str(path)
