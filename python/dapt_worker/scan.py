"""dapt's scanner of Python plugins: describe the public functions of one
package, in a process of its own.

Run as ``INTERPRETER -I scan.py`` by engine/python-scan.c, with one JSON
object on stdin::

    {"sys_path": [...], "site": [...], "module": "my_package",
     "plugin": "my_package", "only": null | "module1.my_stage"}

and the answer written as one JSON object to file descriptor 3 (standard
output is the plugin's: what it prints while imported goes nowhere)::

    {"ok": true, "targets": [...], "warnings": [...]}
    {"ok": false, "error": "ModuleNotFoundError: No module named 'x' (FILE:LINE)"}

A target is {path, doc, returns, async, varargs, kwargs, source, params:
[{name, type, required, default?, doc}]}.  Only this file's standard
library is used, so it works in any environment.
"""

import faulthandler
import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import re
import site
import sys
import traceback
import types
import typing

# The answer channel, moved off fd 3 at once so that plugin code writing
# to "fd 3" (or closing it) cannot garble it.
try:
    _ANSWER = os.dup(3)
    os.close(3)
except OSError:
    _ANSWER = None

# A crash in C code prints the Python stack to stderr, which the caller
# reads for the FILE:LINE it names.
faulthandler.enable(file=sys.stderr, all_threads=False)

_TYPES = {
    int: "integer",
    float: "number",
    str: "string",
    bool: "boolean",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
    dict: "object",
    type(None): "null",
}
_TYPE_NAMES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "dict": "object",
    "None": "null",
}
_SECTIONS = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns|Return|"
    r"Yields|Raises|Examples?|Notes?|Attributes|See Also|Todo)\s*:\s*$"
)
_ARG_SECTIONS = ("Args", "Arguments", "Parameters", "Params", "Keyword Args", "Keyword Arguments")


def answer(obj):
    data = json.dumps(obj).encode()
    if _ANSWER is None:
        os._exit(2)
    view = memoryview(data)
    while view:
        n = os.write(_ANSWER, view)
        view = view[n:]
    os.close(_ANSWER)
    # no atexit handlers, no waiting for threads a plugin started
    os._exit(0)


