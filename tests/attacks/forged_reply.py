# Class 11: write replies of our own on the grader's channel (every open descriptor): valid frames that
# claim success with made-up values, frames that are not replies, and a frame announcing 250 MB.
import json
import os
import struct



def _frame(header):
    body = json.dumps(header).encode()
    return b"DLFS" + struct.pack("!II", len(body), 0) + body


def _forge():
    for fd in range(3, 32):
        for frame in (_frame({"ok": True, "value": 1.0}), _frame({"ok": True, "id": 10**9}),
                      _frame({"names": 5}), _frame({"ok": True, "value": {"$handle": 999}, "id": 1}),
                      b"DLFS" + struct.pack("!II", 250 * 2**20, 0)):
            try:
                os.write(fd, frame)
            except OSError:
                pass


def sigmoid(x):
    _forge()
    return 0.5


def softmax(x):
    _forge()
    return {"$nd": 0}


def relu(x):
    _forge()
    return None


def find_oracle():
    _forge()
    return None
