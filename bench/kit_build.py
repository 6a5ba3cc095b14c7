"""How long `grader kit` takes per assignment, next to `grader check` of the solution in the same run.

    python bench/kit_build.py [ASSIGNMENT...]

With several assignments, they are also built all at once in parallel processes (``grader kit A B ...``).

Building a kit grades the solution (and a perturbed copy) a few times in this process, so the useful number is
the ratio to one `grader check` of the solution, measured now on the same machine; the seconds depend on the load
(printed). Nothing here asserts.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.assignments import SHIPPED  # noqa: E402
from grader.grade import grade  # noqa: E402
from grader.kit.build import build_kit  # noqa: E402

try:
    from grader.kit.build import build_kits  # noqa: E402
except ImportError:  # an older checkout (the bench compares commits): no parallel builds there
    build_kits = None
from reference.submission import as_submission  # noqa: E402


def main(names: list[str]) -> None:
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'assignment':<11} {'kit build':>10} {'check':>8} {'ratio':>6}  record/verify s  answers  wheel kB")
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            solution = Path(tmp) / f"{name}.py"
            solution.write_text(as_submission(name), encoding="utf-8")
            start = time.perf_counter()
            grade(name, [str(solution)], None, jobs=1)
            check = time.perf_counter() - start
            start = time.perf_counter()
            built = build_kit(name, Path(tmp) / "out")
            kit = time.perf_counter() - start
            total += kit
            print(f"{name:<11} {kit:>9.1f}s {check:>7.1f}s {kit / check:>6.1f}  "
                  f"{built.seconds['record']:>6.1f}/{built.seconds['verify']:<6.1f}  {built.questions:>7}  "
                  f"{built.wheel.stat().st_size / 1024:>8.0f}")
    print(f"all: {total:.1f} s one after another")
    if len(names) > 1 and build_kits is not None:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            build_kits(names, Path(tmp), jobs=os.cpu_count() or 1)
            wall = time.perf_counter() - start
        print(f"all in parallel ({os.cpu_count()} processes): {wall:.1f} s wall ({total / wall:.1f}x)")


if __name__ == "__main__":
    main(sys.argv[1:] or list(SHIPPED))
