"""Readable nested OLX for blocks whose content is a domain document (a case, a scenario).

Open edX's default XML export writes Dict fields as JSON in attributes and writes every field
that is set; our blocks instead embed the domain's own readable XML as the block's children,
and write settings (display name, weight) as attributes. User state never goes into OLX.
"""

from lxml import etree

#: Parse hostile XML safely: no entities, no DTD, no network, no huge trees.
SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_safely(text: str | bytes) -> etree._Element:
    """Parse an XML string without entities, DTDs or network access (errors name the line)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return etree.fromstring(data, parser=SAFE_PARSER)
