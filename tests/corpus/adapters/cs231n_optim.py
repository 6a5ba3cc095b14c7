# adapter (ours, tests/corpus/adapters/cs231n_optim.py): the curriculum's optimizer classes over CS231n's
# update rules: one CS231n config dict per parameter key, holding the rule's state between calls; the
# rule's next_w is written into params[key] (the curriculum updates in place).
class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.config = {"learning_rate": lr, "momentum": momentum}
        self.state = {}

    def update(self, params, grads):
        for key in params:
            config = self.state.setdefault(key, dict(self.config))
            next_w, self.state[key] = sgd_momentum(params[key], grads[key], config)
            params[key][...] = next_w


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.config = {"learning_rate": lr, "decay_rate": decay_rate}
        self.state = {}

    def update(self, params, grads):
        for key in params:
            config = self.state.setdefault(key, dict(self.config))
            next_w, self.state[key] = rmsprop(params[key], grads[key], config)
            params[key][...] = next_w


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.config = {"learning_rate": lr, "beta1": beta1, "beta2": beta2}
        self.state = {}

    def update(self, params, grads):
        for key in params:
            config = self.state.setdefault(key, dict(self.config))
            next_w, self.state[key] = adam(params[key], grads[key], config)
            params[key][...] = next_w
