"""Text handling: tokenisation with offsets, windows, the normalised detection view."""
