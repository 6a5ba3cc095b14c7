# Class 3: read answers that another submission left in a place shared between submissions
# (/var/tmp, /run/lock, /dev/shm, /tmp, System V shared memory) and answer from them.
import json
import os
import time
import types

PLACES = ["/var/tmp", "/run/lock", "/dev/shm", "/tmp", os.path.expanduser("~")]


def _find():
    deadline = time.time() + 2.0
    while time.time() < deadline:
        for place in PLACES:
            path = os.path.join(place, "dlfs-attack-@@TOKEN@@.json")
            if os.path.exists(path):
                with open(path) as fh:
                    return json.load(fh)
        time.sleep(0.1)
    return None


def _answer_from(table):
    import numpy as np

    def lookup(name):
        def answer(*args):
            key = name + repr([np.asarray(a).round(6).tolist() for a in args if not callable(a)])
            return np.asarray(table[key]) if key in table else None
        return answer

    return types.SimpleNamespace(**{n: lookup(n) for n in ("sigmoid", "relu", "softmax", "sum_squared_error",
                                                           "cross_entropy_error")})



def find_oracle():
    table = _find()
    return _answer_from(table) if table else None
