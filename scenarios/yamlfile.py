"""Reading a scenario's YAML file safely: bounded in size, nesting and alias expansion.

A scenario file is input from whoever typed the command, and a few hundred bytes of YAML can
describe far more than they look. The classic is the "billion laughs" document::

    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]      # … seven such lines: 4.8 million values

``yaml.safe_load`` builds it cheaply (each alias is the *same* list object), but everything that
walks the result afterwards — pydantic validation, an error message quoting the value, a JSON
dump of the manifest — sees every expanded value: a 500-byte file gave a 254 MB error message.
A document nested 100,000 levels deep (``[[[[…]]]]``) makes PyYAML's composer recurse once per
level instead.

:func:`read_yaml` therefore checks, before anything is constructed:

* **size** — at most :data:`MAX_BYTES` bytes, UTF-8 text (a binary file is refused by name);
* **nesting** — at most :data:`MAX_DEPTH` levels, counted while composing (aliases included);
* **expansion** — at most :data:`MAX_VALUES` values once every alias is expanded, counted on the
  composed node graph with one memo per node, so the count costs the size of the *file*, not of
  its expansion; a recursive alias (``&a [*a]``) is refused too.

Every refusal is a :class:`YamlFileError` (a :class:`~twin.errors.TwinError`: exit code 2) whose
message names the file and the limit, and never quotes the document.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from twin.errors import TwinError

#: largest scenario file read (the library's files are a few KB)
MAX_BYTES = 2 * 1024 * 1024
#: deepest nesting of mappings and lists (the schema needs 4)
MAX_DEPTH = 64
#: most values (scalars, lists, mappings) once all aliases are expanded
MAX_VALUES = 100_000


class YamlFileError(TwinError):
    """A YAML file that is unreadable, not text, not YAML, or too big once expanded."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing to compose nodes deeper than :data:`MAX_DEPTH`."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlFileError(f"nested more than {MAX_DEPTH} levels deep (line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _check_expansion(root: yaml.Node) -> None:
    """YamlFileError if ``root`` expands to more than :data:`MAX_VALUES` values, nests deeper
    than :data:`MAX_DEPTH` through its aliases, or refers to itself.

    Each distinct node is sized once (memo by identity): an alias is the same node object as
    its anchor, so the cost is the number of nodes in the file."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise YamlFileError(f"an alias refers to a node that contains it (line {node.start_mark.line + 1})")
        if depth > MAX_DEPTH:
            raise YamlFileError(f"nested more than {MAX_DEPTH} levels deep once its aliases are expanded")
        open_nodes.add(key)
        n = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [c for pair in node.value for c in pair]
        else:
            children = []
        for child in children:
            n += size(child, depth + 1)
            if n > MAX_VALUES:
                raise YamlFileError(f"expands to more than {MAX_VALUES:,} values through its aliases "
                                    f"(&anchor / *alias); write the values out or shorten it")
        open_nodes.discard(key)
        sizes[key] = n
        return n

    size(root, 1)


def read_yaml(path: str | Path):
    """The YAML document in ``path`` as Python objects (None for an empty file).

    Parameters
    ----------
    path
        A YAML file.

    Raises
    ------
    YamlFileError
        The file cannot be read, is larger than :data:`MAX_BYTES`, is not UTF-8 text, is not
        YAML, or nests or expands beyond :data:`MAX_DEPTH` / :data:`MAX_VALUES`. The message
        starts with the file's name (``scenario file 'x.yaml': …``).
    """
    label = f"scenario file {str(path)!r}"
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlFileError(f"{label}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise YamlFileError(f"{label}: larger than {MAX_BYTES // (1024 * 1024)} MB; a scenario is a short YAML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"{label}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                            f"a scenario is a YAML text file") from None
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except YamlFileError as exc:
        raise YamlFileError(f"{label}: {exc}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"{label} is not valid YAML: {shorten(str(exc))}") from None
    finally:
        loader.dispose()


def shorten(text: str, limit: int = 300) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
