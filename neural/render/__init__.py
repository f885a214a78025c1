"""How neural results are shown: rich text, progress, and figures (spectrum, path-angle, training samples)."""
