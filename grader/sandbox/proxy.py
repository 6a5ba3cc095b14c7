"""``Student``: what a check sees of a submission (see docs/ARCHITECTURE.md, "The student proxy").

Every attribute of ``student`` is a top-level name of the submission; calls copy arguments in as
data and decode results as data. Objects that are not data stay in the student process and come
back as :class:`RemoteObject` handles (methods, attribute and item reads and writes go through to
the student process). Nothing the student process sends is ever unpickled or executed here: the
judge only sees JSON values and numeric arrays, and a ``RemoteObject`` refuses to pose as data
(``np.asarray``/``float``/``bool``/``len`` on it raise ``StudentBadValue``).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from grader import calllog
from grader.diagnose import exception_cause, scope_names
from grader.errors import StudentBadValue, StudentCrashed, StudentError, StudentMissing, StudentRaised
from grader.loaded import LoadedSubmission, LoadNote
from grader.sandbox import testfns
from grader.sandbox.process import _GENERATIONS, LoadResult, StudentProcess, standin_request
from grader.sandbox.protocol import (
    Decoder, Encoder, GlobalRef, Handle, NotData, ProtocolError, TestFnRef, encode_message, split_frame,
)
from grader.sandbox.runtime import Runtime
from grader.untouched import CallLedger

DEFAULT_TIMEOUT = 10.0
TEXT_CAP = 20_000


class Student:
    """A submission running in an isolated student process (or, for benchmarks, in-process)."""

    def __init__(self, loaded: LoadedSubmission, *, memory_mb: int = 2048, scratch_root: str | None = None,
                 hide_paths: Any = (), backend: Any = None, **options: Any) -> None:
        self.loaded = loaded
        self._backend = backend or StudentProcess(loaded, memory_mb=memory_mb, scratch_root=scratch_root,
                                                  hide_paths=hide_paths, **options)
        self._check_id, self._calls, self._timeout = "", 0, DEFAULT_TIMEOUT
        self._last_seed: int | None = None
        self._seeds: Callable[[int], int] | None = None
        self.call_ledger = CallLedger()  # every call's array arguments as the student's code left them
        self._names: dict[str, str] | None = None
        self._ordinary: Any = None  # the usual backend while a block of ``replaced`` runs in a separate one
        self.last_output = ("", "")  # (stdout, stderr) of the last request, capped: for diagnostics only
        self._args_after: tuple[list[Any], dict[str, Any]] = ([], {})  # the last call's arguments as it left them

    # ---- facts
    @property
    def load_result(self) -> LoadResult:
        return self._backend.start()

    @property
    def isolation_level(self) -> str:
        return self.load_result.isolation

    @property
    def load_notes(self) -> list[LoadNote]:
        return self.load_result.notes

    def set_context(self, check_id: str, timeout: float | None = None,
                    seeds: Callable[[int], int] | None = None) -> None:
        """Seeds and time limit for the following calls. The seed of call n is ``seeds(n)`` (the plugin derives
        it from the instructor's secret: grader/secret.py); the check id itself never leaves the judge."""
        self._check_id, self._calls, self._last_seed = str(check_id), 0, None
        self._seeds = seeds
        calllog.LOG.clear()
        self._timeout = float(timeout) if timeout else DEFAULT_TIMEOUT

    def has(self, name: str) -> bool:
        """Is ``name`` a top-level name of the submission (after loading)?"""
        return name in self._known_names() or name in self._known_names(refresh=True)

    # ---- top-level names
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str) -> Any:
        """A top-level name: functions and classes as callable ``RemoteObject``s, data as data
        (dicts and lists as ``RemoteObject`` so writes land in the student process)."""
        kind = self._known_names().get(name) or self._known_names(refresh=True).get(name)
        if kind is None:
            raise StudentMissing(name, self._missing_hint(name))
        if kind in ("callable", "class"):
            return RemoteObject(self, GlobalRef(name), kind)
        return self._value(self._request("get", f"reading {name}", target=GlobalRef(name)))

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """``student.call("f", x)`` is ``student.f(x)`` (for names that clash with this class's)."""
        return self.get(name)(*args, **kwargs)

    def call_returning_args(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, tuple, dict]:
        """(result, args after the call, kwargs after the call): for checks that inputs are unchanged."""
        self.get(name)  # StudentMissing if undefined
        with _logged(self, "call", name, None, args, kwargs) as entry:
            reply, dec = self._request("call", f"{name}()", target=GlobalRef(name), args=list(args), kwargs=kwargs)
            entry.result = _log_copy(self._decode(dec, reply["value"]))
        after, after_kwargs = self._args_after
        return (self._decode(dec, reply["value"]), tuple(_own(a, s) for a, s in zip(after, args)),
                {k: _own(v, kwargs[k]) for k, v in after_kwargs.items()})

    def call_many(self, name: str, arg_lists: Sequence[Sequence[Any]], **kwargs: Any) -> Sequence[Any]:
        """``student.name(*args, **kwargs)`` for each of ``arg_lists``, in one round trip: each call gets the seed it
        would have had as a request of its own and is logged as one (its input, seed and result are what a failure
        message and the diagnosis of its cause read), so the answers are the same, only faster.

        A call that raises ends the batch, as it would end a loop of single calls: the results before it are
        returned, and reading its result (indexing or iterating up to it) raises what it raised, so a check that
        checks each result in turn fails on an earlier wrong result first, as the loop would."""
        self.get(name)  # StudentMissing if undefined
        seeds = [self._next_seed() for _ in arg_lists]
        if not seeds:
            return []
        calls = [list(args) for args in arg_lists]
        reply, dec = self._request("call_many", f"{name}()", seed=seeds[0], target=GlobalRef(name), calls=calls,
                                   kwargs=kwargs, seeds=seeds)
        values, after, after_kwargs = (self._decode(dec, reply.get(key)) for key in ("value", "args", "kwargs"))
        if not (isinstance(values, list) and len(values) <= len(calls) and isinstance(after, list)
                and isinstance(after_kwargs, list) and len(after) == len(after_kwargs) == len(values)):
            raise StudentBadValue("the student's code returned an unusable value: not one result per call")
        for sent, seed, value, left, left_kwargs in zip(calls, seeds, values, after, after_kwargs):  # as each call
            calllog.LOG.add(calllog.Call("call", name, None, _log_copy(tuple(sent)), _log_copy(dict(kwargs)),
                                         _log_copy(value), seed))
            self.call_ledger.record(name, self._check_id, sent, kwargs, *_as_left(sent, kwargs, left, left_kwargs))
        raised = reply.get("raised")
        if not calllog.LOG.paused:
            calllog.LOG.student = self
        if len(values) == len(calls):
            return values
        index = len(values)
        entry = calllog.Call("call", name, None, _log_copy(tuple(calls[index])), _log_copy(dict(kwargs)),
                             seed=seeds[index])
        calllog.LOG.add(entry)
        error = _student_error(raised.get("error") if isinstance(raised, dict) else None)
        if isinstance(error, StudentRaised):
            _explain_raise(self, entry, error)
        return _RaisesAt(values, len(calls), error)

    def run_driver(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run the trusted driver ``grader.sandbox.drivers.DRIVERS[name]`` inside the student process."""
        return self._value(self._request("driver", f"driver {name}", name=name, args=list(args), kwargs=kwargs))

    def put(self, data: Any) -> "RemoteObject":
        """Create ``data`` inside the student process; returns its handle (e.g. a params dict)."""
        handle = self._value(self._request("put", "put", value=data))
        calllog.LOG.add(calllog.Call("put", "put", _handle_id(handle), (_log_copy(data),)))
        return handle

    @contextlib.contextmanager
    def replaced(self, name: str, trusted_name: str | None = None) -> Iterator[None]:
        """Within the block the student's top-level ``name`` is the trusted helper ``trusted_name`` (default:
        the same name; see ``grader/sandbox/trusted.py``), so a caller is graded without its broken helper.

        The block runs in a separate student process of its own, started for it and closed after it: the
        trusted helper never enters the process the other checks use. Objects made before the block are
        not usable inside it (nor those made inside after it)."""
        outer = self._ordinary is None
        if outer:
            self._ordinary, self._backend = self._backend, self._backend.fresh()
        self._backend.stand_in(name, trusted_name or name)
        try:
            yield
        finally:
            if outer:
                self._backend.close()
                self._backend, self._ordinary = self._ordinary, None
            else:
                self._backend.stand_in(name, None)

    def testfn(self, name: str) -> TestFnRef:
        """A trusted test function, to pass as an argument (``student.numerical_gradient(f, x)``)."""
        testfns.get(name)  # KeyError for a typo in a check
        return TestFnRef(name)

    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> "Student":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Student {self.loaded.id!r}>"

    # ---- plumbing
    def _known_names(self, refresh: bool = False) -> dict[str, str]:
        if self._names is None:
            self._names = dict(self._backend.start().names)
        if refresh:
            reply, _ = self._request("names", "listing names")
            names = reply.get("names")
            self._names = {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}
        return self._names

    def _missing_hint(self, name: str) -> str:
        if name in self.loaded.defined:
            return "its definition is in the file but did not run (see the notes on loading)"
        return ""

    def _next_seed(self) -> int:
        self._calls += 1
        if self._seeds is None:
            from grader.inputs import current_keyring

            keyring = current_keyring()
            self._seeds = lambda n, check=self._check_id: keyring.seed(check, n)
        self._last_seed = self._seeds(self._calls)
        return self._last_seed

    def _seed_of_last_call(self) -> int | None:
        """The seed the last request went with (None before the first of this check)."""
        return self._last_seed if self._calls else None

    def _ref_json(self, value: Any) -> dict[str, Any] | None:
        if isinstance(value, RemoteObject):
            value._ro_check()
            return _ref_to_json(value._ro_ref)
        return None

    def _request(self, op: str, what: str, *, seed: int | None = None, **values: Any) -> tuple[dict[str, Any], Decoder]:
        encoder = Encoder(refs=self._ref_json)
        header: dict[str, Any] = {"op": op, "seed": self._next_seed() if seed is None else seed}
        for key, value in values.items():
            try:
                header[key] = value if type(value) in (str, bool) else encoder.encode(value)
            except NotData as exc:
                raise TypeError(f"cannot send this to the student process ({exc}); "
                                "pass arrays/numbers, student.testfn(name) or student objects") from None
        if op == "call":  # every call returns its arguments: no call looks "watched" from inside
            header["return_args"] = True
        reply, blobs = self._backend.exchange(header, encoder, self._timeout, what)
        self.last_output = (_text(reply.get("stdout")), _text(reply.get("stderr")))
        if reply.get("ok") is not True:
            raise _student_error(reply.get("error"))
        generation = self._backend.generation
        decoder = Decoder(blobs, lambda ref: RemoteObject(self, ref, generation=generation))
        if op == "call":
            self._record_arguments(what, values, reply, decoder)
        return reply, decoder

    def _record_arguments(self, what: str, values: dict[str, Any], reply: dict[str, Any], dec: Decoder) -> None:
        """Compare the arrays this call sent with what the student's code left in them (CallLedger)."""
        sent, sent_kwargs = values.get("args") or [], values.get("kwargs") or {}
        try:
            after, after_kwargs = dec.decode(reply.get("args", [])), dec.decode(reply.get("kwargs", {"$dict": {}}))
            if "handles_before" in reply:
                sent, sent_kwargs = _handles_as_sent(sent, sent_kwargs, dec.decode(reply["handles_before"]))
        except ProtocolError as exc:
            raise StudentBadValue(f"the student's code returned an unusable value: {exc}") from None
        self._args_after = _as_left(sent, sent_kwargs, after, after_kwargs)
        self.call_ledger.record(what.removesuffix("()"), self._check_id, sent, sent_kwargs, *self._args_after)

    def _decode(self, dec: Decoder, value: Any) -> Any:
        try:
            return dec.decode(value)
        except ProtocolError as exc:
            raise StudentBadValue(f"the student's code returned an unusable value: {exc}") from None

    def _value(self, reply_dec: tuple[dict[str, Any], Decoder]) -> Any:
        reply, dec = reply_dec
        return self._decode(dec, reply.get("value"))


