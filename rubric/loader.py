"""Reads a rubric version's data file, validates it, and builds the immutable Rubric.

Two passes. First the shape (rubric/schema.py): an unknown, misspelt or mistyped key is
refused with the node's path, e.g. `indicators[0].children[2].evidence_requried: 未知字段`.
Then the meaning: codes unique, the children's points sum to their parent's at every level
and the top level to the declared `total`, every leaf has a method with parameters that make
sense, every formula parses and names only declared inputs, derived inputs do not depend on
themselves. The format is documented in docs/rubric-format.md; its JSON Schema is generated
from the same description (`python manage.py rubric schema`).

A file without `format: 2` is a version stored before rubrics declared their inputs: it takes
its inputs from the shared catalogue (rubric/inputs.py), and `duty_targets` reads as
`target_rows`.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from . import checks, templates
from . import expr as expression
from . import inputs as catalogue
from .methods import METHODS, ROW_METHOD, ParamError
from .rounding import MODES, Rounding
from .schema import F, Obj, SchemaError, check, json_schema
from .spec import (
    Grade,
    HeaderColumn,
    HeaderRow,
    HeaderTable,
    Indicator,
    InputGroup,
    InputSpec,
    ReportSection,
    ReportSpec,
    Rubric,
    Step,
)

VERSIONS_DIR = Path(__file__).parent / "versions"
FORMAT = 2
MAX_DEPTH = 10
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_INDICATORS = 2000
MAX_INPUTS = 1000
KINDS = ("department", "project")
SOURCES = ("department", "finance_bureau", "derived")
UNITS_NAMED = ("万元", "元", "%", "text", "date", "yes/no")
LEGACY_METHODS = {"duty_targets": ROW_METHOD}
LEGACY_PARTS = ("report", "steps", "checks", "header")
_SUBNODE = re.compile(r"^[A-Za-z_][\w\[\].]*: ")


class RubricError(ValueError):
    """The data file is not a valid rubric version; the message says where and why."""


# ---------------------------------------------------------------------------- the shape

ROUNDING = Obj(
    "rounding",
    {
        "mode": F("str", "得分（及未另设 rate_mode 时比率）的舍入方式", enum=tuple(MODES)),
        "rate_mode": F("str", "比率的舍入方式，默认同 mode", enum=tuple(MODES)),
        "rate_places": F("int", "比率保留小数位数（百分数），默认2"),
        "score_places": F("int", "得分保留小数位数，默认2"),
    },
    "舍入规则",
)
GRADE = Obj(
    "grade",
    {
        "min": F("number", "总分不低于此值", required=True),
        "name": F("str", "等级名称，如 优", required=True),
    },
    "评价等级",
)
INPUT_GROUP = Obj(
    "input_group",
    {
        "key": F("str", "分组标识（英文、数字、下划线）", required=True),
        "title": F("str", "分组标题", required=True),
        "help": F("str", "填报说明"),
    },
    "输入项分组",
)
INPUT = Obj(
    "input",
    {
        "key": F("str", "标识：小写英文字母开头，可含数字、下划线；在公式中引用", required=True),
        "label": F("str", "中文名称", required=True),
        "unit": F("str", "单位：万元、元、%、个/次/件/人等计数单位、text、date、yes/no；默认万元"),
        "decimals": F("int", "小数位数；金额与百分数默认2，计数默认0"),
        "min": F("number", "允许的最小值；数值默认0"),
        "max": F("number", "允许的最大值；百分数默认100，其他不限"),
        "source": F(
            "str",
            "由谁提供：department 部门（默认）、finance_bureau 财政局、derived 由公式计算",
            enum=SOURCES,
        ),
        "formula": F("expr", "source: derived 时的计算公式"),
        "group": F("str", "所在分组（input_groups 的 key）"),
        "required": F("bool", "是否必填，默认 true"),
        "help": F("str", "填报说明"),
        "data_source": F("str", "数据来源，如 财决01-1表"),
        "carry_over": F(
            "bool", "开启新年度时是否沿用上一年度部门填写的值；默认 false，只用于部门填报的输入项"
        ),
    },
    "输入项",
)
INDICATOR = Obj(
    "indicator",
    {
        "code": F("str", "指标编码，全表唯一，如 1.2.3", required=True),
        "name": F("str", "指标名称", required=True),
        "points": F("number", "分值", required=True),
        "definition": F("str", "指标解释"),
        "criteria": F("str", "评分标准（末级指标必填）"),
        "remark": F("str", "备注"),
        "evidence_required": F("bool", "是否须上传佐证材料"),
        "rounding": F("map", "本指标（及其下级）自己的舍入规则", items=ROUNDING),
        "method": F("str", "评分方法（末级指标必填）", enum=tuple(METHODS)),
        "params": F("map", "评分方法的参数"),
    },
    "指标",
)
INDICATOR.fields["children"] = F("list", "下级指标（与 method 二选一）", items=INDICATOR)  # type: ignore[index]
REPORT_SECTION = Obj(
    "report_section",
    {
        "key": F("str", "正文标识（小写英文），部门填写的文字按它保存", required=True),
        "chapter": F("str", "所在章，如 一、基本情况", required=True),
        "heading": F("str", "节标题，如 （一）部门概况；相邻几段同一节标题只印一次"),
        "title": F("str", "填报页面上的名称，如 部门概况", required=True),
        "help": F("str", "填写说明"),
        "required": F("bool", "是否必填，默认 true"),
        "step": F(
            "str", "在哪一步填写：basic 基本情况，report 报告正文（默认）", enum=("basic", "report")
        ),
        "carry_over": F(
            "bool", "开启新年度时是否沿用上一年度填写的文字；step: basic 默认 true，其余默认 false"
        ),
        "sub": F("str", "小标题，印在本段之前，如 1、预算编制管理"),
        "lead": F("str", "部门填写了内容时，印在其前的引导语，如 其主要职责是："),
        "before": F("list", "印在部门文字之前的生成段落（模板）", items="str"),
        "after": F("list", "印在部门文字之后的生成段落（模板）", items="str"),
    },
    "报告正文的一段",
)
REPORT = Obj(
    "report",
    {
        "title": F("str", "报告标题（模板），默认 {department}{year}年{evaluation_name}报告"),
        "sections": F("list", "报告各段，按印刷顺序", required=True, items=REPORT_SECTION),
        "annex_title": F("str", "附件一章的标题，默认 五、附件"),
        "annex": F(
            "str", "附件一章的文字（模板），默认 {evaluation_name}表。；写空文字则不印附件章"
        ),
    },
    "自评报告的结构",
)
HEADER_COLUMN = Obj(
    "header_column",
    {
        "label": F("str", "列名，如 财政拨款", required=True),
        "group": F("str", "列组名，如 按资金来源；相邻同组的列合并表头"),
        "unit": F("str", "本列的单位，覆盖行的单位（如执行率一列写 %）", enum=("万元", "%")),
    },
    "表头数据表的一列",
)
HEADER_ROW = Obj(
    "header_row",
    {
        "label": F("str", "行名，如 全年预算", required=True),
        "unit": F("str", "万元（默认，两位小数）或 %（按评分体系的比率舍入）", enum=("万元", "%")),
        "cells": F(
            "list", "每列一个公式（输入项的 key 是最简单的公式），与 columns 一一对应", items="expr"
        ),
        "ratio": F("list", "或：本行＝第 a 行÷第 b 行×100%（行号从 1 起），如 [2, 1]", items="int"),
        "highlight": F("bool", "突出显示本行"),
    },
    "表头数据表的一行",
)
HEADER = Obj(
    "header",
    {
        "title": F("str", "表名，如 年度部门整体支出规模（万元）", required=True),
        "note": F("str", "表下说明"),
        "columns": F("list", "各列", required=True, items=HEADER_COLUMN),
        "rows": F("list", "各行", required=True, items=HEADER_ROW),
    },
    "自评表表头的数据表",
)
STEP_KEYS = ("basic", "figures", "management", "duty", "report", "review")
STEP = Obj(
    "step",
    {
        "key": F(
            "str",
            "页面：basic figures management duty report review",
            required=True,
            enum=STEP_KEYS,
        ),
        "title": F("str", "步骤名称，如 履职效能", required=True),
        "help": F("str", "本步骤的填写说明"),
        "groups": F("list", "figures 步骤显示的输入项分组（key），按此顺序；默认全部", items="str"),
    },
    "填报步骤",
)
CHECK = Obj(
    "check",
    {
        "key": F("str", "规则标识（英文、数字、下划线），本文件内唯一", required=True),
        "assert": F("expr", "应成立的条件（公式，结果为是/否），如 a + b = c", required=True),
        "message": F("str", "不成立时的提示（中文），可含 {输入项标识} 占位符", required=True),
        "severity": F("str", "blocking 阻止提交，warning 仅提示（默认）", enum=checks.SEVERITIES),
        "tolerance": F("number", "容差：最外层 =、<=、>= 比较两边相差不超过此值视为成立"),
        "field": F("str", "提示显示在哪个输入项旁；默认为公式中第一个输入项"),
        "when": F("expr", "适用条件（公式，结果为是/否）；不成立时不检查"),
    },
    "检查规则",
)
RUBRIC = Obj(
    "rubric",
    {
        "format": F("int", "文件格式版本，写 2", required=True),
        "key": F("str", "版本标识，如 guangzhou-nansha-2022", required=True),
        "jurisdiction": F("str", "适用地区", required=True),
        "year": F("int", "年度", required=True),
        "title": F("str", "评分体系名称", required=True),
        "source": F("str", "依据文件", required=True),
        "note": F("str", "说明"),
        "kind": F("str", "department 部门整体支出（默认）或 project 项目支出", enum=KINDS),
        "total": F("number", "总分，默认100"),
        "rounding": F("map", "舍入规则", items=ROUNDING),
        "grades": F("list", "评价等级", items=GRADE),
        "input_groups": F("list", "输入项分组", items=INPUT_GROUP),
        "inputs": F("list", "本评分体系使用的输入项", required=True, items=INPUT),
        "indicators": F("list", "指标树", required=True, items=INDICATOR),
        "report": F("map", "自评报告的结构与生成段落", items=REPORT),
        "steps": F("list", "填报步骤，按顺序；默认按内容生成", items=STEP),
        "header": F("map", "自评表表头的数据表（如年度部门整体支出规模与完成率）", items=HEADER),
        "checks": F("list", "检查规则：关于输入项的断言，不成立时提示或阻止提交", items=CHECK),
    },
    "绩效自评评分体系",
)


def schema() -> dict[str, Any]:
    """The JSON Schema of a rubric file; each method's `params` under its own definition."""
    out = json_schema(RUBRIC)
    defs = out["$defs"]
    branches = []
    for name, method in METHODS.items():
        defs[f"params_{name}"] = json_schema(Obj(f"params_{name}", method.fields), defs)
        defs[f"params_{name}"]["description"] = f"{method.label}（{name}）的参数"
        branches.append(
            {
                "if": {"properties": {"method": {"const": name}}, "required": ["method"]},
                "then": {"properties": {"params": {"$ref": f"#/$defs/params_{name}"}}},
            }
        )
    defs["indicator"]["allOf"] = branches
    return out


