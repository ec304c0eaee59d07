"""The object store of the run (Flowdapt's flowdapt.compute.object_store):
put / get / delete / exists with Flowdapt's keyword arguments.

JSON values go to the engine's store (cluster memory, artifacts: the
strategy says where).  Other values are pickled into the artifact folder
WORKSPACE/.dapt/artifacts/NAMESPACE/KEY/object (.artifact.json says
value_type "pickle"), and the engine's memory keeps a reference to that
file; `get` of one unpickles it.  With a save/load hook the value goes
through an Artifact (dapt.artifacts) the hook writes or reads.
"""

import os
import re

from dapt.context import require_worker
from dapt.errors import ObjectStoreError, ResourceNotFoundError

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
STRATEGIES = ("fallback", "cluster_memory", "artifact")


def _setup(what, key, namespace, artifact_only, strategy):
    w = require_worker("dapt.object_store.%s()" % what)
    ns = namespace or w.run.get("namespace") or "default"
    if artifact_only:
        strategy = "artifact"
    strategy = strategy or w.run.get("default_strategy") or "fallback"
    if strategy not in STRATEGIES:
        raise ObjectStoreError("unknown object store strategy %r: use fallback, cluster_memory "
                               "or artifact" % (strategy,))
    for field, v in (("key", key), ("namespace", ns)):
        if not isinstance(v, str) or not _NAME.match(v):
            raise ObjectStoreError("invalid %s %r: a %s is one or more letters, digits, `_` or "
                                   "`-` (nothing that could make a path)" % (field, v, field))
    return w, ns, strategy


def _request(w, req):
    from dapt_worker.core import ObjectError

    try:
        return w.object_request(req)
    except ObjectError as e:
        msg = str(e)
        if msg.startswith("no object "):
            raise ResourceNotFoundError(msg) from None
        raise ObjectStoreError(msg) from None


def _artifact_dir(w, ns, key):
    ws = w.run.get("workspace")
    if not ws:
        return None
    return os.path.join(ws, ".dapt", "artifacts", ns, key)


def _is_json(value):
    from dapt_worker import codec

    try:
        codec.dumps(value)
        return True
    except (TypeError, ValueError, RecursionError, OverflowError):
        return False


def put(key, value, *, namespace=None, artifact_only=False, strategy=None,
        save_artifact_hook=None, load_artifact_hook=None, **ignored):
    """Store `value` under `key` in `namespace` (the run's by default)."""
    w, ns, strategy = _setup("put", key, namespace, artifact_only, strategy)
    if save_artifact_hook is not None:
        from dapt.artifacts import get_artifact

        save_artifact_hook(get_artifact(key, ns, create=True), value)
        return True
    if _is_json(value):
        _request(w, {"op": "put", "key": key, "namespace": ns, "strategy": strategy,
                     "value": value})
        return True
    from dapt_worker import core

    folder = _artifact_dir(w, ns, key) if strategy != "cluster_memory" else None
    if folder is None and strategy == "artifact":
        raise ObjectStoreError("no artifact store: artifacts live in a workspace's "
                               ".dapt/artifacts, and this run has no workspace (use the "
                               "strategy cluster_memory)")
    if folder is not None:
        from dapt.artifacts import Artifact

        art = Artifact(key, ns, os.path.dirname(os.path.dirname(folder)), create=True)
        path = os.path.join(folder, "object")
        core.write_pickle(path, value)
        art.set_meta("value_type", "pickle")
    else:
        values = os.path.join(w.values_dir(), "objects")
        os.makedirs(values, exist_ok=True)
        path = os.path.join(values, "%s-%s.pickle" % (ns, key))
        core.write_pickle(path, value)
    if strategy != "artifact":
        _request(w, {"op": "put", "key": key, "namespace": ns, "strategy": "cluster_memory",
                     "value": core.make_ref(path, value)})
    return True


def _pickled_artifact(w, ns, key):
    """The value of a pickle artifact, or raise LookupError when there is none."""
    from dapt.artifacts import read_meta
    from dapt_worker import core

    folder = _artifact_dir(w, ns, key)
    if folder is None:
        raise LookupError(key)
    meta = read_meta(folder)
    if meta.get("value_type") != "pickle":
        raise LookupError(key)
    return core.load_ref({"$dapt_ref": "pickle", "path": os.path.join(folder, "object")})


def get(key, *, namespace=None, artifact_only=False, strategy=None, load_artifact_hook=None,
        save_artifact_hook=None, **ignored):
    """The value stored under `key`; ResourceNotFoundError when there is none."""
    w, ns, strategy = _setup("get", key, namespace, artifact_only, strategy)
    from dapt_worker import core

    if load_artifact_hook is not None:
        if strategy != "artifact":
            try:
                value = _request(w, {"op": "get", "key": key, "namespace": ns,
                                     "strategy": "cluster_memory"})
                return core.resolve(value)
            except ResourceNotFoundError:
                if strategy == "cluster_memory":
                    raise
        from dapt.artifacts import get_artifact

        try:
            art = get_artifact(key, ns)
        except FileNotFoundError:
            raise ResourceNotFoundError("no object `%s` in namespace `%s` (artifacts)" % (
                key, ns)) from None
        return load_artifact_hook(art)
    if strategy == "artifact":
        try:
            return _pickled_artifact(w, ns, key)
        except LookupError:
            pass
    try:
        value = _request(w, {"op": "get", "key": key, "namespace": ns, "strategy": strategy})
    except (ResourceNotFoundError, ObjectStoreError):
        if strategy == "fallback":
            try:
                return _pickled_artifact(w, ns, key)
            except LookupError:
                pass
        raise
    return core.resolve(value)


def exists(key, *, namespace=None, artifact_only=False, strategy=None, **ignored):
    """Whether `key` holds a value."""
    w, ns, strategy = _setup("exists", key, namespace, artifact_only, strategy)
    return _request(w, {"op": "exists", "key": key, "namespace": ns,
                        "strategy": strategy}) is True


def delete(key, *, namespace=None, artifact_only=False, strategy=None, **ignored):
    """Remove `key`; ResourceNotFoundError when it held nothing."""
    w, ns, strategy = _setup("delete", key, namespace, artifact_only, strategy)
    _request(w, {"op": "delete", "key": key, "namespace": ns, "strategy": strategy})
    return True
