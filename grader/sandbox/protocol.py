"""The wire protocol between the judge and a student process.

A message is a frame::

    b"DLFS" | header_len: u32 | n_blobs: u32 | blob_len: u64 * n_blobs | header (JSON, UTF-8) | blobs

The JSON header holds plain values; arrays travel as ``.npy`` blobs written with
``np.save(allow_pickle=False)`` and referenced from the header as ``{"$nd": i}``. Other tags:
``{"$float": "nan"|"inf"|"-inf"}``, ``{"$complex": [re, im]}``, ``{"$tuple": [...]}``,
``{"$dict": {...}}`` (every dict, so student keys can never look like tags), and the references
``{"$handle": n, "type": name, "methods": [names]}``, ``{"$testfn": name}``, ``{"$global": name}``.

Decoding never executes or unpickles anything: JSON and ``.npy`` headers are parsed, the array's
declared size is checked against the bytes received before ``np.load(allow_pickle=False)``, and
only bool/int/uint/float/complex dtypes are accepted. Sizes and nesting depth are capped.
"""
from __future__ import annotations

import io
import json
import math
import re
import select
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

MAGIC = b"DLFS"
PREFIX = struct.Struct("!4sII")
BLOB_LEN = struct.Struct("!Q")
MAX_MESSAGE = 256 * 1024 * 1024  # bytes in one frame (header + blobs)
MAX_REPLY = 64 * 1024 * 1024  # bytes in one reply the judge accepts: checked before a byte of it is read
MAX_HEADER = 8 * 1024 * 1024  # bytes of JSON in one frame (a JSON value costs the reader many times its size)
MAX_BLOBS = 100_000
MAX_DEPTH = 64  # nesting of lists/tuples/dicts
MAX_NDIM = 32
NUMERIC_KINDS = frozenset("biufc")


class ProtocolError(Exception):
    """A frame that is malformed, too large or too deep (never a student's object)."""


class NotData(Exception):
    """Encoding: the value is not plain data (it may still travel as a handle)."""


class TooLarge(ProtocolError):
    """Encoding or decoding: the value exceeds the size or depth caps."""


class PeerClosed(ProtocolError):
    """The other end closed the connection (the student process died)."""


class Timeout(ProtocolError):
    """The deadline passed before a whole frame was read or written."""


MAX_METHODS = 64  # method names a handle may list (its class's own functions), each at most MAX_METHOD_NAME long
MAX_METHOD_NAME = 100


def method_names_ok(names: Any) -> bool:
    """Is ``names`` a listing a handle may carry: a list of at most MAX_METHODS strings, none over MAX_METHOD_NAME?"""
    return type(names) is list and len(names) <= MAX_METHODS and \
        all(type(n) is str and len(n) <= MAX_METHOD_NAME for n in names)


@dataclass(frozen=True)
class Handle:
    """A reference to an object that lives in the student process. ``type`` is its class name; ``methods`` the
    functions its class defines (so ``obj.forward(x)`` needs no round trip to find out that ``forward`` is one)."""

    id: int
    type: str = "object"
    methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestFnRef:
    """A reference to a trusted test function (``grader.sandbox.testfns``) by name."""

    __test__ = False  # not a pytest test class
    name: str


@dataclass(frozen=True)
class GlobalRef:
    """A reference to a top-level name of the submission."""

    name: str


# --------------------------------------------------------------------------- encoding


