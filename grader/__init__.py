"""dlfs-grader: grade deep-learning-from-scratch NumPy assignments, safely and fairly."""

__version__ = "0.1.0"
