"""The Python worker over real frames (tests/frames.py plays the engine)."""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frames  # noqa: E402

STAGES = '''
import logging
import time

log = logging.getLogger(__name__)


def square(x):
    return x * x


def talk(x):
    print("hello", x)
    print("partial", end="")
    log.info("info line %s", x)
    log.debug("debug line")
    log.warning("warn line")
    import sys
    sys.stderr.write("err line\\n")
    return x


def boom(x):
    raise ValueError("bad %s" % x)


def busy():
    while True:
        pass


def sleepy():
    time.sleep(30)


class Thing:
    def __init__(self, v):
        self.v = v


def make(v):
    return Thing(v)


def use(t):
    return t.v * 2


def use_list(things):
    return [t.v for t in things]


def nan():
    return float("nan")


async def later(x):
    return x + 1


def context():
    import dapt
    ctx = dapt.get_run_context()
    return {"ns": ctx.namespace, "input": ctx.input, "run": ctx.run.id, "stage": ctx.stage,
            "config": ctx.config}


def store(v):
    from flowdapt.compute import object_store
    object_store.put("k", v)
    got = object_store.get("k")
    missing = None
    try:
        object_store.get("nope")
    except Exception as e:
        missing = type(e).__name__
    return [got, object_store.exists("k"), missing]


def flowdapt_logger():
    from flowdapt.lib.logger import get_logger
    get_logger(__name__).info("ModelTrained", loss=0.5, name="m")
    return 1


def die():
    import os
    os._exit(7)
'''


