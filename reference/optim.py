"""Assignment ``optim``: optimizers, weight initialisation and weight decay.

An optimizer keeps its state (velocities, running averages, step count) between calls.
``update(params, grads)`` changes every array of ``params`` *in place* (``params[key] -= ...``:
the dict keeps the same array objects), for every key of ``params``; ``grads`` has the same
keys and shapes. The state of each key is created (as zeros) at the first update.
"""
from __future__ import annotations

import numpy as np

from reference._rng import RandomSource, random_source

Params = dict[str, np.ndarray]


class SGD:
    """``p -= lr * g``."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class _WithState:
    """An optimizer with one zero-initialised state array per parameter and per state name."""

    state_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.state: dict[str, Params] = {name: {} for name in self.state_names}

    def _state(self, params: Params) -> dict[str, Params]:
        """The state arrays, with zeros for the keys of ``params`` seen for the first time."""
        for arrays in self.state.values():
            for key, p in params.items():
                if key not in arrays:
                    arrays[key] = np.zeros_like(p, dtype=np.float64)
        return self.state


class Momentum(_WithState):
    """``v = momentum * v - lr * g``; ``p += v``."""

    state_names = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def update(self, params: Params, grads: Params) -> None:
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] += v[key]


class Nesterov(Momentum):
    """Nesterov momentum in PyTorch's form: ``v = momentum * v - lr * g``; ``p += momentum * v - lr * g``."""

    def update(self, params: Params, grads: Params) -> None:
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] += self.momentum * v[key] - self.lr * grads[key]


class AdaGrad(_WithState):
    """``h += g * g``; ``p -= lr * g / (sqrt(h) + 1e-7)``."""

    state_names = ("h",)

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        h = self._state(params)["h"]
        for key in params:
            g = grads[key]
            h[key] += g * g
            params[key] -= self.lr * g / (np.sqrt(h[key]) + 1e-7)


class RMSprop(_WithState):
    """``h = decay_rate * h + (1 - decay_rate) * g * g``; ``p -= lr * g / (sqrt(h) + 1e-7)``."""

    state_names = ("h",)

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        super().__init__()
        self.lr = lr
        self.decay_rate = decay_rate

    def update(self, params: Params, grads: Params) -> None:
        h = self._state(params)["h"]
        for key in params:
            g = grads[key]
            h[key] = self.decay_rate * h[key] + (1.0 - self.decay_rate) * g * g
            params[key] -= self.lr * g / (np.sqrt(h[key]) + 1e-7)


class AdaDelta(_WithState):
    """No learning rate: the step is scaled by the ratio of two running RMS values.

    ``Eg = rho * Eg + (1 - rho) * g * g``; ``dx = sqrt(Edx + eps) / sqrt(Eg + eps) * g``;
    ``p -= dx``; ``Edx = rho * Edx + (1 - rho) * dx * dx``.
    """

    state_names = ("Eg", "Edx")

    def __init__(self, rho: float = 0.95, eps: float = 1e-6) -> None:
        super().__init__()
        self.rho = rho
        self.eps = eps

    def update(self, params: Params, grads: Params) -> None:
        state = self._state(params)
        Eg, Edx = state["Eg"], state["Edx"]
        for key in params:
            g = grads[key]
            Eg[key] = self.rho * Eg[key] + (1.0 - self.rho) * g * g
            dx = np.sqrt(Edx[key] + self.eps) / np.sqrt(Eg[key] + self.eps) * g
            params[key] -= dx
            Edx[key] = self.rho * Edx[key] + (1.0 - self.rho) * dx * dx


class Adam(_WithState):
    """Adam with bias correction; ``t`` counts calls of ``update`` from 1.

    ``m = beta1 * m + (1 - beta1) * g``; ``v = beta2 * v + (1 - beta2) * g * g``;
    ``p -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + 1e-8)``.
    """

    state_names = ("m", "v")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        super().__init__()
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.t = 0

    def update(self, params: Params, grads: Params) -> None:
        state = self._state(params)
        m, v = state["m"], state["v"]
        self.t += 1
        for key in params:
            g = grads[key]
            m[key] = self.beta1 * m[key] + (1.0 - self.beta1) * g
            v[key] = self.beta2 * v[key] + (1.0 - self.beta2) * g * g
            m_hat = m[key] / (1.0 - self.beta1**self.t)
            v_hat = v[key] / (1.0 - self.beta2**self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


def xavier_init(fan_in: int, fan_out: int, rng: RandomSource = None) -> np.ndarray:
    """Glorot initialisation: ``(fan_in, fan_out)`` normal, mean 0, variance ``2 / (fan_in + fan_out)``.

    ``rng``: a ``np.random.Generator``; None draws from NumPy's global random state.
    """
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return std * random_source(rng).standard_normal((fan_in, fan_out))


def he_init(fan_in: int, fan_out: int, rng: RandomSource = None) -> np.ndarray:
    """He initialisation: ``(fan_in, fan_out)`` normal, mean 0, variance ``2 / fan_in``."""
    std = np.sqrt(2.0 / fan_in)
    return std * random_source(rng).standard_normal((fan_in, fan_out))


def l2_penalty(weights: list[np.ndarray], weight_decay_lambda: float) -> float:
    """Weight-decay term ``0.5 * lambda * sum over the arrays of sum(W**2)``."""
    return float(0.5 * weight_decay_lambda * sum(np.sum(np.square(W)) for W in weights))


def l2_grad(W: np.ndarray, weight_decay_lambda: float) -> np.ndarray:
    """Gradient of the weight-decay term with respect to ``W``: ``lambda * W``."""
    return weight_decay_lambda * np.asarray(W, dtype=np.float64)
