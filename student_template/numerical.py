# Assignment `numerical`: losses, activations and numerical differentiation
#
# Fill in every function below. Keep each name and its parameters exactly as they are:
# the grader calls them by name. You may add helper functions of your own, and loops or
# vectorised NumPy code are both fine as long as the numbers are right.
#
# Self-check: with the grader installed, run in a terminal
#
#     grader check numerical numerical.py
#
# To check only the component you are working on, add --only and its name:
#
#     grader check numerical numerical.py --only sigmoid
#
# It grades this file the way your instructor will and prints every check with a message.
#
# Conventions for every function: inputs are float64 NumPy arrays unless stated, and a
# function must NOT modify the arrays passed to it (work on a copy if you need to).
import numpy as np


def sigmoid(x):
    """Logistic sigmoid, elementwise: 1 / (1 + exp(-x)).

    x: array of any shape.
    Returns an array of x's shape.
    """
    raise NotImplementedError("sigmoid is not implemented yet")


def relu(x):
    """Rectified linear unit, elementwise: max(0, x).

    x: array of any shape.
    Returns an array of x's shape.
    """
    raise NotImplementedError("relu is not implemented yet")


def softmax(x):
    """Softmax.

    x: scores of shape (C,) or (N, C).
    Returns an array of x's shape: for (C,) a vector of probabilities summing to 1; for
    (N, C) the softmax of each row separately (every row sums to 1).
    The result must stay finite for large scores such as [1000, 1001, 1002]
    (np.exp(1000) is inf in float64).
    """
    raise NotImplementedError("softmax is not implemented yet")


def sum_squared_error(y, t):
    """Sum of squared errors: 0.5 * sum((y - t)**2), a float.

    y: network output, t: target, both of the same shape (any shape).
    Example: y = [0.1, 0.05, 0.6, 0, 0.05, 0.1, 0, 0.1, 0, 0] with t one-hot at index 2
    gives 0.0975.
    """
    raise NotImplementedError("sum_squared_error is not implemented yet")


def cross_entropy_error(y, t):
    """Cross-entropy error averaged over the batch, a float.

    y: probabilities, shape (C,) for one sample or (N, C) for a batch of N samples.
    t: either one-hot targets of y's shape, or integer class labels: shape (N,) for a
       batch, a scalar for one sample. Both forms must give the same number.
    Returns -sum(t * log(y + 1e-7)) / N, with N = 1 for a single sample. The 1e-7 keeps
    log away from log(0); keep exactly this constant.
    Example: the sum_squared_error example above gives 0.510825457099338.
    """
    raise NotImplementedError("cross_entropy_error is not implemented yet")


def numerical_diff(f, x):
    """Derivative of a one-variable function at x, by the central difference.

    f: a function of one float returning a float. x: a float (a scalar).
    Returns (f(x + h) - f(x - h)) / (2h) with h = 1e-4, a float.
    """
    raise NotImplementedError("numerical_diff is not implemented yet")


def numerical_gradient(f, x):
    """Gradient of a scalar function of an array, by central differences.

    f: a function taking an array of x's shape and returning a scalar.
    x: float array of ANY shape: 1-D (n,), 2-D (n, m), 4-D (N, C, H, W), ...
    Returns an array of x's shape whose entry at each index i is
    (f(x with x[i] + h) - f(x with x[i] - h)) / (2h), with h = 1e-4, one entry at a time.
    x must hold exactly its original values when the function returns.
    """
    raise NotImplementedError("numerical_gradient is not implemented yet")


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """Minimise f by gradient descent with numerical gradients.

    f: a function of an array returning a scalar. init_x: the starting point (float array).
    Performs step_num steps of  x <- x - lr * numerical_gradient(f, x), starting from
    x = init_x, and returns the final x (an array of init_x's shape). init_x itself must
    not be changed.
    Example: f(x) = x[0]**2 + x[1]**2 from [-3, 4] with lr=0.1, step_num=100 ends
    within 1e-8 of [0, 0].
    """
    raise NotImplementedError("gradient_descent is not implemented yet")
