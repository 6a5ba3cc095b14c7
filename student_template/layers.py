# Assignment `layers`: layers with a forward and a backward pass, and a two-layer network
#
# Fill in every method below. Keep each class name, method name and parameter exactly as
# they are: the grader calls them by name. Add helper functions (sigmoid, softmax,
# cross_entropy_error, ...) yourself; you may copy them from the `numerical` assignment.
#
# Self-check: with the grader installed, run in a terminal
#
#     grader check layers layers.py
#
# To check only the component you are working on, add --only and its name:
#
#     grader check layers layers.py --only Relu
#
# Conventions: `forward` keeps on `self` whatever `backward` needs; `backward(dout)` takes
# the gradient of the loss w.r.t. the layer's output and returns the gradient w.r.t. its
# input, of the input's shape. Neither may modify the arrays passed in (x, dout), nor an
# array returned earlier. N is the batch size.
import numpy as np


class Relu:
    """ReLU layer: out = max(0, x) elementwise, for x of any shape."""

    def __init__(self):
        pass  # add the attributes forward and backward share, if any

    def forward(self, x):
        """x: any shape. Returns max(0, x), of x's shape. x must not change."""
        raise NotImplementedError("Relu.forward is not implemented yet")

    def backward(self, dout):
        """dout: of the output's shape. Returns dx, of x's shape. dout must not change."""
        raise NotImplementedError("Relu.backward is not implemented yet")


class Sigmoid:
    """Sigmoid layer: out = 1 / (1 + exp(-x)) elementwise, for x of any shape."""

    def __init__(self):
        pass  # add the attributes forward and backward share, if any

    def forward(self, x):
        """x: any shape. Returns sigmoid(x), of x's shape."""
        raise NotImplementedError("Sigmoid.forward is not implemented yet")

    def backward(self, dout):
        """dout: of the output's shape. Returns dx, of x's shape."""
        raise NotImplementedError("Sigmoid.backward is not implemented yet")


class LeakyRelu:
    """Leaky ReLU layer: out = x where x > 0, else alpha * x (elementwise, any shape)."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        """x: any shape. Returns an array of x's shape."""
        raise NotImplementedError("LeakyRelu.forward is not implemented yet")

    def backward(self, dout):
        """dout: of the output's shape. Returns dx, of x's shape."""
        raise NotImplementedError("LeakyRelu.backward is not implemented yet")


class Elu:
    """ELU layer: out = x where x > 0, else alpha * (exp(x) - 1) (elementwise, any shape)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        """x: any shape. Returns an array of x's shape."""
        raise NotImplementedError("Elu.forward is not implemented yet")

    def backward(self, dout):
        """dout: of the output's shape. Returns dx, of x's shape."""
        raise NotImplementedError("Elu.backward is not implemented yet")


class Tanh:
    """Tanh layer: out = tanh(x) elementwise, for x of any shape."""

    def __init__(self):
        pass  # add the attributes forward and backward share, if any

    def forward(self, x):
        """x: any shape. Returns tanh(x), of x's shape."""
        raise NotImplementedError("Tanh.forward is not implemented yet")

    def backward(self, dout):
        """dout: of the output's shape. Returns dx, of x's shape."""
        raise NotImplementedError("Tanh.backward is not implemented yet")


class Affine:
    """Fully connected layer: out = x @ W + b.

    W: (D, M) weights, b: (M,) bias. After backward, self.dW (D, M) and self.db (M,)
    hold the gradients of the loss w.r.t. W and b; db sums over the batch (no mean).
    """

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = None
        self.db = None

    def forward(self, x):
        """x: (N, D), or (N, d1, d2, ...) which is treated as (N, D) with D = d1*d2*...

        Returns out, shape (N, M).
        """
        raise NotImplementedError("Affine.forward is not implemented yet")

    def backward(self, dout):
        """dout: (N, M). Sets self.dW (D, M) and self.db (M,).

        Returns dx in x's ORIGINAL shape ((N, D) or (N, d1, d2, ...)).
        """
        raise NotImplementedError("Affine.backward is not implemented yet")


