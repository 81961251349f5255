"""Hà Tĩnh union-welfare monitoring platform."""
