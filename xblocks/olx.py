"""Readable nested OLX for blocks whose content is a domain document (a case, a scenario).

Open edX's default XML export writes Dict fields as JSON in attributes and writes every field
that is set; our blocks instead embed the domain's own readable XML as the block's children,
and write settings (display name, weight) as attributes. User state never goes into OLX.
"""

from lxml import etree
from xblock.fields import Scope

#: Parse hostile XML safely: no entities, no DTD, no network, no huge trees.
SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_safely(text: str | bytes) -> etree._Element:
    """Parse an XML string without entities, DTDs or network access (errors name the line)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return etree.fromstring(data, parser=SAFE_PARSER)


def read_runtime_settings(block, node, ours: frozenset[str]) -> frozenset[str]:
    """Set the block's settings fields named by `node`'s other attributes, as XBlock's own
    `parse_xml` does; returns the attribute names taken.

    The LMS mixes its settings into every block (`visible_to_staff_only`, `group_access`, the
    inherited `due`, `start`...; lms/djangoapps/lms_xblock/mixin.py, xmodule/modulestore/
    inheritance.py) and course export writes them as attributes of the block's node."""
    taken = set()
    for name, value in node.attrib.items():
        field = block.fields.get(name)
        if name in ours or field is None or field.scope != Scope.settings:
            continue
        setattr(block, name, field.from_string(value))
        taken.add(name)
    return frozenset(taken)


def write_runtime_settings(block, node, ours: frozenset[str]) -> None:
    """Write every settings field set on the block that `ours` does not write, as XBlock's own
    `add_xml_to_node` does (the LMS mixin's settings survive an export and re-import)."""
    for name, field in block.fields.items():
        if name in ours or field.scope != Scope.settings or not field.is_set_on(block):
            continue
        node.set(name, field.to_string(getattr(block, name)))
