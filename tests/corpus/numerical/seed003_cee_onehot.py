# corpus-source: seeds
# provenance: ../shared/seeds/003_6c47b7b865d54831.txt (course notes quoting a student's notebook; lines 27-260)
# adapted: nothing (the notes' "One Hot Encoding" batch version)
# label cross_entropy_error: bug r"integer labels|labels" -- handles one-hot t only; integer labels t of shape (N,) broadcast wrongly
import numpy as np

# One Hot Encoding
def cross_entropy_error(y,t) :
    if y.ndim==1:
        t= t.reshape(1, t.size)
        y= y.reshape(1, y.size)
        
    batch_size = y.shape[0]
    return -np.sum(t* np.log(y + 1e-7)) / batch_size
