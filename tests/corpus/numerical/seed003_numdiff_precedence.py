# corpus-source: seeds
# provenance: ../shared/seeds/003_6c47b7b865d54831.txt (course notes quoting a student's notebook; lines 27-260)
# adapted: nothing (the notes' second numerical_diff)
# label numerical_diff: bug r"/ \(2\s*\*\s*h\)|/ 2\s*\*\s*h|precedence|parenthes" -- / 2*h divides by 2 and multiplies by h
import numpy as np

def numerical_diff(f,x) :
    h = 1e-4    # 적절한 크기의 수치
    return  (f(x+h) - f(x-h)) / 2*h   # 지점 앞 뒤의 값
