# corpus-source: seeds
# provenance: ../shared/seeds/002_e222b57da45c9f9e.txt (a student's blog series, code from github cdjs1432/DeepLearningBasic; the blog copy lost its indentation)
# adapted: indentation restored; each optimizer's per-key update lines (verbatim but for names) moved from its
#   train(x_train, y_train, epoch, learning_rate, model) loop into update(params, grads): model.params -> params,
#   model.grads -> grads, learning_rate -> self.lr, the loop's state dicts (velocity, G, m, v) kept on self;
#   constructors take the curriculum's hyperparameters (RMSProp's gamma is decay_rate, Adam's beta_1 is beta1)
# label Momentum: correct
# label AdaGrad: correct
# label RMSprop: correct
# label Adam: bug r"beta1\*beta1" -- bias corrections 1 - beta_1 * beta_1 and 1 - beta_2 * beta_2 where beta**t belongs (and 10e-8 for 1e-8)
import numpy as np


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.velocity = None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = {}
            for p in params:
                self.velocity[p] = np.zeros(params[p].shape)
        velocity = self.velocity
        for key in params:
            velocity[key] = self.momentum * velocity[key] + self.lr * grads[key]
            params[key] -= velocity[key]


class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.epsilon = 10e-8
        self.G = None

    def update(self, params, grads):
        if self.G is None:
            self.G = {}
            for p in params:
                self.G[p] = np.zeros(params[p].shape)
        G = self.G
        for key in params:
            G[key] += np.square(grads[key])
            params[key] -= np.multiply(self.lr / (np.sqrt(G[key] + self.epsilon)), grads[key])


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.epsilon = 10e-8
        self.gamma = decay_rate
        self.G = None

    def update(self, params, grads):
        if self.G is None:
            self.G = {}
            for p in params:
                self.G[p] = np.zeros(params[p].shape)
        G = self.G
        for key in params:
            G[key] = self.gamma * G[key] + (1 - self.gamma) * np.square(grads[key])
            params[key] -= np.multiply(self.lr / (np.sqrt(G[key] + self.epsilon)), grads[key])


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.epsilon = 10e-8
        self.beta_1 = beta1
        self.beta_2 = beta2
        self.m = None

    def update(self, params, grads):
        if self.m is None:
            self.m, self.m_hat, self.v, self.v_hat = {}, {}, {}, {}
            for p in params:
                self.m[p] = np.zeros(params[p].shape)
                self.m_hat[p] = np.zeros(params[p].shape)
                self.v[p] = np.zeros(params[p].shape)
                self.v_hat[p] = np.zeros(params[p].shape)
        m, m_hat, v, v_hat = self.m, self.m_hat, self.v, self.v_hat
        for key in params:
            m[key] = self.beta_1 * m[key] + (1 - self.beta_1)*grads[key]
            m_hat[key] = m[key] / (1 - self.beta_1 * self.beta_1)
            v[key] = self.beta_2 * v[key] + (1 - self.beta_2) * grads[key] * grads[key]
            v_hat[key] = v[key] / (1 - self.beta_2 * self.beta_2)
            params[key] -= self.lr * m_hat[key] / np.sqrt(v_hat[key] + self.epsilon)
