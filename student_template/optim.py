# Assignment `optim`: optimizers, weight initialisation and weight decay
#
# Fill in every method and function below. Keep each name and its parameters exactly as
# they are: the grader calls them by name. You may add helper functions of your own.
#
# Self-check: with the grader installed, run in a terminal
#
#     grader check optim optim.py
#
# To check only the component you are working on, add --only and its name:
#
#     grader check optim optim.py --only SGD
#
# Conventions for the optimizers: `update(params, grads)` takes two dicts with the same
# keys (e.g. 'W1', 'b1', ...) mapping to float arrays, and changes EVERY array of `params`
# IN PLACE (params[key] -= ..., never params[key] = a new array). The optimizer keeps its
# state (velocities, running averages, step count) on `self` between calls, one state per
# key; t counts the calls to update, starting at 1. `grads` must not change.
import numpy as np


class SGD:
    """Plain stochastic gradient descent: p -= lr * g for every key."""

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("SGD.update is not implemented yet")


class Momentum:
    """Momentum SGD, per key: v = momentum * v - lr * g;  p += v  (v starts at 0)."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("Momentum.update is not implemented yet")


class Nesterov:
    """Nesterov momentum in PyTorch's form (the course notes' form), per key:

        v = momentum * v - lr * g;  p += momentum * v - lr * g   (v starts at 0)

    Note: the textbook's Nesterov class uses a different but related formula; use this one.
    """

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("Nesterov.update is not implemented yet")


class AdaGrad:
    """AdaGrad, per key: h += g * g;  p -= lr * g / (sqrt(h) + 1e-7)  (h starts at 0)."""

    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = None

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("AdaGrad.update is not implemented yet")


class RMSprop:
    """RMSprop, per key (h starts at 0):

        h = decay_rate * h + (1 - decay_rate) * g * g;  p -= lr * g / (sqrt(h) + 1e-7)
    """

    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("RMSprop.update is not implemented yet")


class AdaDelta:
    """AdaDelta (no learning rate), per key (Eg and Edx start at 0):

        Eg = rho * Eg + (1 - rho) * g * g
        dx = sqrt(Edx + eps) / sqrt(Eg + eps) * g
        p -= dx
        Edx = rho * Edx + (1 - rho) * dx * dx
    """

    def __init__(self, rho=0.95, eps=1e-6):
        self.rho = rho
        self.eps = eps
        self.Eg = None
        self.Edx = None

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("AdaDelta.update is not implemented yet")


class Adam:
    """Adam with bias correction, per key (m and v start at 0, t is the call number 1, 2, ...):

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + 1e-8)

    Where the small epsilon goes (inside or outside the square root, 1e-7 or 1e-8) is a
    convention the grader tolerates; the bias correction with beta**t is not optional.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.t = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        """params, grads: dicts of arrays with the same keys. Updates params in place."""
        raise NotImplementedError("Adam.update is not implemented yet")


def xavier_init(fan_in, fan_out, rng=None):
    """Xavier (Glorot) initial weights: mean 0, variance 2 / (fan_in + fan_out).

    fan_in, fan_out: ints. rng: a numpy.random.Generator to draw from; when None, use
    np.random.default_rng(). A uniform or a normal distribution are both fine.
    Returns a float array of shape (fan_in, fan_out). (The textbook's "Xavier" uses
    variance 1 / fan_in; this assignment uses Glorot's.)
    """
    raise NotImplementedError("xavier_init is not implemented yet")


def he_init(fan_in, fan_out, rng=None):
    """He initial weights: mean 0, variance 2 / fan_in.

    Arguments as in xavier_init. Returns a float array of shape (fan_in, fan_out).
    """
    raise NotImplementedError("he_init is not implemented yet")


def l2_penalty(weights, weight_decay_lambda):
    """L2 weight-decay penalty: 0.5 * lambda * (sum of the squares of every entry).

    weights: a list of arrays (any shapes); weight_decay_lambda: float.
    Returns a float.
    """
    raise NotImplementedError("l2_penalty is not implemented yet")


def l2_grad(W, weight_decay_lambda):
    """Gradient of the L2 penalty w.r.t. one weight array: lambda * W.

    W: array of any shape. Returns an array of W's shape; W must not change.
    """
    raise NotImplementedError("l2_grad is not implemented yet")