class InProcessBackend:
    """Runs the submission in *this* process, with no isolation at all (benchmarks and tests only).
    Requests and replies still go through the protocol encoder so behaviour matches."""

    def __init__(self, loaded: LoadedSubmission) -> None:
        self.loaded = loaded
        self.runtime = Runtime(patch_random=True)
        self.result: LoadResult | None = None
        self.generation = next(_GENERATIONS)

    def fresh(self) -> "InProcessBackend":
        return InProcessBackend(self.loaded)

    def stand_in(self, name: str, trusted_name: str | None) -> None:
        self.start()
        self._handle(standin_request(name, trusted_name), None)

    def start(self) -> LoadResult:
        if self.result is None:
            self._handle({"op": "init", "loaded": self.loaded.to_json()}, None)
            notes = []
            for index in range(len(self.loaded.statements)):
                note = self._handle({"op": "exec", "index": index}, None)[0].get("note")
                if note:
                    notes.append(LoadNote(**note))
            names = self._handle({"op": "names"}, None)[0]["names"]
            self.result = LoadResult(names, notes, "none (in-process)")
        return self.result

    def exchange(self, header: dict[str, Any], encoder: Encoder | None = None, timeout: float = 0.0,
                 what: str = "call") -> tuple[dict[str, Any], list[bytes]]:
        self.start()
        return self._handle(header, encoder)

    def _handle(self, header: dict[str, Any], encoder: Encoder | None) -> tuple[dict[str, Any], list[bytes]]:
        reply = self.runtime.handle(*split_frame(encode_message(header, encoder)))
        try:
            return split_frame(reply)
        except ProtocolError as exc:
            raise StudentBadValue(f"the student's code returned an unusable value: {exc}") from None

    def close(self) -> None:
        self.runtime.handles.clear()


