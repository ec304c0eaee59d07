import sys

print("hello from noisy while imported")
print('{"ok": false, "error": "not the answer"}')
sys.stderr.write("noisy writes to stderr too\n")


def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()
