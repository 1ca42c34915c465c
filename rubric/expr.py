"""A small, safe, spreadsheet-like expression language for rubric files.

Rubric authors (finance-bureau analysts who think in Excel) write formulas such as::

    IF(expenditure_final_total / adjusted_budget_total * 100 >= 90, 2, 0)
    ROUND(MET("2.1") / ROWS("2.1") * 3, 2)

The text is parsed by lark (LALR, grammar below) into a small tree of our own; user text is
never given to eval/exec or Python's ast. Work is bounded: at most ``MAX_LENGTH`` characters,
at most ``MAX_DEPTH`` nested brackets, no power operator, no loops.

Values are ``Decimal`` (never float) and ``bool``; strings exist only as literals (section
codes for the row aggregates, or to compare a text input with ``=``/``<>``). Arithmetic runs
in a local decimal context with 28 significant digits.

Every function has a signature, and a static type check over the tree refuses type errors at
parse time (an IF condition that is a number, a number added to a condition, …). Input names
have no declared type, so each one takes the type of its first use; a second use of another
type is refused. What cannot be known statically is checked again during evaluation.

Missing inputs (``Env.value`` returns None) propagate through the formula like an error and are
reported together as :class:`MissingInput`; only ``ISBLANK(name)`` and ``COALESCE(a, b, …)``
may see a missing input without failing. ``IF`` evaluates only the branch it takes, and
``AND``/``OR`` stop at the first deciding argument (left to right), so
``IF(b <> 0, a / b, 0)`` never divides by zero.

Full-width characters typed with a Chinese input method are accepted: digits ０-９, the
point ．, brackets （）, the comma ，, ＋ － × ÷ ＊ ／ ＜ ＞ ＝ and ≥ ≤ ≠, the minus sign −,
Chinese double quotes “…” and the ideographic space. A leading ``=`` (as typed in Excel) is
ignored.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Env",
    "Expr",
    "ExprError",
    "MapEnv",
    "MissingInput",
    "ZeroDivisionInExpr",
    "parse",
]

MAX_LENGTH = 2000
MAX_DEPTH = 40

NUMBER = "number"
BOOL = "bool"
TEXT = "text"
_ANY = "any"  # an input whose type no use has fixed yet (only during the check)
_TYPE_CN = {NUMBER: "数值", BOOL: "条件（是/否）", TEXT: "文字", _ANY: "未定类型"}

ROW_FUNCTIONS = frozenset({"ROWS", "MET", "ROWPOINTS", "ROWSCORE"})

# name -> (fewest arguments, most arguments or None for no limit)
_ARITY: dict[str, tuple[int, int | None]] = {
    "IF": (3, 3),
    "MIN": (2, None),
    "MAX": (2, None),
    "ROUND": (2, 2),
    "ABS": (1, 1),
    "CLAMP": (3, 3),
    "AND": (1, None),
    "OR": (1, None),
    "NOT": (1, 1),
    "SUM": (1, None),
    "ISBLANK": (1, 1),
    "COALESCE": (2, None),
    "ROWS": (0, 1),
    "MET": (0, 1),
    "ROWPOINTS": (0, 1),
    "ROWSCORE": (0, 1),
}
FUNCTIONS = frozenset(_ARITY)

# ---------------------------------------------------------------------------- errors


class ExprError(ValueError):
    """A formula that cannot be parsed, fails the type check, or meets a wrong value.

    ``str(error)`` is the Chinese message, prefixed by ``第{position}个字符处：`` when the
    position is known; ``detail`` is the message without that prefix.
    """

    def __init__(self, detail: str, position: int | None = None):
        self.detail = detail
        self.position = position
        super().__init__(f"第{position}个字符处：{detail}" if position is not None else detail)


class MissingInput(Exception):
    """Evaluation needs inputs that have no value; ``names`` in order of first use."""

    def __init__(self, names: tuple[str, ...]):
        self.names = tuple(names)
        super().__init__("缺少输入项：" + "、".join(self.names))


class ZeroDivisionInExpr(Exception):
    """A division by zero during evaluation.

    ``text`` is the divisor sub-expression as :meth:`Expr.describe` writes it without labels
    (e.g. ``adjusted_budget_total`` or ``(a−b)``); ``position`` is where it starts.
    """

    def __init__(self, text: str, position: int | None = None):
        self.text = text
        self.position = position
        super().__init__(f"除数 {text} 为零")


# ---------------------------------------------------------------------------- environment


@runtime_checkable
class Env(Protocol):
    """What evaluate() and render() need from the caller."""

    def value(self, name: str) -> Decimal | bool | str | None:
        """The value of an input; None when it has no value."""
        ...

    def rows(self, fn: str, section: str | None) -> Decimal:
        """A row aggregate: fn is ROWS, MET, ROWPOINTS or ROWSCORE; section None = all rows."""
        ...


@dataclass
class MapEnv:
    """An Env over plain mappings. An input absent from ``values`` has no value."""

    values: Mapping[str, Decimal | bool | str | None]
    row_values: Mapping[tuple[str, str | None], Decimal] = field(default_factory=dict)

    def value(self, name: str) -> Decimal | bool | str | None:
        return self.values.get(name)

    def rows(self, fn: str, section: str | None) -> Decimal:
        try:
            return self.row_values[(fn, section)]
        except KeyError:
            raise KeyError(f"没有提供 {fn}({section or ''}) 的数值") from None


# ---------------------------------------------------------------------------- grammar

_GRAMMAR = r"""
?start: comparison

