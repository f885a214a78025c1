"""How symbolic results are shown: rich text, tables and matplotlib figures (rendering never recomputes)."""
