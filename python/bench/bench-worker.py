"""Per-call cost of the Python worker: a 10,000-item map of `x*x` in
frames of 256 calls, and a chain of 1,000 one-call frames (each sent when
the last answered), over the real frames.  The engine side here is Python
(tests/frames.py), so the figures include its own cost of encoding and
decoding.  Run: /usr/bin/python3 python/bench/bench-worker.py"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import frames  # noqa: E402

ITEMS = 10000
BATCH = 256
CHAIN = 1000


def main():
    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "benchmod.py"), "w") as f:
        f.write("def sq(x):\n    return x * x\n\ndef one(x=0):\n    return x + 1\n")
    w = frames.Worker([folder])
    w.hello()
    w.run("benchmod", "sq", [[0, [0]]])
    best_map = best_chain = None
    for _ in range(5):
        t = time.perf_counter()
        ids = []
        for start in range(0, ITEMS, BATCH):
            ids.append(w.call("benchmod", "sq",
                              [[i, [i]] for i in range(start, min(start + BATCH, ITEMS))]))
        n = 0
        for task_id in ids:
            results, _ = w.collect(task_id)
            n += len(results)
        assert n == ITEMS
        dt = time.perf_counter() - t
        best_map = dt if best_map is None else min(best_map, dt)
        t = time.perf_counter()
        v = 0
        for _ in range(CHAIN):
            results, _ = w.run("benchmod", "one", [[-1, [v]]])
            v = results[0][2]
        dt = time.perf_counter() - t
        best_chain = dt if best_chain is None else min(best_chain, dt)
    print("map   %d items, frames of %d: %.2f us per call (%.1f ms)" % (
        ITEMS, BATCH, best_map / ITEMS * 1e6, best_map * 1e3))
    print("chain %d one-call frames: %.1f us per round trip" % (CHAIN, best_chain / CHAIN * 1e6))
    w.close()


if __name__ == "__main__":
    main()
