"""One submission file -> :class:`LoadedSubmission` (data only; the judge never runs student code).

Steps, each a small function below:

1. text: ``.py`` bytes decoded per PEP 263 (fallbacks noted), BOM dropped, CRLF/CR -> LF; ``.ipynb``
   read with nbformat (v3 and older converted), one *unit* per code cell (numbered 1.. among code cells);
2. IPython syntax removed (magics, ``!shell``, ``obj?``) keeping line numbers;
3. parse with syntax-error recovery: the top-level chunk holding the error is blanked and the
   rest re-parsed, so one typo loses only the definitions it breaks;
4. filter: imports, ``def``, ``class`` and cheap constant assignments are kept (``if``/``try`` blocks
   filtered recursively); calls, loops, ``with``, ``__main__`` blocks and assignments computed by
   the student's own or unknown functions are not run;
5. static analysis: functions and methods that read module-level data variables (``global_reads``),
   and warnings when a kept function reads a name only a dropped statement would have set.
   Decisions: ALL_CAPS names only ever assigned a literal (``EPS = 1e-7``) are not reported; a name
   declared ``global`` and only assigned (``global cache; cache = {}``) is a write, not reported, while
   ``global n; n += 1`` reads it and is; nested functions and lambdas count for the enclosing function.

Notebooks: a broken cell loses only its broken chunks (the same recovery as a file), not the whole cell.
Notes stay few: magics and prints are removed silently; one info note lists the top-level statements
not run; a warning only when it matters (a kept function reads a name that will not exist, ``%run``).

Line numbers everywhere are 1-based lines of the file, or of the notebook cell.
"""
from __future__ import annotations

import ast
import builtins
import copy
import io
import json
import re
import symtable
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Literal

from grader.discover import source_files, split_display_path
from grader.loaded import GlobalRead, LoadedSubmission, LoadNote, Statement

MAX_RECOVERY_ROUNDS = 200
RECOVERY_SECONDS = 20.0  # per submission: a last resort (the character budget below decides, deterministically)
RECOVERY_COMPILE_FACTOR = 3  # ... or after compiling this many times the submission's text (plus 2 MB)
MAX_SYNTAX_NOTES = 20  # syntax errors noted one by one; the rest are counted in one note
SUMMARY_PLACES = 6

# --- what counts as cheap to evaluate at top level -----------------------------------------------

CHEAP_BUILTINS = frozenset(
    "abs all any bool bytes complex dict divmod enumerate float frozenset int isinstance len list max min "
    "pow range reversed round set slice sorted str sum tuple zip object type".split()
)
NUMPY_FUNCS = frozenset(
    "array asarray asfarray ascontiguousarray zeros ones empty full zeros_like ones_like empty_like full_like "
    "arange linspace logspace geomspace eye identity diag diagflat tri tril triu meshgrid mgrid ogrid "
    "concatenate stack vstack hstack column_stack dstack tile repeat reshape transpose swapaxes moveaxis "
    "expand_dims squeeze ravel flip dot matmul outer inner einsum exp log log2 log10 log1p expm1 sqrt square "
    "power abs absolute sign tanh sinh cosh sin cos tan arctan arcsin arccos maximum minimum clip where "
    "sum mean std var max min prod cumsum argmax argmin sort argsort round floor ceil isnan isfinite "
    "float16 float32 float64 int8 int16 int32 int64 uint8 bool_ dtype finfo iinfo newaxis".split()
)
CHEAP_MODULE_PREFIXES = ("numpy.random.", "numpy.linalg.", "math.", "random.", "cmath.", "fractions.", "decimal.")
CHEAP_QUALNAMES = frozenset(
    {f"numpy.{name}" for name in NUMPY_FUNCS}
    | {f"builtins.{name}" for name in CHEAP_BUILTINS}
    | {"collections.OrderedDict", "collections.defaultdict", "collections.namedtuple", "collections.deque",
       "collections.Counter", "functools.partial", "typing.NamedTuple", "typing.TypeVar"}
)
CHEAP_METHODS = frozenset(
    "reshape astype copy flatten ravel transpose squeeze tolist item sum mean max min std var dot clip round "
    "keys values items get T "
    "normal uniform standard_normal integers random choice permutation randn rand randint binomial "
    "exponential poisson shuffle".split()
)
DISPLAY_BUILTINS = frozenset({"print", "display", "help"})
DISPLAY_MODULES = ("matplotlib.", "seaborn.", "IPython.", "pprint.", "warnings.")
UNAVAILABLE_MODULES = ("google.colab",)  # never importable while grading; dropped without a note

# --- IPython syntax ------------------------------------------------------------------------------

PAYLOAD_LINE_MAGICS = frozenset({"time", "timeit", "prun", "memit", "debug"})  # "%time x = f()" -> "x = f()"
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug"})
SILENT_CELL_MAGICS = frozenset(
    {"bash", "sh", "script", "html", "HTML", "javascript", "js", "latex", "markdown", "svg", "perl", "ruby", "system"}
)
NOTED_LINE_MAGICS = {
    "run": "`%{name}` was not run: put the definitions you need in this file",
    "load": "`%{name}` was not run: put the definitions you need in this file",
    "pylab": "`%pylab` was removed: import what you use (`import numpy as np`)",
}
_LINE_MAGIC = re.compile(r"^%(?!%)(?P<name>\w+)(?P<rest>.*)$")
_CELL_MAGIC = re.compile(r"^%%(?P<name>[\w!]+)(?P<rest>.*)$")
_ASSIGN_MAGIC = re.compile(r"^(?P<lhs>[\w\s,()\[\]*.]+?)\s*=\s*(?P<rhs>[!%].*)$")
_HELP = re.compile(r"^\?{1,2}\S|^[\w.\[\]()*]+\s*\?{1,2}$")
_TIMEIT_OPTIONS = re.compile(r"^(?:-[nr]\s*\d+\s+|-[a-zA-Z]+\s+)*")
_CONTINUES_BLOCK = re.compile(r"^(else|elif|except|finally)\b")
_DEF_NAME = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)")
_NEVER_IN_BRACKETS = re.compile(r"^(?:(?:def|class|async\s+def|import|while|with)\b|try\s*:|@)|^from\s+[\w.]+\s+import\b")
_ALL_CAPS = re.compile(r"^[A-Z][A-Z0-9_]*$")