def InProcessStudent(loaded: LoadedSubmission, **_: Any) -> Student:  # noqa: N802 - a class-like factory
    """A ``Student`` whose code runs in this process: no isolation, for measuring its cost only."""
    return Student(loaded, backend=InProcessBackend(loaded))


# --------------------------------------------------------------------------- remote objects


class RemoteObject:
    """An object living in the student process. Attribute and item access, calls and writes go there;
    ``value()`` fetches it as data. It never converts itself to data in the judge."""

    __slots__ = ("_ro_student", "_ro_ref", "_ro_type", "_ro_gen", "_ro_methods")

    def __init__(self, student: Student, ref: Any, type_name: str = "", generation: int | None = None) -> None:
        object.__setattr__(self, "_ro_student", student)
        object.__setattr__(self, "_ro_ref", ref)
        object.__setattr__(self, "_ro_type", type_name or (ref.type if isinstance(ref, Handle) else "object"))
        object.__setattr__(self, "_ro_gen", generation if isinstance(ref, Handle) else None)
        object.__setattr__(self, "_ro_methods", set(ref.methods) if isinstance(ref, Handle) else set())

    def _ro_check(self) -> None:
        if self._ro_gen is not None and self._ro_gen != self._ro_student._backend.generation:
            raise StudentCrashed("this object was lost when the student process was restarted after a crash or "
                                 "timeout")

    def _ro_request(self, op: str, what: str, **values: Any) -> tuple[dict[str, Any], Decoder]:
        self._ro_check()
        return self._ro_student._request(op, what, target=self, **values)

    def _ro_name(self) -> str:
        return self._ro_ref.name if isinstance(self._ro_ref, GlobalRef) else self._ro_type

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kind = "new" if self._ro_type == "class" else "call"
        with _logged(self._ro_student, kind, self._ro_name(), None, args, kwargs) as entry:
            result = self._ro_student._value(self._ro_request("call", f"{self._ro_name()}()", args=list(args),
                                                              kwargs=kwargs))
            if kind == "new":
                entry.target = _handle_id(result)
            else:
                entry.result = _log_copy(result)
        return result

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if name in self._ro_methods:
            return RemoteMethod(self, name)
        with _logged(self._ro_student, "getattr", name, _handle_id(self), (), {}) as entry:
            reply, dec = self._ro_request("getattr", f"reading .{name}", name=name)
            if reply.get("method"):
                self._ro_methods.add(name)
                entry.kind = "skip"
                return RemoteMethod(self, name)
            value = self._ro_student._decode(dec, reply.get("value"))
            entry.result = _log_copy(value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._ro_request("setattr", f"setting .{name}", name=name, value=value)

    def __getitem__(self, key: Any) -> Any:
        return self._ro_student._value(self._ro_request("getitem", f"reading [{key!r}]", key=key))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._ro_request("setitem", f"setting [{key!r}]", key=key, value=value)

    def value(self) -> Any:
        """The whole object as data (a dict of arrays, a list, ...); StudentBadValue if it is not data."""
        return self._ro_student._value(self._ro_request("value", f"reading a {self._ro_type}"))

    def release(self) -> None:
        """Let the student process forget this object."""
        if isinstance(self._ro_ref, Handle) and self._ro_gen == self._ro_student._backend.generation:
            self._ro_student._request("release", "release", ids=[self._ro_ref.id])

    def _not_data(self, *args: Any, **kwargs: Any) -> Any:
        raise StudentBadValue(f"the student's code gave a {self._ro_type} object where plain data (a number or an "
                              "array) was expected")

    __array__ = __float__ = __int__ = __index__ = __complex__ = __bool__ = __len__ = __iter__ = _not_data
    __contains__ = __round__ = __abs__ = __neg__ = _not_data

    def __eq__(self, other: Any) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        where = f"#{self._ro_ref.id}" if isinstance(self._ro_ref, Handle) else self._ro_name()
        return f"<student {self._ro_type} {where}>"


class RemoteMethod:
    """``obj.forward`` before it is called: one round trip per call, by name."""

    __slots__ = ("obj", "name")

    def __init__(self, obj: RemoteObject, name: str) -> None:
        self.obj, self.name = obj, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        student = self.obj._ro_student
        with _logged(student, "method", self.name, _handle_id(self.obj), args, kwargs) as entry:
            result = student._value(self.obj._ro_request("call", f"{self.obj._ro_type}.{self.name}()",
                                                         attr=self.name, args=list(args), kwargs=kwargs))
            entry.result = _log_copy(result)
        return result

    def __repr__(self) -> str:
        return f"<student method {self.obj._ro_type}.{self.name}>"


# --------------------------------------------------------------------------- the call log


def _handle_id(value: Any) -> int | None:
    if isinstance(value, RemoteObject) and isinstance(value._ro_ref, Handle):
        return int(value._ro_ref.id)
    return None


def _as_log_ref(value: Any) -> calllog.Ref | None:
    if isinstance(value, TestFnRef):
        return calllog.Ref(testfn=value.name)
    if isinstance(value, (RemoteObject, RemoteMethod)):
        return calllog.Ref(handle=_handle_id(value) if isinstance(value, RemoteObject) else None)
    return None


def _log_copy(value: Any) -> Any:
    return calllog.plain_copy(value, _as_log_ref)


@contextlib.contextmanager
def _logged(student: Student, kind: str, name: str, target: int | None, args: tuple,
            kwargs: dict[str, Any]) -> Iterator[calllog.Call]:
    """Record one call in :data:`grader.calllog.LOG`; a student exception learns which call raised it."""
    entry = calllog.Call(kind, name, target, _log_copy(tuple(args)), _log_copy(dict(kwargs)))
    if not calllog.LOG.paused:
        calllog.LOG.student = student
    try:
        yield entry
    except StudentRaised as exc:
        _explain_raise(student, entry, exc)
        raise
    finally:
        entry.seed = student._seed_of_last_call()
        if entry.kind != "skip":
            calllog.LOG.add(entry)


def _explain_raise(student: Student, entry: calllog.Call, exc: StudentRaised) -> None:
    """Tell ``exc`` (what the student's code raised in the call ``entry``) which call it was and its likely cause."""
    if exc.call:
        return
    names = calllog.parameter_names(entry)
    exc.call = calllog.describe_call(entry, names)
    loaded = getattr(student, "loaded", None)
    scope = scope_names(loaded.statements, exc.where) if loaded is not None else []
    exc.cause = exc.cause or exception_cause(exc.exc_type, exc.message, exc.traceback.rsplit("\n", 1)[-1],
                                             *calllog.arguments(entry, names), scope=scope)


class _RaisesAt(Sequence):
    """The results of a ``call_many`` one of whose calls raised: reading that call's result (or any after it, which
    the calls never got to) raises what it raised; ``len`` is the number of calls asked for."""

    def __init__(self, values: list[Any], calls: int, error: StudentError) -> None:
        self.values, self.calls, self.error = values, calls, error

    def __len__(self) -> int:
        return self.calls

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.calls))]
        position = index + self.calls if index < 0 else index
        if not 0 <= position < self.calls:
            raise IndexError("call_many result index out of range")
        if position < len(self.values):
            return self.values[position]
        raise self.error

    def __eq__(self, other: object) -> bool:
        return list(self) == other  # raises: the results are not all there

    __hash__ = None  # type: ignore[assignment]


