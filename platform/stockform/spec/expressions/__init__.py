"""The expression language: parse and check once, then compile to Python or to SQL."""

from .checker import check
from .functions import FUNCTIONS, ROW_SCOPE, Function, FunctionRegistry, Resolver
from .parser import Expression, ExpressionError, parse
from .sqlterm import SqlTerm, from_scaled
from .to_python import compile_python
from .to_sql import compile_sql

__all__ = [
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "Function",
    "FunctionRegistry",
    "ROW_SCOPE",
    "Resolver",
    "SqlTerm",
    "check",
    "compile_python",
    "compile_sql",
    "from_scaled",
    "parse",
]
