"""Filters of the PDF templates (templates/reports/): the typesetting of evaluations.typesetting."""

from django import template
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

from evaluations import typesetting

register = template.Library()


@register.filter(needs_autoescape=True)
def justifiable(text, autoescape: bool = True) -> SafeString:
    """Body text with its stretchable points between Chinese characters (typesetting.justifiable)."""
    escape = conditional_escape if autoescape else str
    return mark_safe(escape(typesetting.justifiable(str(text or ""))))


@register.filter
def words(text) -> SafeString:
    """A header cell's text as unbreakable words (typesetting.cell_words): it wraps between them."""
    return format_html_join(
        "", '<span class="w">{}</span>', ((w,) for w in typesetting.cell_words(str(text or "")))
    )
