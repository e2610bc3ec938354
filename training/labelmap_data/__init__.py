"""Label map data files (JSON), loaded by :mod:`training.labelmaps`."""
