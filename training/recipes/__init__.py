"""Recipes: the exact data builds behind a shipped model (see each module's docstring)."""
