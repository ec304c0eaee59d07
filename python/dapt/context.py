"""The run context of the stage being called (Flowdapt's WorkflowRunContext):
input, config, namespace, run, definition, executor, workspace."""

import sys

from dapt.errors import NoRunContext


def current_worker():
    """The dapt worker serving a call right now, or None."""
    core = sys.modules.get("dapt_worker.core")
    w = getattr(core, "WORKER", None)
    if w is None or w.task_id is None:
        return None
    return w


def require_worker(what="this"):
    w = current_worker()
    if w is None:
        raise NoRunContext(
            "No active WorkflowRunContext: %s works only inside a stage that dapt runs "
            "(dapt run, the studio, or dapt.testing.execute_workflow)" % what)
    return w


class RunInfo(dict):
    """The run: a dict (run["id"]) whose keys also read as attributes
    (run.id, run.name; run.uid is the id, as Flowdapt's WorkflowRun)."""

    def __getattr__(self, name):
        if name == "uid":
            name = "id"
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class RunContext:
    __slots__ = ("input", "config", "namespace", "run", "definition", "executor", "workspace",
                 "stage", "item", "attempt", "plugin", "plugin_dir", "default_strategy")

    def __init__(self, run, stage=None, item=-1, attempt=1, plugin=None, plugin_dir=None):
        self.input = run.get("input") or {}
        self.config = run.get("config") or {}
        self.namespace = run.get("namespace") or "default"
        self.definition = run.get("definition") or {}
        self.executor = run.get("executor") or "local"
        self.workspace = run.get("workspace")
        self.default_strategy = run.get("default_strategy") or "fallback"
        self.stage = stage
        self.item = item
        self.attempt = attempt
        self.plugin = plugin
        self.plugin_dir = plugin_dir
        self.run = RunInfo(id=run.get("run_id"), name=run.get("run_name"),
                           workflow=run.get("workflow"), namespace=self.namespace, stage=stage,
                           item=item, attempt=attempt)

    def __repr__(self):
        return "RunContext(run=%r, namespace=%r, stage=%r)" % (
            self.run.get("name"), self.namespace, self.stage)


def get_run_context():
    """The context of the running stage; NoRunContext outside one."""
    w = require_worker("get_run_context()")
    ctx = w.context_cache
    if ctx is None or ctx.item != w.item:
        ctx = RunContext(w.run, w.stage, w.item, w.attempt, w.plugin, w.plugin_dir)
        w.context_cache = ctx
    return ctx