# ================================================================================================
# public API
# ================================================================================================

def load_submission(path: Path, id: str, display_path: str | None = None) -> LoadedSubmission:
    """Load one ``.py`` file, ``.ipynb`` notebook or (merged) folder of them. Never raises for bad input.

    ``display_path`` is what the instructor sees (``discover`` may append ``[remark]``: the remark
    becomes an info note).
    """
    path = Path(path)
    shown, remark = split_display_path(display_path or str(path))
    if path.is_dir():
        loaded = _load_folder(path, id, shown)
    else:
        kind: Literal["py", "ipynb"] = "ipynb" if path.suffix.lower() == ".ipynb" else "py"
        try:
            data = path.read_bytes()
        except OSError as exc:
            return LoadedSubmission(id, shown, kind, error=f"cannot read {shown}: {exc.strerror or exc}")
        loaded = _load_units(id, shown, kind, [_read_units(data, kind, None)])
    if remark:
        loaded.notes.insert(0, LoadNote(f"{shown}: {remark}"))
    return loaded


def load_source(source: str, id: str, path: str, kind: Literal["py", "ipynb"] = "py") -> LoadedSubmission:
    """Load from text (``kind="ipynb"``: the notebook's JSON text). For tests and ``grader check``."""
    units = _notebook_units(source, None) if kind == "ipynb" else _Read([_Unit(_normalise(source), None, None)])
    return _load_units(id, path, kind, [units])


# ================================================================================================
# 1. reading: bytes -> units of source text
# ================================================================================================

@dataclass
class _Unit:
    """A piece of source parsed on its own: a whole .py file or one notebook code cell."""

    text: str
    cell: int | None
    file: str | None  # set only when a folder's files are merged


@dataclass
class _Read:
    units: list[_Unit]
    notes: list[LoadNote] = field(default_factory=list)
    error: str | None = None


def _read_units(data: bytes, kind: str, file: str | None) -> _Read:
    if kind == "ipynb":
        text = data.decode("utf-8-sig", errors="replace")
        return _notebook_units(text, file)
    text, note = decode_python(data)
    read = _Read([_Unit(_normalise(text), None, file)])
    if note:
        read.notes.append(LoadNote(note, file=file))
    return read


