"""The wire protocol: values round-trip as plain data; anything else is refused, never unpickled."""
from __future__ import annotations

import io
import json
import math
import socket
import struct

import numpy as np
import pytest

from grader.sandbox import protocol
from grader.sandbox.protocol import (
    Decoder, Encoder, GlobalRef, Handle, NotData, ProtocolError, TestFnRef, TooLarge, decode_array, encode_message,
    recv_frame, send_frame, split_frame,
)


def roundtrip(value, **encoder_options):
    enc = Encoder(**encoder_options)
    header, blobs = split_frame(encode_message({"value": enc.encode(value)}, enc))
    return Decoder(blobs).decode(header["value"])


def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**62, 1.5, "héllo", "", [1, [2, [3]]], (1, "a", None), {"a": 1, "$dict": [2]},
    {"nested": {"t": (1.0, [2, 3]), "s": "x"}}, 1 + 2j, [], (), {},
])
def test_plain_values_round_trip_with_their_types(value):
    got = roundtrip(value)
    assert got == value and type(got) is type(value)


def test_non_finite_floats_and_complex_parts_round_trip():
    got = roundtrip([math.nan, math.inf, -math.inf, complex(math.inf, math.nan)])
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf
    assert got[3].real == math.inf and math.isnan(got[3].imag)


@pytest.mark.parametrize("arr", [
    np.arange(12.0).reshape(3, 4), np.arange(6).reshape(2, 3).T, np.array(2.5), np.zeros((0, 3)),
    np.array([True, False]), np.arange(5, dtype=np.uint8), np.ones(3, dtype=">f4"), np.array([1 + 1j]),
    np.ones((1, 1, 1, 2), dtype=np.float16),
])
def test_arrays_keep_dtype_shape_and_values(arr):
    got = roundtrip({"a": arr})["a"]
    assert type(got) is np.ndarray and got.dtype == arr.dtype and got.shape == arr.shape
    assert np.array_equal(got, arr)
    loaded = np.load(io.BytesIO(npy(arr)), allow_pickle=False)  # what np.load makes of the same bytes
    assert decode_array(npy(arr)).tobytes(order="A") == loaded.tobytes(order="A")
    assert decode_array(npy(arr)).flags.f_contiguous == loaded.flags.f_contiguous
    got[...] = 0  # decoded arrays are fresh, writable copies


def test_numpy_scalars_become_python_numbers_but_0d_arrays_stay_arrays():
    got = roundtrip([np.float64(0.5), np.float32(0.25), np.int64(3), np.bool_(True), np.complex128(1j), np.array(1.0)])
    assert [type(v) for v in got] == [float, float, int, bool, complex, np.ndarray]
    assert got[:5] == [0.5, 0.25, 3, True, 1j]


def test_subclasses_of_plain_types_are_not_data():
    class Lying(float):
        def __eq__(self, other):
            return True

    class MyList(list):
        pass

    for value in (Lying(1.0), MyList([1]), object(), lambda: 1):
        with pytest.raises(NotData):
            Encoder().encode(value)


def test_non_data_becomes_a_handle_when_the_encoder_makes_handles():
    made = []

    def handle(obj):
        made.append(obj)
        return Handle(len(made), type(obj).__name__)

    got = roundtrip({"obj": object(), "arr": np.array(["a", "b"]), "x": 1}, on_other=handle)
    assert got["obj"] == Handle(1, "object") and got["arr"] == Handle(2, "ndarray") and got["x"] == 1


def test_dict_with_non_string_keys_is_not_data():
    with pytest.raises(NotData):
        Encoder().encode({1: 2})


def test_references_round_trip():
    assert roundtrip([Handle(3, "Affine"), TestFnRef("quadratic"), GlobalRef("relu")]) == [
        Handle(3, "Affine"), TestFnRef("quadratic"), GlobalRef("relu")]


def test_deep_nesting_is_refused_on_both_sides():
    deep: list = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(TooLarge):
        Encoder().encode(deep)
    with pytest.raises(TooLarge):
        Decoder([]).decode(json.loads("[" * 100 + "]" * 100))
    with pytest.raises(ProtocolError):
        protocol.parse_header(('{"v": ' + "[" * 200_000 + "]" * 200_000 + "}").encode())


def test_a_huge_array_is_refused_before_encoding_it():
    view = np.broadcast_to(np.zeros(1), (2**20, 2**14))  # 128 GiB nominal, no memory
    with pytest.raises(TooLarge):
        Encoder().encode(view)