def _handles_as_sent(sent: Any, sent_kwargs: Any, before: Any) -> tuple[list[Any], dict[str, Any]]:
    """The call's arguments with each object living in the student process (a ``put`` handle) replaced by its
    arrays as they were just before the call, so the ledger compares those too."""
    args, kwargs = list(sent), dict(sent_kwargs)
    for pair in before if isinstance(before, list) else []:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            continue
        position, arrays = pair
        if isinstance(position, int) and 0 <= position < len(args) and isinstance(args[position], RemoteObject):
            args[position] = arrays
        elif isinstance(position, str) and isinstance(kwargs.get(position), RemoteObject):
            kwargs[position] = arrays
    return args, kwargs


_ABSENT = object()


def _as_left(sent: Sequence[Any], sent_kwargs: dict[str, Any], after: Any, after_kwargs: Any
             ) -> tuple[list[Any], dict[str, Any]]:
    """The arguments as a call left them, from the student process's reply: it sends back the arrays the call
    changed and null for the others; an array sent back as null is the very array the judge sent (unchanged)."""
    after = list(after) if isinstance(after, (list, tuple)) else []
    after_kwargs = after_kwargs if isinstance(after_kwargs, dict) else {}
    args = [_left_value(s, after[i] if i < len(after) else _ABSENT) for i, s in enumerate(sent)]
    return args, {k: _left_value(v, after_kwargs.get(k, _ABSENT)) for k, v in sent_kwargs.items()}


def _left_value(sent: Any, after: Any) -> Any:
    if after is None and type(sent) is np.ndarray:
        return sent
    return None if after is _ABSENT else after


def _own(after: Any, sent: Any) -> Any:
    """A value a check may keep: a copy where it is the check's own array (it came back unchanged)."""
    return after.copy() if after is sent and type(after) is np.ndarray else after


def _ref_to_json(ref: Any) -> dict[str, Any]:
    if isinstance(ref, Handle):
        return {"$handle": ref.id}
    if isinstance(ref, GlobalRef):
        return {"$global": ref.name}
    return {"$testfn": ref.name}


def _text(value: Any, cap: int = TEXT_CAP) -> str:
    return value[:cap] if isinstance(value, str) else ""


def _student_error(err: Any) -> StudentError:
    err = err if isinstance(err, dict) else {}
    kind = err.get("kind")
    message = _text(err.get("message"))
    if kind == "missing":
        return StudentMissing(message)
    if kind == "badvalue":
        return StudentBadValue(message)
    return StudentRaised(_text(err.get("type"), 200) or "Exception", message, _text(err.get("traceback")),
                         _text(err.get("where"), 500))
