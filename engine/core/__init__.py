"""The ground every phase stands on: spans, diagnostics, resources, countries."""

__version__ = "0.1.0"
