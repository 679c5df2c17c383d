"""The ``calculate`` tool's arithmetic: + - * / ** // and parentheses over numbers, without ``eval``.

Results and error texts match tau-bench's (``str(round(float(value), 2))``, ``"Error: <exception>"``),
because each operator is Python's own and parse errors come from the same compiler.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable

from support_tui.core.shop import ShopError

ALLOWED = frozenset("0123456789+-*/(). ")
"""The characters tau-bench accepts in an expression."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_MAX_EXPONENT = 10_000
"""Bigger integer powers would take the process down for minutes; they are refused instead."""


def calculate(expression: str) -> str:
    """The expression's value rounded to cents, as text; ShopError with tau-bench's text when it has none."""
    if not all(char in ALLOWED for char in expression):
        raise ShopError("Error: invalid characters in expression")
    try:
        tree = ast.parse(expression, "<string>", mode="eval")
        return str(round(float(_value(tree.body)), 2))
    except ShopError:
        raise
    except Exception as exc:  # the same exceptions eval would raise, worded by Python itself
        raise ShopError(f"Error: {exc}") from None


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_value(elt) for elt in node.elts)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > _MAX_EXPONENT:
            if isinstance(left, (int, float)) and abs(left) > 1:
                raise ShopError("Error: exponent too large")
        return _BINARY[type(node.op)](left, right)
    raise ShopError("Error: invalid syntax")