class Encoder:
    """Turns a value into (JSON-able header value, blobs).

    ``on_other(value) -> Handle`` is called for values that are not plain data; without it they
    raise :class:`NotData`. ``refs(value) -> dict | None`` lets the judge encode its proxies.
    """

    def __init__(
        self,
        on_other: Callable[[Any], Handle] | None = None,
        refs: Callable[[Any], dict[str, Any] | None] | None = None,
        max_bytes: int = MAX_MESSAGE,
    ) -> None:
        self.blobs: list[bytes] = []
        self.size = 0
        self.on_other, self.refs, self.max_bytes = on_other, refs, max_bytes

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise TooLarge(f"value nested more than {MAX_DEPTH} levels deep")
        t = type(value)
        if value is None or t is bool or t is str:
            return self._count(value)
        if t is int:
            return self._count(value if abs(value) < 10**300 else self._not_data(value))
        if t is float:
            return value if math.isfinite(value) else {"$float": repr(value)}
        if t is complex:
            return {"$complex": [self.encode(value.real), self.encode(value.imag)]}
        if isinstance(value, np.generic):
            return self._numpy_scalar(value)
        if isinstance(value, np.ndarray):
            return self._array(value)
        if t is list:
            return [self.encode(v, depth + 1) for v in value]
        if t is tuple:
            return {"$tuple": [self.encode(v, depth + 1) for v in value]}
        if t is dict:
            return {"$dict": self._dict(value, depth)}
        if t in (Handle, TestFnRef, GlobalRef):
            return _ref_json(value)
        if self.refs is not None:
            ref = self.refs(value)
            if ref is not None:
                return ref
        return _ref_json(self._other(value))

    def _dict(self, value: dict, depth: int) -> dict[str, Any]:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                self._not_data(value, f"a dict key of type {type(k).__name__}")
            out[self._count(k)] = self.encode(v, depth + 1)
        return out

    def _numpy_scalar(self, value: np.generic) -> Any:
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return self.encode(int(value))
        if isinstance(value, np.floating):
            return self.encode(float(value))
        if isinstance(value, np.complexfloating):
            return self.encode(complex(value))
        if isinstance(value, np.str_):
            return self._count(str(value))
        return self._other(value)

    def _array(self, value: np.ndarray) -> Any:
        arr = value.view(np.ndarray) if type(value) is not np.ndarray else value
        if not _numeric_dtype(arr.dtype) or arr.ndim > MAX_NDIM:
            return _ref_json(self._other(value))
        if self.size + arr.nbytes > self.max_bytes:
            raise TooLarge(f"an array of shape {arr.shape} ({arr.nbytes / 2**20:.0f} MiB) is too large to return")
        self.blobs.append(npy_bytes(arr))
        self.size += len(self.blobs[-1])
        return {"$nd": len(self.blobs) - 1}

    def _count(self, value: Any) -> Any:
        if type(value) is str:
            self.size += len(value)
            if self.size > self.max_bytes:
                raise TooLarge(f"a string of {len(value)} characters is too large to return")
        return value

    def _other(self, value: Any) -> Handle:
        if self.on_other is None:
            self._not_data(value)
        return self.on_other(value)

    @staticmethod
    def _not_data(value: Any, what: str = "") -> Any:
        raise NotData(what or f"a {type(value).__name__} object is not plain data")


def _ref_json(ref: Handle | TestFnRef | GlobalRef) -> dict[str, Any]:
    if isinstance(ref, Handle):
        return {"$handle": ref.id, "type": ref.type, **({"methods": list(ref.methods)} if ref.methods else {})}
    if isinstance(ref, TestFnRef):
        return {"$testfn": ref.name}
    return {"$global": ref.name}


NPY_ALIGN = 64  # np.save aligns the data of an .npy file to 64 bytes; so do we


def npy_bytes(arr: np.ndarray) -> bytes:
    """``arr`` as the bytes ``np.save(..., allow_pickle=False)`` writes for a numeric array (format 1.0, the same
    header text, C order or Fortran order as numpy chooses), without numpy's per-call header machinery (which
    costs more than the rest of a small call)."""
    fortran = arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous
    data = arr.T if fortran else arr
    if not data.flags.c_contiguous:
        data = np.ascontiguousarray(data)
    return _npy_prefix(arr.dtype.str, fortran, arr.shape) + data.tobytes()


_PREFIXES: dict[tuple[str, bool, tuple[int, ...]], bytes] = {}


def _npy_prefix(descr: str, fortran: bool, shape: tuple[int, ...]) -> bytes:
    key = (descr, fortran, shape)
    prefix = _PREFIXES.get(key)
    if prefix is None:
        text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
        pad = -(len(NPY_MAGIC) + 4 + len(text) + 1) % NPY_ALIGN
        body = (text + " " * pad + "\n").encode("latin1")
        prefix = NPY_MAGIC + b"\x01\x00" + struct.pack("<H", len(body)) + body
        if len(_PREFIXES) < 4096:
            _PREFIXES[key] = prefix
    return prefix


def _numeric_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in NUMERIC_KINDS and dtype.fields is None and dtype.subdtype is None and not dtype.hasobject


