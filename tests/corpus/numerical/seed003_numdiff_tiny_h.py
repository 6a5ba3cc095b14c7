# corpus-source: seeds
# provenance: ../shared/seeds/003_6c47b7b865d54831.txt (course notes quoting a student's notebook; lines 27-260)
# adapted: nothing (the notes' first numerical_diff, shown as what not to do)
# label numerical_diff: bug r"h = 1e-50|too small|rounding|round-off|forward difference" -- h = 1e-50 rounds x + h to x (and a forward difference)
import numpy as np

# 컴퓨터는 이와 같은 작은 값을 잘 처리하지 못한다
def numerical_diff(f,x) :
    h = 1e-50
    return (f(x+h) - f(x)) / h 
