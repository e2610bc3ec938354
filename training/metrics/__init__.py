"""Evaluation building blocks: scores, span matching, confusion matrices, rendering.

The public entry point is :func:`engine.training.evaluate.evaluate_spans`; these modules are its parts.
"""
