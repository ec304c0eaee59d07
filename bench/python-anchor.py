"""python-anchor.py - the anchors of bench/python: what dapt's Python
stages are compared with, on concurrent.futures.ProcessPoolExecutor (on
which Flowdapt's local executor is built).

    python3 python-anchor.py map ITEMS WORKERS
    python3 python-anchor.py chain STAGES WORKERS

map    ex.map(square, range(ITEMS)) with the default chunksize: the
       parameterized stage `x * x` over ITEMS items;
chain  STAGES calls of step, each submitted once the one before has
       returned, with its result as argument: a chain of dependent stages.

The whole process is the measurement (bench/bench-run times it from fork
to exit, as it times `dapt run`): interpreter start, pool start, the work,
pool shutdown.  The result is checked.  Only the standard library.
"""
import concurrent.futures as cf
import sys


def square(x):
    """The stage of (a)."""
    return x * x


def step(*args):
    """The stage of (b): 0 for the first, then one more than the last."""
    return args[0] + 1 if args else 0


def main(argv):
    shape, size, workers = argv[1], int(argv[2]), int(argv[3])
    with cf.ProcessPoolExecutor(max_workers=workers) as ex:
        if shape == "map":
            result = list(ex.map(square, range(size)))
            ok = len(result) == size and result[-1] == (size - 1) ** 2
        elif shape == "chain":
            value = ex.submit(step).result()
            for _ in range(size - 1):
                value = ex.submit(step, value).result()
            ok = value == size - 1
        else:
            raise SystemExit("python-anchor.py: SHAPE is map or chain")
    if not ok:
        raise SystemExit("python-anchor.py: wrong result")


if __name__ == "__main__":
    main(sys.argv)
