# corpus-source: seeds
# provenance: ../shared/seeds/001_7d9d714030e12764.txt (a course blog's 1-D CNN lesson, lines 483-495)
# adapted: forward renamed conv1d, loss renamed mse_loss; the notes' module-level X, W, B kept as they are
# label conv1d: bug r"module-level variable|range\(3\)|stops after 3|fixed count" -- reads the global W instead of its parameter weight, and loops a fixed range(3) (3 outputs, 3 taps)
# label mse_loss: correct
import numpy as np

X = np.array([1., 0.7, 0.5, 0.3, 0.1])
W = np.array([1., 1., 1.])
B = np.array([0.5])

def conv1d(input, weight, bias):
  conv = np.zeros(3,)
  for i in range(3):
    a = 0
    for j in range(3):
      a += input[j+i]*W[j]
    conv[i] = a

  return conv + bias

def mse_loss(pred, target):
  losses = np.mean(np.power((pred - target), 2))
  return losses