def encode_message(header: dict[str, Any], encoder: Encoder | None = None) -> bytes:
    """One frame from a header dict whose values were (partly) produced by ``encoder``."""
    blobs = encoder.blobs if encoder is not None else []
    body = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    total = len(body) + sum(len(b) for b in blobs)
    if total > MAX_MESSAGE:
        raise TooLarge(f"the message is {total / 2**20:.0f} MiB, over the {MAX_MESSAGE / 2**20:.0f} MiB cap")
    parts = [PREFIX.pack(MAGIC, len(body), len(blobs))]
    parts += [BLOB_LEN.pack(len(b)) for b in blobs]
    parts.append(body)
    parts += blobs
    return b"".join(parts)


# --------------------------------------------------------------------------- decoding


class Decoder:
    """Rebuilds values from a header's JSON and its blobs. ``resolve(ref) -> object`` maps references
    (``Handle``/``TestFnRef``/``GlobalRef``); without it they stay as those dataclasses."""

    def __init__(self, blobs: list[bytes], resolve: Callable[[Any], Any] | None = None) -> None:
        self.blobs, self.resolve = blobs, resolve

    def decode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise TooLarge(f"value nested more than {MAX_DEPTH} levels deep")
        t = type(value)
        if value is None or t in (bool, int, float, str):
            return value
        if t is list:
            return [self.decode(v, depth + 1) for v in value]
        if t is not dict:
            raise ProtocolError(f"unexpected JSON value of type {t.__name__}")
        return self._tagged(value, depth)

    def _tagged(self, value: dict[str, Any], depth: int) -> Any:
        if len(value) == 1 and "$dict" in value and type(value["$dict"]) is dict:
            return {str(k): self.decode(v, depth + 1) for k, v in value["$dict"].items()}
        if len(value) == 1 and "$tuple" in value and type(value["$tuple"]) is list:
            return tuple(self.decode(v, depth + 1) for v in value["$tuple"])
        if "$nd" in value:
            return decode_array(self.blobs[_index(value["$nd"], len(self.blobs))])
        if "$float" in value and value["$float"] in ("nan", "inf", "-inf"):
            return float(value["$float"])
        if "$complex" in value and type(value["$complex"]) is list and len(value["$complex"]) == 2:
            re, im = (self.decode(v, depth + 1) for v in value["$complex"])
            if type(re) is not float or type(im) is not float:
                raise ProtocolError("a complex number needs two floats")
            return complex(re, im)
        return self._reference(value)

    def _reference(self, value: dict[str, Any]) -> Any:
        if "$handle" in value and type(value["$handle"]) is int:
            type_name, methods = value.get("type", "object"), value.get("methods", [])
            if not method_names_ok(methods):
                methods = []
            ref: Any = Handle(value["$handle"], type_name[:200] if type(type_name) is str else "object", tuple(methods))
        elif "$testfn" in value and type(value["$testfn"]) is str:
            ref = TestFnRef(value["$testfn"])
        elif "$global" in value and type(value["$global"]) is str:
            ref = GlobalRef(value["$global"])
        else:
            raise ProtocolError(f"unknown tagged value with keys {sorted(value)[:5]}")
        return self.resolve(ref) if self.resolve is not None else ref


def _index(i: Any, n: int) -> int:
    if type(i) is not int or not 0 <= i < n:
        raise ProtocolError(f"array reference {i!r} out of range")
    return i


NPY_MAGIC = b"\x93NUMPY"
NPY_HEADER = re.compile(
    r"\{'descr': '([<>|=]?[biufc]\d{1,2})', 'fortran_order': (True|False), 'shape': \(((?:\d{1,19}, ?)*\d{0,19})\), \}"
    r"[ ]*\n?\Z"
)


_HEADERS: dict[bytes, tuple[tuple[int, ...], np.dtype, int]] = {}  # headers already parsed and accepted
HEADER_CACHE = 1024