class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        with open(os.path.join(self.dir, "stages.py"), "w") as f:
            f.write(STAGES)
        self.w = frames.Worker([self.dir])
        self.w.hello(input={"a": 1}, config={"c": 2}, namespace="ns1")

    def tearDown(self):
        self.w.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_map_in_order(self):
        results, logs = self.w.run("stages", "square", [[i, [i]] for i in range(600)])
        self.assertEqual(results, [[i, 1, i * i] for i in range(600)])
        self.assertEqual(logs, [])

    def test_print_and_logging(self):
        results, logs = self.w.run("stages", "talk", [[3, [7]]])
        self.assertEqual(results, [[3, 1, 7]])
        got = [(m["i"], m["level"], m.get("s"), m["text"]) for m in logs]
        self.assertIn((3, 1, "stdout", "hello 7"), got)
        self.assertIn((3, 1, None, "info line 7"), got)
        self.assertIn((3, 0, None, "debug line"), got)
        self.assertIn((3, 2, None, "warn line"), got)
        self.assertIn((3, 2, "stderr", "err line"), got)
        self.assertIn((3, 1, "stdout", "partial"), got)  # flushed at the end of the call

    def test_exception(self):
        line = STAGES.split("\n").index('    raise ValueError("bad %s" % x)') + 1
        results, logs = self.w.run("stages", "boom", [[0, [1]], [1, [2]]])
        self.assertEqual(results[0], [0, 0, "ValueError: bad 1 (stages.py:%d)" % line])
        self.assertEqual(results[1], [1, 0, "ValueError: bad 2 (stages.py:%d)" % line])
        tb = [m["text"] for m in logs if m["i"] == 0]
        self.assertEqual(tb[0], "Traceback (most recent call last):")
        self.assertEqual(tb[-1], "ValueError: bad 1")
        self.assertTrue(all(m["level"] == 3 for m in logs))
        self.assertFalse(any("dapt_worker" in t for t in tb))

    def test_missing_function_and_module(self):
        results, _ = self.w.run("stages", "nope", [[-1, []]])
        self.assertEqual(results, [[-1, 0, "module `stages` has no function `nope`"]])
        results, _ = self.w.run("no_such_module", "f", [[-1, []]])
        self.assertTrue(results[0][2].startswith("ModuleNotFoundError: No module named "
                                                 "'no_such_module'"), results)

    def cancel_within_a_second(self, target):
        task = self.w.call("stages", target, [[-1, []], [-1, []]])
        time.sleep(0.3)
        t0 = time.monotonic()
        self.w.send({"op": "cancel", "id": task})
        results, _ = self.w.collect(task, timeout=5)
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertEqual(results, [[-1, 0, "cancelled"], [-1, 0, "cancelled"]])
        # the worker serves the next task
        self.assertEqual(self.w.run("stages", "square", [[0, [3]]])[0], [[0, 1, 9]])

    def test_cancel_busy_loop(self):
        self.cancel_within_a_second("busy")

    def test_cancel_sleep(self):
        self.cancel_within_a_second("sleepy")

    def test_context(self):
        results, _ = self.w.run("stages", "context", [[-1, []]])
        self.assertEqual(results[0][2], {"ns": "ns1", "input": {"a": 1}, "run": "r1",
                                         "stage": "s", "config": {"c": 2}})

    def test_object_frames(self):
        memory = {}

        def store(req):
            key = (req["namespace"], req["key"])
            if req["op"] == "put":
                memory[key] = req["value"]
                return {"ok": True, "value": True}
            if req["op"] == "get":
                if key in memory:
                    return {"ok": True, "value": memory[key]}
                return {"ok": False, "error": "no object `%s` in namespace `%s` (cluster "
                        "memory)" % (req["key"], req["namespace"])}
            if req["op"] == "exists":
                return {"ok": True, "value": key in memory}
            return {"ok": False, "error": "unexpected"}

        results, _ = self.w.run("stages", "store", [[-1, [{"x": [1, 2]}]]], on_object=store)
        self.assertEqual(results, [[-1, 1, [{"x": [1, 2]}, True, "ResourceNotFoundError"]]])
        self.assertEqual(memory, {("ns1", "k"): {"x": [1, 2]}})

    def test_pickled_reference(self):
        results, _ = self.w.run("stages", "make", [[-1, [21]]])
        ref = results[0][2]
        self.assertEqual(ref["$dapt_ref"], "pickle")
        self.assertEqual(ref["type"], "stages.Thing")
        self.assertTrue(os.path.isfile(ref["path"]))
        self.assertEqual(self.w.run("stages", "use", [[-1, [ref]]])[0], [[-1, 1, 42]])
        self.assertEqual(self.w.run("stages", "use_list", [[-1, [[ref, ref]]]])[0],
                         [[-1, 1, [21, 21]]])
        results, _ = self.w.run("stages", "nan", [[-1, []]])
        self.assertEqual(results[0][2]["type"], "float")

    def test_async(self):
        self.assertEqual(self.w.run("stages", "later", [[0, [1]], [1, [2]]])[0],
                         [[0, 1, 2], [1, 1, 3]])

    def test_structlog_style(self):
        _, logs = self.w.run("stages", "flowdapt_logger", [[-1, []]])
        self.assertEqual([m["text"] for m in logs], ["ModelTrained loss=0.5 name=m"])

    def test_reimport(self):
        self.assertEqual(self.w.run("stages", "square", [[0, [3]]])[0], [[0, 1, 9]])
        path = os.path.join(self.dir, "stages.py")
        with open(path, "a") as f:
            f.write("\n\ndef square(x):\n    return x + 1000\n")
        self.assertEqual(self.w.run("stages", "square", [[0, [3]]])[0], [[0, 1, 1003]])

    def test_os_exit(self):
        task = self.w.call("stages", "die", [[-1, []]])
        with self.assertRaises((EOFError, ConnectionError)):
            self.w.collect(task)
        self.assertEqual(self.w.proc.wait(5), 7)

    def test_eof_exits(self):
        rc, _, err = self.w.close()
        self.assertEqual(rc, 0, err)

    def test_unexpected_frame(self):
        self.w.send({"op": "what"})
        rc, _, err = self.w.close()
        self.assertEqual(rc, 1)
        self.assertIn(b"unexpected frame `what`", err)


if __name__ == "__main__":
    unittest.main()
