"""Run a workflow through dapt's real engine from a plugin's tests.

    from dapt.testing import execute_workflow
    result = execute_workflow(definition, input={"n": 3}, return_result=True)

The definition is a workflow resource (a dict as written in YAML, the
`kind: workflow` form or the flat one) whose targets may be the functions
themselves, as Flowdapt's testing API takes them.  It runs `dapt run` in a
temporary workspace (configs/ holding `config` when one is given), with
DAPT_PYTHON set to this interpreter, so the stages run in dapt's Python
workers exactly as they will in production.  Flowdapt's signature
(workflow=, namespace=, executor=) is accepted; the executor is dapt's.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from dapt.errors import WorkflowFailed

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPAT_DIR = os.path.join(PYTHON_DIR, "compat")
if os.path.isdir(COMPAT_DIR) and COMPAT_DIR not in sys.path:
    sys.path.append(COMPAT_DIR)  # after site-packages: a real flowdapt wins


def dapt_program():
    """The dapt program: $DAPT, the one dapt was installed with, else PATH."""
    env = os.environ.get("DAPT")
    if env:
        return env
    try:
        from dapt import _paths

        candidate = os.path.join(_paths.BINDIR, "dapt")
        if os.access(candidate, os.X_OK):
            return candidate
    except ImportError:
        pass
    found = shutil.which("dapt")
    if found:
        return found
    raise RuntimeError("dapt.testing cannot find the dapt program: set $DAPT to it, or put "
                       "dapt on PATH")


def _module_root(module_name, filename):
    """The sys.path folder from which `module_name` (at `filename`) imports."""
    folder = os.path.dirname(os.path.abspath(filename))
    parts = module_name.split(".")
    if os.path.basename(filename).startswith("__init__."):
        parts = parts  # a package: its folder is the last part
    else:
        parts = parts[:-1]
    for _ in parts:
        folder = os.path.dirname(folder)
    return folder


def target_string(fn, paths):
    """The import string of a function; its folder goes into `paths`."""
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    module_name = getattr(fn, "__module__", None)
    if not qualname or not module_name:
        raise TypeError("a stage target must be a function or an import string, not %r" % (fn,))
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise TypeError("stage target %s is defined inside a function (or is a lambda): dapt "
                        "runs stages in other processes, which import them by name; define it "
                        "at the top level of a module" % qualname)
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    code = getattr(fn, "__code__", None)
    if module_name == "__main__":
        spec = getattr(module, "__spec__", None)
        filename = filename or (code.co_filename if code else None)
        if spec is not None and spec.name and spec.name != "__main__":
            module_name = spec.name
        elif filename:
            module_name = os.path.splitext(os.path.basename(filename))[0]
        else:
            raise TypeError("stage target %s is defined in an interactive session: put it in "
                            "a module" % qualname)
    if filename:
        paths.append(_module_root(module_name, filename))
    return "%s.%s" % (module_name, qualname)


def _as_dict(definition):
    if isinstance(definition, dict):
        return json.loads(json.dumps(definition, default=_jsonable))
    for method in ("model_dump", "dict", "to_dict"):
        m = getattr(definition, method, None)
        if callable(m):
            return _as_dict(m())
    raise TypeError("a workflow definition is a dict (as written in YAML), not %s" %
                    type(definition).__name__)


def _jsonable(obj):
    if callable(obj):
        return {"$callable": id(obj)}
    raise TypeError("%r in the workflow definition is not JSON" % (obj,))


def _stages(doc):
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else doc
    stages = spec.get("stages")
    return stages if isinstance(stages, list) else []


def prepare(definition, paths):
    """The definition as a JSON-able dict with callables replaced by their
    import strings."""
    if isinstance(definition, (str, os.PathLike)) and os.path.exists(definition):
        return None
    callables = {}
    raw = definition
    if isinstance(raw, dict):
        for stage in _stages(raw):
            t = stage.get("target") if isinstance(stage, dict) else None
            if callable(t):
                callables[id(t)] = t
    doc = _as_dict(raw)
    for stage in _stages(doc):
        t = stage.get("target") if isinstance(stage, dict) else None
        if isinstance(t, dict) and "$callable" in t:
            stage["target"] = target_string(callables[t["$callable"]], paths)
    if "kind" not in doc and "spec" not in doc and "stages" in doc:
        pass  # the flat form loads as it is
    name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) \
        else doc.get("name")
    if not name:
        if "spec" in doc or "kind" in doc:
            doc.setdefault("metadata", {})["name"] = "test_workflow"
        else:
            doc["name"] = "test_workflow"
    doc.setdefault("kind", "workflow") if "spec" in doc else None
    return doc


def _workflow_name(doc):
    meta = doc.get("metadata")
    if isinstance(meta, dict) and meta.get("name"):
        return meta["name"]
    return doc.get("name") or "test_workflow"


def _resolve_result(value):
    from dapt_worker import core

    if isinstance(value, dict) and "$dapt_ref" in value:
        return core.load_ref(value)
    if isinstance(value, list):
        return [_resolve_result(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_result(v) for k, v in value.items()}
    return value


def _failure_message(record, stderr):
    failed = [s for s in record.get("stages") or [] if s.get("state") == "failed"]
    if failed:
        s = failed[0]
        msg = "stage `%s` failed: %s" % (s.get("name"), s.get("error") or "(no error given)")
    else:
        msg = record.get("error") or "the run %s" % record.get("state")
    tail = (stderr or "").strip()
    if tail:
        msg += "\n--- dapt's log ---\n" + "\n".join(tail.splitlines()[-40:])
    return msg


def execute_workflow(definition=None, input=None, config=None, return_result=False,
                     namespace=None, executor=None, *, workflow=None, timeout=None,
                     workspace=None, raise_on_failure=True, **ignored):
    """Run `definition` with dapt and return the run record (a dict), or
    with return_result=True the run's result (Python values unpickled).  A
    run that does not finish raises dapt.errors.WorkflowFailed naming the
    failed stage and its error (raise_on_failure=False: the record)."""
    if definition is None:
        definition = workflow
    if definition is None:
        raise TypeError("execute_workflow() needs the workflow definition")
    if input is not None and not isinstance(input, dict):
        raise TypeError("the run input is a dict of named values, not %s" %
                        type(input).__name__)
    if config is not None and not isinstance(config, dict):
        raise TypeError("config is a dict, not %s" % type(config).__name__)
    sys.path_importer_cache.clear()
    paths = []
    doc = prepare(definition, paths)
    tmp = tempfile.mkdtemp(prefix="dapt-testing-")
    ws = os.path.abspath(workspace) if workspace else tmp
    try:
        if doc is None:
            wf_file = os.path.abspath(os.fspath(definition))
        else:
            wf_file = os.path.join(tmp, "workflow.yaml")  # JSON is YAML
            with open(wf_file, "w") as f:
                json.dump(doc, f, indent=2)
            if config is not None:
                os.makedirs(os.path.join(ws, "configs"), exist_ok=True)
                cfg = {"kind": "config", "metadata": {"name": "testing_config"},
                       "spec": {"selector": {"type": "name", "value": _workflow_name(doc)},
                                "data": config}}
                with open(os.path.join(ws, "configs", "zz-testing-config.yaml"), "w") as f:
                    json.dump(cfg, f, indent=2)
        argv = [dapt_program(), "-C", ws, "run", wf_file, "--json",
                "--input-json", json.dumps(input or {})]
        if timeout is not None:
            argv += ["--timeout", "%gs" % timeout if isinstance(timeout, (int, float))
                     else str(timeout)]
        env = dict(os.environ)
        env["DAPT_PYTHON"] = sys.executable
        env.pop("DAPT_WORKSPACE", None)
        extra = []
        for p in paths + [PYTHON_DIR]:
            if p and p not in extra:
                extra.append(p)
        old = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join(extra + ([old] if old else []))
        if namespace:
            env["DAPT_NAMESPACE"] = namespace
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        try:
            record = json.loads(out)
        except ValueError:
            raise WorkflowFailed("dapt run failed (exit %d) before running the workflow:\n%s" % (
                proc.returncode, err.strip() or out.strip()))
        if record.get("state") != "finished":
            if raise_on_failure:
                raise WorkflowFailed(_failure_message(record, err), record)
            return record
        if return_result:
            return _resolve_result(record.get("result"))
        return record
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
