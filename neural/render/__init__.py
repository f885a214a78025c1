"""How neural results are shown: rich text, progress and sample figures."""