def _npy_header(blob: bytes) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, data offset) of an ``.npy`` blob as ``np.save`` writes it; anything else is refused.

    Parsed with a strict pattern (no ``literal_eval``) so a hostile header costs nothing. Headers that were
    accepted are remembered (by their exact bytes, a bounded number): the same shapes recur call after call."""
    if len(blob) >= 10 and blob[6] == 1:
        key = blob[:10 + int.from_bytes(blob[8:10], "little")]
        known = _HEADERS.get(key)
        if known is not None:
            return known
        parsed = _parse_npy_header(blob)
        if len(_HEADERS) < HEADER_CACHE:
            _HEADERS[key] = parsed
        return parsed
    return _parse_npy_header(blob)


def _parse_npy_header(blob: bytes) -> tuple[tuple[int, ...], np.dtype, int]:
    if blob[:6] != NPY_MAGIC or len(blob) < 10:
        raise ProtocolError("not an .npy array")
    major = blob[6]
    if major == 1:
        (hlen,), start = struct.unpack("<H", blob[8:10]), 10
    elif major in (2, 3):
        (hlen,), start = struct.unpack("<I", blob[8:12]), 12
    else:
        raise ProtocolError(f"unsupported .npy version {major}")
    if hlen > 4096 or start + hlen > len(blob):
        raise ProtocolError("malformed .npy header")
    match = NPY_HEADER.match(blob[start:start + hlen].decode("latin1"))
    if match is None:
        raise ProtocolError("arrays must be plain numeric .npy (numbers and booleans only)")
    descr, _, dims = match.groups()
    shape = tuple(int(d) for d in dims.replace(" ", "").split(",") if d)
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise ProtocolError(f"bad dtype {descr!r}") from None
    return shape, dtype, start + hlen


def decode_array(blob: bytes) -> np.ndarray:
    """A numeric ndarray from ``.npy`` bytes written by ``np.save``.

    This is ``np.load(buf, allow_pickle=False)`` restricted to what the protocol accepts: the header
    is matched strictly (numeric dtype, shape matching the bytes received) before anything is
    allocated, then the data is copied out with ``np.frombuffer`` (numpy's own ``literal_eval`` of
    the header would cost more than the rest of a small call). Object arrays cannot occur.
    """
    shape, dtype, offset = _npy_header(blob)
    if not _numeric_dtype(dtype):
        raise ProtocolError(f"arrays of dtype {dtype} are not accepted (numbers and booleans only)")
    if len(shape) > MAX_NDIM:
        raise ProtocolError(f"array with {len(shape)} dimensions")
    count = math.prod(shape)
    if count * dtype.itemsize != len(blob) - offset:
        raise ProtocolError(f"array of shape {shape} and dtype {dtype} does not match its {len(blob)} bytes")
    fortran = b"'fortran_order': True" in blob[:offset]
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")


def holds_blob(value: Any, sent: Any, blobs: list[bytes]) -> bool:
    """Is ``value`` an array holding exactly what ``sent`` (a header's ``{"$nd": i}``) carried: same dtype, shape
    and bytes? (Same bytes means same values, NaNs included; a difference is left to the judge to weigh.)"""
    if type(value) is not np.ndarray or type(sent) is not dict or type(sent.get("$nd")) is not int:
        return False
    if not 0 <= sent["$nd"] < len(blobs):
        return False
    blob = blobs[sent["$nd"]]
    shape, dtype, offset = _npy_header(blob)
    if value.shape != shape or value.dtype != dtype:
        return False
    fortran = b"'fortran_order': True" in blob[:offset]
    return value.tobytes(order="F" if fortran else "C") == blob[offset:]


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"JSON constant {name} is not allowed")


def parse_header(body: bytes) -> dict[str, Any]:
    """The JSON header of a frame (must be an object)."""
    try:
        header = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except ProtocolError:
        raise
    except RecursionError:
        raise TooLarge("message nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed message header: {exc}") from None
    if type(header) is not dict:
        raise ProtocolError("message header is not an object")
    return header


# --------------------------------------------------------------------------- transport


def send_frame(sock: socket.socket, frame: bytes, deadline: float | None = None) -> None:
    """Write a whole frame; with a deadline (``time.monotonic()`` based) the write is bounded: non-blocking
    sends (a small frame goes in one system call), waiting for room only when the peer's buffer is full."""
    if deadline is None:
        sock.sendall(frame)
        return
    if deadline - time.monotonic() <= 0:
        raise Timeout("deadline passed before sending")
    view = memoryview(frame)
    while view:
        try:
            view = view[sock.send(view, socket.MSG_DONTWAIT):]
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [sock], [], remaining)[1]:
                raise Timeout("timed out sending a message") from None
        except (BrokenPipeError, ConnectionResetError):
            raise PeerClosed("the other end closed the connection") from None


