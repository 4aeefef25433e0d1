"""Block templates: parsed once per process, rendered with the runtime's i18n service.

`xblock.utils.resources.ResourceLoader.render_django_template` builds a new template engine and
re-parses the template on every render; a learner view is rendered on every page view and every
handler call, so we parse once and cache.
"""

from functools import lru_cache
from importlib import resources

from django.template import Context, Engine, Template

_ENGINE_OPTIONS = {
    "libraries": {"cme_i18n": "xblocks.templatetags.cme_i18n"},
    "builtins": ["xblocks.templatetags.cme_i18n"],
    "autoescape": True,
}


@lru_cache(maxsize=1)
def _engine() -> Engine:
    # `dirs` lets a template `{% include %}` another one (installed as real files, wheel or
    # editable install alike).
    return Engine(dirs=[str(resources.files("xblocks").joinpath("templates"))], **_ENGINE_OPTIONS)


@lru_cache(maxsize=64)
def _template(name: str) -> Template:
    source = resources.files("xblocks").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(source, engine=_engine())


def render_template(name: str, context: dict, i18n_service) -> str:
    """Render `xblocks/templates/<name>` with `context` and the i18n service for `{% trans %}`."""
    return _template(name).render(Context({**context, "_i18n_service": i18n_service}))
