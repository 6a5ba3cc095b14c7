# corpus-source: seeds
# provenance: ../shared/seeds/003_6c47b7b865d54831.txt (course notes quoting a student's notebook; lines 27-260)
# adapted: nothing (the first cross_entropy_error of the notes, the single-sample version)
# label sum_squared_error: correct
# label cross_entropy_error: bug r"batch|1/N|divid|labels" -- no batch handling: never divides by N, and integer labels are not supported
import numpy as np

def sum_squared_error(y, t) :
    return 0.5 * np.sum((y-t)**2)


def cross_entropy_error (y, t) :
    delta = 1e-7
    return - np.sum(t*np.log(y + delta))
