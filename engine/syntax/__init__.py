"""Text to syntax tree: the Lark parser, syntax errors, and lowering to the AST."""

from .lower import parse_module

__all__ = ["parse_module"]
