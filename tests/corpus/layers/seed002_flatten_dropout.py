# corpus-source: seeds
# provenance: ../shared/seeds/002_e222b57da45c9f9e.txt (a student's blog series, code from github cdjs1432/DeepLearningBasic; the blog copy lost its indentation)
# adapted: indentation restored; Dropout's parameter dropout_rate renamed dropout_ratio (default 0.5 as in the
#   curriculum, the blog's is 0.2) and train_flag renamed train_flg
# label Flatten: bug r"forward did not store|None" -- forward never records x's shape: backward reshapes to self.shape, still None
# label Dropout: correct
import numpy as np


class Flatten:
    def __init__(self):
        self.shape = None
        self.activation = True

    def forward(self, x):
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(-1, *self.shape)


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.drop_rate = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.drop_rate
            return x * self.mask
        else:
            return x * (1.0 - self.drop_rate)

    def backward(self, dout):
        return dout * self.mask