def where(tb, roots):
    """FILE:LINE of the innermost frame in the plugin's files, else of the
    innermost frame outside the import machinery."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    mine = [f for f in frames if any(f.filename.startswith(r) for r in roots)]
    if not mine:
        mine = [f for f in frames if not f.filename.startswith("<") and
                f.filename != __file__]
    if not mine:
        return None
    f = mine[-1]
    return "%s:%s" % (f.filename, f.lineno)


def describe_error(exc, roots, module):
    if isinstance(exc, SystemExit):
        at = where(exc.__traceback__, roots)
        code = exc.code
        shown = repr(code) if not isinstance(code, int) and code is not None else code
        return "%s called sys.exit(%s) while it was imported%s" % (
            module, "" if code is None else shown, " (%s)" % at if at else "")
    if isinstance(exc, SyntaxError) and exc.filename:
        return "SyntaxError: %s (%s:%s)" % (exc.msg, exc.filename, exc.lineno)
    at = where(exc.__traceback__, roots)
    text = "%s: %s" % (type(exc).__name__, exc)
    if at:
        text += " (%s)" % at
    if isinstance(exc, ImportError) and exc.name and exc.name.split(".")[0] != module.split(".")[0]:
        text += ": %s needs the module %s; install it into the interpreter's environment (%s)" % (
            module, exc.name, sys.executable)
    return text


def type_name(ann):
    """The JSON type of an annotation: int integer, ..., Optional[X] as
    X|null (None is a value the stage takes), Union[X, Y] as X|Y, anything
    else any."""
    if ann is inspect.Parameter.empty or ann is typing.Any:
        return "any"
    if isinstance(ann, str):
        s = ann.strip()
        m = re.match(r"^(?:typing\.)?Optional\[(.*)\]$", s)
        if m:
            return _join([type_name(m.group(1)), "null"])
        parts = [p.strip() for p in s.split("|")]
        if len(parts) > 1:
            names = [type_name(p) if p != "None" else "null" for p in parts]
            return _join(names)
        base = re.split(r"\[", s)[0].replace("typing.", "")
        base = {"List": "list", "Dict": "dict", "Tuple": "tuple", "Sequence": "list",
                "Mapping": "dict"}.get(base, base)
        return _TYPE_NAMES.get(base, "any")
    if ann in _TYPES:
        return _TYPES[ann]
    origin = typing.get_origin(ann)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        names = [type_name(a) if a is not type(None) else "null" for a in typing.get_args(ann)]
        return _join(names)
    if origin in _TYPES:
        return _TYPES[origin]
    try:
        import collections.abc as abc
        if origin in (abc.Sequence, abc.MutableSequence):
            return "array"
        if origin in (abc.Mapping, abc.MutableMapping):
            return "object"
    except Exception:
        pass
    return "any"


def _join(names):
    out = []
    for n in names:
        for part in n.split("|"):
            if part not in out:
                out.append(part)
    if not out or "any" in out or out == ["null"]:
        return "any"
    return "|".join(out)


def ann_text(ann):
    if ann is inspect.Signature.empty:
        return ""
    if isinstance(ann, str):
        return ann
    if isinstance(ann, type) and not typing.get_args(ann):
        return ann.__name__
    return str(ann).replace("typing.", "")


def parse_doc(doc):
    """(description, {param: text}, returns text) of a Google or Sphinx
    style docstring."""
    if not doc:
        return "", {}, ""
    lines = doc.splitlines()
    desc, params, returns = [], {}, []
    section, current, base = None, None, None
    for line in lines:
        m = _SECTIONS.match(line)
        sp = re.match(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$", line)
        sr = re.match(r"^\s*:returns?\s*:\s*(.*)$", line)
        if sp:
            section, current = ":param", sp.group(1)
            params[current] = sp.group(2).strip()
            continue
        if sr:
            section, current = ":returns", None
            returns.append(sr.group(1).strip())
            continue
        if re.match(r"^\s*:(type|rtype|raises?)\b", line):
            section, current = ":other", None
            continue
        if m:
            section, current, base = m.group(1), None, None
            continue
        if section is None:
            desc.append(line)
            continue
        stripped = line.strip()
        if not stripped:
            current = None if section in _ARG_SECTIONS else current
            continue
        indent = len(line) - len(line.lstrip())
        if section in _ARG_SECTIONS:
            if base is None:
                base = indent
            am = re.match(r"^\*{0,2}(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$", stripped)
            if indent <= base and am:
                current = am.group(1)
                params[current] = am.group(3).strip()
            elif current is not None:
                params[current] = (params[current] + " " + stripped).strip()
        elif section in ("Returns", "Return"):
            returns.append(stripped)
        elif section == ":param" and current is not None:
            params[current] = (params[current] + " " + stripped).strip()
        elif section == ":returns":
            returns.append(stripped)
    return "\n".join(desc).strip(), params, " ".join(returns).strip()


def json_default(value):
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return inspect.Parameter.empty


def describe(fn, path, warnings):
    target = {"path": path, "doc": "", "returns": "", "async": False, "varargs": False,
              "kwargs": False, "source": None, "params": []}
    desc, pdocs, rdoc = parse_doc(inspect.getdoc(fn))
    target["doc"] = desc
    target["async"] = inspect.iscoroutinefunction(fn)
    try:
        source = inspect.getsourcefile(fn) or inspect.getfile(fn)
        target["source"] = "%s:%d" % (os.path.abspath(source), fn.__code__.co_firstlineno)
    except (TypeError, AttributeError, OSError):
        pass
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        warnings.append("%s: cannot read its signature: %s" % (path, e))
        target["varargs"] = target["kwargs"] = True
        return target
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            target["varargs"] = True
            continue
        if p.kind is p.VAR_KEYWORD:
            target["kwargs"] = True
            continue
        if p.name == "context":
            continue
        ann = hints.get(p.name, p.annotation)
        param = {"name": p.name, "type": type_name(ann), "required": p.default is p.empty,
                 "keyword_only": p.kind is p.KEYWORD_ONLY, "doc": pdocs.get(p.name, "")}
        if p.default is not p.empty:
            value = json_default(p.default)
            if value is not inspect.Parameter.empty:
                param["default"] = value
                param["default_json"] = json.dumps(value)  # Python's shortest text of it
        target["params"].append(param)
    ret = hints.get("return", sig.return_annotation)
    text = ann_text(ret)
    if rdoc:
        text = "%s: %s" % (text, rdoc) if text else rdoc
    target["returns"] = text
    return target


def skipped(name):
    last = name.rsplit(".", 1)[-1]
    return (last.startswith("_") or last in ("tests", "test", "conftest", "setup") or
            last.startswith("test_") or last.endswith("_test"))


def public_functions(mod):
    for name, obj in sorted(vars(mod).items()):
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        if getattr(obj, "__module__", None) != mod.__name__:
            continue  # imported from elsewhere
        yield name, obj


def submodules(pkg):
    """Every submodule name of a package, depth first, tests skipped."""
    path = getattr(pkg, "__path__", None)
    if path is None:
        return
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        if skipped(info.name) or info.name == "__main__":
            continue
        name = pkg.__name__ + "." + info.name
        yield name, info.ispkg


def set_path(req):
    before = set(sys.path)
    wanted = [d for d in req.get("sys_path", []) if isinstance(d, str)]
    for d in wanted + [d for d in req.get("site", []) if isinstance(d, str)]:
        if d not in before and os.path.isdir(d):
            site.addsitedir(d)
            before.add(d)
    order = {d: i for i, d in enumerate(wanted)}
    sys.path.sort(key=lambda d: order.get(d, len(order)))
    # As in a worker: dapt's own packages (`import dapt`) come first, the
    # Flowdapt compatibility package after site-packages, so that a real
    # installed flowdapt wins.
    own = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, own)
    sys.path.append(os.path.join(own, "compat"))


def main():
    req = json.loads(sys.stdin.read() or "{}")
    sys.stdin = open(os.devnull)
    set_path(req)
    module = req["module"]
    only = req.get("only")
    roots = []
    warnings = []
    targets = []

    def load(name):
        try:
            return importlib.import_module(name)
        except BaseException as e:  # SystemExit, KeyboardInterrupt too
            answer({"ok": False, "error": describe_error(e, roots, module)})

    top_name = module
    if only:
        head, _, attr = (module + "." + only).rpartition(".")
        top_name = head
    try:
        spec = importlib.util.find_spec(module.split(".")[0])
        if spec is not None:
            roots.extend(os.path.dirname(p) + os.sep for p in (spec.submodule_search_locations or [])
                         if p)
            if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
                roots.append(os.path.dirname(spec.origin) + os.sep)
    except BaseException:
        pass
    top = load(top_name)
    if only:
        fn = getattr(top, attr, None)
        if fn is None:
            answer({"ok": False, "error": "module %s has no attribute `%s`" % (top_name, attr)})
        if not callable(fn):
            answer({"ok": False, "error": "%s.%s is not a function" % (top_name, attr)})
        if inspect.isclass(fn):
            target = {"path": only, "doc": (inspect.getdoc(fn) or "").split("\n\n")[0],
                      "returns": "", "async": False, "varargs": True, "kwargs": True,
                      "source": None, "params": []}
        else:
            target = describe(fn, only, warnings)
        answer({"ok": True, "targets": [target], "warnings": warnings})
    seen = set()
    queue = [(top, "")]
    while queue:
        mod, prefix = queue.pop(0)
        if mod.__name__ in seen:
            continue
        seen.add(mod.__name__)
        for name, fn in public_functions(mod):
            targets.append(describe(fn, prefix + name, warnings))
        for sub, _ in submodules(mod):
            m = load(sub)
            queue.append((m, sub[len(module) + 1:] + "."))
    answer({"ok": True, "targets": targets, "warnings": warnings})


if __name__ == "__main__":
    try:
        main()
    except BaseException as e:
        answer({"ok": False, "error": "the scanner failed: %s: %s" % (type(e).__name__, e)})
