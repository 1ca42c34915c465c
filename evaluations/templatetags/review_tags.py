from django import template

register = template.Library()


@register.inclusion_tag("review/_thread.html", takes_context=True)
def annotation_thread(context, target: str, label: str = ""):
    """The annotations on one part of the filing, with reply and resolve forms, and (for a
    reviewer who may annotate) the form to add one."""
    annotations = context.get("annotations") or {}
    request = context.get("request")
    return {
        "items": annotations.get(target, []),
        "target": target,
        "label": label,
        "anchor": "note-" + target.replace(":", "-").replace(".", "-"),
        "evaluation": context.get("evaluation"),
        "can_annotate": context.get("can_annotate", False),
        "can_reply": context.get("can_reply", True),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
