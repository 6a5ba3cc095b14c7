# Shared head of every attack (the attack's own file follows it): the eight numerical components,
# answering from what the attack's ``find_oracle()`` found, and nothing otherwise (so any point earned
# is the attack's doing). The loader keeps only definitions, so attacks run from a class body at load
# time and again at the first call.


def find_oracle():
    return None  # each attack defines its own after this


def _oracle(cache={}):
    if "found" not in cache:
        cache["found"] = find_oracle()
    return cache["found"]


def _ask(name, *args):
    oracle = _oracle()
    if oracle is not None and hasattr(oracle, name):
        return getattr(oracle, name)(*args)
    return None


def sigmoid(x):
    return _ask("sigmoid", x)


def relu(x):
    return _ask("relu", x)


def softmax(x):
    return _ask("softmax", x)


def sum_squared_error(y, t):
    return _ask("sum_squared_error", y, t)


def cross_entropy_error(y, t):
    return _ask("cross_entropy_error", y, t)


def numerical_diff(f, x):
    return _ask("numerical_diff", f, x)


def numerical_gradient(f, x):
    return _ask("numerical_gradient", f, x)


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    return _ask("gradient_descent", f, init_x, lr, step_num)
