"""Training methods as update maps: local convergence, stability regions, simulated iterates and flows, path-angle."""
