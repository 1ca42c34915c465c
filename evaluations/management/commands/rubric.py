"""`python manage.py rubric check|score|schema`: check a rubric data file, score example inputs
against it, print the JSON Schema of the format. Reads files only; never touches the database.
The format is documented in docs/rubric-format.md."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rubric import engine, example_inputs, loader
from rubric.methods import METHODS
from rubric.spec import Line, Rubric, ScoreSheet


def _n(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _s(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _load(path: str) -> Rubric:
    try:
        rubric, _ = loader.load_file(path)
    except loader.RubricError as exc:
        raise CommandError(f"评分体系文件有误：{exc}") from exc
    return rubric


def _depth(rubric: Rubric) -> int:
    return max((n.level for n in rubric.walk()), default=0)


def summary(rubric: Rubric) -> list[str]:
    """The Chinese summary `rubric check` prints."""
    indicators = list(rubric.walk())
    leaves = rubric.leaves()
    sources = Counter(i.source for i in rubric.inputs)
    words = {"department": "部门填报", "finance_bureau": "财政局填报", "derived": "公式计算"}
    by_source = "，".join(f"{words.get(k, k)} {v}" for k, v in sources.items())
    methods = Counter(leaf.method or "manual" for leaf in leaves)
    used = "、".join(
        f"{name}（{METHODS[name].label}）×{methods[name]}" for name in METHODS if name in methods
    )
    kind = "项目支出" if rubric.kind == "project" else "部门整体支出"
    out = [
        f"评分体系文件正确：{rubric.title}",
        f"版本标识：{rubric.key}（{rubric.jurisdiction}，{rubric.year}年度，{kind}）",
        f"依据：{rubric.source}",
        f"总分：{rubric.total}",
        f"输入项：{len(rubric.inputs)} 个" + (f"（{by_source}）" if by_source else ""),
        f"指标：{len(indicators)} 个，其中末级指标 {len(leaves)} 个，共 {_depth(rubric)} 层",
        f"评分方法：{used}",
    ]
    sections = rubric.target_sections()
    if sections:
        out.append("目标行指标：" + "、".join(f"{s.code} {s.name}" for s in sections))
    if rubric.grades:
        out.append("评价等级：" + "、".join(f"{g.name}≥{g.minimum}" for g in rubric.grades))
    return out


def sheet_lines(sheet: ScoreSheet) -> list[str]:
    """The score table as text lines, then the totals and what they count."""
    out = []
    for line in sheet.lines:
        indent = "  " * (line.level - 1)
        out.append(
            f"{indent}{line.code} {line.name}  分值 {_n(line.points)}  计算 {_n(line.computed)}"
            f"  自评 {_n(line.claimed)}"
            + (f"  复核 {_n(line.reviewed)}" if line.reviewed is not None else "")
        )
        if line.basis:
            out.append(f"{indent}    依据：{line.basis}")
        for w in line.warnings:
            out.append(f"{indent}    ！{w.message}")
    t = sheet.totals
    out.append("")
    grade = f"，评价等级：{sheet.grade}" if sheet.grade else ""
    out.append(
        f"总分：计算 {_n(t.computed)}，自评 {_n(t.claimed)}，最终 {_n(t.final)}"
        f"（满分 {sheet.rubric.total}）{grade}"
    )
    if t.coverage_text:
        out.append(f"计算总分中：{t.coverage_text}")
    return out


def _line_dict(line: Line) -> dict:
    return {
        "code": line.code,
        "name": line.name,
        "level": line.level,
        "points": _s(line.points),
        "computed": _s(line.computed),
        "claimed": _s(line.claimed),
        "reviewed": _s(line.reviewed),
        "final": _s(line.final),
        "basis": line.basis,
        "warnings": [{"code": w.code, "message": w.message} for w in line.warnings],
    }


def sheet_dict(sheet: ScoreSheet) -> dict:
    t = sheet.totals
    return {
        "rubric": sheet.rubric.key,
        "total": _s(sheet.rubric.total),
        "totals": {
            "computed": _s(t.computed),
            "claimed": _s(t.claimed),
            "reviewed": _s(t.reviewed),
            "final": _s(t.final),
        },
        "missing_count": t.missing_count,
        "missing_points": _s(t.missing_points),
        "judgement_count": t.judgement_count,
        "judgement_points": _s(t.judgement_points),
        "coverage_text": t.coverage_text,
        "grade": sheet.grade,
        "lines": [_line_dict(line) for line in sheet.lines],
    }


class Command(BaseCommand):
    help = (
        "评分体系文件工具：check 检查文件；score 用示例输入数据试算得分；schema 打印文件格式的 "
        "JSON Schema。格式说明见 docs/rubric-format.md。"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{check,score,schema}")
        sub.required = True
        check = sub.add_parser("check", help="载入并检查评分体系文件，打印摘要")
        check.add_argument("path", help="评分体系文件（YAML）")
        score = sub.add_parser("score", help="用示例输入数据（JSON）试算得分")
        score.add_argument("path", help="评分体系文件（YAML）")
        score.add_argument(
            "--inputs", required=True, help="示例输入数据（JSON，格式见 docs/rubric-format.md）"
        )
        score.add_argument("--json", action="store_true", help="以 JSON 输出")
        schema = sub.add_parser("schema", help="打印评分体系文件的 JSON Schema")
        schema.add_argument("-o", "--output", help="写入此文件，而不是打印")

    def handle(self, *args, action: str, **options):
        if action == "check":
            self._check(options["path"])
        elif action == "score":
            self._score(options["path"], options["inputs"], options["json"])
        else:
            self._schema(options.get("output"))

    def _check(self, path: str) -> None:
        for line in summary(_load(path)):
            self.stdout.write(line)

    def _score(self, path: str, inputs: str, as_json: bool) -> None:
        rubric = _load(path)
        try:
            data = example_inputs.load(inputs, rubric)
        except example_inputs.ExampleInputError as exc:
            raise CommandError(f"输入数据有误：{exc}") from exc
        sheet = engine.score(rubric, data)
        if as_json:
            self.stdout.write(json.dumps(sheet_dict(sheet), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{rubric.title}（{rubric.key}）")
        self.stdout.write("")
        for line in sheet_lines(sheet):
            self.stdout.write(line)

    def _schema(self, output: str | None) -> None:
        text = json.dumps(loader.schema(), ensure_ascii=False, indent=2)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"已写入 {output}")
        else:
            self.stdout.write(text)
