"""From model probabilities to spans: stitching windows and decoding BIO tags."""
