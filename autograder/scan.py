"""A static look at a solution cell for code that reaches for the grader instead of the exercise.

It flags, it never scores: a hit holds the part for an instructor's review (the checks still run
and their result is kept for the reviewer), and no check passes or fails because of it.  What it
looks for has no place in a solution to these exercises: the interpreter's module table, frames,
the garbage collector, tracing, raw memory, dynamic code, the job's files, ``__class__``
assignment, and classes that redefine how modules are found or registered.

    >>> scan("class M(nn.Module):\\n    def parameters(self):\\n        return []\\n")
    ['line 2: M redefines parameters()']
    >>> scan("import sys\\nsys.modules['__main__'].x = 1\\n")
    ['line 2: uses sys.modules']
    >>> scan("class M(nn.Module):\\n    def forward(self, x):\\n        return x\\n")
    []
"""

from __future__ import annotations

import ast

MODULES = {
    "gc",
    "ctypes",
    "_ctypes",
    "inspect",
    "builtins",
    "importlib",
    "marshal",
    "mmap",
    "cffi",
    "dis",
    "sysconfig",
    "_thread",
    "faulthandler",
    "tracemalloc",
    "code",
    "codeop",
    "types",
    "__main__",
    "signal",
    "_signal",
    "pdb",
    "bdb",
}
ATTRIBUTES = {
    "modules": "sys.modules",
    "_getframe": "frames",
    "_current_frames": "frames",
    "f_back": "frames",
    "f_globals": "frames",
    "f_locals": "frames",
    "f_builtins": "frames",
    "tb_frame": "frames",
    "gi_frame": "frames",
    "cr_frame": "frames",
    "ag_frame": "frames",
    "__globals__": "function globals",
    "__code__": "code objects",
    "__closure__": "closures",
    "cell_contents": "closures",
    "settrace": "tracing",
    "setprofile": "tracing",
    "addaudithook": "audit hooks",
    "_exit": "os._exit",
    "__builtins__": "builtins",
    "__subclasses__": "class registry",
    "__bases__": "class bases",
    "__mro__": "class bases",
    "ctypeslib": "raw memory",
    "as_strided": "raw memory",
    "__import__": "dynamic imports",
    "dup2": "file descriptors",
    "fdopen": "file descriptors",
    # torch's routes to native code in the student's process (out of the audit hook's sight)
    "cpp_extension": "native code",
    "load_inline": "native code",
    "load_library": "native code",
}
NATIVE = {k for k, v in ATTRIBUTES.items() if v == "native code"}
CALLS = {"__import__", "eval", "exec", "compile", "globals", "vars", "breakpoint"}
#: Methods through which nn.Module finds, registers and converts children; a solution never redefines them.
TRAVERSAL = {
    "parameters",
    "named_parameters",
    "buffers",
    "named_buffers",
    "children",
    "named_children",
    "modules",
    "named_modules",
    "state_dict",
    "load_state_dict",
    "_named_members",
    "_save_to_state_dict",
    "__getattribute__",
    "__getattr__",
    "__setattr__",
    "__delattr__",
    "__dict__",
    "__class__",
    "_modules",
    "_parameters",
    "_buffers",
    "__dir__",
    "__instancecheck__",
    "__subclasscheck__",
    "mro",
    "train",
    "eval",
    "_apply",
    "apply",
    "to",
    "double",
    "float",
    "__init_subclass__",
}
PATHS = (
    "/job",
    "/proc",
    "/dev/fd",
    "/dev/stdin",
    "out.json",
    "inputs.npz",
    "part_probe",
    "probe.py",
)


def scan(source: str | None, limit: int = 10) -> list[str]:
    """Grader-facing code in ``source``, one line each (empty when there is none or it does not parse)."""
    if not source:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # the probe reports the SyntaxError; nothing in an unparsable cell runs
    hits: list[str] = []

    def hit(node, what):
        text = f"line {getattr(node, 'lineno', '?')}: {what}"
        if text not in hits:
            hits.append(text)

    try:
        nodes = list(ast.walk(tree))
    except RecursionError:
        return ["the cell is nested too deeply to read"]
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in MODULES:
                    hit(node, f"imports {a.name}")
                elif NATIVE & set(a.name.split(".")):
                    hit(node, f"uses native code ({a.name})")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in MODULES:
                hit(node, f"imports from {node.module}")
            elif NATIVE & set((node.module or "").split(".")):
                hit(node, f"uses native code ({node.module})")
            for a in node.names:
                if a.name in ATTRIBUTES:
                    hit(node, f"uses {ATTRIBUTES[a.name]}")
        elif isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            if node.attr == "modules" and not (
                isinstance(node.value, ast.Name) and node.value.id == "sys"
            ):
                continue  # self.modules(), model.modules(): nn.Module's own method
            hit(node, f"uses {ATTRIBUTES[node.attr]}")
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__import__"):
            hit(node, f"uses {ATTRIBUTES[node.id]}")
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS
        ):
            hit(node, f"calls {node.func.id}()")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and t.attr in (
                    "__class__",
                    "__bases__",
                    "__dict__",
                ):
                    hit(node, f"assigns {t.attr}")
        elif isinstance(node, ast.ClassDef):
            for kw in node.keywords:
                if kw.arg == "metaclass":
                    hit(node, f"{node.name} sets a metaclass")
            for item in node.body:
                names = []
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names = [item.name]
                elif isinstance(item, ast.Assign):
                    names = [t.id for t in item.targets if isinstance(t, ast.Name)]
                for name in names:
                    if name in TRAVERSAL:
                        hit(item, f"{node.name} redefines {name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for p in PATHS:
                if p in node.value:
                    hit(node, f"names the grader's files ({p})")
                    break
        if len(hits) >= limit:
            break
    return hits