Waiter = Callable[[float | None], None]


def recv_frame(sock: socket.socket, deadline: float | None = None, wait: Waiter | None = None,
               max_bytes: int = MAX_MESSAGE) -> tuple[dict[str, Any], list[bytes]]:
    """Read one frame: (header, blobs). ``wait(timeout)`` blocks until the socket is readable
    (raising if the peer died); by default the read just blocks until the deadline. A frame that
    announces more than ``max_bytes`` is refused from its prefix, before its body is read."""
    return read_frame(_Reader(sock, deadline, wait).read, max_bytes)


def split_frame(frame: bytes, max_bytes: int = MAX_MESSAGE) -> tuple[dict[str, Any], list[bytes]]:
    """(header, blobs) of a frame held in memory (the in-process path)."""
    buf = io.BytesIO(frame)

    def read(n: int) -> bytes:
        data = buf.read(n)
        if len(data) != n:
            raise PeerClosed("truncated frame")
        return data

    return read_frame(read, max_bytes)


def read_frame(read: Callable[[int], bytes], max_bytes: int = MAX_MESSAGE) -> tuple[dict[str, Any], list[bytes]]:
    """Parse one frame from ``read(n) -> exactly n bytes``, checking every size before reading it."""
    magic, header_len, n_blobs = PREFIX.unpack(read(PREFIX.size))
    if magic != MAGIC:
        raise ProtocolError("bad frame magic (the student process wrote to its channel?)")
    if n_blobs > MAX_BLOBS or header_len > min(max_bytes, MAX_HEADER):
        raise TooLarge(f"message too large ({header_len} header bytes, {n_blobs} arrays)")
    lengths = [BLOB_LEN.unpack(read(BLOB_LEN.size))[0] for _ in range(n_blobs)]
    total = header_len + sum(lengths)
    if total > max_bytes:
        raise TooLarge(f"message of {total / 2**20:.0f} MiB is over the {max_bytes / 2**20:.0f} MiB cap")
    header = parse_header(read(header_len))
    return header, [read(n) for n in lengths]


def check_reply(header: dict[str, Any]) -> dict[str, Any]:
    """A student process's reply as the runtime writes it, or ProtocolError: ``ok`` a bool, ``error`` a dict
    when not ok, ``stdout``/``stderr`` strings, ``id`` an int. (Student code can write to the channel
    itself; what it writes is checked like everything else it sends.)"""
    if type(header.get("ok")) is not bool:
        raise ProtocolError("a reply without a true/false 'ok'")
    if not header["ok"] and type(header.get("error")) is not dict:
        raise ProtocolError("a failure reply without its error")
    if any(type(header.get(k, "")) is not str for k in ("stdout", "stderr")):
        raise ProtocolError("captured output that is not text")
    if type(header.get("id")) is not int:
        raise ProtocolError("a reply without its request number")
    return header


class _Reader:
    """Reads exactly n bytes at a time, fetching up to 1 MiB per ``recv`` (few syscalls per frame)."""

    def __init__(self, sock: socket.socket, deadline: float | None, wait: Waiter | None) -> None:
        self.sock, self.deadline, self.wait = sock, deadline, wait
        self.pending = b""

    def read(self, n: int) -> bytes:
        if len(self.pending) >= n:
            out, self.pending = self.pending[:n], self.pending[n:]
            return out
        buf = bytearray(n)
        view, got = memoryview(buf), len(self.pending)
        view[:got] = self.pending
        self.pending = b""
        while got < n:
            self._wait()
            chunk = self._recv(max(n - got, 1 << 16) if n - got < 1 << 20 else n - got)
            k = min(len(chunk), n - got)
            view[got:got + k] = chunk[:k]
            self.pending, got = chunk[k:], got + k
        return bytes(buf)

    def _recv(self, size: int) -> bytes:
        try:
            chunk = self.sock.recv(min(size, 1 << 22))
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            raise PeerClosed("the other end closed the connection")
        return chunk

    def _wait(self) -> None:
        remaining = None if self.deadline is None else self.deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise Timeout("timed out waiting for a message")
        if self.wait is not None:
            self.wait(remaining)
        elif remaining is not None:
            if not select.select([self.sock], [], [], remaining)[0]:
                raise Timeout("timed out waiting for a message")
