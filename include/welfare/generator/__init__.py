"""Deterministic synthetic submissions (province files and national bulk CSV) with a truth manifest."""
