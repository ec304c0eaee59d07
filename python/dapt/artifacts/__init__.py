"""Artifacts: named folders of files with JSON metadata, as Flowdapt's
flowdapt.compute.artifacts, on dapt's layout: BASE/NAMESPACE/NAME/ with the
metadata in .artifact.json (the same folders the engine's object store
writes).  BASE is WORKSPACE/.dapt/artifacts of the run (outside a stage:
$DAPT_WORKSPACE or the current folder)."""

import json
import os
import re
import shutil
import time

META_FILE = ".artifact.json"
_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


def _now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(t % 1 * 1e6)


def _write_atomic(path, data):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_meta(folder):
    try:
        with open(os.path.join(folder, META_FILE), "rb") as f:
            meta = json.loads(f.read().decode("utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def default_base_path():
    from dapt.context import current_worker

    w = current_worker()
    ws = w.run.get("workspace") if w is not None else None
    if not ws:
        ws = os.environ.get("DAPT_WORKSPACE") or os.getcwd()
    return os.path.join(ws, ".dapt", "artifacts")


def default_namespace():
    from dapt.context import current_worker

    w = current_worker()
    return (w.run.get("namespace") if w is not None else None) or "default"


def check_name(name):
    assert name, "Artifact `name` can not be empty"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError("Artifact `name` can only contain alphanumeric characters, "
                         "underscores and dashes: %r" % (name,))


class ArtifactFile:
    """One file of an artifact."""

    def __init__(self, artifact, name):
        self.artifact = artifact
        self.name = name
        self.path = os.path.join(artifact.path, name)

    def open(self, mode="rb"):
        return open(self.path, mode)

    def read(self, size=-1, mode="rb"):
        with open(self.path, mode) as f:
            return f.read(size)

    def write(self, content):
        if isinstance(content, str):
            data = content.encode("utf-8")
        elif isinstance(content, (bytes, bytearray, memoryview)):
            data = bytes(content)
        else:
            raise TypeError("an artifact file holds str or bytes, not %s" % type(content).__name__)
        _write_atomic(self.path, data)
        self.artifact._touch()
        return len(data)

    def remove(self):
        os.unlink(self.path)
        self.artifact._touch()

    @property
    def exists(self):
        return os.path.isfile(self.path)

    def __repr__(self):
        return "ArtifactFile(%r in %r)" % (self.name, self.artifact.name)


class Artifact:
    """A named folder of files with metadata; artifact["k"] reads and writes
    the metadata."""

    def __init__(self, name, namespace=None, base_path=None, create=False, **ignored):
        check_name(name)
        self.name = name
        self.namespace = namespace or default_namespace()
        check_name(self.namespace)
        self.base_path = base_path or default_base_path()
        self.path = os.path.join(self.base_path, self.namespace, name)
        self.protocol = "file"
        if create:
            os.makedirs(self.path, exist_ok=True)
            if not os.path.exists(os.path.join(self.path, META_FILE)):
                self._save_meta({})
        elif not os.path.isdir(self.path):
            raise FileNotFoundError("artifact `%s` in namespace `%s` does not exist (%s)" % (
                name, self.namespace, self.path))

    # --- class operations (Flowdapt's) ---
    @classmethod
    def new_artifact(cls, name, namespace=None, base_path=None, **ignored):
        path = os.path.join(base_path or default_base_path(), namespace or default_namespace(),
                            name)
        if os.path.exists(path):
            raise FileExistsError("artifact `%s` already exists (%s)" % (name, path))
        return cls(name, namespace, base_path, create=True)

    @classmethod
    def get_artifact(cls, name, namespace=None, base_path=None, **ignored):
        return cls(name, namespace, base_path)

    @classmethod
    def list_artifacts(cls, namespace=None, base_path=None, **ignored):
        folder = os.path.join(base_path or default_base_path(), namespace or default_namespace())
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            return []
        return [cls(n, namespace, base_path) for n in names
                if _NAME.match(n) and os.path.isdir(os.path.join(folder, n))]

    @classmethod
    def does_exist(cls, name, namespace=None, base_path=None, **ignored):
        return os.path.isdir(os.path.join(base_path or default_base_path(),
                                          namespace or default_namespace(), name))

    # --- the folder ---
    @property
    def uri(self):
        return "file://" + self.path

    @property
    def exists(self):
        return os.path.isdir(self.path)

    def _need(self):
        if not os.path.isdir(self.path):
            raise FileNotFoundError("artifact `%s` in namespace `%s` was deleted" % (
                self.name, self.namespace))

    def list_files(self):
        self._need()
        return [ArtifactFile(self, n) for n in sorted(os.listdir(self.path))
                if n != META_FILE and ".tmp-" not in n and os.path.isfile(
                    os.path.join(self.path, n))]

    @property
    def is_empty(self):
        return not self.list_files()

    def __bool__(self):
        return not self.is_empty

    def __iter__(self):
        return iter(self.list_files())

    def __contains__(self, name):
        return self.has_file(name)

    def has_file(self, name):
        return os.path.isfile(os.path.join(self.path, name))

    def get_file(self, name, create=False):
        self._need()
        f = ArtifactFile(self, name)
        if not f.exists:
            if not create:
                raise FileNotFoundError("artifact `%s` has no file `%s`" % (self.name, name))
            f.write(b"")
        return f

    def new_file(self, name, content=None, exist_ok=True):
        self._need()
        f = ArtifactFile(self, name)
        if f.exists and not exist_ok:
            raise FileExistsError("artifact `%s` already has a file `%s`" % (self.name, name))
        f.write(b"" if content is None else content)
        return f

    def delete_file(self, name):
        self.get_file(name).remove()

    def delete(self):
        self._need()
        shutil.rmtree(self.path)

    def clear(self):
        """Remove the files and reset the metadata."""
        for f in self.list_files():
            os.unlink(f.path)
        meta = self._load_meta()
        self._save_meta({k: meta[k] for k in ("created_at",) if k in meta})

    class _Transaction:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def transaction(self):
        return Artifact._Transaction()

    # --- metadata ---
    def _load_meta(self):
        return read_meta(self.path)

    def _save_meta(self, meta):
        now = _now()
        meta.setdefault("name", self.name)
        meta.setdefault("namespace", self.namespace)
        meta.setdefault("created_at", now)
        meta["updated_at"] = now
        _write_atomic(os.path.join(self.path, META_FILE),
                      (json.dumps(meta, indent=2) + "\n").encode("utf-8"))

    def _touch(self):
        self._save_meta(self._load_meta())

    @property
    def metadata(self):
        return self._load_meta()

    def get_meta(self, key, default=None):
        return self._load_meta().get(key, default)

    def set_meta(self, key, value):
        self._need()
        meta = self._load_meta()
        meta[key] = value
        self._save_meta(meta)

    def del_meta(self, key):
        meta = self._load_meta()
        meta.pop(key, None)
        self._save_meta(meta)

    def __getitem__(self, key):
        meta = self._load_meta()
        if key not in meta:
            raise KeyError(key)
        return meta[key]

    def __setitem__(self, key, value):
        self.set_meta(key, value)

    def __delitem__(self, key):
        self.del_meta(key)

    def __repr__(self):
        return "Artifact(%r, namespace=%r)" % (self.name, self.namespace)


def get_artifact(name, namespace=None, create=False, base_path=None, **ignored):
    """The artifact; FileNotFoundError when missing and not `create`."""
    return Artifact(name, namespace, base_path, create=create)


def new_artifact(name, namespace=None, base_path=None, **ignored):
    return Artifact.new_artifact(name, namespace, base_path)


def list_artifacts(namespace=None, base_path=None, **ignored):
    return Artifact.list_artifacts(namespace, base_path)


def check_if_artifact_exists(name, namespace=None, base_path=None, **ignored):
    return Artifact.does_exist(name, namespace, base_path)
