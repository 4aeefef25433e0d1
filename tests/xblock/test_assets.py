"""What a learner's browser receives of our JS and CSS: the code without its comment lines."""

from importlib import resources

from xblocks.base import compact, public_text


def test_comment_lines_and_indentation_go_and_the_code_stays_as_written():
    source = (
        "/* A comment\n"
        " * over several lines */\n"
        "function f(a) {\n"
        "    // a whole-line comment\n"
        '    var url = "http://example.org/x"; // after code: kept\n'
        "    var re = /\\/\\*not a comment\\*\\//;\n"
        "\n"
        "    return a;\n"
        "}\n"
    )
    assert compact(source) == (
        "function f(a) {\n"
        'var url = "http://example.org/x"; // after code: kept\n'
        "var re = /\\/\\*not a comment\\*\\//;\n"
        "return a;\n"
        "}\n"
    )


def test_every_shipped_asset_is_smaller_and_keeps_every_line_of_code():
    public = resources.files("xblocks").joinpath("public")
    for folder in ("js", "css"):
        for path in public.joinpath(folder).iterdir():
            original = path.read_text(encoding="utf-8")
            served = public_text(f"{folder}/{path.name}")
            assert len(served) < len(original), path.name
            code = [
                line.strip()
                for line in original.splitlines()
                if line.strip() and not line.strip().startswith(("//", "/*", "*"))
            ]
            assert [line for line in served.splitlines() if line] == code, path.name
