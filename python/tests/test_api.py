"""dapt's Python API without the C side: artifacts, the testing module's
conversion of callables, errors outside a stage, and a non-JSON object
store value through the worker."""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import frames  # noqa: E402

import dapt  # noqa: E402
from dapt import artifacts, testing  # noqa: E402
from dapt.errors import NoRunContext  # noqa: E402


def module_level_stage(x):
    return x


class ApiTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_outside_a_stage(self):
        with self.assertRaises(NoRunContext) as cm:
            dapt.get_run_context()
        self.assertIn("No active WorkflowRunContext", str(cm.exception))

    def test_artifacts(self):
        base = os.path.join(self.dir, "artifacts")
        a = artifacts.get_artifact("model", "ns", create=True, base_path=base)
        a["value_type"] = "custom"
        a.new_file("weights.bin", b"\x00\x01")
        a.new_file("notes.txt", "hi")
        b = artifacts.get_artifact("model", "ns", base_path=base)
        self.assertEqual(b.get_meta("value_type"), "custom")
        self.assertEqual(b.get_file("notes.txt").read(), b"hi")
        self.assertEqual([f.name for f in b], ["notes.txt", "weights.bin"])
        self.assertTrue(b and "notes.txt" in b)
        with open(os.path.join(base, "ns", "model", ".artifact.json")) as f:
            meta = json.load(f)
        self.assertEqual(meta["name"], "model")
        self.assertEqual(meta["namespace"], "ns")
        with self.assertRaises(FileNotFoundError):
            artifacts.get_artifact("other", "ns", base_path=base)
        with self.assertRaises(ValueError):
            artifacts.get_artifact("../x", "ns", base_path=base)
        from dapt.artifacts.misc import json_from_artifact, json_to_artifact

        json_to_artifact()(b, {"k": [1]})
        self.assertEqual(json_from_artifact()(b), {"k": [1]})
        self.assertEqual([f.name for f in b], ["file.json"])

    def test_callables_become_import_strings(self):
        paths = []
        doc = testing.prepare({"kind": "workflow", "spec": {"stages": [
            {"name": "a", "target": module_level_stage},
            {"name": "b", "target": "pkg.mod.fn", "depends_on": ["a"]}]}}, paths)
        stages = doc["spec"]["stages"]
        self.assertEqual(stages[0]["target"], "test_api.module_level_stage")
        self.assertEqual(stages[1]["target"], "pkg.mod.fn")
        self.assertEqual(doc["metadata"]["name"], "test_workflow")
        self.assertIn(HERE, paths)
        with self.assertRaises(TypeError):
            testing.prepare({"stages": [{"name": "x", "target": lambda: 1}]}, [])

    def test_compat_imports(self):
        from flowdapt.compute import object_store  # noqa: F401
        from flowdapt.compute.artifacts import Artifact, get_artifact  # noqa: F401
        from flowdapt.compute.artifacts.dataset.dataframes import (  # noqa: F401
            dataframe_from_artifact,
            dataframe_to_artifact,
        )
        from flowdapt.compute.artifacts.misc import json_to_artifact  # noqa: F401
        from flowdapt.compute.executor.local import LocalExecutor
        from flowdapt.compute.resources.workflow.context import get_run_context  # noqa: F401
        from flowdapt.compute.workflow.execute import execute_workflow
        from flowdapt.lib.errors import ResourceNotFoundError
        from flowdapt.lib.logger import get_logger  # noqa: F401
        from flowdapt.lib.utils.misc import import_from_string

        self.assertIs(ResourceNotFoundError, dapt.ResourceNotFoundError)
        self.assertIs(execute_workflow, testing.execute_workflow)
        self.assertIs(import_from_string("os.path.join"), os.path.join)
        LocalExecutor(use_processes=False)

    def test_non_json_object_store_value(self):
        with open(os.path.join(self.dir, "ostages.py"), "w") as f:
            f.write("class Frame:\n    def __init__(self, rows):\n        self.rows = rows\n\n"
                    "def put():\n    from dapt import object_store\n"
                    "    object_store.put('df', Frame([1, 2]))\n    return 1\n\n"
                    "def get():\n    from dapt import object_store\n"
                    "    return object_store.get('df').rows\n")
        ws = os.path.join(self.dir, "ws")
        os.makedirs(ws)
        w = frames.Worker([self.dir])
        memory = {}

        def store(req):
            key = (req["namespace"], req["key"])
            if req["op"] == "put":
                memory[key] = req["value"]
                return {"ok": True, "value": True}
            if key in memory:
                return {"ok": True, "value": memory[key]}
            return {"ok": False, "error": "no object `df` in namespace `default` (cluster "
                    "memory, artifacts)"}

        try:
            w.hello(workspace=ws)
            self.assertEqual(w.run("ostages", "put", [[-1, []]], on_object=store)[0],
                             [[-1, 1, 1]])
            folder = os.path.join(ws, ".dapt", "artifacts", "default", "df")
            with open(os.path.join(folder, ".artifact.json")) as f:
                self.assertEqual(json.load(f)["value_type"], "pickle")
            ref = memory[("default", "df")]
            self.assertEqual(ref["path"], os.path.join(folder, "object"))
            self.assertEqual(w.run("ostages", "get", [[-1, []]], on_object=store)[0],
                             [[-1, 1, [1, 2]]])
            memory.clear()  # another run: only the artifact is left
            self.assertEqual(w.run("ostages", "get", [[-1, []]], on_object=store)[0],
                             [[-1, 1, [1, 2]]])
        finally:
            w.close()


if __name__ == "__main__":
    unittest.main()
