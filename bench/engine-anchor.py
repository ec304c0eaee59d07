"""engine-anchor.py - the anchor of bench/engine: the shapes of bench-engine
run on concurrent.futures, on which Flowdapt's local executor is built.

    python3 engine-anchor.py SHAPE MODE SIZE WORKERS RUNS

SHAPE is one of
    chain  SIZE no-op tasks, each submitted once the one before has
           returned, with its result as argument (a chain of dependent
           stages);
    map    ex.map(square, range(SIZE)) with the default chunksize (a
           parameterized stage over SIZE items);
    fan    one root task, SIZE tasks given its result, all submitted before
           any is waited for, then one sink task given all their results (a
           fan-out / fan-in).
MODE is threads (ThreadPoolExecutor) or processes (ProcessPoolExecutor);
WORKERS its max_workers.  A run is timed from the pool's creation to its
shutdown, as dapt's run starts and stops its own pool.  Each run's result is
checked.  Prints one machine-readable line:

    result: shape=chain mode=threads tasks=2000 runs=3 best_ms=80.1 median_ms=82.0

Only the standard library.
"""
import concurrent.futures as cf
import statistics
import sys
import time


def echo(*args, **kwargs):
    """dapt.echo: the named arguments, the one positional, or the list."""
    if not args:
        return dict(kwargs)
    if len(args) == 1:
        return args[0]
    return list(args)


def square(x):
    """dapt.square."""
    return x * x


def chain(ex, size):
    value = ex.submit(echo).result()
    for _ in range(size - 1):
        value = ex.submit(echo, value).result()
    return value, size


def map_items(ex, size):
    return list(ex.map(square, range(size))), size


def fan(ex, size):
    root = ex.submit(echo).result()
    futures = [ex.submit(echo, root) for _ in range(size)]
    outputs = [f.result() for f in futures]
    return ex.submit(echo, *outputs).result(), size + 2


def check(shape, size, value):
    if shape == "chain":
        ok = value == {}
    elif shape == "map":
        ok = len(value) == size and (size == 0 or value[-1] == (size - 1) ** 2)
    else:
        ok = len(value) == size and all(v == {} for v in value)
    if not ok:
        sys.exit("engine-anchor.py: %s gave a wrong result" % shape)


SHAPES = {"chain": chain, "map": map_items, "fan": fan}
POOLS = {"threads": cf.ThreadPoolExecutor, "processes": cf.ProcessPoolExecutor}


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in SHAPES or sys.argv[2] not in POOLS:
        sys.exit("usage: engine-anchor.py chain|map|fan threads|processes SIZE WORKERS RUNS")
    shape, mode = sys.argv[1], sys.argv[2]
    size, workers, runs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    times = []
    tasks = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        with POOLS[mode](max_workers=workers) as ex:
            value, tasks = SHAPES[shape](ex, size)
        times.append((time.perf_counter() - t0) * 1e3)
        check(shape, size, value)
    print("result: shape=%s mode=%s tasks=%d runs=%d best_ms=%.3f median_ms=%.3f"
          % (shape, mode, tasks, runs, min(times), statistics.median(times)))


if __name__ == "__main__":
    main()
