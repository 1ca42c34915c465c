from django import template

register = template.Library()


@register.inclusion_tag("review/_thread.html", takes_context=True)
def annotation_thread(context, target: str, label: str = ""):
    """The annotations on one part of the filing, with reply and resolve forms, and (for a
    reviewer who may annotate) the form to add one."""
    annotations = context.get("annotations") or {}
    return {
        "items": annotations.get(target, []),
        "target": target,
        "label": label,
        "anchor": "note-" + note_anchor(target),
        "evaluation": context.get("evaluation"),
        "can_annotate": context.get("can_annotate", False),
        "can_reply": context.get("can_reply", True),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def note_anchor(target: str) -> str:
    """An annotation target as an HTML id fragment: ind:1.1.1 → ind-1-1-1."""
    return str(target).replace(":", "-").replace(".", "-")


@register.filter
def anchor(code: str) -> str:
    """An indicator code as an HTML id fragment: 2.1.3 → 2-1-3."""
    return str(code).replace(".", "-")


@register.filter
def get(mapping, key):
    """mapping[key], or an empty list: {{ evidence|get:ind.code }}."""
    try:
        return mapping.get(key, [])
    except AttributeError:
        return []


@register.filter
def num(value) -> str:
    """A score or points without trailing zeros: 4.5, 12.5, 2."""
    from decimal import Decimal

    from rubric import fmt

    if value is None or value == "":
        return ""
    return fmt.num(Decimal(value))


@register.filter
def judgement_key(line) -> str:
    """The stable key of a score-table line's 复核分: the leaf code, or `row:<id>` for a
    履职效能 row (whose code is only its position)."""
    from evaluations.scoring import line_key

    return line_key(line)


@register.filter
def note_target(line) -> str:
    """The annotation target of a score-table line: ind:<code>, or `row:<id>` for a row."""
    from evaluations.feedback import reviewed_target
    from evaluations.scoring import line_key

    return reviewed_target(line_key(line))


@register.filter
def reviewed_range(line) -> str:
    """The range a 复核分 of this line may take, as the service checks it (scoring.score_range,
    the one rule: negative for 加减分): "−5～5", "0～2"."""
    from evaluations.scoring import score_range
    from rubric import fmt

    minimum, maximum = score_range(line)
    return f"{fmt.num(minimum)}～{fmt.num(maximum)}"
