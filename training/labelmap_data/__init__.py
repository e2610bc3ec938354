"""Label map data files (JSON), loaded by :mod:`engine.training.labelmaps`."""
