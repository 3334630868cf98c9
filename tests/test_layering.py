"""The import layering stays honest (read from the source, nothing imported):

- a feature never imports the pages or API of another feature (`views`,
  `api`): features meet through models, actions, lookups and the access
  package; only `config/` wires the faces together;
- `loket/core/` is the ground floor: it imports nothing else of Loket;
- no import circles between modules, lazy (function-level) imports included:
  a circle dodged by an import inside a function is still a circle.
`if TYPE_CHECKING:` imports don't count (they never run).
"""

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACES = ("views", "api")
# What the ground floor may import of Loket: only itself.
CORE_MAY_IMPORT = ("loket.core",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    paths = [*(ROOT / "loket").rglob("*.py"), *(ROOT / "config").rglob("*.py")]
    return {
        _module_name(path): path for path in paths if "migrations" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.module.split(".")
            if not self.is_package:
                base.pop()
            base = base[: len(base) - (node.level - 1)]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        self.found.add(source)
        # `from loket.files import views` imports the module loket.files.views.
        self.found.update(f"{source}.{alias.name}" for alias in node.names)


@cache
def _graph() -> dict[str, frozenset[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        visitor = _Imports(name, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(), str(path)))
        graph[name] = frozenset(found for found in visitor.found if found in modules)
    return graph


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "loket" and len(parts) > 1 else parts[0]


def _is_face(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "loket" and len(parts) > 2 and parts[2] in FACES


def test_the_modules_are_found() -> None:
    graph = _graph()
    assert "loket.access" in graph
    assert "loket.requests.views" in graph["loket.requests.views"] | {
        "loket.requests.views"
    }
    assert "loket.access" in graph["loket.requests.views"]


def test_no_feature_imports_the_pages_or_api_of_another() -> None:
    crossings = sorted(
        f"{module} imports {imported}"
        for module, imports in _graph().items()
        if module.startswith("loket.")
        for imported in imports
        if _is_face(imported) and _app(imported) != _app(module)
    )
    assert crossings == []


def test_core_is_the_ground_floor() -> None:
    reaching_up = sorted(
        f"{module} imports {imported}"
        for module, imports in _graph().items()
        if _app(module) == "core"
        for imported in imports
        if imported.startswith("loket.") and not imported.startswith(CORE_MAY_IMPORT)
    )
    assert reaching_up == []


def _circles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return circles


def test_no_import_circles() -> None:
    assert _circles(_graph()) == []


def test_a_circle_is_seen_even_through_a_lazy_import() -> None:
    assert _circles(
        {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}
    ) == [["a", "b", "c"]]
