"""Reserved for detector modules; detection stages live in :mod:`engine.stages`."""
