"""The NumPy reference of the five curriculum assignments (float64, vectorised) and its golden store.

One module per assignment: ``numerical``, ``backprop``, ``layers``, ``optim``, ``conv``; every
component under its CURRICULUM.md name and signature. ``golden`` writes, checks and loads the
golden store (``python -m reference.golden [--check]``); ``golden_cases`` defines its cases.
"""
