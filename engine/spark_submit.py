"""`spark-submit` entry point: `spark-submit …/engine/audit/spark_submit.py audit POLICY EVENTS… --engine spark`.

spark-submit runs a file, not a module; this file imports the CLI absolutely, so
the installed `engine` package is used.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