class SoftmaxWithLoss:
    """Softmax output layer with the cross-entropy loss, averaged over the batch."""

    def __init__(self):
        pass  # add the attributes forward and backward share, if any

    def forward(self, x, t):
        """x: scores (N, C). t: one-hot targets (N, C) or integer labels (N,).

        Returns the loss, a float: the mean over the batch of the cross-entropy error of
        softmax(x) (with the 1e-7 inside the log, as in cross_entropy_error).
        """
        raise NotImplementedError("SoftmaxWithLoss.forward is not implemented yet")

    def backward(self, dout=1):
        """dout: the upstream gradient; the loss is the last node, so it is 1.

        Returns dx = (softmax(x) - t) / N, shape (N, C), with t taken as one-hot.
        """
        raise NotImplementedError("SoftmaxWithLoss.backward is not implemented yet")


class Dropout:
    """Dropout layer (NOT inverted, as in the textbook).

    dropout_ratio: the probability of dropping a unit. In training each unit is kept where
    a uniform random number in [0, 1) is greater than dropout_ratio (use np.random.rand,
    the grader seeds it); at test time nothing is dropped and the output is scaled by
    (1 - dropout_ratio) instead.
    """

    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        """x: any shape. Returns x * mask when train_flg (a fresh random 0/1 mask of x's
        shape, kept for backward), else x * (1 - dropout_ratio).
        """
        raise NotImplementedError("Dropout.forward is not implemented yet")

    def backward(self, dout):
        """dout: of x's shape. Returns dx, using the mask of the last training forward."""
        raise NotImplementedError("Dropout.backward is not implemented yet")


class Flatten:
    """Flattens every sample: (N, d1, d2, ...) -> (N, d1*d2*...)."""

    def __init__(self):
        pass  # add the attributes forward and backward share, if any

    def forward(self, x):
        """x: (N, d1, d2, ...). Returns (N, D) with D = d1*d2*..."""
        raise NotImplementedError("Flatten.forward is not implemented yet")

    def backward(self, dout):
        """dout: (N, D). Returns dx in x's original shape (N, d1, d2, ...)."""
        raise NotImplementedError("Flatten.backward is not implemented yet")


class TwoLayerNet:
    """Two-layer network: Affine -> Sigmoid -> Affine -> Softmax, trained on cross-entropy.

    params (the grader may overwrite these arrays with its own before calling a method):
        'W1': (input_size, hidden_size), 'b1': (hidden_size,),
        'W2': (hidden_size, output_size), 'b2': (output_size,).
    In every method x is (N, input_size) and t is one-hot (N, output_size) or integer
    labels (N,). Always read the weights from self.params when a method is called.
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        """Builds self.params: W1 and W2 drawn as weight_init_std * np.random.randn(...) with the
        shapes above, b1 and b2 zeros."""
        raise NotImplementedError("TwoLayerNet.__init__ is not implemented yet")

    def predict(self, x):
        """Returns the softmax output probabilities, shape (N, output_size)."""
        raise NotImplementedError("TwoLayerNet.predict is not implemented yet")

    def loss(self, x, t):
        """Returns the mean cross-entropy error of predict(x) against t, a float."""
        raise NotImplementedError("TwoLayerNet.loss is not implemented yet")

    def accuracy(self, x, t):
        """Returns the fraction of samples whose most probable class is the target, a float."""
        raise NotImplementedError("TwoLayerNet.accuracy is not implemented yet")

    def gradient(self, x, t):
        """Gradients of loss(x, t) by back-propagation.

        Returns a dict with keys 'W1', 'b1', 'W2', 'b2', each shaped like the parameter.
        """
        raise NotImplementedError("TwoLayerNet.gradient is not implemented yet")
