"""Read a template folder's YAML safely: plain data plus where each value was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .issues import Path, TemplateIssue, format_path

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 200
# A billion-laughs file expands a few kilobytes of aliases into millions of nodes; real
# templates have tens of thousands at most.
MAX_NODES = 500_000
MAX_DEPTH = 60

# Keys under these paths are merged across files; anything defined below them is an item
# (a form, a field, a bucket…) that may be defined in only one place.
MERGED_CONTAINERS: frozenset[Path] = frozenset(
    {
        (),
        ("template",),
        ("warehouses",),
        ("sku",),
        ("sku", "fields"),
        ("stock",),
        ("stock", "buckets"),
        ("stock", "quantities"),
        ("stock", "lock_rules"),
        ("stock", "warnings"),
        ("forms",),
        ("workflows",),
        ("roles",),
    }
)

_TAG = "tag:yaml.org,2002:"
# libyaml's parser when PyYAML was built with it (the same safe resolver, several times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Where = tuple[str, int, int]


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of the merged data was written."""

    values: dict[Path, Where] = field(default_factory=dict)
    keys: dict[Path, Where] = field(default_factory=dict)
    # Values the reader already refused (a forbidden tag, an infinite number): the schema's
    # complaint about the placeholder left there would only repeat the problem.
    rejected: set[Path] = field(default_factory=set)

    def at(self, path: Path, *, key: bool = False) -> Where:
        """Location of path, or of its nearest written ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), ("", 0, 0))

    def issue(
        self, path: Path, message: str, hint: str | None = None, *, key: bool = False
    ) -> TemplateIssue:
        """An issue located at path."""
        file, line, col = self.at(path, key=key)
        return TemplateIssue(file, line, col, format_path(path), message, hint)


@dataclass
class Loaded:
    """The merged data of every file, its source map and the problems met while reading."""

    data: dict[str, Any]
    source: SourceMap
    issues: list[TemplateIssue]
    files: tuple[str, ...]


class _FileReader:
    """Turns one file's YAML node graph into plain data, recording locations."""

    def __init__(self, name: str, source: SourceMap, issues: list[TemplateIssue]) -> None:
        self.name = name
        self.source = source
        self.issues = issues
        self.nodes = 0
        self._int = yaml.constructor.SafeConstructor()

    def where(self, node: Node) -> Where:
        return (self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: Node, path: Path, message: str, hint: str | None = None) -> None:
        self.source.rejected.add(path)
        file, line, col = self.where(node)
        self.issues.append(TemplateIssue(file, line, col, format_path(path), message, hint))

    def read(self, node: Node, path: Path, stack: tuple[int, ...] = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node)
        if len(path) > MAX_DEPTH or id(node) in stack:
            self.problem(node, path, "nested too deeply (or an alias refers to itself)")
            return None
        file, line, col = self.where(node)
        if isinstance(node, ScalarNode) and node.style in ("'", '"'):
            col += 1  # point inside the quotes, where an expression's text starts
        self.source.values.setdefault(path, (file, line, col))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        inner = (*stack, id(node))
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                return self.bad_tag(node, path)
            return [self.read(item, (*path, i), inner) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _TAG + "map":
                return self.bad_tag(node, path)
            return self.mapping(node, path, inner)
        return None  # pragma: no cover - yaml has only three node kinds

    def mapping(self, node: MappingNode, path: Path, stack: tuple[int, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.extend(self.merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be a plain name, not a list or map")
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.source.keys.get(child)
                at = f" (first defined at {first[0]}:{first[1]}:{first[2]})" if first else ""
                self.problem(key_node, child, f"'{key}' is defined twice in this map{at}")
                continue
            self.source.keys[child] = self.where(key_node)
            result[key] = self.read(value_node, child, stack)
        for key_node, value_node in merged:
            key = str(key_node.value)
            if key not in result:
                child = (*path, key)
                self.source.keys.setdefault(child, self.where(key_node))
                result[key] = self.read(value_node, child, stack)
        return result

    def merge_sources(self, value: Node, path: Path) -> list[tuple[Node, Node]]:
        sources = value.value if isinstance(value, SequenceNode) else [value]
        pairs: list[tuple[Node, Node]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                self.problem(source, path, "'<<' merges maps only")
                continue
            pairs.extend(source.value)
        return pairs

    def scalar(self, node: ScalarNode, path: Path) -> Any:
        tag, text = node.tag, node.value
        if tag == _TAG + "str":
            return text
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            # YAML 1.1 reads yes/no/on/off (and the country code NO) as booleans: a trap for
            # admins, so only true/false are booleans here.
            return text.lower() == "true" if text.lower() in ("true", "false") else text
        if tag == _TAG + "int":
            return self._int.construct_yaml_int(node)
        if tag == _TAG + "float":
            try:
                number = Decimal(text.replace("_", ""))
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite():
                self.problem(node, path, f"'{text}' is not a finite number")
                return None
            return number  # exact: never a binary float
        if tag == _TAG + "timestamp":
            return text
        return self.bad_tag(node, path)

    def bad_tag(self, node: Node, path: Path) -> None:
        tag = node.tag.replace(_TAG, "!!")
        self.problem(node, path, f"tag '{tag}' is not allowed", "templates hold plain data only")


class _TooBig(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def read_file(path: FsPath, name: str, source: SourceMap, issues: list[TemplateIssue]) -> Any:
    """Parse one YAML file into plain data; problems are appended to issues."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        issues.append(
            TemplateIssue(
                name,
                1,
                1,
                "(file)",
                f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                "split it into several files",
            )
        )
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        issues.append(
            TemplateIssue(
                name,
                1,
                1,
                "(file)",
                f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                "save the file as UTF-8",
            )
        )
        return None
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = (exc.problem or exc.context or "invalid YAML").strip()
        issues.append(TemplateIssue(name, line, col, "(yaml)", f"YAML syntax error: {message}"))
        return None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        issues.append(TemplateIssue(name, 1, 1, "(yaml)", f"cannot read YAML: {exc}"))
        return None
    documents = [d for d in documents if d is not None]
    if not documents:
        return None
    if len(documents) > 1:
        node = documents[1]
        issues.append(
            TemplateIssue(
                name,
                node.start_mark.line + 1,
                1,
                "(yaml)",
                "one YAML document per file",
                "remove the '---' line",
            )
        )
    reader = _FileReader(name, source, issues)
    try:
        return reader.read(documents[0], ())
    except _TooBig as big:
        file, line, col = reader.where(big.node)
        issues.append(
            TemplateIssue(
                file,
                line,
                col,
                "(yaml)",
                f"expands to more than {MAX_NODES:,} values",
                "aliases (*name) are repeated too many times",
            )
        )
        return None


def template_files(root: FsPath) -> list[FsPath]:
    """The YAML files of a template folder, in a stable order."""
    found = [p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def load_folder(root: FsPath) -> Loaded:
    """Read and merge every YAML file of a template folder."""
    source = SourceMap()
    issues: list[TemplateIssue] = []
    merged: dict[str, Any] = {}
    if not root.is_dir():
        issues.append(TemplateIssue(str(root), 0, 0, "(folder)", "not a template folder"))
        return Loaded(merged, source, issues, ())
    files = template_files(root)
    if not files:
        issues.append(TemplateIssue(".", 0, 0, "(folder)", "no *.yaml files in this folder"))
    if len(files) > MAX_FILES:
        issues.append(
            TemplateIssue(
                ".", 0, 0, "(folder)", f"{len(files)} YAML files; the limit is {MAX_FILES}"
            )
        )
        files = files[:MAX_FILES]
    names = []
    for path in files:
        name = path.relative_to(root).as_posix()
        names.append(name)
        file_source = SourceMap()
        data = read_file(path, name, file_source, issues)
        if data is None:
            continue
        if not isinstance(data, dict):
            issues.append(
                TemplateIssue(
                    name,
                    *file_source.at(())[1:],
                    "(top)",
                    "a template file is a map of sections",
                    "template, warehouses, sku, stock, forms, workflows, roles",
                )
            )
            continue
        _merge(merged, data, (), source, file_source, issues)
        # The first definition wins a clash, so its locations are kept (setdefault).
        for table, into in ((file_source.values, source.values), (file_source.keys, source.keys)):
            for key, where in table.items():
                into.setdefault(key, where)
        source.rejected |= file_source.rejected
    return Loaded(merged, source, issues, tuple(names))


def _merge(
    target: dict[str, Any],
    incoming: dict[str, Any],
    path: Path,
    source: SourceMap,
    incoming_source: SourceMap,
    issues: list[TemplateIssue],
) -> None:
    """Merge one file's data into the template, refusing any item defined twice."""
    for key, value in incoming.items():
        child = (*path, key)
        if key not in target:
            target[key] = value
            continue
        if child in MERGED_CONTAINERS and isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value, child, source, incoming_source, issues)
            continue
        first = source.at(child, key=True)
        here = incoming_source.at(child, key=True)
        issues.append(
            TemplateIssue(
                here[0],
                here[1],
                here[2],
                format_path(child),
                f"'{key}' is defined twice: also at {first[0]}:{first[1]}:{first[2]}",
            )
        )
