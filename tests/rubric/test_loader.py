"""The loader refuses broken rubric files with a message naming the node; the shipped 2022 rubric;
and the load_rubric command storing immutable versions."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from rubric import inputs as catalogue
from rubric import loader
from rubric.loader import RubricError

from .builders import LINEAR, PROPORTIONAL, D, leaf

SHIPPED = loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml"

VALID = {
    "format": 2,
    "key": "test-2022",
    "jurisdiction": "测试区",
    "year": 2022,
    "title": "测试评分体系（2022年度）",
    "source": "测试",
    "grades": [{"min": 90, "name": "优"}, {"min": 0, "name": "差"}],
    "input_groups": catalogue.as_rubric_groups(),
    "inputs": catalogue.as_rubric_inputs(),
    "indicators": [
        {
            "code": "1",
            "name": "管理效能",
            "points": 60,
            "children": [
                {
                    "code": "1.1",
                    "name": "资金管理",
                    "points": 20,
                    "children": [
                        leaf("1.1.1", "linear_band", 10, LINEAR),
                        leaf("1.1.2", "proportional", 10, PROPORTIONAL),
                    ],
                },
                leaf("1.2", "manual", 40),
            ],
        },
        leaf("2", "target_rows", 40, {"partial": "proportional"}),
    ],
}


def _chain(code: str, depth: int) -> dict:
    """`depth` nested single-child indicators of 40 points, a manual leaf at the bottom."""
    if depth == 1:
        return leaf(code, "manual", 40)
    return {
        "code": code,
        "name": f"指标{code}",
        "points": 40,
        "children": [_chain(f"{code}.1", depth - 1)],
    }


DEEP = _chain("1.2.1", 9)  # under 1.2 (level 2): levels 3 to 11


def node(content: dict, code: str) -> dict:
    """The node of a content dict with the given code, for a test to break."""
    stack = list(content["indicators"])
    while stack:
        n = stack.pop()
        if n["code"] == code:
            return n
        stack.extend(n.get("children", []))
    raise KeyError(code)


def write(tmp_path, content, name="rubric.yaml"):
    path = tmp_path / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def broken(**changes):
    """A copy of VALID with {code: {field: value}} applied; a value of None removes the field."""
    content = copy.deepcopy(VALID)
    for code, fields in changes.items():
        target = node(content, code.replace("_", "."))
        for key, value in fields.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return content


def refused(tmp_path, content) -> str:
    with pytest.raises(RubricError) as exc:
        loader.load_file(write(tmp_path, content))
    return str(exc.value)


def test_the_valid_example_loads(tmp_path):
    spec, content = loader.load_file(write(tmp_path, VALID))
    assert spec.total_points == 100
    assert [n.code for n in spec.leaves()] == ["1.1.1", "1.1.2", "1.2", "2"]
    assert content == VALID


BROKEN = {
    "children_sum": (broken(**{"1_1_1": {"points": 9}}), ["指标 1.1（资金管理）", "19", "20"]),
    "total": (broken(**{"2": {"points": 41}}), ["101", "100"]),
    "duplicate": (broken(**{"1_1_2": {"code": "1.1.1"}}), ["1.1.1", "重复"]),
    "unknown_method": (broken(**{"1_2": {"method": "guess"}}), ["指标 1.2", "'guess'"]),
    "no_method": (broken(**{"1_2": {"method": None}}), ["指标 1.2", "须指定评分方法"]),
    "missing_param": (
        broken(**{"1_1_1": {"params": {k: v for k, v in LINEAR.items() if k != "floor"}}}),
        ["指标 1.1.1", "linear_band", "floor"],
    ),
    "param_value": (broken(**{"2": {"params": {"partial": "half"}}}), ["指标 2", "partial"]),
    "band_op": (
        broken(
            **{
                "1_1_1": {
                    "method": "bands",
                    "params": {
                        "label": "某率",
                        "numerator": LINEAR["numerator"],
                        "denominator": LINEAR["denominator"],
                        "bands": [{"op": "!=", "bound": 1, "score": 1}],
                    },
                }
            }
        ),
        ["指标 1.1.1", "op"],
    ),
    "floor_not_below_ceiling": (
        broken(**{"1_1_1": {"params": {**LINEAR, "floor": 100}}}),
        ["指标 1.1.1", "floor"],
    ),
    "unknown_input": (
        broken(**{"1_1_2": {"params": {**PROPORTIONAL, "numerator": "procurement_actuals"}}}),
        ["指标 1.1.2", "procurement_actuals"],
    ),
    "checklist_best": (
        broken(
            **{
                "1_2": {
                    "method": "checklist",
                    "params": {
                        "items": [
                            {
                                "key": "a",
                                "text": "核对项",
                                "options": [
                                    {"key": "yes", "label": "是", "score": 30},
                                    {"key": "no", "label": "否", "score": 0},
                                ],
                            }
                        ]
                    },
                }
            }
        ),
        ["指标 1.2", "30", "40"],
    ),
    "points_text": (broken(**{"1_2": {"points": "四十"}}), ["指标 1.2", "points"]),
    "points_list": (broken(**{"1_2": {"points": [40]}}), ["指标 1.2", "points"]),
    "points_missing": (broken(**{"1_2": {"points": None}}), ["指标 1.2", "points"]),
    "points_zero": (broken(**{"1_2": {"points": 0}}), ["指标 1.2", "分值"]),
    "no_criteria": (broken(**{"1_2": {"criteria": ""}}), ["指标 1.2", "criteria"]),
    "method_on_parent": (broken(**{"1_1": {"method": "manual"}}), ["指标 1.1", "评分方法"]),
    "evidence_not_bool": (broken(**{"1_2": {"evidence_required": "是"}}), ["指标 1.2"]),
    "too_deep": (
        broken(**{"1_2": {"children": [DEEP], "method": None}}),
        ["1.2.1.1.1.1.1.1.1.1", "超过 10 级"],
    ),
    "misspelt_key": (
        broken(**{"1_1_2": {"evidence_requried": True}}),
        ["indicators[0].children[0].children[1].evidence_requried: 未知字段", "指标 1.1.2"],
    ),
    "unknown_top_key": ({**VALID, "steps_": []}, ["steps_: 未知字段"]),
    "wrong_type_year": ({**VALID, "year": "二〇二二"}, ["year: 应为整数"]),
    "unknown_param": (
        broken(**{"1_1_1": {"params": {**LINEAR, "flor": 50}}}),
        ["indicators[0].children[0].children[0].params.flor: 未知字段", "指标 1.1.1"],
    ),
    "undeclared_input": (
        {**VALID, "inputs": [i for i in VALID["inputs"] if i["key"] != LINEAR["denominator"]]},
        ["未在 inputs 中声明", LINEAR["denominator"]],
    ),
    "bad_formula": (
        broken(**{"1_1_1": {"method": "formula", "params": {"score": "points * (1 +"}}}),
        ["indicators[0].children[0].children[0].params.score: 公式有误", "指标 1.1.1"],
    ),
    "declared_total": ({**VALID, "total": 120}, ["100", "120"]),
    "format_3": ({**VALID, "format": 3}, ["format"]),
    "format_missing": ({k: v for k, v in VALID.items() if k != "format"}, ["format: 缺少必填字段"]),
    "yaml_syntax": ("key: [unclosed\nindicators: {", ["YAML", "rubric.yaml"]),
    "a_list": ("- 1\n- 2\n", ["顶层应为映射"]),
    "empty_file": ("", ["顶层应为映射"]),
    "no_year": ({k: v for k, v in VALID.items() if k != "year"}, ["year"]),
}


@pytest.mark.parametrize(("content", "fragments"), BROKEN.values(), ids=BROKEN.keys())
def test_loader_refuses_with_a_message_naming_the_node(tmp_path, content, fragments):
    message = refused(tmp_path, content)
    for fragment in fragments:
        assert fragment in message


def test_loader_refuses_an_unreadable_file(tmp_path):
    with pytest.raises(RubricError, match="无法读取"):
        loader.load_file(tmp_path / "missing.yaml")


def test_loader_refuses_an_unknown_parameter_name(tmp_path):
    params = {**PROPORTIONAL, "zero_if_ovr": True}
    params.pop("zero_if_over")
    assert "zero_if_ovr" in refused(tmp_path, broken(**{"1_1_2": {"params": params}}))


def test_loader_refuses_a_non_boolean_switch(tmp_path):
    params = {**PROPORTIONAL, "zero_if_over": "no"}
    assert "zero_if_over" in refused(tmp_path, broken(**{"1_1_2": {"params": params}}))


# ---------------------------------------------------------------------------- the shipped rubric


@pytest.fixture(scope="module")
def shipped():
    return loader.load_file(SHIPPED)


def test_shipped_rubric_totals_and_leaves(shipped):
    spec, _ = shipped
    assert spec.key == "guangzhou-nansha-2022"
    assert spec.year == 2022
    assert spec.total_points == 100
    assert len(spec.leaves()) == 23


def test_shipped_rubric_structure(shipped):
    spec, _ = shipped
    outline = [(n.code, n.name, n.points) for n in spec.indicators]
    assert outline == [
        ("1", "管理效能", 45),
        ("2", "履职效能", 50),
        ("3", "履职效能（加减分项）", 5),
    ]
    management = spec.find("1")
    assert [(n.name, n.points) for n in management.children] == [
        ("资金管理", 18),
        ("采购管理", 3),
        ("信息公开管理", 2),
        ("资产管理", 4),
        ("绩效管理", 18),
    ]
    procurement = spec.find("1.2")
    assert [(n.name, n.points) for n in procurement.children] == [
        ("政府采购执行率", 1),
        ("部门落实中小企业政策执行情况", 2),
    ]
    assert [len(n.children) for n in management.children] == [7, 2, 2, 3, 7]
    assert spec.find("2").is_leaf and spec.find("2").method == "target_rows"
    assert spec.find("3.1.1").method == "bonus_penalty"


def test_shipped_rubric_methods(shipped):
    spec, _ = shipped
    methods = {n.code: n.method for n in spec.leaves()}
    assert methods["1.1.1"] == "linear_band"
    assert methods["1.1.3"] == methods["1.1.6"] == methods["1.4.3"] == "bands"
    assert methods["1.1.4"] == "step_deduction"
    assert methods["1.1.5"] == "external_rate"
    assert methods["1.2.1"] == "proportional"
    assert methods["1.5.4"] == "manual"
    assert methods["1.5.5"] == "target_ratio"


def test_shipped_rubric_levels_follow_codes(shipped):
    spec, _ = shipped
    nodes = list(spec.walk())
    assert len({n.code for n in nodes}) == len(nodes)
    for n in nodes:
        assert n.level == n.code.count(".") + 1


def test_shipped_rubric_leaves_have_texts_and_evidence_flags(shipped):
    spec, _ = shipped
    for n in spec.leaves():
        assert n.definition, n.code
        assert n.criteria, n.code
        assert n.evidence_required == ("佐证材料" in n.remark), n.code


def test_shipped_rubric_grades(shipped):
    spec, _ = shipped
    assert [(g.minimum, g.name) for g in spec.grades] == [
        (90, "优"),
        (80, "良"),
        (60, "中"),
        (0, "差"),
    ]
    expected = {"97.61": "优", "90": "优", "89.99": "良", "60": "中", "59.99": "差"}
    assert {total: spec.grade(D(total)) for total in expected} == expected


def test_stored_content_gives_the_same_rubric(shipped):
    """What the database keeps (the content as JSON) parses to the same rubric and digest."""
    spec, content = shipped
    stored = json.loads(json.dumps(content))
    assert loader.parse(stored) == spec
    assert loader.digest(stored) == loader.digest(content)


# ---------------------------------------------------------------------------- load_rubric


def load(path) -> str:
    out = StringIO()
    call_command("load_rubric", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_rubric_refuses_a_broken_file_and_stores_nothing(tmp_path):
    from evaluations.models import RubricVersion

    path = write(tmp_path, broken(**{"1_1_1": {"points": 9}}))
    with pytest.raises(CommandError) as exc:
        load(path)
    assert "指标 1.1（资金管理）" in str(exc.value)
    assert "未载入" in str(exc.value)
    assert not RubricVersion.objects.exists()


@pytest.mark.django_db
def test_load_rubric_twice_stores_one_version():
    from evaluations.models import RubricVersion

    first = load(SHIPPED)
    second = load(SHIPPED)
    assert "已载入" in first and "23 个末级指标" in first and "总分 100" in first
    assert "已存在" in second
    version = RubricVersion.objects.get()
    assert version.key == "guangzhou-nansha-2022"
    assert version.sha256 == loader.digest(loader.load_file(SHIPPED)[1])
    assert version.spec.total_points == 100


@pytest.mark.django_db
def test_load_rubric_refuses_a_changed_file_under_the_same_key(tmp_path):
    from evaluations.models import RubricVersion

    load(write(tmp_path, VALID, "v1.yaml"))
    changed = copy.deepcopy(VALID)
    changed["title"] = "测试评分体系（修订）"
    with pytest.raises(CommandError) as exc:
        load(write(tmp_path, changed, "v2.yaml"))
    assert "test-2022" in str(exc.value)
    version = RubricVersion.objects.get()
    assert version.title == VALID["title"]
    assert version.content == VALID


@pytest.mark.django_db
def test_rubric_version_save_refuses_a_new_digest():
    from evaluations.models import RubricVersion

    load(SHIPPED)
    version = RubricVersion.objects.get()
    version.content = {**version.content, "title": "改过的标题"}
    version.sha256 = loader.digest(version.content)
    with pytest.raises(ValidationError):
        version.save()
    assert RubricVersion.objects.get().content["title"] != "改过的标题"


@pytest.mark.django_db
def test_rubric_version_save_refuses_a_changed_content_under_its_old_digest():
    from evaluations.models import RubricVersion

    load(SHIPPED)
    version = RubricVersion.objects.get()
    version.content = {**version.content, "title": "改过的标题"}
    with pytest.raises(ValidationError):
        version.save()