?comparison: sum
           | sum COMP_OP sum                -> compare

?sum: product (ADD_OP product)*
?product: unary (MUL_OP unary)*

?unary: atom
      | ADD_OP+ atom                        -> signed

?atom: NUMBER                               -> number
     | STRING                               -> string
     | IDENT                                -> var
     | IDENT _LPAR [args] _RPAR             -> call
     | _LPAR comparison _RPAR               -> paren

args: comparison (_COMMA comparison)*

NUMBER: /[0-9０-９]+(?:[.．][0-9０-９]+)?/
STRING: /"[^"]*"/ | /“[^”]*”/
IDENT: /[A-Za-z_][A-Za-z0-9_]*/
ADD_OP: /[+\-＋－−]/
MUL_OP: /[*\/×÷＊／]/
COMP_OP: /[<>＜＞][=＝]|[<＜][>＞]|[=＝][=＝]|[!！][=＝]|[=<>≥≤≠＝＜＞]/
_LPAR: /[(（]/
_RPAR: /[)）]/
_COMMA: /[,，]/

%ignore /[ \t\r\n\u3000]+/
"""

_PARSER = Lark(
    _GRAMMAR,
    parser="lalr",
    lexer="contextual",
    maybe_placeholders=True,
    propagate_positions=True,
)

_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
_ADD = {"+": "+", "＋": "+", "-": "-", "－": "-", "−": "-"}
_MUL = {"*": "*", "＊": "*", "×": "*", "/": "/", "／": "/", "÷": "/"}
COMPARISONS = _COMP = {  # every way to write a comparison -> its canonical form
    "=": "=",
    "==": "=",
    "<>": "<>",
    "!=": "<>",
    "≠": "<>",
    "<": "<",
    ">": ">",
    "<=": "<=",
    "≤": "<=",
    ">=": ">=",
    "≥": ">=",
}
_FULLWIDTH_OPS = str.maketrans("＝＜＞！", "=<>!")
_SHOW = {"+": "+", "-": "−", "*": "×", "/": "÷", "=": "=", "<>": "≠", "<": "<", ">": ">"}
_SHOW |= {"<=": "≤", ">=": "≥"}
_OPERANDS = frozenset({"NUMBER", "STRING", "IDENT", "_LPAR"})

# ---------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class _Num:
    pos: int
    value: Decimal


@dataclass(frozen=True)
class _Str:
    pos: int
    value: str


@dataclass(frozen=True)
class _Name:
    pos: int
    name: str


@dataclass(frozen=True)
class _Paren:
    pos: int
    inner: _Node


@dataclass(frozen=True)
class _Signed:
    pos: int
    signs: tuple[str, ...]  # each "+" or "-", as written
    operand: _Node


@dataclass(frozen=True)
class _Chain:
    """a op b op c … with operators of one precedence level (+ − or × ÷), left to right."""

    pos: int
    first: _Node
    rest: tuple[tuple[str, int, _Node], ...]  # (operator, its position, operand)


@dataclass(frozen=True)
class _Compare:
    pos: int
    left: _Node
    op: str
    op_pos: int
    right: _Node


@dataclass(frozen=True)
class _Call:
    pos: int
    fn: str  # canonical upper case
    args: tuple[_Node, ...]


_Node = _Num | _Str | _Name | _Paren | _Signed | _Chain | _Compare | _Call


def _pos(token: Token) -> int:
    return token.start_pos + 1


class _Builder:
    """lark tree -> our tree, checking names, numbers and argument counts on the way."""

    def __init__(self, known: frozenset[str] | None):
        self.known = known

    def build(self, t: Tree | Token) -> _Node:
        if isinstance(t, Token):  # pragma: no cover - every token is wrapped in a rule
            raise ExprError(f"无法识别的“{t}”", _pos(t))
        kind = t.data
        ch = t.children
        if kind == "number":
            return self.number(ch[0])
        if kind == "string":
            return _Str(_pos(ch[0]), ch[0][1:-1])
        if kind == "var":
            return self.name(ch[0])
        if kind == "paren":
            return _Paren(t.meta.start_pos + 1, self.build(ch[0]))
        if kind == "signed":
            signs = tuple(_ADD[s] for s in ch[:-1])
            return _Signed(_pos(ch[0]), signs, self.build(ch[-1]))
        if kind in ("sum", "product"):
            first = self.build(ch[0])
            table = _ADD if kind == "sum" else _MUL
            rest = tuple(
                (table[str(ch[i])], _pos(ch[i]), self.build(ch[i + 1]))
                for i in range(1, len(ch), 2)
            )
            return _Chain(first.pos, first, rest)
        if kind == "compare":
            left, op, right = ch
            text = str(op).translate(_FULLWIDTH_OPS)
            built_left = self.build(left)
            return _Compare(built_left.pos, built_left, _COMP[text], _pos(op), self.build(right))
        if kind == "call":
            return self.call(ch[0], ch[1])
        raise AssertionError(kind)  # pragma: no cover

    def number(self, token: Token) -> _Num:
        text = str(token).translate(_DIGITS)
        whole = text.split(".")[0]
        if len(whole) > 1 and whole[0] == "0":
            raise ExprError(
                f"数字“{token}”格式不正确：不要写前导零，也不要用逗号分隔千位", _pos(token)
            )
        return _Num(_pos(token), Decimal(text))

    def name(self, token: Token) -> _Name:
        name = str(token)
        if name != name.lower():
            raise ExprError(
                f"输入项名称 {name} 须为小写字母、数字和下划线（如 {name.lower()}）；"
                "函数名后须紧跟括号",
                _pos(token),
            )
        if self.known is not None and name not in self.known:
            raise ExprError(f"未知的输入项 {name}", _pos(token))
        return _Name(_pos(token), name)

    def call(self, token: Token, args: Tree | None) -> _Call:
        fn = str(token).upper()
        pos = _pos(token)
        if fn not in _ARITY:
            raise ExprError(f"未知函数 {fn}（可用的函数：{'、'.join(_ARITY)}）", pos)
        built = tuple(self.build(a) for a in args.children) if args is not None else ()
        least, most = _ARITY[fn]
        n = len(built)
        if least == most and n != least:
            raise ExprError(f"函数 {fn} 需要{least}个参数，这里有{n}个", pos)
        if n < least:
            raise ExprError(f"函数 {fn} 至少需要{least}个参数，这里有{n}个", pos)
        if most is not None and n > most:
            raise ExprError(f"函数 {fn} 最多接受{most}个参数，这里有{n}个", pos)
        return _Call(pos, fn, built)


# ---------------------------------------------------------------------------- type check


def _literal(node: _Node) -> Decimal | None:
    """The value of a literal number such as 2, -1 or (3); None for anything else."""
    match node:
        case _Num(value=v):
            return v
        case _Paren(inner=inner):
            return _literal(inner)
        case _Signed(signs=signs, operand=operand):
            v = _literal(operand)
            if v is None:
                return None
            return -v if signs.count("-") % 2 else v
    return None


def _places_ok(n: Decimal) -> bool:
    return n == n.to_integral_value() and 0 <= n <= 6


class _Checker:
    def __init__(self) -> None:
        self.types: dict[str, str] = {}
        self.where: dict[str, int] = {}

    def require(self, node: _Node, want: str, what: str) -> None:
        got = self.check(node)
        bare = node
        while isinstance(bare, _Paren):
            bare = bare.inner
        if got == _ANY:
            self.constrain(node, want)
        elif got != want and isinstance(bare, _Name):
            if bare.name in self.where:
                self.constrain(bare, want)  # says where the input took its type
            raise ExprError(
                f"输入项 {bare.name} 的类型是{_TYPE_CN[got]}，这里应为{_TYPE_CN[want]}", bare.pos
            )
        elif got != want:
            raise ExprError(f"{what}应为{_TYPE_CN[want]}，这里是{_TYPE_CN[got]}", node.pos)

    def constrain(self, node: _Node, want: str) -> None:
        match node:
            case _Name(name=name, pos=pos):
                have = self.types.get(name)
                if have is None:
                    self.types[name] = want
                    self.where[name] = pos
                elif have != want:
                    raise ExprError(
                        f"输入项 {name} 在第{self.where[name]}个字符处作为{_TYPE_CN[have]}使用，"
                        f"这里又作为{_TYPE_CN[want]}使用",
                        pos,
                    )
            case _Paren(inner=inner):
                self.constrain(inner, want)
            case _Call(fn="IF", args=args):
                self.constrain(args[1], want)
                self.constrain(args[2], want)
            case _Call(fn="COALESCE", args=args):
                for a in args:
                    self.constrain(a, want)

    def unify(self, nodes: tuple[_Node, ...], what: str) -> str:
        got = [self.check(n) for n in nodes]
        fixed = [(t, n) for t, n in zip(got, nodes, strict=True) if t != _ANY]
        if not fixed:
            return _ANY
        want = fixed[0][0]
        for t, n in zip(got, nodes, strict=True):
            if t == _ANY:
                self.constrain(n, want)
            elif t != want:
                raise ExprError(
                    f"{what}类型须一致：前面是{_TYPE_CN[want]}，这里是{_TYPE_CN[t]}", n.pos
                )
        return want

    def check(self, node: _Node) -> str:
        match node:
            case _Num():
                return NUMBER
            case _Str():
                return TEXT
            case _Name(name=name):
                return self.types.get(name, _ANY)
            case _Paren(inner=inner):
                return self.check(inner)
            case _Signed(operand=operand):
                self.require(operand, NUMBER, "正负号后")
                return NUMBER
            case _Chain(first=first, rest=rest):
                ops = {op for op, _, _ in rest}
                what = "运算符“" + "”“".join(_SHOW[o] for o in sorted(ops)) + "”两边"
                self.require(first, NUMBER, what)
                for _, _, operand in rest:
                    self.require(operand, NUMBER, what)
                return NUMBER
            case _Compare(left=left, op=op, op_pos=op_pos, right=right):
                if op in ("=", "<>"):
                    lt, rt = self.check(left), self.check(right)
                    if lt == _ANY and rt != _ANY:
                        self.constrain(left, rt)
                    elif rt == _ANY and lt != _ANY:
                        self.constrain(right, lt)
                    elif lt != rt:
                        raise ExprError(
                            f"比较“{_SHOW[op]}”两边类型不同：左边是{_TYPE_CN[lt]}，"
                            f"右边是{_TYPE_CN[rt]}",
                            op_pos,
                        )
                else:
                    self.require(left, NUMBER, f"比较“{_SHOW[op]}”两边")
                    self.require(right, NUMBER, f"比较“{_SHOW[op]}”两边")
                return BOOL
            case _Call():
                return self.call(node)
        raise AssertionError(node)  # pragma: no cover

    def call(self, node: _Call) -> str:
        fn, args = node.fn, node.args
        if fn == "IF":
            self.require(args[0], BOOL, "IF 的第1个参数（条件）")
            return self.unify(args[1:], "IF 的两个结果")
        if fn in ("MIN", "MAX", "SUM", "ABS", "CLAMP"):
            for a in args:
                self.require(a, NUMBER, f"函数 {fn} 的参数")
            return NUMBER
        if fn == "ROUND":
            self.require(args[0], NUMBER, "函数 ROUND 的第1个参数")
            self.require(args[1], NUMBER, "函数 ROUND 的小数位数")
            places = _literal(args[1])
            if places is not None and not _places_ok(places):
                raise ExprError("函数 ROUND 的小数位数须为0到6之间的整数", args[1].pos)
            return NUMBER
        if fn in ("AND", "OR", "NOT"):
            for a in args:
                self.require(a, BOOL, f"函数 {fn} 的参数")
            return BOOL
        if fn == "ISBLANK":
            if not isinstance(args[0], _Name):
                raise ExprError("函数 ISBLANK 的参数须为一个输入项名称", args[0].pos)
            return BOOL
        if fn == "COALESCE":
            return self.unify(args, "函数 COALESCE 的参数")
        if fn in ROW_FUNCTIONS:
            if args and not isinstance(args[0], _Str):
                raise ExprError(
                    f'函数 {fn} 的参数须为双引号括起的指标编码，如 {fn}("2.1")', args[0].pos
                )
            return NUMBER
        raise AssertionError(fn)  # pragma: no cover


# ---------------------------------------------------------------------------- parse


def _bracket_depth(text: str, end: int) -> int:
    """How many brackets are open before text[end] (string literals skipped)."""
    depth = 0
    close = None
    for c in text[:end]:
        if close is not None:
            if c == close:
                close = None
        elif c == '"':
            close = '"'
        elif c == "“":
            close = "”"
        elif c in "(（":
            depth += 1
        elif c in ")）":
            depth -= 1
    return depth


def _depth_error(text: str) -> ExprError | None:
    """Refuse brackets nested deeper than MAX_DEPTH (string literals skipped)."""
    depth = 0
    close = None
    for i, c in enumerate(text):
        if close is not None:
            if c == close:
                close = None
        elif c == '"':
            close = '"'
        elif c == "“":
            close = "”"
        elif c in "(（":
            depth += 1
            if depth > MAX_DEPTH:
                return ExprError(f"括号嵌套超过{MAX_DEPTH}层", i + 1)
        elif c in ")）":
            depth -= 1
    return None


def _syntax_error(e: UnexpectedInput, text: str) -> ExprError:
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream
        c = text[pos]
        if c in '"“':
            detail = "引号不配对：文字须用一对双引号括起"
        elif c == "^":
            detail = "不支持乘方运算“^”"
        elif c in "%％":
            detail = "不支持百分号：比率直接写数值（如 90 表示 90%）"
        elif c in "'‘’":
            detail = "文字须用双引号括起"
        elif c in ".．":
            detail = "数字格式不正确（小数点前后都要有数字，如 0.5）"
        elif "\u4e00" <= c <= "\u9fff":
            detail = f"无法识别的字符“{c}”（输入项须写英文名称，如 adjusted_budget_total）"
        else:
            detail = f"无法识别的字符“{c}”"
        return ExprError(detail, pos + 1)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        kind = tok.type
        expected = set(e.expected)
        wants_operand = "NUMBER" in expected
        if kind == "$END":
            pos = len(text) + 1
            if wants_operand:
                return ExprError("公式不完整：缺少运算数", pos)
            if "_RPAR" in expected:
                return ExprError("缺少右括号", pos)
            return ExprError("公式不完整", pos)  # pragma: no cover - no such state
        pos = _pos(tok)
        if wants_operand and kind not in _OPERANDS:
            if kind == "_RPAR":
                return ExprError("右括号前缺少运算数", pos)
            if kind == "_COMMA":
                return ExprError("逗号前缺少运算数", pos)
            return ExprError(f"运算符“{tok}”前缺少运算数", pos)
        if kind == "_COMMA":
            return ExprError("逗号只能用来分隔函数的参数（数字不要用逗号分隔千位）", pos)
        if kind == "_RPAR":
            return ExprError("多余的右括号", pos)
        if kind == "COMP_OP":
            return ExprError("比较运算不能连写，请用 AND(…, …) 组合", pos)
        if kind == "IDENT" and str(tok).upper() in ("AND", "OR", "NOT"):
            fn = str(tok).upper()
            return ExprError(f"{fn} 须写成函数，如 {fn}(条件1, 条件2)", pos)
        if kind in _OPERANDS:
            shown = "左括号" if kind == "_LPAR" else f"“{tok}”"
            if _bracket_depth(text, pos - 1) > 0:
                return ExprError(f"{shown}前缺少逗号或运算符", pos)
            return ExprError(f"{shown}前缺少运算符（乘法须写 *）", pos)
        return ExprError(f"此处不应出现“{tok}”", pos)  # pragma: no cover
    return ExprError("公式不完整")  # pragma: no cover - other lark errors


def parse(
    text: str,
    *,
    known: Collection[str] | None = None,
    types: Mapping[str, str] | None = None,
    expect: str | None = None,
) -> Expr:
    """Parse and type-check a formula.

    known: the allowed input names (None: any lower-case name). types: optional known types of
    inputs ("number", "bool" or "text"). expect: the result type the caller needs ("number" or
    "bool"); a formula whose result is only an input of unknown type (e.g. ``x``) then takes
    it, and without it such a formula counts as a number.
    """
    if not isinstance(text, str):
        raise ExprError("公式须为文字")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"公式过长：{len(text)}个字符，最多{MAX_LENGTH}个字符")
    if not text.strip():
        raise ExprError("公式为空")
    for want in (*(types or {}).values(), *([expect] if expect is not None else [])):
        if want not in (NUMBER, BOOL, TEXT):
            raise ValueError(f"unknown type {want!r}")
    if expect == TEXT:
        raise ValueError("a formula's result cannot be text")

    body = text
    stripped = text.lstrip()
    if stripped[:1] in ("=", "＝") and stripped[1:2] not in ("=", "＝"):  # Excel's leading =
        i = len(text) - len(stripped)
        body = text[:i] + " " + text[i + 1 :]
    error = _depth_error(body)
    if error is not None:
        raise error
    try:
        tree = _PARSER.parse(body)
    except UnexpectedInput as e:
        raise _syntax_error(e, body) from None

    known_set = frozenset(known) if known is not None else None
    root = _Builder(known_set).build(tree)
    checker = _Checker()
    checker.types.update(types or {})
    result = checker.check(root)
    if result == _ANY:
        result = expect or NUMBER
        checker.constrain(root, result)
    if result == TEXT:
        raise ExprError("公式的结果不能是文字", root.pos)
    if expect is not None and result != expect:
        raise ExprError(f"公式的结果应为{_TYPE_CN[expect]}，这里是{_TYPE_CN[result]}", root.pos)

    names = frozenset(n.name for n in _walk(root) if isinstance(n, _Name))
    rows = any(isinstance(n, _Call) and n.fn in ROW_FUNCTIONS for n in _walk(root))
    input_types = {k: v for k, v in checker.types.items() if k in names}
    compiled = _Compiled(root, names, rows, result, input_types)
    return Expr(text, _compiled=compiled)


def _walk(root: _Node):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        match node:
            case _Paren(inner=inner):
                stack.append(inner)
            case _Signed(operand=operand):
                stack.append(operand)
            case _Chain(first=first, rest=rest):
                stack.append(first)
                stack.extend(operand for _, _, operand in rest)
            case _Compare(left=left, right=right):
                stack.extend((left, right))
            case _Call(args=args):
                stack.extend(args)


# ---------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Missing:
    names: tuple[str, ...]


def _merge(missing: list[_Missing]) -> _Missing:
    seen: dict[str, None] = {}
    for m in missing:
        seen.update(dict.fromkeys(m.names))
    return _Missing(tuple(seen))


_Value = Decimal | bool | str
_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def _kind(v: _Value) -> str:
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, Decimal):
        return NUMBER
    return TEXT


def _shown(v: _Value) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return _fmt(v)
    return f"“{v}”"


class _Evaluator:
    def __init__(self, env: Env, types: Mapping[str, str]):
        self.env = env
        self.types = types

    def need(self, v: _Value, want: str, node: _Node, what: str) -> None:
        if _kind(v) != want:
            raise ExprError(
                f"{what}应为{_TYPE_CN[want]}，实际是{_TYPE_CN[_kind(v)]} {_shown(v)}", node.pos
            )

    def value(self, node: _Name) -> _Value | _Missing:
        v = self.env.value(node.name)
        if v is None:
            return _Missing((node.name,))
        v = _clean(v, f"输入项 {node.name} 的值", node.pos)
        want = self.types.get(node.name)
        if want is not None:
            self.need(v, want, node, f"输入项 {node.name} 的值")
        return v

    def eval(self, node: _Node) -> _Value | _Missing:
        match node:
            case _Num(value=v) | _Str(value=v):
                return v
            case _Name():
                return self.value(node)
            case _Paren(inner=inner):
                return self.eval(inner)
            case _Signed(signs=signs, operand=operand):
                v = self.eval(operand)
                if isinstance(v, _Missing):
                    return v
                self.need(v, NUMBER, operand, "正负号后")
                return -v if signs.count("-") % 2 else v
            case _Chain():
                return self.chain(node)
            case _Compare():
                return self.compare(node)
            case _Call():
                return self.call(node)
        raise AssertionError(node)  # pragma: no cover

    def chain(self, node: _Chain) -> Decimal | _Missing:
        missing: list[_Missing] = []
        acc = self.eval(node.first)
        if isinstance(acc, _Missing):
            missing.append(acc)
        else:
            self.need(acc, NUMBER, node.first, "运算数")
        for op, _, operand in node.rest:
            v = self.eval(operand)
            if isinstance(v, _Missing):
                missing.append(v)
                continue
            self.need(v, NUMBER, operand, "运算数")
            if missing:
                continue
            if op == "+":
                acc = acc + v
            elif op == "-":
                acc = acc - v
            elif op == "*":
                acc = acc * v
            else:
                if v == 0:
                    raise ZeroDivisionInExpr(_describe(operand, None), operand.pos)
                acc = acc / v
        return _merge(missing) if missing else acc

    def compare(self, node: _Compare) -> bool | _Missing:
        left, right = self.eval(node.left), self.eval(node.right)
        missing = [v for v in (left, right) if isinstance(v, _Missing)]
        if missing:
            return _merge(missing)
        op = node.op
        if _kind(left) != _kind(right):
            raise ExprError(
                f"比较“{_SHOW[op]}”两边类型不同：{_shown(left)} 与 {_shown(right)}", node.op_pos
            )
        if op == "=":
            return left == right
        if op == "<>":
            return left != right
        self.need(left, NUMBER, node.left, f"比较“{_SHOW[op]}”两边")
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right

    def numbers(self, node: _Call) -> list[Decimal] | _Missing:
        values = [self.eval(a) for a in node.args]
        missing = [v for v in values if isinstance(v, _Missing)]
        if missing:
            return _merge(missing)
        for v, a in zip(values, node.args, strict=True):
            self.need(v, NUMBER, a, f"函数 {node.fn} 的参数")
        return values

    def call(self, node: _Call) -> _Value | _Missing:
        fn, args = node.fn, node.args
        if fn == "IF":
            cond = self.eval(args[0])
            if isinstance(cond, _Missing):
                return cond
            self.need(cond, BOOL, args[0], "IF 的第1个参数（条件）")
            return self.eval(args[1] if cond else args[2])
        if fn in ("AND", "OR"):
            decisive = fn == "OR"
            missing: list[_Missing] = []
            for a in args:
                v = self.eval(a)
                if isinstance(v, _Missing):
                    missing.append(v)
                    continue
                self.need(v, BOOL, a, f"函数 {fn} 的参数")
                if v is decisive and not missing:
                    return decisive
            return _merge(missing) if missing else not decisive
        if fn == "NOT":
            v = self.eval(args[0])
            if isinstance(v, _Missing):
                return v
            self.need(v, BOOL, args[0], "函数 NOT 的参数")
            return not v
        if fn == "ISBLANK":
            name = args[0]
            assert isinstance(name, _Name)
            return self.env.value(name.name) is None
        if fn == "COALESCE":
            missing = []
            for a in args:
                v = self.eval(a)
                if not isinstance(v, _Missing):
                    return v
                missing.append(v)
            return _merge(missing)
        if fn in ROW_FUNCTIONS:
            section = args[0].value if args else None
            assert section is None or isinstance(section, str)
            return _clean(self.env.rows(fn, section), f"{fn} 的值", node.pos, NUMBER)
        values = self.numbers(node)
        if isinstance(values, _Missing):
            return values
        if fn == "MIN":
            return min(values)
        if fn == "MAX":
            return max(values)
        if fn == "SUM":
            total = Decimal(0)
            for v in values:
                total += v
            return total
        if fn == "ABS":
            return abs(values[0])
        if fn == "CLAMP":
            x, lo, hi = values
            if lo > hi:
                raise ExprError(f"函数 CLAMP 的下限 {_fmt(lo)} 大于上限 {_fmt(hi)}", node.pos)
            return min(max(x, lo), hi)
        if fn == "ROUND":
            x, places = values
            if not _places_ok(places):
                raise ExprError(
                    f"函数 ROUND 的小数位数须为0到6之间的整数，这里是 {_fmt(places)}", args[1].pos
                )
            return x.quantize(Decimal(1).scaleb(-int(places)), rounding=decimal.ROUND_HALF_UP)
        raise AssertionError(fn)  # pragma: no cover


def _clean(v: object, what: str, pos: int, want: str | None = None) -> _Value:
    """A value from the environment: int becomes Decimal; float, NaN and others are refused."""
    if isinstance(v, (bool, str)):
        out: _Value = v
    elif isinstance(v, int):
        out = Decimal(v)
    elif isinstance(v, Decimal) and v.is_finite():
        out = v
    else:
        raise ExprError(f"{what}不是可用的数值、是否或文字：{v!r}", pos)
    if want is not None and _kind(out) != want:
        raise ExprError(f"{what}应为{_TYPE_CN[want]}：{v!r}", pos)
    return out


# ---------------------------------------------------------------------------- rendering


def _fmt(v: Decimal) -> str:
    """2.50 -> 2.5, 1E+2 -> 100, -3 -> −3; never exponent notation."""
    if v == 0:
        return "0"
    s = format(v, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.replace("-", "−")


def _text(
    node: _Node,
    name: Callable[[_Name, bool], str],
    rows: Callable[[_Call], str | None],
    blank: Callable[[_Name], str],
    wrap: bool = False,
) -> str:
    """The formula in Chinese typesetting. ``name`` writes an input (``wrap``: it follows an
    operator, so a negative value needs brackets); ``rows`` writes a row aggregate, or None to
    keep the call; ``blank`` writes the input inside ISBLANK."""

    def go(n: _Node, w: bool = False) -> str:
        return _text(n, name, rows, blank, w)

    match node:
        case _Num(value=v):
            return _fmt(v)
        case _Str(value=s):
            return f"“{s}”"
        case _Name():
            return name(node, wrap)
        case _Paren(inner=inner):
            return f"({go(inner)})"
        case _Signed(signs=signs, operand=operand):
            return "".join(_SHOW[s] for s in signs) + go(operand, True)
        case _Chain(first=first, rest=rest):
            return go(first) + "".join(_SHOW[op] + go(o, True) for op, _, o in rest)
        case _Compare(left=left, op=op, right=right):
            return go(left) + _SHOW[op] + go(right)
        case _Call(fn=fn, args=args):
            if fn in ROW_FUNCTIONS:
                filled = rows(node)
                if filled is not None:
                    return filled
            if fn == "ISBLANK" and isinstance(args[0], _Name):
                return f"ISBLANK({blank(args[0])})"
            return f"{fn}(" + "，".join(go(a) for a in args) + ")"
    raise AssertionError(node)  # pragma: no cover


def _describe(node: _Node, labels: Mapping[str, str] | None) -> str:
    def label(n: _Name, wrap: bool = False) -> str:
        return (labels or {}).get(n.name, n.name)

    return _text(node, label, lambda _: None, label)


# ---------------------------------------------------------------------------- Expr


@dataclass(frozen=True)
class _Compiled:
    root: _Node
    names: frozenset[str]
    rows: bool
    result: str
    types: Mapping[str, str]


@dataclass(frozen=True)
class Expr:
    """A parsed, type-checked formula. Build it with :func:`parse` (``Expr(text)`` also works
    and parses with no list of known names)."""

    source: str
    _compiled: _Compiled | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._compiled is None:
            object.__setattr__(self, "_compiled", parse(self.source)._compiled)

    @property
    def _c(self) -> _Compiled:
        assert self._compiled is not None
        return self._compiled

    def names(self) -> frozenset[str]:
        """The input names the formula refers to (ISBLANK's included)."""
        return self._c.names

    def uses_rows(self) -> bool:
        """Whether it calls ROWS, MET, ROWPOINTS or ROWSCORE."""
        return self._c.rows

    def result_type(self) -> str:
        """ "number" or "bool", known statically."""
        return self._c.result

    def input_types(self) -> Mapping[str, str]:
        """The type each input took from its use ("number", "bool" or "text"); an input only
        compared with another untyped input (``a = b``) is absent."""
        return dict(self._c.types)

    def evaluate(self, env: Env) -> Decimal | bool:
        """The value. Raises MissingInput, ZeroDivisionInExpr, or ExprError for a value of the
        wrong type or out of range."""
        evaluator = _Evaluator(env, self._c.types)
        try:
            with decimal.localcontext(_CONTEXT):
                result = evaluator.eval(self._c.root)
        except decimal.DecimalException:
            raise ExprError("计算结果超出可计算的范围") from None
        if isinstance(result, _Missing):
            raise MissingInput(result.names)
        assert not isinstance(result, str)
        return result

    def render(self, env: Env, labels: Mapping[str, str] | None = None) -> str:
        """The formula with the inputs' and row aggregates' values filled in, for 评分依据:
        ``1954.07÷1997.16×100``. An input without a value is written 空; the input inside
        ISBLANK is written by its label (from ``labels``) or name."""

        def value(n: _Name, wrap: bool) -> str:
            v = env.value(n.name)
            if v is None:
                return "空"
            if isinstance(v, int) and not isinstance(v, bool):
                v = Decimal(v)
            if isinstance(v, bool | str | Decimal):
                out = _shown(v)
                return f"({out})" if wrap and out.startswith("−") else out
            return str(v)

        def rows(n: _Call) -> str:
            section = n.args[0].value if n.args else None
            assert section is None or isinstance(section, str)
            v = env.rows(n.fn, section)
            return _fmt(Decimal(v)) if isinstance(v, Decimal | int) else str(v)

        def blank(n: _Name) -> str:
            return (labels or {}).get(n.name, n.name)

        return _text(self._c.root, value, rows, blank)

    def describe(self, labels: Mapping[str, str] | None = None) -> str:
        """The formula with labels in place of input names, for 评分标准 help text:
        ``支出决算÷全年预算×100``. Names without a label are written as they are."""
        return _describe(self._c.root, labels)

    def __str__(self) -> str:
        return self.source
