"""`python manage.py rubric check|score|schema` (files only, no database)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rubric import loader

NANSHA = str(loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml")

SMALL = """\
format: 2
key: cmd-test
jurisdiction: 测试区
year: 2024
title: 命令测试
source: 测试
total: 10
grades:
  - {min: 9, name: 优}
  - {min: 0, name: 差}
inputs:
  - {key: spent, label: 支出决算数}
  - {key: budget, label: 全年预算数}
  - {key: notified_rate, label: 通报执行率, unit: "%", source: finance_bureau}
indicators:
  - code: "1"
    name: 管理
    points: 10
    children:
      - code: "1.1"
        name: 预算执行率
        points: 6
        criteria: 线性计分。
        method: linear_band
        params: {label: 预算执行率, numerator: spent, denominator: budget, floor: 60, ceiling: 100}
      - code: "1.2"
        name: 项目支出执行率
        points: 4
        criteria: 执行率×分值。
        method: external_rate
        params: {label: 项目支出执行率, rate: notified_rate}
"""

INPUTS = {
    "inputs": {"spent": "95", "budget": "100", "notified_rate": None},
    "answers": {"1.2": {"claimed": "3.5", "reason": "通报未下达"}},
}


def run(*args) -> str:
    out = StringIO()
    call_command("rubric", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(INPUTS, ensure_ascii=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- check


def test_check_summarises_the_shipped_rubric():
    out = run("check", NANSHA)
    assert "评分体系文件正确：广州市南沙区部门整体支出绩效自评评分体系（2022年度）" in out
    assert "版本标识：guangzhou-nansha-2022（广州市南沙区，2022年度，部门整体支出）" in out
    assert "总分：100" in out
    assert "输入项：39 个（部门填报 33，财政局填报 1，公式计算 5）" in out
    assert "指标：31 个，其中末级指标 23 个，共 3 层" in out
    assert "checklist（逐项核对计分）×12" in out
    assert "目标行指标：2 履职效能" in out


def test_check_small_file(small):
    out = run("check", str(small))
    assert "版本标识：cmd-test" in out
    assert "总分：10" in out
    assert "输入项：3 个（部门填报 2，财政局填报 1）" in out
    assert "指标：3 个，其中末级指标 2 个，共 2 层" in out
    assert "评分方法：linear_band（区间线性计分）×1、external_rate（通报执行率计分）×1" in out


def test_check_refuses_a_misspelt_key_with_its_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        SMALL.replace(
            "        criteria: 线性计分。\n",
            "        criteria: 线性计分。\n        evidence_requried: true\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as caught:
        run("check", str(bad))
    message = str(caught.value)
    assert message.startswith("评分体系文件有误：")
    assert "indicators[0].children[0].evidence_requried: 未知字段" in message
    assert "（指标 1.1（预算执行率））" in message


def test_check_refuses_points_that_do_not_add_up(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("points: 6", "points: 5"), encoding="utf-8")
    with pytest.raises(CommandError, match="下级指标分值合计为 9，与本级分值 10 不一致"):
        run("check", str(bad))


def test_check_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        run("check", str(tmp_path / "none.yaml"))


def test_check_refuses_text_that_is_not_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 2\nkey: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 YAML"):
        run("check", str(bad))


# ---------------------------------------------------------------------------- score


def test_score_prints_the_table_and_the_totals(small, inputs):
    out = run("score", str(small), "--inputs", str(inputs))
    lines = out.splitlines()
    assert lines[0] == "命令测试（cmd-test）"
    assert "1 管理  分值 10.00  计算 8.75  自评 8.75" in out
    assert "  1.1 预算执行率  分值 6.00  计算 5.25  自评 5.25" in out
    assert (
        "依据：预算执行率＝95.00÷100.00×100%＝95.00%；得分＝(95.00%−60%)÷(100%−60%)×6＝5.25" in out
    )
    assert "  1.2 项目支出执行率  分值 4.00  计算 —  自评 3.50" in out
    assert "！缺少输入：通报执行率" in out
    assert "总分：计算 8.75，自评 8.75，最终 8.75（满分 10），评价等级：差" in out
    assert lines[-1] == "计算总分中：其中 1 项缺少数据，按自评分计，共 3.50 分"


def test_score_json(small, inputs):
    data = json.loads(run("score", str(small), "--inputs", str(inputs), "--json"))
    assert data["rubric"] == "cmd-test"
    assert data["totals"] == {
        "computed": "8.75",
        "claimed": "8.75",
        "reviewed": None,
        "final": "8.75",
    }
    assert data["missing_count"] == 1
    assert data["missing_points"] == "3.50"
    assert data["judgement_count"] == 0
    assert data["judgement_points"] == "0.00"
    assert data["coverage_text"] == "其中 1 项缺少数据，按自评分计，共 3.50 分"
    assert data["grade"] == "差"
    assert [ln["code"] for ln in data["lines"]] == ["1", "1.1", "1.2"]
    missing = data["lines"][2]
    assert missing["computed"] is None and missing["claimed"] == "3.50"
    assert missing["warnings"] == [{"code": "input_missing", "message": "缺少输入：通报执行率"}]


def test_score_refuses_inputs_the_rubric_does_not_have(small, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"inputs": {"spnet": "1"}}), encoding="utf-8")
    with pytest.raises(CommandError, match=r"输入数据有误：inputs\.spnet: 评分体系中没有此输入项"):
        run("score", str(small), "--inputs", str(bad))


def test_score_refuses_inputs_that_are_not_json(small, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{inputs: 1}", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        run("score", str(small), "--inputs", str(bad))


def test_score_refuses_a_bad_rubric_before_reading_inputs(tmp_path, inputs):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("floor: 60", "floor: 100"), encoding="utf-8")
    with pytest.raises(CommandError, match="floor 应小于 ceiling"):
        run("score", str(bad), "--inputs", str(inputs))


# ---------------------------------------------------------------------------- schema


def test_schema_prints_the_loader_schema():
    assert json.loads(run("schema")) == json.loads(json.dumps(loader.schema()))


def test_schema_writes_a_file(tmp_path):
    target = tmp_path / "rubric.schema.json"
    out = run("schema", "-o", str(target))
    assert f"已写入 {target}" in out
    text = target.read_text(encoding="utf-8")
    assert "绩效自评评分体系" in text  # ensure_ascii=False
    assert json.loads(text)["$defs"]["indicator"]["properties"]["code"]["type"] == "string"