# ---------------------------------------------------------------------------- entry points


def load_file(path: str | Path) -> tuple[Rubric, dict[str, Any]]:
    """Parse and validate a data file; return the rubric and its plain content (for storage)."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise RubricError(f"文件 {path} 过大（{size} 字节，最多 {MAX_FILE_BYTES} 字节）")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"无法读取文件 {path}：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise RubricError(f"文件 {path} 不是 UTF-8 编码的文本") from exc
    return parse_text(text, str(path)), yaml.safe_load(text)


def parse_text(text: str, name: str = "评分体系文件") -> Rubric:
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RubricError(f"{name} 不是有效的 YAML：{exc}") from exc
    return parse(content)


def parse(content: Any) -> Rubric:
    if not isinstance(content, dict):
        raise RubricError("评分体系文件的顶层应为映射（format、key、inputs、indicators…）")
    if "format" not in content:
        if any(
            k in content
            for k in (
                "inputs",
                "input_groups",
                "report",
                "steps",
                "header",
                "checks",
                "total",
                "kind",
            )
        ):
            # a new-style file that forgot its first line: never read it with another's inputs
            raise RubricError("format: 缺少必填字段（文件格式版本，第一行写 format: 2）")
        return _legacy(content)
    if content.get("format") != FORMAT:
        raise RubricError(f"format: 不支持的格式版本 {content.get('format')!r}，应为 {FORMAT}")
    try:
        check(RUBRIC, content, "")
    except SchemaError as exc:
        raise RubricError(f"{exc}{_node_label(content, exc.path)}") from exc
    except (KeyError, TypeError, AttributeError) as exc:  # a shape the schema let through
        raise RubricError(f"评分体系文件结构有误：{exc!r}") from exc
    return _Builder(content).build()


_STEP = re.compile(r"\.?([A-Za-z_]+)|\[(\d+)\]")


def _node_label(content: Any, path: str) -> str:
    """「（指标 1.2 名称）」for a path inside the indicator tree, so that a message names the
    indicator as a reader knows it as well as by its place in the file."""
    node, found = content, None
    for m in _STEP.finditer(path):
        key, index = m.group(1), m.group(2)
        try:
            node = node[key] if key is not None else node[int(index)]
        except (KeyError, IndexError, TypeError):
            break
        if (
            isinstance(node, dict)
            and "code" in node
            and "name" in node
            and path.startswith("indicators")
        ):
            found = node
    if found is None:
        return ""
    return f"（指标 {found.get('code')}（{found.get('name')}））"


def digest(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON form: the identity of a version's content."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shipped_versions() -> list[Path]:
    return sorted(VERSIONS_DIR.glob("*.yaml"))


# ---------------------------------------------------------------------------- building


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise RubricError(f"{where}: 应为数值")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise RubricError(f"{where}: 应为数值：{value!r}") from exc
    if not result.is_finite():
        raise RubricError(f"{where}: 应为有限数值")
    return result


def _decimals(value: Any) -> Any:
    """Numbers in parameters become Decimal (via their text, so 0.1 stays 0.1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


def _rounding(spec: dict[str, Any], where: str, base: Rounding | None = None) -> Rounding:
    base = base or Rounding()
    places = {}
    for key in ("rate_places", "score_places"):
        value = spec.get(key, getattr(base, key))
        if not 0 <= value <= 6:
            raise RubricError(f"{where}.{key}: 应为 0 到 6 的整数")
        places[key] = value
    mode = spec.get("mode", base.mode)
    rate_mode = spec.get("rate_mode", base.rate_mode if "mode" not in spec else "")
    return Rounding(mode=mode, rate_mode=rate_mode, **places)


def _is_key(text: str) -> bool:
    return (
        bool(text)
        and text[0].isascii()
        and text[0].islower()
        and all(c.isascii() and (c.isalnum() or c == "_") for c in text)
    )


class _Builder:
    def __init__(self, content: dict[str, Any]) -> None:
        self.content = content
        self.seen: set[str] = set()
        self.count = 0

    def build(self) -> Rubric:
        c = self.content
        for key in ("key", "jurisdiction", "title", "source"):
            if not c[key].strip():
                raise RubricError(f"{key}: 不能为空")
        if not 2000 <= c["year"] <= 2100:
            raise RubricError("year: 应为四位年份")
        self.rounding = _rounding(c.get("rounding") or {}, "rounding")
        grades = []
        for i, g in enumerate(c.get("grades") or []):
            grades.append(Grade(_decimal(g["min"], f"grades[{i}].min"), g["name"]))
        groups = self._groups(c.get("input_groups") or [])
        self.inputs = self._inputs(c["inputs"], {g.key for g in groups})
        self.by_key = {i.key: i for i in self.inputs}
        total = _decimal(c.get("total", 100), "total")
        if total <= 0:
            raise RubricError("total: 总分应大于0")
        nodes = c["indicators"]
        if not nodes:
            raise RubricError("indicators: 指标树不能为空")
        indicators = tuple(
            self._node(n, 1, f"indicators[{i}]", self.rounding) for i, n in enumerate(nodes)
        )
        got = sum((n.points for n in indicators), Decimal(0))
        if got != total:
            raise RubricError(f"indicators: 一级指标分值合计为 {got}，与总分 total {total} 不一致")
        sections = [n for node in indicators for n in node.walk() if n.method == ROW_METHOD]
        report = self._report(c.get("report"))
        header = self._header(c.get("header"))
        steps = self._steps(c.get("steps"), indicators, sections, report, groups)
        return Rubric(
            header=header,
            report=report,
            steps=steps,
            key=c["key"].strip(),
            jurisdiction=c["jurisdiction"].strip(),
            year=c["year"],
            title=c["title"].strip(),
            source=c["source"].strip(),
            rounding=self.rounding,
            grades=tuple(sorted(grades, key=lambda g: g.minimum, reverse=True)),
            indicators=indicators,
            note=str(c.get("note") or "").strip(),
            kind=c.get("kind", "department"),
            total=total,
            inputs=self.inputs,
            input_groups=tuple(groups),
            checks=self._checks(c.get("checks") or []),
        )

    def _checks(self, specs: list[dict[str, Any]]) -> tuple:
        """`checks:`: each assertion parsed against the declared inputs (rubric/checks.py)."""
        built, keys = [], set()
        for i, spec in enumerate(specs):
            where = f"checks[{i}]"
            if not _is_key(spec["key"]):
                raise RubricError(f"{where}.key: 应以小写英文字母开头，只含英文字母、数字、下划线")
            if spec["key"] in keys:
                raise RubricError(f"{where}.key: 检查规则 {spec['key']} 重复")
            keys.add(spec["key"])
            try:
                built.append(checks.build_check(spec, self.inputs))
            except checks.CheckError as exc:
                raise RubricError(f"{where}.{exc}") from exc
        return tuple(built)

    def _report(self, spec: dict[str, Any] | None) -> ReportSpec:
        if spec is None:
            spec = DEFAULT_REPORT
        known = [i.key for i in self.inputs]
        sections, keys = [], set()
        for i, sec in enumerate(spec["sections"]):
            where = f"report.sections[{i}]"
            if not _is_key(sec["key"]):
                raise RubricError(f"{where}.key: 应以小写英文字母开头，只含英文字母、数字、下划线")
            if sec["key"] in keys:
                raise RubricError(f"{where}.key: 正文 {sec['key']} 重复")
            keys.add(sec["key"])
            for field in ("before", "after"):
                for j, text in enumerate(sec.get(field) or ()):
                    self._template(text, f"{where}.{field}[{j}]", known)
            sections.append(
                ReportSection(
                    key=sec["key"],
                    chapter=sec["chapter"],
                    heading=sec.get("heading", ""),
                    title=sec["title"],
                    help=sec.get("help", ""),
                    required=sec.get("required", True),
                    step=sec.get("step", "report"),
                    carry_over=sec.get("carry_over", sec.get("step", "report") == "basic"),
                    sub=sec.get("sub", ""),
                    lead=sec.get("lead", ""),
                    before=tuple(sec.get("before") or ()),
                    after=tuple(sec.get("after") or ()),
                )
            )
        title = spec.get("title", ReportSpec.title)
        annex = spec.get("annex", ReportSpec.annex)
        self._template(title, "report.title", known)
        self._template(annex, "report.annex", known)
        return ReportSpec(
            title=title,
            sections=tuple(sections),
            annex=annex,
            annex_title=spec.get("annex_title", ReportSpec.annex_title),
        )

    def _header(self, spec: dict[str, Any] | None) -> HeaderTable | None:
        if spec is None:
            return None
        columns = tuple(
            HeaderColumn(c["label"], c.get("group", ""), c.get("unit", "")) for c in spec["columns"]
        )
        if not columns:
            raise RubricError("header.columns: 至少应有一列")
        rows = []
        for i, row in enumerate(spec["rows"]):
            where = f"header.rows[{i}]"
            if ("cells" in row) == ("ratio" in row):
                raise RubricError(f"{where}: cells（每列的公式）与 ratio（两行之比）须给出其一")
            if "ratio" in row:
                ratio = row["ratio"]
                if len(ratio) != 2 or not all(1 <= n <= i for n in ratio):
                    raise RubricError(
                        f"{where}.ratio: 应为此前两行的行号，如 [2, 1]（行号从 1 起）"
                    )
                rows.append(
                    HeaderRow(
                        row["label"],
                        row.get("unit", "%"),
                        (),
                        (ratio[0] - 1, ratio[1] - 1),
                        row.get("highlight", False),
                    )
                )
                continue
            if len(row["cells"]) != len(columns):
                raise RubricError(
                    f"{where}.cells: 有 {len(row['cells'])} 格，应与列数 {len(columns)} 相同"
                )
            cells = tuple(
                self._expr(cell, f"{where}.cells[{j}]") for j, cell in enumerate(row["cells"])
            )
            rows.append(
                HeaderRow(
                    row["label"], row.get("unit", "万元"), cells, None, row.get("highlight", False)
                )
            )
        return HeaderTable(spec["title"], columns, tuple(rows), spec.get("note", ""))

    def _template(self, text: str, where: str, known: list[str]) -> None:
        try:
            templates.check(text, known)
        except templates.TemplateError as exc:
            raise RubricError(f"{where}: {exc}") from exc

    def _steps(self, spec, indicators, sections, report: ReportSpec, groups) -> tuple[Step, ...]:
        if spec is None:
            return default_steps(indicators, sections, report, self.inputs)
        steps, seen = [], set()
        group_keys = {g.key for g in groups}
        for i, st in enumerate(spec):
            where = f"steps[{i}]"
            if st["key"] in seen:
                raise RubricError(f"{where}.key: 步骤 {st['key']} 重复")
            seen.add(st["key"])
            for j, g in enumerate(st.get("groups") or ()):
                if g not in group_keys:
                    raise RubricError(f"{where}.groups[{j}]: 分组 {g!r} 未在 input_groups 中定义")
            if st.get("groups") and st["key"] != "figures":
                raise RubricError(f"{where}.groups: 只有 figures 步骤可以指定分组")
            steps.append(
                Step(st["key"], st["title"], st.get("help", ""), tuple(st.get("groups") or ()))
            )
        if not steps or steps[-1].key != "review":
            raise RubricError("steps: 最后一步应为 review（核对与提交）")
        if sections and "duty" not in seen:
            raise RubricError("steps: 评分体系有 target_rows 指标，须有 duty 步骤填报指标行")
        if any(s.step == "basic" for s in report.sections) and "basic" not in seen:
            raise RubricError("steps: 有 step: basic 的报告正文，须有 basic 步骤")
        if any(s.step == "report" for s in report.sections) and "report" not in seen:
            raise RubricError("steps: 有报告正文，须有 report 步骤")
        return tuple(steps)

    def _groups(self, specs: list[dict[str, Any]]) -> list[InputGroup]:
        groups, keys = [], set()
        for i, g in enumerate(specs):
            where = f"input_groups[{i}]"
            if not _is_key(g["key"]):
                raise RubricError(f"{where}.key: 应以小写英文字母开头，只含英文字母、数字、下划线")
            if g["key"] in keys:
                raise RubricError(f"{where}.key: 分组 {g['key']} 重复")
            keys.add(g["key"])
            groups.append(InputGroup(g["key"], g["title"], g.get("help", "")))
        return groups

    def _inputs(self, specs: list[dict[str, Any]], groups: set[str]) -> tuple[InputSpec, ...]:
        if len(specs) > MAX_INPUTS:
            raise RubricError(f"inputs: 输入项过多（{len(specs)}），最多 {MAX_INPUTS} 个")
        raw: dict[str, tuple[str, dict[str, Any]]] = {}
        for i, s in enumerate(specs):
            where = f"inputs[{i}]"
            key = s["key"]
            if not _is_key(key) or len(key) > 60:
                raise RubricError(
                    f"{where}.key: {key!r} 应以小写英文字母开头，只含英文字母、数字、下划线，最长60个字符"
                )
            if key in raw or key in ("rate", "points"):
                raise RubricError(f"{where}.key: 输入项 {key} 重复或为保留名称")
            raw[key] = (where, s)
        types = {k: _type_of(s.get("unit", "万元")) for k, (_, s) in raw.items()}
        expr_types = {k: t for k, t in types.items() if t in ("number", "bool", "text")}
        built: dict[str, InputSpec] = {}
        formulas: dict[str, expression.Expr] = {}
        for key, (where, s) in raw.items():
            unit = s.get("unit", "万元")
            if not isinstance(unit, str) or not unit.strip() or len(unit) > 10:
                raise RubricError(f"{where}.unit: 单位应为 1～10 个字符")
            kind = types[key]
            decimals = s.get("decimals", 2 if unit in ("万元", "元", "%") else 0)
            if not 0 <= decimals <= 6:
                raise RubricError(f"{where}.decimals: 应为 0 到 6 的整数")
            source = s.get("source", "derived" if "formula" in s else "department")
            if (source == "derived") != ("formula" in s):
                raise RubricError(
                    f"{where}.formula: source: derived 须有 formula，其他来源不能有 formula"
                )
            if s.get("carry_over") and source != "department":
                raise RubricError(f"{where}.carry_over: 只有部门填报的输入项可以沿用上一年度的值")
            if s.get("group") and s["group"] not in groups:
                raise RubricError(f"{where}.group: 分组 {s['group']!r} 未在 input_groups 中定义")
            minimum = (
                _decimal(s["min"], f"{where}.min")
                if "min" in s
                else (Decimal(0) if kind == "number" else None)
            )
            maximum = (
                _decimal(s["max"], f"{where}.max")
                if "max" in s
                else (Decimal(100) if unit == "%" else None)
            )
            if kind != "number" and ("min" in s or "max" in s):
                raise RubricError(f"{where}: 只有数值输入项可以有 min、max")
            if minimum is not None and maximum is not None and minimum > maximum:
                raise RubricError(f"{where}.max: 应不小于 min")
            if "formula" in s:
                if kind != "number":
                    raise RubricError(f"{where}.formula: 只有数值输入项可以由公式计算")
                formulas[key] = self._expr(
                    s["formula"], f"{where}.formula", known=set(raw), types=expr_types
                )
            built[key] = InputSpec(
                key=key,
                label=s["label"],
                unit=unit,
                decimals=decimals,
                minimum=minimum,
                maximum=maximum,
                source=source,
                formula=formulas.get(key),
                group=s.get("group", ""),
                required=s.get("required", source != "derived"),
                help=s.get("help", ""),
                data_source=s.get("data_source", ""),
                carry_over=s.get("carry_over", False),
            )
        order = _dependency_order(formulas, {k: w for k, (w, _) in raw.items()})
        derived = [built[k] for k in order]
        return tuple(i for i in built.values() if not i.derived) + tuple(derived)

    def _expr(
        self,
        value: Any,
        where: str,
        *,
        known: set[str] | None = None,
        extra: tuple[str, ...] = (),
        types: dict[str, str] | None = None,
    ) -> expression.Expr:
        text = value if isinstance(value, str) else str(value)
        if known is None:
            known = {i.key for i in self.inputs if i.type in ("number", "bool", "text")}
            types = {i.key: i.type for i in self.inputs if i.type in ("number", "bool", "text")}
        try:
            return expression.parse(
                text,
                known=known | set(extra),
                types={**(types or {}), **{e: "number" for e in extra}},
                expect="number",
            )
        except expression.ExprError as exc:
            raise RubricError(f"{where}: 公式有误：{exc}") from exc

    def _node(self, spec: dict[str, Any], level: int, where: str, r: Rounding) -> Indicator:
        try:
            return self._build_node(spec, level, where, r)
        except RubricError as exc:
            if "（指标 " in str(exc):  # named by a node below
                raise
            raise RubricError(f"{exc}（指标 {spec['code']}（{spec['name']}））") from exc

    def _build_node(self, spec: dict[str, Any], level: int, where: str, r: Rounding) -> Indicator:
        self.count += 1
        if self.count > MAX_INDICATORS:
            raise RubricError(f"{where}: 指标过多，最多 {MAX_INDICATORS} 个")
        code, name = spec["code"].strip(), spec["name"].strip()
        if not code:
            raise RubricError(f"{where}.code: 不能为空")
        if not name:
            raise RubricError(f"{where}.name: 不能为空")
        if code in self.seen:
            raise RubricError(f"{where}.code: 指标编码 {code} 重复（{name}）")
        self.seen.add(code)
        if level > MAX_DEPTH:
            raise RubricError(f"{where}: 指标层级超过 {MAX_DEPTH} 级")
        points = _decimal(spec["points"], f"{where}.points")
        texts = {k: (spec.get(k) or "").strip() for k in ("definition", "criteria", "remark")}
        own = _rounding(spec["rounding"], f"{where}.rounding", r) if "rounding" in spec else None
        rounding = own or r
        common = dict(
            code=code,
            name=name,
            level=level,
            evidence_required=spec.get("evidence_required", False),
            rounding=own,
            **texts,
        )
        children = spec.get("children") or []
        if children:
            if points <= 0:
                raise RubricError(f"{where}.points: 分值应大于0")
            if "method" in spec or spec.get("params"):
                raise RubricError(f"{where}.method: 有下级指标（children）的指标不能指定评分方法")
            nodes = tuple(
                self._node(c, level + 1, f"{where}.children[{i}]", rounding)
                for i, c in enumerate(children)
            )
            total = sum((c.points for c in nodes), Decimal(0))
            if total != points:
                raise RubricError(
                    f"{where}.children: 下级指标分值合计为 {total}，与本级分值 {points} 不一致"
                )
            return Indicator(points=points, children=nodes, **common)
        if "method" not in spec:
            raise RubricError(
                f"{where}.method: 末级指标须指定评分方法（可用：{'、'.join(METHODS)}）"
            )
        method_name = spec["method"]
        if points < 0 or (points == 0 and method_name != "bonus_penalty"):
            raise RubricError(f"{where}.points: 分值应大于0")
        if not texts["criteria"]:
            raise RubricError(f"{where}.criteria: 末级指标应有评分标准")
        params = self._params(method_name, spec.get("params") or {}, f"{where}.params", points)
        return Indicator(points=points, method=method_name, params=params, **common)

    def _params(self, name: str, raw: dict[str, Any], where: str, points: Decimal) -> dict:
        method = METHODS[name]
        try:
            check(Obj(f"params_{name}", method.fields), raw, where)
        except SchemaError as exc:
            raise RubricError(f"{exc}（评分方法 {name}）") from exc
        params = _decimals(raw)
        for key, extra in method.formulas.items():
            if key in params:
                params[key] = self._expr(raw[key], f"{where}.{key}", extra=extra)
        try:
            method.check(params, points)
            used = method.inputs(params)
        except ParamError as exc:
            message = str(exc)
            if _SUBNODE.match(message):  # the error names a sub-node already
                raise RubricError(f"{where}.{message}") from exc
            raise RubricError(f"{where}: 评分方法 {name} 的参数有误：{message}") from exc
        # names inside formulas were checked (declared, and used as their type) by the parser
        in_formulas = {n for k in method.formulas if k in params for n in params[k].names()}
        for key in used:
            spec = self.by_key.get(key)
            if spec is None:
                raise RubricError(f"{where}: 引用了未在 inputs 中声明的输入项 {key!r}")
            if spec.type != "number" and key not in in_formulas:
                raise RubricError(f"{where}: 输入项 {key} 不是数值，不能用于计分")
        return params


def _type_of(unit: Any) -> str:
    return {"text": "text", "date": "date", "yes/no": "bool"}.get(unit, "number")


def _dependency_order(formulas: dict[str, expression.Expr], where: dict[str, str]) -> list[str]:
    """Derived inputs in an order where each comes after the derived inputs it uses."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(key: str, chain: list[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            cycle = " → ".join([*chain[chain.index(key) :], key])
            raise RubricError(f"{where[key]}.formula: 公式循环引用：{cycle}")
        state[key] = 1
        for name in sorted(formulas[key].names()):
            if name in formulas:
                visit(name, [*chain, key])
        state[key] = 2
        order.append(key)

    for key in formulas:
        visit(key, [])
    return order


# ---------------------------------------------------------------------------- format 1


def _legacy(content: dict[str, Any]) -> Rubric:
    """A version stored before `format: 2`: the same tree, inputs from the shared catalogue."""
    upgraded = dict(content)
    upgraded["format"] = FORMAT
    upgraded["inputs"] = catalogue.as_rubric_inputs()
    upgraded["input_groups"] = catalogue.as_rubric_groups()

    def walk(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        node = dict(node)
        if node.get("method") in LEGACY_METHODS:
            node["method"] = LEGACY_METHODS[node["method"]]
        if isinstance(node.get("children"), list):
            node["children"] = [walk(c) for c in node["children"]]
        return node

    if isinstance(content.get("indicators"), list):
        upgraded["indicators"] = [walk(n) for n in content["indicators"]]
    # what format 1 kept in code (the report, the steps, the checks) comes from the shipped
    # file of the same key, where there is one
    shipped = VERSIONS_DIR / f"{content.get('key')}.yaml"
    if isinstance(content.get("key"), str) and shipped.is_file():
        current = yaml.safe_load(shipped.read_text(encoding="utf-8")) or {}
        for part in LEGACY_PARTS:
            if part in current:
                upgraded[part] = current[part]
        if "inputs" in current:  # derived inputs the report uses
            have = {i["key"] for i in upgraded["inputs"]}
            upgraded["inputs"] += [
                i for i in current["inputs"] if i.get("formula") and i["key"] not in have
            ]
    return parse(upgraded)


# ---------------------------------------------------------------------------- defaults

# The report of a rubric file without `report:`: a plain four-chapter structure.
DEFAULT_REPORT: dict[str, Any] = {
    "sections": [
        {
            "key": "overview",
            "chapter": "一、基本情况",
            "heading": "（一）基本情况",
            "title": "基本情况",
            "step": "basic",
            "help": "单位（项目）概况、职能与年度主要任务。",
        },
        {
            "key": "conclusion",
            "chapter": "二、绩效目标完成情况",
            "heading": "（一）自评结论",
            "title": "自评结论",
            "before": ["{unit}{year}年{evaluation_name}得分为{total}分，等级为“{grade}”。"],
            "help": "自评得分由系统生成；此处填写绩效目标完成情况的综述。",
        },
        {"key": "problems", "chapter": "三、存在的主要问题", "title": "存在的主要问题"},
        {"key": "improvements", "chapter": "四、下一步改进措施", "title": "下一步改进措施"},
    ]
}


def default_steps(indicators, sections, report: ReportSpec, inputs) -> tuple[Step, ...]:
    """The steps of a rubric file without `steps:`: each page that has something to fill."""
    leaves = [n for node in indicators for n in node.walk() if n.is_leaf and n.method != ROW_METHOD]
    steps = [Step("basic", "基本情况")]
    if any(not i.derived for i in inputs):
        steps.append(Step("figures", "收支数据"))
    if leaves:
        steps.append(Step("management", "评分指标"))
    if sections:
        steps.append(Step("duty", sections[0].name if len(sections) == 1 else "绩效指标"))
    # always: besides its texts, the report step holds the report's date, signing unit and
    # contact, which every report is signed with
    steps.append(Step("report", "报告正文"))
    steps.append(Step("review", "核对与提交"))
    return tuple(steps)
