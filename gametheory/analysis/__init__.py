"""Algorithms on a symbolic game: stationary points, exact and certified spectra, Nash, step sizes, classification, decomposition."""
