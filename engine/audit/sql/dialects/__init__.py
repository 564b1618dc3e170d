"""The two SQL dialects the audit is written in: `base` holds the interface and
what is spelled once for both, `duckdb` and `spark` only what differs."""

from .base import Dialect, quote
from .duckdb import DuckDBDialect
from .spark import SparkDialect

__all__ = ["Dialect", "DuckDBDialect", "SparkDialect", "quote"]
