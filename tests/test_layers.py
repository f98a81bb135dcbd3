"""The arrows between rpg's layers point down (docs: STYLE's layout), checked on the imports."""

import ast
from pathlib import Path

import rpg

ROOT = Path(rpg.__file__).parent


def imports(path):
    """Every module C{path} imports, absolute (relative imports resolved)."""
    package = ".".join(("rpg", *path.relative_to(ROOT).with_suffix("").parts[:-1]))
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules(*folders):
    for folder in folders:
        path = ROOT / folder
        yield from ([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))


def test_only_the_top_imports_the_edge():
    """rpg/web is imported by rpg/server.py alone (and by itself): the parts below never reach up."""
    below = [p for p in ROOT.rglob("*.py")
             if p.relative_to(ROOT).parts[0] not in ("web", "server.py", "bench")]
    reaching_up = [str(p.relative_to(ROOT)) for p in below
                   if any(name == "rpg.web" or name.startswith("rpg.web.")
                          for name in imports(p))]
    assert reaching_up == []


def test_the_wire_and_the_services_take_no_errors_from_the_rules():
    """Outside the one table, rpg/protocol, rpg/services and the session import no rpg.world.errors."""
    users = [str(p.relative_to(ROOT)) for p in modules("protocol", "services", "session.py")
             if any(name.startswith("rpg.world.errors") for name in imports(p))]
    assert users == ["protocol/errors.py"]
