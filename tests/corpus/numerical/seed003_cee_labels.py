# corpus-source: seeds
# provenance: ../shared/seeds/003_6c47b7b865d54831.txt (course notes quoting a student's notebook; lines 27-260)
# adapted: nothing (the notes' "Label" batch version)
# label cross_entropy_error: bug r"one-hot" -- handles integer labels only; a one-hot t is used as an index
import numpy as np

# Label
def cross_entropy_error(y,t) :
    if y.ndim==1:
        t= t.reshape(1, t.size)
        y= y.reshape(1, y.size)
        
    batch_size = y.shape[0]
    #2차원 fancy indexing
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
