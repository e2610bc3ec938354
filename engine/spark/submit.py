"""The file to hand ``spark-submit``: ``deid spark`` as a Python application.

``spark-submit`` needs a ``.py`` file (the ``deid`` console script is not one). Its arguments are
those of ``deid spark``: ``detect|redact INPUT -o OUT [options]``; ``--master`` is spark-submit's.

Example:
    $ spark-submit --master yarn "$(python -m engine.spark.submit --path)" redact \\
        hdfs:///archive/notes.parquet -o hdfs:///archive/redacted.parquet
"""

from __future__ import annotations

import sys

from engine.cli import main


def run(argv: list[str]) -> int:
    """``deid spark ARGV``; ``--path`` prints this file's path (for the spark-submit line)."""
    if argv == ["--path"]:
        sys.stdout.write(__file__ + "\n")
        return 0
    return main(["spark", *argv])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
