# Assignment `backprop`: a hand-computed MLP, the delta rule, XOR and a deep ReLU network
#
# Fill in every function below. Keep each name and its parameters exactly as they are:
# the grader calls them by name. Add helper functions (sigmoid, softmax, ...) yourself.
#
# Self-check: with the grader installed, run in a terminal
#
#     grader check backprop backprop.py
#
# To check only the component you are working on, add --only and its name:
#
#     grader check backprop backprop.py --only mlp_forward
#
# Conventions: the activation is the sigmoid unless stated. Weight matrices are stored
# (out, in), so a layer computes W @ x; vectors are 1-D. There are no biases. Functions
# return NEW arrays: the arrays passed in must hold their original values afterwards.
# Random choices use np.random (the grader seeds it).
import numpy as np


def mlp_forward(x, W1, W2):
    """Forward pass of a 2-layer sigmoid network without biases.

    x: (n_in,), W1: (n_hidden, n_in), W2: (n_out, n_hidden).
    Returns (h, o): the hidden activations h = sigmoid(W1 @ x), shape (n_hidden,), and the
    outputs o = sigmoid(W2 @ h), shape (n_out,).
    """
    raise NotImplementedError("mlp_forward is not implemented yet")


def mlp_loss(o, t):
    """Squared-error loss 0.5 * sum((t - o)**2), a float.

    o: outputs (n_out,), t: targets (n_out,).
    """
    raise NotImplementedError("mlp_loss is not implemented yet")


def mlp_backward(x, t, W1, W2):
    """Gradients of the loss of one sample w.r.t. both weight matrices.

    x: (n_in,), t: (n_out,), W1: (n_hidden, n_in), W2: (n_out, n_hidden).
    Returns (dW1, dW2), shaped like W1 and W2: the gradients of
    mlp_loss(mlp_forward(x, W1, W2)[1], t).
    """
    raise NotImplementedError("mlp_backward is not implemented yet")


def mlp_update(x, t, W1, W2, lr):
    """One gradient-descent step on one sample.

    Shapes as in mlp_backward; lr: learning rate (float).
    Returns the new (W1, W2) = (W1 - lr * dW1, W2 - lr * dW2), both gradients taken at the
    old weights. W1 and W2 passed in are left unchanged.
    """
    raise NotImplementedError("mlp_update is not implemented yet")


def delta_sgd(W, X, D, alpha):
    """One epoch of the delta rule (SGD) for a single sigmoid neuron.

    W: (1, n) weights, X: (N, n) inputs, D: (N, 1) or (N,) targets, alpha: learning rate.
    Visits the samples in order k = 0 .. N-1, updating after each one:
        y = sigmoid(W @ x_k),  delta = y * (1 - y) * (d_k - y),  W = W + alpha * delta * x_k
    Returns the new W, shape (1, n).
    """
    raise NotImplementedError("delta_sgd is not implemented yet")


def backprop_xor(W1, W2, X, D, alpha):
    """One epoch of back-propagation with squared error, sample by sample.

    W1: (n_hidden, n), W2: (n_out, n_hidden), X: (N, n), D: (N, n_out) or (N,),
    alpha: learning rate. For each sample (x, d) in order:
        y1 = sigmoid(W1 @ x)                      hidden layer
        y = sigmoid(W2 @ y1)                      output layer
        delta = y * (1 - y) * (d - y)             output delta
        delta1 = y1 * (1 - y1) * (W2.T @ delta)   hidden delta, from W2 before its update
        W1 += alpha * outer(delta1, x);  W2 += alpha * outer(delta, y1)
    Returns (W1, W2), the new weights.
    """
    raise NotImplementedError("backprop_xor is not implemented yet")


def backprop_ce(W1, W2, X, D, alpha):
    """Like backprop_xor, for the cross-entropy loss.

    Same shapes and order; the only difference is the output delta: delta = d - y.
    Returns (W1, W2), the new weights.
    """
    raise NotImplementedError("backprop_ce is not implemented yet")


def deep_relu(W1, W2, W3, W4, X, D, alpha):
    """One epoch of training a deep network: 3 ReLU hidden layers and a softmax output.

    W1: (h1, 25), W2: (h2, h1), W3: (h3, h2), W4: (5, h3); X: (N, 25) flattened 5x5 images;
    D: (N, 5) one-hot targets; alpha: learning rate. For each sample (x, d) in order:
        forward: v = W @ input and y = relu(v) for the three hidden layers, then the
                 output y = softmax(W4 @ y3)
        deltas:  output delta = d - y; each hidden layer, going backwards,
                 delta_k = (v_k > 0) * (W_{k+1}.T @ delta_{k+1})
        update:  every W += alpha * outer(its delta, its input), all deltas computed from
                 the weights before this sample's update
    Returns (W1, W2, W3, W4), the new weights.
    """
    raise NotImplementedError("deep_relu is not implemented yet")


def dropout_mask(y, ratio):
    """An (inverted) dropout mask for the activations y.

    y: array of any shape; ratio: the fraction of units to drop, 0 <= ratio < 1.
    Returns an array of y's shape in which exactly round(y.size * (1 - ratio)) entries,
    chosen at random WITHOUT replacement, equal 1 / (1 - ratio), and all the others are 0.
    (This mask is inverted: kept units are scaled up. The `Dropout` layer of the `layers`
    assignment is not.)
    """
    raise NotImplementedError("dropout_mask is not implemented yet")
