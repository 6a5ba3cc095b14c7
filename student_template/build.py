"""Generate the student notebooks `student_template/<assignment>.ipynb` from the skeletons.

Run from the repository root:

    python -m student_template.build           # (re)write every notebook
    python -m student_template.build --check   # exit 1 if a committed notebook is stale

(`python student_template/build.py` works too.) Each notebook holds a markdown cell made
from the skeleton's first comment block (title, how to self-check), the install cell of the
student kit (`grader kit`), one code cell with the imports, then per component one code cell
with its full skeleton followed by its `check("component")` cell. Notebooks are generated,
never edited by hand: edit the `.py` skeleton and rebuild.

The install cell installs the kit's wheel by file name (a wheel next to the notebook, or uploaded to
the Colab session). To point it at the address where you publish the kits (course site, GitHub release),
rebuild with `--kit-url https://example.org/kits/`: the cell then reads `%pip install -q <URL><wheel>`.
"""
from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from student_template.notebooks import Cell, notebook_text  # noqa: E402

TEMPLATE_DIR = Path(__file__).resolve().parent
ASSIGNMENTS = ("numerical", "backprop", "layers", "optim", "conv")
REBUILD = "python -m student_template.build"

KIT_WHEEL = "dlfs_kit_{name}-0.1.0-py3-none-any.whl"  # what `grader kit {name} --out DIR` writes
INSTALL_CELL = """\
# The student kit: run this cell first (once per session). It checks your work on the public checks,
# without the answers, with the grader's own messages. Your instructor tells you where the kit is.
%pip install -q {url}
from grader_kit import check"""
CHECK_CELL = 'check("{component}")'

NOTEBOOK_NOTE = """\
In Jupyter, a cell `!grader check {name} {name}.ipynb` does the same (from Colab, download
the notebook as `{name}.ipynb` and check that file). Submit this notebook as it is: cells
of your own (experiments, plots) may stay, the grader uses only the imports and the
definitions."""


@dataclass(frozen=True)
class Skeleton:
    """A skeleton split into its parts: header comment lines, imports, components."""

    header: list[str]  # comment lines before the first statement, "# " stripped
    imports: str  # source of the top-level import statements
    components: list[tuple[str, str]]  # (name, source with its leading comments), in order


def _segment(lines: list[str], start: int, end: int) -> str:
    """lines[start:end] joined, without leading or trailing blank lines."""
    return "\n".join(lines[start:end]).strip("\n")


def split_skeleton(source: str) -> Skeleton:
    """Split a skeleton into header, imports and components (top-level defs and classes).

    Raises ValueError for any other top-level statement: skeletons hold only imports and
    definitions, so that every line ends up in exactly one notebook cell.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    if not tree.body:
        raise ValueError("the skeleton is empty")
    first = tree.body[0].lineno - 1
    header = [line.lstrip("#")[1:] if line.startswith("# ") else line.lstrip("#") for line in lines[:first]]
    imports, components, previous_end = [], [], first
    for node in tree.body:
        start = node.lineno - 1 if isinstance(node, (ast.Import, ast.ImportFrom)) else previous_end
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if components:
                raise ValueError(f"line {node.lineno}: imports must come before the components")
            imports.append(_segment(lines, start, node.end_lineno))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            components.append((node.name, _segment(lines, start, node.end_lineno)))
        else:
            raise ValueError(f"line {node.lineno}: only imports and definitions belong in a skeleton")
        previous_end = node.end_lineno
    return Skeleton(header, "\n".join(imports), components)


def header_markdown(name: str, header: list[str]) -> str:
    """The first markdown cell: the header as markdown, `.py` self-checks turned into `.ipynb`."""
    title, *body = header
    text = "\n".join(body).strip("\n").replace(f"{name}.py", f"{name}.ipynb")
    return f"# {title.strip()}\n\n{text}\n\n{NOTEBOOK_NOTE.format(name=name)}"


def install_cell(name: str, kit_url: str = "") -> str:
    """The kit's install cell: ``%pip install`` of its wheel (at ``kit_url`` when given), then the import."""
    return INSTALL_CELL.format(url=kit_url + KIT_WHEEL.format(name=name))


def notebook_cells(name: str, source: str, kit_url: str = "") -> list[Cell]:
    """The cells of the notebook of assignment `name` from its skeleton's source."""
    skeleton = split_skeleton(source)
    cells: list[Cell] = [("markdown", header_markdown(name, skeleton.header)), ("code", install_cell(name, kit_url)),
                         ("code", skeleton.imports)]
    for component, text in skeleton.components:
        cells += [("code", text), ("code", CHECK_CELL.format(component=component))]
    return cells


def expected_notebook(name: str, template_dir: Path = TEMPLATE_DIR, kit_url: str = "") -> str:
    """The notebook text that build writes for assignment `name`."""
    source = (template_dir / f"{name}.py").read_text(encoding="utf-8")
    return notebook_text(notebook_cells(name, source, kit_url))


def stale_notebooks(names: tuple[str, ...] = ASSIGNMENTS, template_dir: Path = TEMPLATE_DIR) -> list[Path]:
    """The notebooks that are missing or differ from what build would write."""
    stale = []
    for name in names:
        path = template_dir / f"{name}.ipynb"
        if not path.exists() or path.read_bytes() != expected_notebook(name, template_dir).encode("utf-8"):
            stale.append(path)
    return stale


def write_notebooks(names: tuple[str, ...] = ASSIGNMENTS, template_dir: Path = TEMPLATE_DIR,
                    kit_url: str = "") -> list[Path]:
    """(Re)write the notebooks of `names`; returns their paths."""
    paths = []
    for name in names:
        path = template_dir / f"{name}.ipynb"
        path.write_bytes(expected_notebook(name, template_dir, kit_url).encode("utf-8"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: write the notebooks, or with --check report stale ones (exit 1)."""
    parser = argparse.ArgumentParser(prog=REBUILD, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a notebook is stale")
    parser.add_argument("--kit-url", default="", metavar="URL",
                        help="where the student kits' wheels are published (the install cell prefixes it)")
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help=f"any of {', '.join(ASSIGNMENTS)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.assignments) - set(ASSIGNMENTS))
    if unknown:
        parser.error(f"unknown assignment(s): {', '.join(unknown)}")
    names = tuple(args.assignments) or ASSIGNMENTS
    if not args.check:
        for path in write_notebooks(names, kit_url=args.kit_url):
            print(f"wrote {path}")
        return 0
    stale = stale_notebooks(names)
    for path in stale:
        print(f"{path} is out of date with {path.with_suffix('.py').name}", file=sys.stderr)
    if stale:
        print(f"regenerate the notebooks with `{REBUILD}` and commit them", file=sys.stderr)
        return 1
    print(f"{len(names)} notebook(s) up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
