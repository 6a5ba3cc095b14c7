# corpus-source: seeds
# provenance: ../shared/seeds/000_be567d5a2d3a6599.txt (a student's blog post of her course notebook, lines 42-340 and 555-565)
# adapted: delta_GD renamed delta_sgd
# label delta_sgd: bug r"range\(4\)|fixed|hard-coded|first 4|only \d+ of|loop bound|every sample" -- for k in range(4): trains on the first 4 samples whatever X holds
import numpy as np

# 활성화 함수 sigmoid
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# 출력값 계산
def calc_output(W, x):
    v = np.matmul(W, x)
    y = sigmoid(v)
    return y

# 오차 계산
def calc_error(d, y_pred):
    e = d - y_pred
    delta = y_pred * (1 - y_pred) * e
    return delta


# 한 epoch에 수행되는 W 계산(gradient descent)
def delta_sgd(W, X, D, alpha):
    # 모든 데이터에 대해 계산하는 gradient descent 방식에 따라
    # 전체 데이터 개수인 4개를 다 거쳐야함
    for k in range(4):
        x = X[k, :].T # 입력값
        d = D[k] # 실제값(정답지)

        y_pred = calc_output(W, x) # 순방향 추론
        delta = calc_error(d , y_pred) # delta 계산

        dW = alpha * delta * x # 가중치 변화량
        W = W + dW # 가중치 업데이트
    return W
