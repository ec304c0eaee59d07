"""`INTERPRETER -m dapt_worker --fd 3`: a Python worker of dapt (core.py)."""
import sys


def _fd(argv):
    for i, arg in enumerate(argv):
        if arg == "--fd" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--fd="):
            return int(arg[5:])
    return 3


if __name__ == "__main__":
    try:
        fd = _fd(sys.argv[1:])
    except ValueError:
        sys.stderr.write("usage: python -m dapt_worker --fd N\n")
        sys.exit(2)
    from dapt_worker import _bytecode

    with _bytecode.own():
        from dapt_worker import core

    sys.exit(core.run(fd))