@pytest.mark.parametrize("arr", [np.array([object()], dtype=object), np.array(["x"]),
                                 np.zeros(2, dtype=[("a", "<f8")]), np.array([1], dtype="datetime64[s]")])
def test_non_numeric_npy_blobs_are_refused_by_the_decoder(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    with pytest.raises(ProtocolError):
        decode_array(buf.getvalue())


def test_an_npy_header_that_lies_about_its_size_is_refused_before_allocation():
    blob = npy(np.zeros(4))
    lying = blob.replace(b"'shape': (4,), ", b"'shape': (4000000000,), ")
    # keep the header length field consistent so only the size check can catch it
    header_len = struct.unpack("<H", blob[8:10])[0] + len(lying) - len(blob)
    lying = lying[:8] + struct.pack("<H", header_len) + lying[10:]
    with pytest.raises(ProtocolError, match="does not match"):
        decode_array(lying)
    with pytest.raises(ProtocolError):
        decode_array(b"\x93NUMPY\x01\x00" + b"garbage")


def test_json_nan_literals_and_unknown_tags_are_refused():
    with pytest.raises(ProtocolError):
        protocol.parse_header(b'{"v": NaN}')
    with pytest.raises(ProtocolError):
        Decoder([]).decode({"$pickle": "gASV"})
    with pytest.raises(ProtocolError):
        Decoder([]).decode({"$nd": 5})


def test_frames_over_a_socket_and_size_caps():
    a, b = socket.socketpair()
    with a, b:
        enc = Encoder()
        header = {"x": enc.encode(np.arange(3.0))}
        send_frame(a, encode_message(header, enc), deadline=None)
        got, blobs = recv_frame(b, deadline=None)
        assert np.array_equal(Decoder(blobs).decode(got["x"]), np.arange(3.0))
        # a frame announcing more than the cap is refused from its prefix alone
        a.sendall(protocol.PREFIX.pack(protocol.MAGIC, 10, 1) + protocol.BLOB_LEN.pack(2**40))
        with pytest.raises(TooLarge):
            recv_frame(b, deadline=None)


def test_reading_times_out_and_sees_a_closed_peer():
    import time

    a, b = socket.socketpair()
    with pytest.raises(protocol.Timeout):
        recv_frame(b, deadline=time.monotonic() + 0.05)
    a.close()
    with pytest.raises(protocol.PeerClosed):
        recv_frame(b, deadline=time.monotonic() + 1)
    b.close()


# --------------------------------------------------------------------------- replies forged by student code

FORGER = '''
import json, os, socket, struct

def channel():
    for fd in range(3, 64):
        try:
            if socket.socket(fileno=os.dup(fd)).type == socket.SOCK_STREAM:
                return fd
        except OSError:
            continue

def huge_frame():
    """Announce a 250 MB reply and send 32 MB of it."""
    fd = channel()
    os.write(fd, b"DLFS" + struct.pack("!II", 250 * 2**20, 0))
    for _ in range(32):
        os.write(fd, b"x" * 2**20)
    return 1.0

def forged(header):
    body = json.dumps(header).encode()
    os.write(channel(), b"DLFS" + struct.pack("!II", len(body), 0) + body)
    return 1.0

def ok():
    return 2.0
'''


@pytest.fixture
def forger():
    from grader.sandbox import Student
    from grader.sandbox.testing import submission

    with Student(submission(FORGER)) as proxy:
        proxy.set_context("forger", 20.0)
        yield proxy


def test_a_250_mb_reply_is_refused_from_its_prefix_without_growing_the_judge(forger):
    import resource

    from grader.errors import StudentBadValue

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(StudentBadValue, match="your code sent a reply the grader cannot read"):
        forger.huge_frame()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 16 * 1024  # KiB: not the 32 MB sent
    assert forger.ok() == 2.0  # a fresh process answers the next call


@pytest.mark.parametrize("header", [{"ok": True, "value": 5.0}, {"ok": "yes", "id": 1}, {"names": 1, "id": 2},
                                    {"ok": False, "error": "x", "id": 3}, {"ok": True, "id": 10**6}])
def test_a_forged_reply_is_the_students_error_or_skipped(forger, header):
    from grader.errors import StudentBadValue

    try:
        got = forger.forged(header)
    except StudentBadValue as exc:
        assert "your code sent a reply the grader cannot read" in str(exc)
    else:
        assert got in (1.0, 5.0)  # a well-formed reply claiming a value is as good as returning it
    assert forger.ok() == 2.0