def decode_python(data: bytes) -> tuple[str, str | None]:
    """Source bytes -> text per PEP 263 (cookie or BOM, default UTF-8); falls back with a note.

    Fallback order when the declared/default encoding fails: UTF-8, cp949 (Korean Windows), Latin-1.
    """
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # unknown encoding in the cookie, or a BOM that contradicts it
        declared = None
    if declared:
        try:
            return data.decode(declared), None
        except (UnicodeDecodeError, LookupError):
            pass
    said = f"declares encoding `{declared}` but is not valid {declared}" if declared not in (None, "utf-8", "utf-8-sig") \
        else "is not valid UTF-8"
    for fallback, label in (("utf-8-sig", "UTF-8"), ("cp949", "cp949 (Korean Windows)"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        return text, f"the file {said}; it was read as {label}: save it as UTF-8"
    raise AssertionError("latin-1 decodes every byte string")


def _normalise(text: str) -> str:
    text = text[1:] if text.startswith("\ufeff") else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _notebook_units(text: str, file: str | None) -> _Read:
    try:
        nb = _notebook(text)
    except Exception as exc:  # NotJSONError, conversion errors of malformed notebooks
        not_json = type(exc).__name__ in ("NotJSONError", "JSONDecodeError")
        reason = "it is not JSON" if not_json else f"{type(exc).__name__}: {_first_line(exc)}"
        where = f"{file}: " if file else ""
        return _Read([], error=f"{where}not a readable Jupyter notebook ({reason}); download it again "
                                f"from Jupyter or Colab (File > Download > .ipynb)")
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    units = [_Unit(_normalise(_cell_source(c)), number, file) for number, c in enumerate(code, start=1)]
    return _Read(units)


def _notebook(text: str) -> dict:
    """The notebook in nbformat 4. A version-4 file (what Jupyter and Colab write) is read as plain JSON:
    nbformat's schema validation costs more than the rest of loading and its verdict is not used (cells
    that are not code are skipped anyway); older versions are converted by nbformat."""
    data = json.loads(text)
    if isinstance(data, dict) and data.get("nbformat") == 4 and isinstance(data.get("cells"), list):
        return {"cells": [c for c in data["cells"] if isinstance(c, dict)]}
    import nbformat

    return nbformat.reads(text, as_version=4, capture_validation_error={})


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _load_folder(folder: Path, id: str, shown: str) -> LoadedSubmission:
    files = source_files(folder)
    kind: Literal["py", "ipynb"] = "ipynb" if any(f.suffix.lower() == ".ipynb" for f in files) else "py"
    if not files:
        return LoadedSubmission(id, shown, kind, error=f"{shown}: no .py or .ipynb file to grade")
    reads = []
    for f in files:
        rel = f.relative_to(folder).as_posix()
        try:
            reads.append(_read_units(f.read_bytes(), "ipynb" if f.suffix.lower() == ".ipynb" else "py", rel))
        except OSError as exc:
            reads.append(_Read([], error=f"cannot read {rel}: {exc.strerror or exc}"))
    return _load_units(id, shown, kind, reads)


def _load_units(id: str, path: str, kind: Literal["py", "ipynb"], reads: list[_Read]) -> LoadedSubmission:
    """Steps 2-5 over every unit of every read file."""
    loaded = LoadedSubmission(id=id, path=path, kind=kind)
    errors = [r.error for r in reads if r.error]
    for r in reads:
        loaded.notes.extend(r.notes)
    units = [u for r in reads for u in r.units]
    if errors and not units:
        loaded.error = "; ".join(errors)
        return loaded
    for message in errors:  # a merged folder with one unreadable file: grade the rest
        loaded.notes.append(LoadNote(message, severity="warning"))
    _Loader(loaded).run(units)
    return loaded


# ================================================================================================
# 2. IPython syntax
# ================================================================================================

def scan_lines(lines: list[str]) -> tuple[list[bool], list[int]]:
    """Per physical line: does it start a logical line, and where its code ends (a ``#`` comment, or len).

    A small lexer: tracks brackets, string literals (triple-quoted across lines) and backslash
    continuations. Good enough for IPython-syntax lines, which are never valid Python.
    """
    starts, code_ends = [], []
    depth, quote, continued = 0, None, False
    for line in lines:
        if depth and quote is None and _NEVER_IN_BRACKETS.match(line):
            depth = 0  # an unclosed bracket above (a syntax error): do not swallow the rest of the file
        starts.append(depth == 0 and quote is None and not continued)
        continued, end, i = False, len(line), 0
        while i < len(line):
            if quote:
                if line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(quote, i):
                    i, quote = i + len(quote), None
                    continue
                i += 1
                continue
            ch = line[i]
            if ch == "#":
                end = i
                break
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            elif ch in "'\"":
                quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else ch
                i += len(quote)
                continue
            elif ch == "\\" and i == len(line) - 1:
                continued = True
            i += 1
        if quote and len(quote) == 1 and not line.endswith("\\"):
            quote = None  # an unterminated one-line string ends with its line (a syntax error later)
        code_ends.append(end)
    return starts, code_ends


@dataclass
class _Cleaned:
    text: str
    notes: list[LoadNote]
    shell_assigns: list["_Dropped"]  # "x = !ls": names that will not exist


def strip_ipython(text: str, cell: int | None = None, file: str | None = None) -> _Cleaned:
    """Remove magics, shell and help lines; keep the line count. Drops the whole text for non-Python cell magics."""
    lines = text.split("\n")
    notes: list[LoadNote] = []
    assigns: list[_Dropped] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and (m := _CELL_MAGIC.match(lines[first].strip())):
        name = m["name"]
        if name not in PYTHON_CELL_MAGICS:
            if name not in SILENT_CELL_MAGICS:
                notes.append(LoadNote(f"a `%%{name}` cell is not Python and was not run", first + 1, cell, file=file))
            return _Cleaned("\n" * (len(lines) - 1), notes, assigns)
        lines[first] = ""
    starts, code_ends = scan_lines(lines)
    for i, line in enumerate(lines):
        if not starts[i]:
            continue
        code = line[:code_ends[i]]
        stripped = code.strip()
        if not stripped or stripped[0] not in "%!?" and not stripped.endswith("?") and "=" not in stripped:
            continue
        indent = line[: len(line) - len(line.lstrip())]
        replacement, note, assign = _ipython_line(stripped, indent, i + 1, cell, file)
        if replacement is not None:
            lines[i] = replacement
            notes.extend([note] if note else [])
            assigns.extend([assign] if assign else [])
    return _Cleaned("\n".join(lines), notes, assigns)


def _ipython_line(stripped: str, indent: str, lineno: int, cell: int | None, file: str | None):
    """(replacement line or None if not IPython syntax, note, dropped shell assignment)."""
    blank = indent + "pass" if indent else ""
    if stripped.startswith("!") or _HELP.match(stripped):
        return blank, None, None
    if (m := _ASSIGN_MAGIC.match(stripped)) and not stripped.startswith(("%", "!")):
        names = [n for n in re.findall(r"[A-Za-z_]\w*", m["lhs"])]
        return blank, None, _Dropped(stripped, names, lineno, cell, file, silent=True)
    if not (m := _LINE_MAGIC.match(stripped)):
        return None, None, None
    name, rest = m["name"], m["rest"].strip()
    if name in PAYLOAD_LINE_MAGICS and rest:
        payload = _TIMEIT_OPTIONS.sub("", rest) if name == "timeit" else rest
        return indent + payload, None, None
    if name in NOTED_LINE_MAGICS:
        message = NOTED_LINE_MAGICS[name].format(name=f"{name} {rest}".strip())
        severity = "warning" if name in ("run", "load") else "info"
        return blank, LoadNote(message, lineno, cell, severity, file=file), None
    return blank, None, None


# ================================================================================================
# 3. parsing with syntax-error recovery
# ================================================================================================

def top_level_chunks(lines: list[str]) -> list[tuple[int, int]]:
    """1-based inclusive line ranges of top-level chunks.

    A chunk starts at a non-blank, non-comment line in column 0 that starts a logical line and does
    not continue a compound statement (``else``/``except``/...); decorators stay with their def.
    """
    starts, _ = scan_lines(lines)
    chunk_starts: list[int] = []
    after_decorator = False
    for i, line in enumerate(lines):
        if not starts[i] or not line.strip() or line[0] in " \t#" or _CONTINUES_BLOCK.match(line):
            continue
        if not after_decorator:
            chunk_starts.append(i + 1)
        after_decorator = line.startswith("@")
    if not chunk_starts:
        return []
    chunk_starts[0] = 1  # leading comments and stray indented lines belong to the first chunk
    ends = [s - 1 for s in chunk_starts[1:]] + [len(lines)]
    return list(zip(chunk_starts, ends))


@dataclass
class _Parsed:
    tree: ast.Module | None
    text: str
    notes: list[LoadNote]
    all_failed: bool  # there was code, and none of it parsed


class RecoveryBudget:
    """What syntax-error recovery may spend on one submission: time and characters compiled.

    Recovery compiles the text once, each top-level chunk once (linear in the text), and then, for errors
    that only show in context, the whole text again per error. A large file with many errors would make
    that quadratic; the budget stops it with a note that names the first error."""

    def __init__(self, text_size: int, seconds: float = RECOVERY_SECONDS) -> None:
        self.deadline = time.monotonic() + seconds
        self.chars_left = RECOVERY_COMPILE_FACTOR * max(text_size, 1) + 2_000_000
        self.seconds = seconds
        self.syntax_notes = 0
        self.unnoted = 0

    def spend(self, chars: int) -> bool:
        """Account for compiling ``chars`` characters; False once the budget is used up."""
        self.chars_left -= chars
        return self.chars_left >= 0 and time.monotonic() < self.deadline

    def note(self, notes: list[LoadNote], note: LoadNote) -> None:
        """Keep the first MAX_SYNTAX_NOTES syntax notes; count the rest."""
        if self.syntax_notes < MAX_SYNTAX_NOTES:
            notes.append(note)
            self.syntax_notes += 1
        else:
            self.unnoted += 1


def _parse_and_compile(text: str) -> ast.Module:
    """The tree of ``text``, which also compiles (the compiler finds errors the parser does not, such as
    ``return`` outside a function): parsed once, compiled from the tree."""
    tree = ast.parse(text)
    compile(tree, "<submission>", "exec", dont_inherit=True)
    return tree


def parse_with_recovery(text: str, cell: int | None = None, file: str | None = None,
                        budget: RecoveryBudget | None = None) -> _Parsed:
    """``ast.parse`` + ``compile`` the text; on a SyntaxError blank the chunk holding it and retry, within
    ``budget`` (one per submission; a fresh one for this text when None)."""
    text = text.replace("\x00", "")
    budget = budget or RecoveryBudget(len(text))
    lines = text.split("\n")
    chunks: list[tuple[int, int]] | None = None
    dropped: list[tuple[int, int]] = []
    notes: list[LoadNote] = []
    first_error: SyntaxError | None = None
    for _ in range(MAX_RECOVERY_ROUNDS):
        current = "\n".join(lines)
        if not budget.spend(len(current)):
            return _gave_up(text, notes, first_error, budget, cell, file)
        try:
            tree = _parse_and_compile(current)
            return _Parsed(tree, current, notes, bool(dropped) and not _has_code_lines(lines))
        except SyntaxError as exc:
            first_error = first_error or exc
            if chunks is None:  # one pass over the chunks alone: linear, however many errors there are
                chunks = top_level_chunks(lines)
                failures = _chunk_failures(lines, chunks, budget)
                if failures is None:
                    return _gave_up(text, notes, first_error, budget, cell, file)
                failures = failures or [(None, exc)]
            else:  # what is left depends on context (`from __future__` late in the file, ...): one at a time
                failures = [(None, exc)]
            for chunk, error in failures:
                chunk = chunk or _culprit(error, chunks, dropped, len(lines))
                if chunk is None:
                    return _Parsed(None, text, notes, True)
                dropped.append(chunk)
                budget.note(notes, _syntax_note(error, chunk, lines, cell, file))
                lines[chunk[0] - 1: chunk[1]] = [""] * (chunk[1] - chunk[0] + 1)
            if budget.unnoted:
                _count_unnoted(notes, budget, cell, file)
        except (RecursionError, MemoryError, ValueError) as exc:
            notes.append(LoadNote(f"the code could not be parsed ({type(exc).__name__}); it was skipped", None, cell, "warning", file))
            break
    return _Parsed(None, text, notes, True)


def _chunk_failures(lines: list[str], chunks: list[tuple[int, int]],
                    budget: RecoveryBudget) -> list[tuple[tuple[int, int] | None, SyntaxError]] | None:
    """The chunks that do not compile on their own, with their errors; None when the budget ran out."""
    failures: list[tuple[tuple[int, int] | None, SyntaxError]] = []
    for chunk in chunks:
        source = "\n".join(lines[chunk[0] - 1: chunk[1]])
        if not budget.spend(len(source)):
            return None
        error = _chunk_error(source, chunk[0])
        if error is not None:
            failures.append((chunk, error))
    return failures


def _chunk_error(source: str, first_line: int) -> SyntaxError | None:
    """The error of a chunk compiled on its own (its line numbers shifted to the file's), or None."""
    try:
        compile(source, "<chunk>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        if exc.lineno is not None:
            exc.lineno += first_line - 1
        if getattr(exc, "end_lineno", None) is not None:
            exc.end_lineno += first_line - 1
        if exc.msg and (match := re.search(r"on line (\d+)", exc.msg)):
            exc.msg = exc.msg.replace(match[0], f"on line {int(match[1]) + first_line - 1}")
        return exc
    except (RecursionError, MemoryError, ValueError):
        return None  # reported by the whole-text compile
    return None


def _count_unnoted(notes: list[LoadNote], budget: RecoveryBudget, cell: int | None, file: str | None) -> None:
    """One note for the syntax errors beyond the first MAX_SYNTAX_NOTES (replaced as the count grows)."""
    text = f"... and {budget.unnoted} more syntax errors (each skipped its definition, as above)"
    notes[:] = [n for n in notes if not n.message.startswith("... and ")]
    notes.append(LoadNote(text, None, cell, "warning", file))


def _gave_up(text: str, notes: list[LoadNote], first: SyntaxError | None, budget: RecoveryBudget,
             cell: int | None, file: str | None) -> _Parsed:
    where = f" (the first is at line {first.lineno}: {first.msg})" if first is not None and first.lineno else ""
    notes.append(LoadNote(
        f"this code has too many syntax errors for the grader to recover from{where}: nothing of it was kept. Fix the syntax errors (run the file with python to see them one by one) and submit again.",
        first.lineno if first is not None else None, cell, "error", file))
    return _Parsed(None, text, notes, True)


def _culprit(exc: SyntaxError, chunks: list[tuple[int, int]], dropped: list[tuple[int, int]], n_lines: int) -> tuple[int, int] | None:
    """The chunk to blank for this error: the one holding its line (or the block header it names),
    else the closest earlier chunk still there; the whole text when it has no chunks."""
    lineno = exc.lineno or n_lines
    if match := re.search(r"on line (\d+)", exc.msg or ""):  # "expected an indented block after 'if' on line 3"
        lineno = int(match[1])
    candidates = [c for c in chunks if c not in dropped and c[0] <= lineno]
    if candidates:
        return candidates[-1]
    whole = (1, n_lines)
    return None if whole in dropped or not n_lines else whole


def _has_code_lines(lines: list[str]) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def _syntax_note(exc: SyntaxError, chunk: tuple[int, int], lines: list[str], cell: int | None, file: str | None) -> LoadNote:
    names = [m[1] for line in lines[chunk[0] - 1: chunk[1]] if (m := _DEF_NAME.match(line))]
    names += [m[1] for line in lines[chunk[0] - 1: chunk[1]] if (m := re.match(r"^([A-Za-z_]\w*)\s*=[^=]", line))]
    last = _last_code_line(lines, chunk)
    span = f"lines {chunk[0]}..{last}" if last > chunk[0] else f"line {chunk[0]}"
    what = f"the definition(s) {', '.join(f'`{n}`' for n in names)} on {span} were skipped" if names else f"{span} were skipped"
    if not names and last == chunk[0]:
        what = f"{span} was skipped"
    return LoadNote(f"{type(exc).__name__}: {exc.msg}: {what}", exc.lineno, cell, "warning", file)


def _last_code_line(lines: list[str], chunk: tuple[int, int]) -> int:
    for i in range(chunk[1], chunk[0], -1):
        if lines[i - 1].strip() and not lines[i - 1].lstrip().startswith("#"):
            return i
    return chunk[0]


# ================================================================================================
# 4. filtering: what is kept for the student process
# ================================================================================================

@dataclass
class _Dropped:
    """A top-level statement (or part of one) that will not run, and the module names it would set."""

    text: str
    names: list[str]
    lineno: int
    cell: int | None
    file: str | None
    silent: bool = False  # nothing worth telling (docstrings, `pass`, the __main__ guard, ...)


@dataclass
class _Kept:
    node: ast.stmt
    unit: _Unit
    lines: list[str]


@dataclass
class _Decision:
    keep: bool
    dropped_inner: list[ast.stmt] = field(default_factory=list)


class _Loader:
    """Runs steps 2-5 over units, filling one ``LoadedSubmission``."""

    def __init__(self, loaded: LoadedSubmission) -> None:
        self.loaded = loaded
        self.imports: dict[str, set[str]] = {}  # alias -> dotted origins ("np" -> {"numpy"})
        self.callables: set[str] = set()  # the student's own top-level functions and classes
        self.data_kept: set[str] = set()
        self.dropped: list[_Dropped] = []
        self.kept: list[_Kept] = []
        self.unit: _Unit | None = None
        self.lines: list[str] = []
        self.recovery: RecoveryBudget | None = None  # one per submission, made in run()
        self.defined: set[str] = set(loaded.defined)

    # -- driver ------------------------------------------------------------------------------------
    def run(self, units: list[_Unit]) -> None:
        self.recovery = RecoveryBudget(sum(len(u.text) for u in units))
        parsed = [(u, self._prepare(u)) for u in units]
        trees = [(u, p) for u, p in parsed if p.tree is not None]
        for _, p in trees:
            self.callables |= _defined_callables(p.tree.body)
        for unit, p in trees:
            self.unit, self.lines = unit, p.text.split("\n")
            for node in p.tree.body:
                self._top_level(node)
        has_code = any(_has_code_lines(u.text.split("\n")) for u in units)
        if has_code and all(p.tree is None or p.all_failed for u, p in parsed if _has_code_lines(u.text.split("\n"))):
            self.loaded.error = "no part of the code could be parsed: " + _first_syntax_message(self.loaded.notes)
            return
        self._finish(has_code, [p.tree for _, p in trees])

    def _prepare(self, unit: _Unit) -> _Parsed:
        try:  # plain Python (most files and cells): no IPython syntax to strip (none of it is Python), no recovery
            return _Parsed(_parse_and_compile(unit.text), unit.text, [], False)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # IPython syntax, an error, a NUL byte
            pass
        cleaned = strip_ipython(unit.text, unit.cell, unit.file)
        self.loaded.notes.extend(cleaned.notes)
        self.dropped.extend(cleaned.shell_assigns)
        parsed = parse_with_recovery(cleaned.text, unit.cell, unit.file, self.recovery)
        self.loaded.notes.extend(parsed.notes)
        return parsed

    # -- one top-level statement -------------------------------------------------------------------
    def _top_level(self, node: ast.stmt) -> None:
        decision = self._decide(node)
        if not decision.keep:
            return
        self.kept.append(_Kept(node, self.unit, self.lines))
        source = self._source(node, decision.dropped_inner)
        lineno = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        self.loaded.statements.append(Statement(source, lineno, self.unit.cell, file=self.unit.file))
        for name in _bound_names(node, decision.dropped_inner):
            if name not in self.defined:  # a set: a list lookup made a 40,000-definition file quadratic
                self.defined.add(name)
                self.loaded.defined.append(name)

    def _decide(self, node: ast.stmt) -> _Decision:
        """Keep or drop ``node``; records imports, kept data names and dropped statements."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return self._import(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return _Decision(True)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            return self._assignment(node)
        if isinstance(node, ast.If) and not _is_main_guard(node.test) and self._cheap(node.test):
            return self._block(node, [node.body, node.orelse])
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            if all(h.type is None or self._cheap(h.type) for h in node.handlers):
                return self._block(node, [node.body, *[h.body for h in node.handlers], node.orelse, node.finalbody])
        self._drop(node, silent=_is_silent(node) or self._is_display_call(node))
        return _Decision(False)

    def _import(self, node: ast.Import | ast.ImportFrom) -> _Decision:
        module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
        origins = [a.name for a in node.names] if isinstance(node, ast.Import) else [module]
        if any(o == m or o.startswith(m + ".") for o in origins for m in UNAVAILABLE_MODULES):
            self._drop(node, silent=True)
            return _Decision(False)
        for alias in node.names:
            if isinstance(node, ast.Import):
                bound, origin = alias.asname or alias.name.split(".")[0], alias.name if alias.asname else alias.name.split(".")[0]
            else:
                bound, origin = alias.asname or alias.name, f"{module}.{alias.name}"
            self.imports.setdefault(bound, set()).add(origin)
        return _Decision(True)

    def _assignment(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> _Decision:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:  # "x: int" binds nothing
            self._drop(node, silent=True)
            return _Decision(False)
        augmented_ok = not isinstance(node, ast.AugAssign) or _root_name(node.target) in self.data_kept
        if augmented_ok and all(self._target_ok(t) for t in targets) and self._cheap(node.value):
            self.data_kept.update(n for t in targets for n in _target_names(t))
            return _Decision(True)
        self._drop(node)
        return _Decision(False)

    def _block(self, node: ast.stmt, blocks: list[list[ast.stmt]]) -> _Decision:
        """An ``if``/``try`` whose inner statements are filtered; kept if anything inside is kept."""
        dropped_inner: list[ast.stmt] = []
        kept_any = False
        for block in blocks:
            for inner in block:
                decision = self._decide(inner)
                kept_any |= decision.keep
                dropped_inner.extend(decision.dropped_inner if decision.keep else [inner])
        if not kept_any:
            return _Decision(False)
        return _Decision(True, dropped_inner)

    def _drop(self, node: ast.stmt, silent: bool = False) -> None:
        first = self.lines[node.lineno - 1].strip() if node.lineno <= len(self.lines) else ""
        multi = node.end_lineno is not None and node.end_lineno > node.lineno
        text = _shorten(first + (" ..." if multi and not first.endswith(":") else ""))
        if isinstance(node, (ast.For, ast.While, ast.With, ast.AsyncFor, ast.AsyncWith)):
            text = _shorten(first)
        self.dropped.append(_Dropped(text, _module_names_set(node), node.lineno, self.unit.cell, self.unit.file, silent))

    # -- cheapness -------------------------------------------------------------------------------
    def _target_ok(self, target: ast.expr) -> bool:
        if isinstance(target, ast.Name):
            return True
        if isinstance(target, (ast.Tuple, ast.List)):
            return all(self._target_ok(e) for e in target.elts)
        if isinstance(target, ast.Starred):
            return self._target_ok(target.value)
        if isinstance(target, (ast.Subscript, ast.Attribute)):  # params["W1"] = ... on kept data only
            return _root_name(target) in self.data_kept and self._cheap(target)
        return False

    def _cheap(self, expr: ast.AST | None) -> bool:
        """Can this expression be evaluated at top level without running the student's code or I/O?"""
        if expr is None or isinstance(expr, (ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
            return True
        if isinstance(expr, ast.Name):
            return not self._only_dropped(expr.id)
        if isinstance(expr, ast.Lambda):
            return all(self._cheap(d) for d in [*expr.args.defaults, *expr.args.kw_defaults])
        if isinstance(expr, ast.Call):
            return self._cheap_call(expr)
        if isinstance(expr, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        return all(self._cheap(child) for child in ast.iter_child_nodes(expr))

    def _cheap_call(self, call: ast.Call) -> bool:
        args_cheap = all(self._cheap(a) for a in call.args) and all(self._cheap(k.value) for k in call.keywords)
        if not args_cheap:
            return False
        func = call.func
        if isinstance(func, ast.Attribute) and not self._qualnames(func):  # a method on a cheap value
            return func.attr in CHEAP_METHODS and self._cheap(func.value) and not self._is_student_object(func.value)
        return any(_cheap_qualname(q) for q in self._qualnames(func))

    def _qualnames(self, func: ast.expr) -> set[str]:
        """Dotted origins of a callee (``np.random.randn`` -> {"numpy.random.randn"}), empty if not a module's."""
        parts: list[str] = []
        while isinstance(func, ast.Attribute):
            parts.insert(0, func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id in self.callables or func.id in self.data_kept:
            return set()
        suffix = "".join(f".{p}" for p in parts)
        if func.id in self.imports:
            return {origin + suffix for origin in self.imports[func.id]}
        return {f"builtins.{func.id}{suffix}"} if hasattr(builtins, func.id) else set()

    def _is_display_call(self, node: ast.stmt) -> bool:
        """``print(...)``, ``plt.show()``, ``np.random.seed(0)``: not worth a word when they do not run."""
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            return False
        func = node.value.func
        if isinstance(func, ast.Name) and func.id in DISPLAY_BUILTINS and func.id not in self.callables:
            return True
        if self._cheap(node.value):  # no effect at all, e.g. a timed `np.ones(3)`
            return True
        origins = self._qualnames(func)
        return any(q.startswith(DISPLAY_MODULES) or q.endswith(".seed") for q in origins)

    def _is_student_object(self, expr: ast.expr) -> bool:
        root = _root_name(expr)
        return root is not None and root in self.callables

    def _only_dropped(self, name: str) -> bool:
        return name not in self.data_kept and name not in self.imports and name not in self.callables \
            and any(name in d.names for d in self.dropped)

    # -- statement text --------------------------------------------------------------------------
    def _source(self, node: ast.stmt, dropped_inner: list[ast.stmt]) -> str:
        if not dropped_inner:
            return _segment(self.lines, node)
        lines = list(self.lines)
        for inner in dropped_inner:
            if not _owns_its_lines(lines, inner):
                return _unparse_without(node, dropped_inner)
            first = lines[inner.lineno - 1]
            indent = first[: len(first) - len(first.lstrip())]
            lines[inner.lineno - 1] = indent + "pass"
            for i in range(inner.lineno, inner.end_lineno):
                lines[i] = ""
        return _segment(lines, node)

    # -- 5. analysis and notes ---------------------------------------------------------------------
    def _finish(self, has_code: bool, trees: list[ast.Module]) -> None:
        module_data = _module_data_names(trees, self.callables, set(self.imports))
        scopes: dict[int, dict[tuple[str, int], symtable.SymbolTable]] = {}  # by unit (its parsed lines)
        for k in self.kept:
            if id(k.lines) not in scopes:
                scopes[id(k.lines)] = _scopes_of(k.lines)
        wanted = module_data | {name for d in self.dropped for name in d.names}  # the reads that are used below
        reads = [r for k in self.kept for r in _function_reads(k, scopes[id(k.lines)], wanted)]
        self.loaded.global_reads = [
            GlobalRead(r.function, r.name, r.lineno, k_cell, file=k_file)
            for r, k_cell, k_file in reads
            if r.name in module_data
        ]
        self.loaded.global_reads += _alias_reads(self.kept, self.loaded.global_reads)
        self.loaded.notes += _redefinition_notes(self.kept)
        self._warn_dropped_reads([(r, c, f) for r, c, f in reads if r.name not in self.data_kept])
        self._summary(has_code)
        self.loaded.notes = _ordered(self.loaded.notes)

    def _warn_dropped_reads(self, reads: list[tuple["_GlobalUse", int | None, str | None]]) -> None:
        shown: set[str] = set()
        for d in self.dropped:
            pairs = [(r.function, r.name) for r, _, _ in reads
                     if r.name in d.names and r.name not in shown and r.name not in self.imports and r.name not in self.callables]
            pairs = list(dict.fromkeys(pairs))
            if not pairs:
                continue
            shown.update(name for _, name in pairs)
            d.silent = True  # said here; not repeated in the summary
            said = ", ".join(f"your function `{fn}` reads `{name}`" for fn, name in pairs)
            self.loaded.notes.append(LoadNote(f"`{d.text}` was not run; {said}", d.lineno, d.cell, "warning", d.file))

    def _summary(self, has_code: bool) -> None:
        loud = sorted((d for d in self.dropped if not d.silent), key=lambda d: (d.file or "", d.cell or 0, d.lineno))
        if loud:
            places = "; ".join(_where(d.lineno, d.cell, d.file) for d in loud[:SUMMARY_PLACES])
            more = "; ..." if len(loud) > SUMMARY_PLACES else ""
            count = f"{len(loud)} top-level statement{'s' if len(loud) != 1 else ''}"
            self.loaded.notes.append(LoadNote(
                f"not run (only imports, definitions and simple constants are): {count}, at {places}{more}"))
        if not has_code:
            self.loaded.notes.append(LoadNote("no code found: every check will report `missing`", severity="warning"))
        elif not any(isinstance(k.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for k in self.kept) \
                and not _defines_in_blocks(self.kept):
            self.loaded.notes.append(LoadNote("no function or class definitions found: every check will report `missing`",
                                              severity="warning"))


# --- helpers of the filter -----------------------------------------------------------------------

def _cheap_qualname(qualname: str) -> bool:
    return qualname in CHEAP_QUALNAMES or qualname.startswith(CHEAP_MODULE_PREFIXES)


def _is_main_guard(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and any(
        isinstance(n, ast.Name) and n.id == "__name__" for n in [test.left, *test.comparators])


def _is_silent(node: ast.stmt) -> bool:
    """Statements nobody needs to hear about: docstrings, bare names (notebook display), `pass`, __main__."""
    if isinstance(node, (ast.Pass, ast.Global, ast.Nonlocal)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.Name, ast.Attribute)):
        return True
    return isinstance(node, ast.If) and _is_main_guard(node.test)


def _root_name(expr: ast.expr) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Subscript, ast.Call)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _target_names(e)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _scope_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and its descendants in the same scope; nested defs/classes/lambdas are yielded, not entered."""
    yield node
    if not isinstance(node, _SCOPES):
        for child in ast.iter_child_nodes(node):
            yield from _scope_nodes(child)


def _module_names_set(node: ast.stmt) -> list[str]:
    """Module-level names a top-level statement would bind (loop targets, assignments inside blocks)."""
    names = [n.id for n in _scope_nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    return list(dict.fromkeys(names))


def _defined_callables(body: list[ast.stmt]) -> set[str]:
    return {sub.name for node in body for sub in _scope_nodes(node)
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _bound_names(node: ast.stmt, dropped_inner: list[ast.stmt]) -> list[str]:
    """Names a kept top-level statement binds in the module (imports, defs, classes, assignments)."""
    skip = {id(d) for d in dropped_inner}
    names: list[str] = []

    def visit(stmt: ast.stmt) -> None:
        if id(stmt) in skip:
            return
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Import):
            names.extend(a.asname or a.name.split(".")[0] for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            names.extend(a.asname or a.name for a in stmt.names if a.name != "*")
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names.extend(n for t in targets for n in _target_names(t))
        for field_name in ("body", "orelse", "finalbody"):
            for child in getattr(stmt, field_name, []) if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else []:
                visit(child)
        for handler in getattr(stmt, "handlers", []):
            for child in handler.body:
                visit(child)

    visit(node)
    return names


def _defines_in_blocks(kept: list[_Kept]) -> bool:
    return any(isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               for k in kept for sub in _scope_nodes(k.node) if sub is not k.node)


def _segment(lines: list[str], node: ast.stmt) -> str:
    """The statement's own text: from its first decorator (or its start) to its end column."""
    decorators = getattr(node, "decorator_list", None)
    first = decorators[0].lineno if decorators else node.lineno
    start_col = 0 if decorators else _char_col(lines[first - 1], node.col_offset)
    last = lines[node.end_lineno - 1]
    end_col = _char_col(last, node.end_col_offset)
    if last[end_col:].lstrip().startswith("#"):  # a trailing comment belongs to the statement
        end_col = len(last)
    chunk = lines[first - 1: node.end_lineno]
    if len(chunk) == 1:
        return chunk[0][start_col:end_col]
    return "\n".join([chunk[0][start_col:], *chunk[1:-1], chunk[-1][:end_col]])


def _char_col(line: str, byte_col: int | None) -> int:
    if byte_col is None:
        return len(line)
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _owns_its_lines(lines: list[str], node: ast.stmt) -> bool:
    """Does the statement sit alone on its lines (no `;` neighbours, not on its block header's line)?"""
    first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
    before = first[: _char_col(first, node.col_offset)]
    after = last[_char_col(last, node.end_col_offset):].strip()
    return not before.strip() and (not after or after.startswith("#"))


def _unparse_without(node: ast.stmt, dropped_inner: list[ast.stmt]) -> str:
    """Fallback for one-line blocks (``if x: a = 1; f()``): the block re-written without the dropped parts."""
    memo: dict[int, object] = {}
    clone = copy.deepcopy(node, memo)
    drop_ids = {id(memo[id(d)]) for d in dropped_inner if id(d) in memo}

    class Prune(ast.NodeTransformer):
        def generic_visit(self, n: ast.AST) -> ast.AST:
            if id(n) in drop_ids:
                return ast.copy_location(ast.Pass(), n)
            return super().generic_visit(n)

    return ast.unparse(Prune().visit(clone))


def _module_data_names(trees: Iterable[ast.Module], callables: set[str], imports: set[str]) -> set[str]:
    """Names bound as data at module level (kept or dropped), minus ALL_CAPS literal constants."""
    bound: set[str] = set()
    literal_only: dict[str, bool] = {}
    alias_only: dict[str, bool] = {}  # `_Affine = Affine`, `act = np.tanh`: another name for code, not data
    for tree in trees:
        for node in tree.body:
            for sub in _scope_nodes(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    bound.add(sub.id)
                if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                    for t in targets:
                        if isinstance(t, ast.Name):
                            literal = not isinstance(sub, ast.AugAssign) and _is_literal(sub.value)
                            literal_only[t.id] = literal_only.get(t.id, True) and literal
                            alias = not isinstance(sub, ast.AugAssign) and _is_code_alias(sub.value, callables, imports)
                            alias_only[t.id] = alias_only.get(t.id, True) and alias
                        else:
                            for name in _target_names(t):
                                literal_only[name] = False
    constants = {n for n, lit in literal_only.items() if lit and _ALL_CAPS.match(n)}
    aliases = {n for n, alias in alias_only.items() if alias}
    return bound - callables - imports - constants - aliases


def _is_code_alias(value: ast.expr | None, callables: set[str], imports: set[str]) -> bool:
    """``Affine`` (a function or class of the file) or ``np.tanh`` (an attribute of an imported module)."""
    while isinstance(value, ast.Attribute):
        value = value.value
        if isinstance(value, ast.Name):
            return value.id in imports
    return isinstance(value, ast.Name) and value.id in callables


def _is_literal(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)):
        return _is_literal(value.operand)
    return isinstance(value, ast.Tuple) and all(_is_literal(e) for e in value.elts)


# --- global reads --------------------------------------------------------------------------------

@dataclass
class _GlobalUse:
    function: str
    name: str
    lineno: int


def _function_reads(kept: _Kept, scopes: dict[tuple[str, int], symtable.SymbolTable], wanted: set[str]
                    ) -> Iterator[tuple[_GlobalUse, int | None, str | None]]:
    """Every (function, global name in ``wanted`` it reads, first line) of a kept statement's functions and
    methods; ``scopes``: :func:`_scopes_of` of the statement's unit."""
    for qualname, fn in _functions_in(kept.node):
        for name, lineno in _global_loads(fn, scopes.get((fn.name, fn.lineno)), wanted):
            yield _GlobalUse(qualname, name, lineno), kept.unit.cell, kept.unit.file


def _scopes_of(lines: list[str]) -> dict[tuple[str, int], symtable.SymbolTable]:
    """Every function and class scope of the text a unit was parsed from, by (name, line of its ``def``):
    one ``symtable`` per unit, where one per function (of its unparsed text) took half of a file's load."""
    try:
        stack = symtable.symtable("\n".join(lines), "<unit>", "exec").get_children()
    except (SyntaxError, ValueError):  # it parsed and compiled, so not expected: each function on its own then
        return {}
    found: dict[tuple[str, int], symtable.SymbolTable] = {}
    while stack:
        table = stack.pop()
        found.setdefault((table.get_name(), table.get_lineno()), table)
        stack.extend(table.get_children())
    return found


def _functions_in(node: ast.stmt) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Top-level functions and methods of top-level classes (also inside kept if/try blocks)."""
    for sub in _scope_nodes(node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield sub.name, sub
        elif isinstance(sub, ast.ClassDef):
            for item in sub.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{sub.name}.{item.name}", item


def _global_loads(fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: symtable.SymbolTable | None,
                  wanted: set[str]) -> list[tuple[str, int]]:
    """Names the function (with its nested scopes) looks up globally and actually reads, with first line.

    Scopes come from ``symtable`` (exact Python rules): ``scope``, the function's table within its unit
    (:func:`_scopes_of`), or one made from the function alone. A name declared ``global`` and only assigned
    (``global n; n = 0``) is a write, not a read, and is not reported; ``global n; n += 1`` reads it.
    ``wanted``: only these names (the body is not walked when the function looks up none of them).
    """
    if scope is None:
        bare = copy.copy(fn)
        bare.decorator_list = []  # decorators and defaults run in the module scope, not in the function
        scope = symtable.symtable(ast.unparse(ast.Module([bare], [])), "<fn>", "exec").get_children()[0]
    globals_: set[str] = set()
    stack = [scope]
    while stack:
        t = stack.pop()
        globals_.update(s.get_name() for s in t.get_symbols() if s.is_global())
        stack.extend(t.get_children())
    globals_ &= wanted
    if not globals_:
        return []
    first: dict[str, int] = {}
    for name, lineno in _reads_outside_annotations(fn):
        if name in globals_:
            first[name] = min(first.get(name, lineno), lineno)
    return sorted(first.items(), key=lambda item: (item[1], item[0]))


def _reads_outside_annotations(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, int]]:
    """(name, line) of every name the body reads, in one walk that does not enter annotations of the body
    (``p: Params = {}``, a nested function's parameters and return): a type alias there is not a data read."""
    skip: set[int] = set()
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.AnnAssign):
            skip.add(id(node.annotation))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip.update(id(a.annotation) for a in node.args.args + node.args.kwonlyargs if a.annotation)
            if node.returns:
                skip.add(id(node.returns))
        name = _read_name(node)
        if name is not None:
            yield name, node.lineno
        stack.extend(child for child in ast.iter_child_nodes(node) if id(child) not in skip)


def _alias_reads(kept: list["_Kept"], reads: list[GlobalRead]) -> list[GlobalRead]:
    """``conv1d = forward`` at the top level: ``conv1d`` reads what ``forward`` reads (the alias hides it)."""
    found = []
    for k in kept:
        node = k.node
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id != node.value.id:
                    found += [GlobalRead(target.id, r.name, r.lineno, r.cell, file=r.file)
                              for r in reads if r.function == node.value.id]
    return found


def _redefinition_notes(kept: list["_Kept"]) -> list[LoadNote]:
    """A top-level function or class defined again later: the later definition is the one graded."""
    seen: dict[str, "_Kept"] = {}
    notes = []
    for k in kept:
        names = [k.node.name] if isinstance(k.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else []
        for name in names:
            if name in seen:
                first = seen[name]
                notes.append(LoadNote(
                    f"`{name}` is defined again here, after its definition at "
                    f"{_where(first.node.lineno, first.unit.cell, first.unit.file)}: the later definition replaces "
                    "the earlier one, and only the later one is graded (rename one of them if both are needed)",
                    k.node.lineno, k.unit.cell, "warning", k.unit.file))
            seen[name] = k
    return notes


def _read_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return node.id
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


# --- notes ---------------------------------------------------------------------------------------

def _where(lineno: int | None, cell: int | None, file: str | None) -> str:
    return LoadNote("", lineno, cell, file=file).where


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 4].rstrip() + " ..."


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def _first_syntax_message(notes: list[LoadNote]) -> str:
    for note in notes:
        if note.severity == "warning" and "Error" in note.message:
            return f"{note.where}: {note.message}" if note.where else note.message
    return "the file is not valid Python"


def _ordered(notes: list[LoadNote]) -> list[LoadNote]:
    """File-wide notes first, then by file, cell and line (stable), summaries last."""
    def key(item: tuple[int, LoadNote]) -> tuple:
        index, note = item
        if note.lineno is None and note.cell is None:
            return (0 if index < _first_positional(notes) else 2, "", 0, 0, index)
        return (1, note.file or "", note.cell or 0, note.lineno or 0, index)
    return [n for _, n in sorted(enumerate(notes), key=key)]


def _first_positional(notes: list[LoadNote]) -> int:
    return next((i for i, n in enumerate(notes) if n.lineno is not None or n.cell is not None), len(notes))


__all__ = ["decode_python", "load_source", "load_submission", "parse_with_recovery", "scan_lines", "strip_ipython",
           "top_level_chunks"]
