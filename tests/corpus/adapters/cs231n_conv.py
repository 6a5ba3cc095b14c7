# adapter (ours, tests/corpus/adapters/cs231n_conv.py): the curriculum's Convolution and Pooling over CS231n's
# naive functions. CS231n's max pool takes no pad: a padded Pooling pads x with zeros first (as the
# textbook's im2col does) and cuts the pad off dx.
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.dW = None
        self.db = None

    def forward(self, x):
        out, self.cache = conv_forward_naive(x, self.W, self.b, {"stride": self.stride, "pad": self.pad})
        return out

    def backward(self, dout):
        dx, self.dW, self.db = conv_backward_naive(dout, self.cache)
        return dx


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.param = {"pool_height": pool_h, "pool_width": pool_w, "stride": stride}
        self.pad = pad

    def forward(self, x):
        p = self.pad
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
        out, self.cache = max_pool_forward_naive(padded, self.param)
        return out

    def backward(self, dout):
        dx = max_pool_backward_naive(dout, self.cache)
        p = self.pad
        return dx[:, :, p:dx.shape[2] - p, p:dx.shape[3] - p] if p else dx
