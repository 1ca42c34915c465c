"""The 2022 rubric, rewritten as a format-2 file (inputs declared in it, `target_rows`),
scores the seed case exactly as the format-1 file did: on every leaf and 履职效能 row the same
computed score, claimed score, 评分依据 and warnings. The golden file was written by the engine
and rubric file before the rewrite (commit 80cab14) from the same demo data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from rubric import engine, loader
from rubric.rounding import money
from rubric.spec import Answer, ScoringInput, TargetRow, Task

DEMO = Path(__file__).parents[2] / "evaluations" / "demo" / "nansha_2022.yaml"
GOLDEN = Path(__file__).parent / "data" / "seed_2022_leaves.txt"


def _dec(v):
    return None if v is None else Decimal(str(v))


def _seed_input() -> ScoringInput:
    d = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    figures = {
        k: None if v is None else money(Decimal(str(v))) for k, (v, _) in d["figures"].items()
    }
    answers = {
        code: Answer(
            choices=a.get("choices", {}), claimed=_dec(a.get("claimed")), reason=a.get("reason", "")
        )
        for code, a in d["answers"].items()
    }
    tasks = tuple(
        Task(
            t["name"],
            tuple(
                TargetRow(
                    name=r["name"],
                    points=_dec(r["points"]),
                    operator=r.get("operator", ">="),
                    target_value=_dec(r.get("target_value")),
                    target_text=r.get("target_text", ""),
                    unit=r.get("unit", ""),
                    actual_value=_dec(r.get("actual_value")),
                    actual_text=r.get("actual_text", ""),
                    achieved=r.get("achieved"),
                    claimed=_dec(r.get("claimed")),
                    reason=r.get("reason", ""),
                )
                for r in t["rows"]
            ),
        )
        for t in d["tasks"]
    )
    return ScoringInput(figures=figures, answers=answers, tasks=tasks)


def test_every_leaf_and_row_scores_as_before_the_rewrite():
    spec, _ = loader.load_file(loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml")
    sheet = engine.score(spec, _seed_input())
    got = {}
    for ln in sheet.lines:
        if ln.is_leaf:
            # added since: the warning on an actual value that only restates its target
            kept = [w for w in ln.warnings if w.code != "restated_target"]
            warnings = sorted(f"{w.code}:{w.message}" for w in kept)
            got[ln.code] = f"{ln.code} | {ln.computed} | {ln.claimed} | {ln.basis} | {warnings}"
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert len(expected) == 35  # 22 leaves (2 is the rows section) and 13 rows
    for line in expected:
        code = line.split(" | ")[0]
        assert got.get(code) == line
    assert set(got) == {line.split(" | ")[0] for line in expected}


def test_the_totals_count_missing_data_at_the_claimed_score():
    spec, _ = loader.load_file(loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml")
    t = engine.score(spec, _seed_input()).totals
    assert (t.computed, t.claimed) == (Decimal("90.74"), Decimal("97.61"))
    assert (t.missing_count, t.missing_points) == (5, Decimal("14.20"))
    # the rest of the gap is where claims and rules disagree: 97.61 − 90.74 = 6.87
    assert t.claimed - t.computed == Decimal("6.87")


def test_the_seeds_restated_targets_are_flagged():
    """The seed's 履职效能 rows give their 年度指标值 again as 实际完成指标值 (issue 11)."""
    spec, _ = loader.load_file(loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml")
    sheet = engine.score(spec, _seed_input())
    flagged = [
        ln.code for ln in sheet.lines if any(w.code == "restated_target" for w in ln.warnings)
    ]
    rows = [ln.code for ln in sheet.lines if ln.row is not None]
    assert flagged == rows and len(rows) == 13  # every row of the seed restates its target
    assert any("文字相同" in w.message for w in sheet.line("2.1.1").warnings)


def test_the_same_words_with_the_target_met_exactly_are_not_flagged():
    from rubric.methods import score_row
    from rubric.rounding import Rounding

    def codes(actual):
        row = TargetRow(
            name="合格率",
            points=Decimal(10),
            target_text="100%",
            actual_text="100%",
            target_value=Decimal(100),
            actual_value=actual,
            unit="%",
        )
        return [w.code for w in score_row(row, "proportional", Rounding()).warnings]

    assert "restated_target" not in codes(Decimal(100))
    assert "restated_target" in codes(None)
    assert "restated_target" in codes(Decimal(98))
