"""``python -m engine.training.synth --out data/synth --n-train 20000 --n-dev 1500 --seed 13``."""

import sys

from engine.training.synth.cli import main

sys.exit(main())
