# adapter (ours, tests/corpus/adapters/cs231n_layers.py): the curriculum's layer classes over CS231n's
# functions, so that the functions above keep their bodies. Names only: no arithmetic of its own.
class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = None
        self.db = None

    def forward(self, x):
        out, self.cache = affine_forward(x, self.W, self.b)
        return out

    def backward(self, dout):
        dx, self.dW, self.db = affine_backward(dout, self.cache)
        return dx


class Relu:
    def forward(self, x):
        out, self.cache = relu_forward(x)
        return out

    def backward(self, dout):
        return relu_backward(dout, self.cache)
