"""The layout shows the pipeline: each folder of `engine/` is a phase, and no
module imports a later phase or another module's private names
(`tests/layers.py` computes the layers from the imports)."""

from __future__ import annotations

from pathlib import Path

import layers


def test_every_module_belongs_to_a_named_layer():
    unknown = {layers.layer_of(layers.module_name(p)) for p in layers.files()} - set(layers.ORDER)
    assert unknown == set()


def test_no_module_imports_a_later_phase_or_a_private_name():
    _, problems = layers.graph()
    assert problems == []


def test_the_checker_finds_a_back_edge_and_a_private_import(tmp_path, monkeypatch):
    """The check itself can fail: a module of `core` importing `decide`, and one
    importing `_private` from another, are both reported."""
    package = tmp_path / "engine"
    (package / "core").mkdir(parents=True)
    (package / "decide").mkdir()
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "decide" / "__init__.py").write_text("")
    (package / "decide" / "values.py").write_text("def _hidden(): pass\n")
    (package / "core" / "bad.py").write_text("from ..decide.values import _hidden\n")
    monkeypatch.setattr(layers, "ROOT", tmp_path)
    monkeypatch.setattr(layers, "PACKAGE", package)
    _, problems = layers.graph()
    assert any("core imports the later layer decide" in p for p in problems)
    assert any("private name _hidden" in p for p in problems)


def test_the_design_doc_shows_the_layers_as_they_are():
    design = (Path(layers.ROOT) / "docs" / "design.md").read_text(encoding="utf-8")
    start = design.index(layers.BEGIN) + len(layers.BEGIN)
    assert design[start:design.index(layers.END)] == layers.picture(), "run `python tests/layers.py --write`"


def test_the_checked_policy_is_plain_frozen_data():
    """The IR is the evaluators' whole input: frozen dataclasses, tuples, sets,
    mappings and scalars, with no syntax-tree node and no networkx graph in it
    (those are the tools' `policy.authored`)."""
    import dataclasses

    import networkx

    import engine
    from engine import ir
    from engine.core.source import Span
    from engine.syntax import ast

    policy = engine.load_policy("rules/examples/shop")
    seen, stack, kinds = set(), [policy.checked], set()
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        kinds.add(type(value))
        assert not isinstance(value, (networkx.Graph, ast.Module)), type(value)
        assert type(value).__module__ != ast.__name__, type(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, Span):
            assert type(value).__dataclass_params__.frozen, type(value)
            stack.extend(getattr(value, f.name) for f in dataclasses.fields(value))
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (tuple, list, frozenset, set)):
            stack.extend(value)
    assert ir.CheckedPolicy in kinds and ir.Hierarchy in kinds and ir.CheckedRule in kinds
    assert policy.authored.modules and isinstance(policy.authored.modules[0], ast.Module)


def test_one_walker_knows_every_ir_node_kind_and_its_children():
    """`ir.CHILDREN` names, for every node kind, exactly the fields that hold
    expressions, so `ir.walk` (which lint and the tools use) misses none."""
    import dataclasses
    import typing

    from engine import ir

    kinds = set(typing.get_args(ir.Node))
    assert set(ir.CHILDREN) == kinds
    for kind in kinds:
        holding = tuple(f.name for f in dataclasses.fields(kind) if "Node" in str(f.type))
        assert holding == ir.CHILDREN[kind], kind
    deep = ir.Const(True, "bool")
    for _ in range(10_000):  # deeper than the recursion limit: the walk is iterative
        deep = ir.Not(deep)
    assert sum(1 for _ in ir.walk(deep)) == 10_001
