"""`{% trans "..." %}` for block templates, translated by the runtime's i18n service.

Django's own tag reads Django's catalogs; in the LMS a block's strings live in the block's
catalog, reached through the i18n service. This tag asks the service in the template context
(`_i18n_service`) directly: no catalog merging per tag, and the same strings are extracted by
Django's template lexer (same tag name). Only literal strings: interpolated text is prepared
in Python, where translators see the whole sentence with named placeholders.
"""

from django import template
from django.utils.html import conditional_escape

register = template.Library()


class TranslateNode(template.Node):
    def __init__(self, message: str, as_var: str | None):
        self.message = message
        self.as_var = as_var

    def render(self, context) -> str:
        service = context.get("_i18n_service")
        text = service.gettext(self.message) if service is not None else self.message
        if self.as_var:
            context[self.as_var] = text
            return ""
        return conditional_escape(text)


@register.tag("trans")
def trans(_parser, token):
    """`{% trans "Submit answer" %}` or `{% trans "Submit" as label %}`."""
    bits = token.split_contents()
    if len(bits) not in (2, 4) or (len(bits) == 4 and bits[2] != "as"):
        raise template.TemplateSyntaxError(
            'Use {% trans "literal" %} or {% trans "literal" as var %}'
        )
    literal = bits[1]
    if literal[0] not in "\"'" or literal[-1] != literal[0]:
        raise template.TemplateSyntaxError("{% trans %} takes a quoted literal string")
    return TranslateNode(literal[1:-1], bits[3] if len(bits) == 4 else None)
