"""A small engine side of the worker protocol for the tests: spawns
`python3 -m dapt_worker --fd 3` over a socketpair and speaks its frames."""

import json
import os
import socket
import struct
import subprocess
import sys
import time

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class Worker:
    def __init__(self, extra_path=(), env=None):
        ours, theirs = socket.socketpair()
        self.sock = ours
        path = [PYTHON_DIR] + list(extra_path)
        e = dict(os.environ)
        old = e.get("PYTHONPATH")
        e["PYTHONPATH"] = os.pathsep.join(path + ([old] if old else []))
        e["DAPT_PYTHON_COMPAT"] = os.path.join(PYTHON_DIR, "compat")
        if env:
            e.update(env)
        fd = theirs.fileno()  # the engine uses fd 3; any number will do here
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "dapt_worker", "--fd", str(fd)], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, pass_fds=(fd,))
        theirs.close()
        self.buf = b""
        self.next_id = 1

    def send(self, msg):
        data = json.dumps(msg, separators=(",", ":")).encode()
        self.sock.sendall(struct.pack(">I", len(data)) + data)

    def recv(self, timeout=10):
        self.sock.settimeout(timeout)
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    msg = json.loads(self.buf[4:4 + n])
                    self.buf = self.buf[4 + n:]
                    return msg
            data = self.sock.recv(1 << 20)
            if not data:
                return None
            self.buf += data

    def hello(self, **run):
        base = {"run_id": "r1", "run_name": "wf-r1", "workflow": "wf", "namespace": "default",
                "workspace": None, "input": {}, "config": {}, "definition": {},
                "default_strategy": "fallback"}
        base.update(run)
        self.send({"op": "hello", "run": base})

    def call(self, so, target, calls, kwargs=None, stage="s", attempt=1):
        task_id = self.next_id
        self.next_id += 1
        self.send({"op": "call", "id": task_id, "so": so, "target": target, "stage": stage,
                   "plugin": so.split(".")[0], "plugin_dir": None, "attempt": attempt,
                   "kwargs": kwargs or {}, "calls": calls})
        return task_id

    def collect(self, task_id, on_object=None, timeout=10):
        """Until `done`: (results [[item, ok, value]], logs [frame])."""
        results, logs = [], []
        while True:
            msg = self.recv(timeout)
            if msg is None:
                raise EOFError("the worker closed the socket")
            assert msg.get("id") == task_id, msg
            op = msg["op"]
            if op == "result":
                results.extend(msg["r"])
            elif op == "log":
                logs.append(msg)
            elif op == "done":
                return results, logs
            elif op == "object":
                reply = on_object(msg["req"]) if on_object else {"ok": False, "error": "no store"}
                reply["op"] = "reply"
                self.send(reply)
            else:
                raise AssertionError("unexpected frame %r" % msg)

    def run(self, so, target, calls, kwargs=None, **kw):
        return self.collect(self.call(so, target, calls, kwargs), **kw)

    def close(self):
        if self.proc.returncode is not None and self.proc.stdout.closed:
            return self.proc.returncode, b"", b""
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out = self.proc.stdout.read()
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, out, err
