"""Multi-valued decision diagrams: the exact, solver-free representation of a
policy's decisions over the whole (finitely partitioned) event space.

A diagram is a node number. 0 and 1 are the constants; every other node tests
one variable (a `level`, smaller levels nearer the root) and has one child per
value of that variable's finite domain. Nodes are hash-consed, so two equal
functions are the same number, and every operation is memoised: the size of a
result is bounded by the product of its operands' sizes, never by the size of
the event space.
"""

from __future__ import annotations

from typing import Callable, Iterator

FALSE = 0
TRUE = 1

#: a cube: variable level -> the value indexes it may take (absent: any value)
Cube = dict[int, frozenset[int]]


class Manager:
    """The store of nodes over variables of given domain sizes."""

    def __init__(self, sizes: dict[int, int]):
        #: level -> number of values
        self.sizes = dict(sizes)
        self._level: list[int] = [-1, -1]  # node -> level (constants: -1)
        self._kids: list[tuple[int, ...]] = [(), ()]
        self._unique: dict[tuple[int, tuple[int, ...]], int] = {}
        self._memo: dict[tuple, int] = {}

    # ---- building ----------------------------------------------------------------

    def node(self, level: int, kids: tuple[int, ...]) -> int:
        first = kids[0]
        if kids.count(first) == len(kids):
            return first
        key = (level, kids)
        found = self._unique.get(key)
        if found is None:
            found = len(self._level)
            self._level.append(level)
            self._kids.append(kids)
            self._unique[key] = found
        return found

    def member(self, level: int, values) -> int:
        """The function `variable at level` is one of `values` (indexes)."""
        chosen = set(values)
        return self.node(level, tuple(TRUE if v in chosen else FALSE for v in range(self.sizes[level])))

    def table(self, levels: tuple[int, ...], leaf: Callable[[tuple[int, ...]], int]) -> int:
        """The function given by `leaf(value indexes)` over the variables at `levels`
        (sorted): a case split over every combination of their values."""
        def build(depth: int, chosen: tuple[int, ...]) -> int:
            if depth == len(levels):
                return leaf(chosen)
            level = levels[depth]
            return self.node(level, tuple(build(depth + 1, chosen + (v,))
                                          for v in range(self.sizes[level])))
        return build(0, ())

    def level(self, node: int) -> int:
        return self._level[node]

    def kids(self, node: int) -> tuple[int, ...]:
        return self._kids[node]

    # ---- operations ----------------------------------------------------------------

    def negate(self, a: int) -> int:
        if a <= TRUE:
            return 1 - a
        key = ("not", a)
        found = self._memo.get(key)
        if found is None:
            found = self.node(self._level[a], tuple(self.negate(k) for k in self._kids[a]))
            self._memo[key] = found
        return found

    def both(self, a: int, b: int) -> int:
        if a == FALSE or b == FALSE:
            return FALSE
        if a == TRUE or a == b:
            return b
        if b == TRUE:
            return a
        return self._apply("and", a, b)

    def either(self, a: int, b: int) -> int:
        if a == TRUE or b == TRUE:
            return TRUE
        if a == FALSE or a == b:
            return b
        if b == FALSE:
            return a
        return self._apply("or", a, b)

    def differ(self, a: int, b: int) -> int:
        """Exclusive or: where the two functions differ."""
        if a == b:
            return FALSE
        if a == FALSE:
            return b
        if b == FALSE:
            return a
        if a == TRUE:
            return self.negate(b)
        if b == TRUE:
            return self.negate(a)
        return self._apply("xor", a, b)

    def all_of(self, nodes) -> int:
        return self._balanced(list(nodes), self.both, TRUE)

    def any_of(self, nodes) -> int:
        return self._balanced(list(nodes), self.either, FALSE)

    def _balanced(self, nodes: list[int], op, empty: int) -> int:
        if not nodes:
            return empty
        while len(nodes) > 1:
            nodes = [op(nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
                     for i in range(0, len(nodes), 2)]
        return nodes[0]

    def _apply(self, op: str, a: int, b: int) -> int:
        """`op` of two non-constant nodes, child by child from the top variable of
        either (the constant cases of `both`/`either` inline: same calls, same order)."""
        if a > b:
            a, b = b, a
        key = (op, a, b)
        found = self._memo.get(key)
        if found is not None:
            return found
        la, lb = self._level[a], self._level[b]
        level = la if la <= lb else lb
        ka = self._kids[a] if la == level else (a,) * self.sizes[level]
        kb = self._kids[b] if lb == level else (b,) * self.sizes[level]
        apply = self._apply
        if op == "and":
            kids = [FALSE if x == FALSE or y == FALSE else y if x == TRUE or x == y else x if y == TRUE
                    else apply("and", x, y) for x, y in zip(ka, kb)]
        elif op == "or":
            kids = [TRUE if x == TRUE or y == TRUE else y if x == FALSE or x == y else x if y == FALSE
                    else apply("or", x, y) for x, y in zip(ka, kb)]
        else:
            differ = self.differ
            kids = [differ(x, y) for x, y in zip(ka, kb)]
        found = self.node(level, tuple(kids))
        self._memo[key] = found
        return found

    def restrict(self, a: int, fixed: dict[int, int]) -> int:
        """The function with the variables of `fixed` (level -> value index) set."""
        if a <= TRUE or not fixed:
            return a
        memo: dict[int, int] = {}

        def go(n: int) -> int:
            if n <= TRUE:
                return n
            found = memo.get(n)
            if found is None:
                level = self._level[n]
                if level in fixed:
                    found = go(self._kids[n][fixed[level]])
                else:
                    found = self.node(level, tuple(go(k) for k in self._kids[n]))
                memo[n] = found
            return found
        return go(a)

    def simplify(self, f: int, care: int) -> int:
        """A function equal to `f` wherever `care` is true, and as small as the
        freedom elsewhere allows (Coudert and Madre's restrict): a variable that
        only splits the don't-care part is dropped."""
        memo: dict[tuple[int, int], int] = {}

        def go(f: int, care: int) -> int:
            if care == FALSE:
                return FALSE
            if care == TRUE or f <= TRUE:
                return f
            key = (f, care)
            found = memo.get(key)
            if found is not None:
                return found
            lf, lc = self._level[f], self._level[care]
            if lc < lf:  # care splits on a variable f does not read: any branch will do
                found = go(f, self.any_of(self._kids[care]))
            else:
                kf = self._kids[f]
                kc = self._kids[care] if lc == lf else (care,) * len(kf)
                kids = [go(x, c) if c != FALSE else None for x, c in zip(kf, kc)]
                known = [k for k in kids if k is not None]
                filler = max(set(known), key=known.count) if known else FALSE
                found = self.node(lf, tuple(filler if k is None else k for k in kids))
            memo[key] = found
            return found
        return go(f, care)

    def value(self, a: int, assignment: dict[int, int]) -> bool:
        """The function's value at a full assignment (level -> value index)."""
        while a > TRUE:
            a = self._kids[a][assignment[self._level[a]]]
        return a == TRUE

    def support(self, a: int) -> set[int]:
        """The levels the function depends on."""
        seen: set[int] = set()
        levels: set[int] = set()
        stack = [a]
        while stack:
            n = stack.pop()
            if n <= TRUE or n in seen:
                continue
            seen.add(n)
            levels.add(self._level[n])
            stack.extend(self._kids[n])
        return levels

    def cubes(self, a: int) -> Iterator[Cube]:
        """Disjoint cubes whose union is the function's true set: one per path to
        1, with the edges to one child merged (a variable not in a cube is free)."""
        def go(n: int, cube: Cube) -> Iterator[Cube]:
            if n == TRUE:
                yield dict(cube)
                return
            if n == FALSE:
                return
            level = self._level[n]
            groups: dict[int, list[int]] = {}
            for value, kid in enumerate(self._kids[n]):
                groups.setdefault(kid, []).append(value)
            for kid, values in groups.items():
                if kid == FALSE:
                    continue
                cube[level] = frozenset(values)
                yield from go(kid, cube)
                del cube[level]
        yield from go(a, {})

    def count(self, a: int, levels: list[int]) -> int:
        """How many full assignments of `levels` (which include the support) make it true."""
        order = sorted(levels)
        memo: dict[tuple[int, int], int] = {}

        def go(n: int, depth: int) -> int:
            if n == FALSE:
                return 0
            if depth == len(order):
                return 1
            key = (n, depth)
            if key in memo:
                return memo[key]
            level = order[depth]
            if n != TRUE and self._level[n] == level:
                total = sum(go(k, depth + 1) for k in self._kids[n])
            else:
                total = self.sizes[level] * go(n, depth + 1)
            memo[key] = total
            return total
        return go(a, 0)
