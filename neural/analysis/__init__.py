"""Algorithms on a neural game: Krylov eigen-solvers, certificates, classification of a state, path-angle."""
