"""Numeric layer: games whose players are PyTorch modules.

Matrix-free autodiff operators (vector field, Jacobian- and Hessian-vector products), Krylov
eigen-analysis, path-angle and classification of neural game states, plus GAN training.
Sign convention as in ``gametheory``: every player minimises its own loss.
"""
