"""{{ row.action|action_label }}: the Russian name of an action code."""

from django import template

from pfdo.audit.labels import label

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return label(code)
