# corpus-source: seeds
# provenance: ../shared/seeds/003_6c47b7b865d54831.txt (course notes quoting a student's notebook; lines 27-260)
# adapted: nothing
# label numerical_gradient: bug r"1-D|one-dimensional|x\.size|nditer|any shape" -- loops x[idx] over range(x.size): works for 1-D x only
# label gradient_descent: bug r"modified init_x in place" -- x = init_x does not copy: the caller's array moves
import numpy as np

# 수치 미분을 이용한 기울기
def numerical_gradient(f, x) :
    h = 1e-4
    grad = np.zeros_like(x) # X와 같은모양 배열
    
    for idx in range(x.size):  # 변수 마다 값을 약간씩 변경하여 미분 구하기
        # f(x+h)
        tmp_val = x[idx]
        x[idx] = tmp_val +h
        fxh1 = f(x)
        
        # f(x-h)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        
        grad[idx] = (fxh1 - fxh2) / (2*h)   # 해당 변수의 미분
        x[idx] = tmp_val
        
    return grad


def gradient_descent(f, init_x, lr = 0.01, step_num = 1000) :
    x = init_x
    
    for i in range(step_num):
        grad = numerical_gradient(f,x)
        x -=  lr * grad
    
    return x
