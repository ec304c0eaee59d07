"""Stages that exercise the engine: values, maps, failures, output,
crashes, cancel."""
import os
import sys
import time


def square(x: int) -> int:
    return x * x


def numbers(n: int) -> list:
    return list(range(n))


def total(xs: list) -> int:
    return sum(xs)


def add(a: int, b: int) -> int:
    return a + b


def fail_on(x: int, bad: int = -1) -> int:
    if x == bad:
        raise ValueError(f"item {x} is bad")
    return x


def shout(x: int) -> int:
    print(f"item {x} out")
    print(f"item {x} err", file=sys.stderr)
    return x


def boom(message: str = "boom") -> None:
    def inner():
        raise RuntimeError(message)
    inner()


def flaky(marker: str) -> str:
    """Fails on the first attempt (the marker file does not exist yet)."""
    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write("1")
        raise OSError("first attempt fails")
    return "second attempt"


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def spin() -> int:
    print("spinning", flush=True)
    n = 0
    while True:
        n += 1


class Box:
    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Box({self.value!r})"


def make_box(v: int) -> Box:
    return Box(v)


def open_box(box) -> int:
    return box.value * 2


def spawn(*upstream, seconds: str = "300", wait: bool = False) -> int:
    """Starts `sleep SECONDS`: left running, or (`wait`) waited for (what
    stages before it returned is ignored)."""
    import subprocess
    if wait:
        return subprocess.run(["sleep", seconds]).returncode
    return subprocess.Popen(["sleep", seconds], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).pid


def exit_now(code: int = 3) -> None:
    os._exit(code)


def segfault() -> None:
    import ctypes
    ctypes.string_at(0)


def exit_on(x: int, bad: int = -1) -> int:
    if x == bad:
        os._exit(3)
    return x


def stubborn() -> None:
    """Swallows KeyboardInterrupt: only the kill stops it."""
    print("spinning", flush=True)
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass


def gather(first: list, *rest, scale: int = 1) -> int:
    """Sum the first list, scaled, plus how many more came (params after
    *args are keyword-only: positionals never fill `scale`)."""
    return sum(first) * scale + len(rest)
