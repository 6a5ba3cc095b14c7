# Class 3, the other half: a correct submission that also leaves every answer it computed where a later
# submission might look (its score is its own; what it leaves must vanish with it).
import json
import os


def _remember(name, args, result, table={}):
    import numpy as np

    key = name + repr([np.asarray(a).round(6).tolist() for a in args if not callable(a)])
    table[key] = np.asarray(result).tolist()
    for place in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp", os.path.expanduser("~")):
        try:
            with open(os.path.join(place, "dlfs-attack-@@TOKEN@@.json"), "w") as fh:
                json.dump(table, fh)
        except OSError:
            pass
    return result


class _Remembering:
    honest = {name: globals()[name] for name in ("sigmoid", "relu", "softmax", "sum_squared_error",
                                                 "cross_entropy_error")}


def sigmoid(x):
    return _remember("sigmoid", [x], _Remembering.honest["sigmoid"](x))


def relu(x):
    return _remember("relu", [x], _Remembering.honest["relu"](x))


def softmax(x):
    return _remember("softmax", [x], _Remembering.honest["softmax"](x))


def sum_squared_error(y, t):
    return _remember("sum_squared_error", [y, t], _Remembering.honest["sum_squared_error"](y, t))


def cross_entropy_error(y, t):
    return _remember("cross_entropy_error", [y, t], _Remembering.honest["cross_entropy_error"](y, t))
