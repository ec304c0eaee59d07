"""JSON for the frames, from the C half of the `json` package.

`import json` costs ~4 ms at start (json.decoder compiles regular
expressions); the C scanner and encoder it wraps need none of that, so a
worker that only speaks frames uses them straight.  Any Python without them
(or with a different signature) falls back to `json`.

dumps(obj) follows json.dumps(obj, allow_nan=False, separators=(",", ":"),
ensure_ascii=False): NaN and infinities raise ValueError, other objects
TypeError.  loads(text) takes a str.
"""


def _not_json(obj):
    # a numpy scalar (np.int64, np.float32) is a number: send it as one
    kind = type(obj)
    if kind.__module__ == "numpy" and getattr(obj, "ndim", None) == 0:
        value = obj.item()
        if type(value) in (int, float, bool, str):
            return value
    raise TypeError("Object of type %s is not JSON serializable" % kind.__name__)


def _constant(name):
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


try:
    from _json import encode_basestring as _encode_str
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner

    class _Context:
        strict = True
        object_hook = None
        object_pairs_hook = None
        parse_float = float
        parse_int = int
        parse_constant = staticmethod(_constant)
        memo = {}

    _scan = _make_scanner(_Context())
    _encode = _make_encoder(None, _not_json, _encode_str, None, ":", ",", False, False, False)

    def dumps(obj):
        return "".join(_encode(obj, 0))

    def loads(text):
        try:
            value, end = _scan(text, 0)
        except StopIteration as e:
            raise ValueError("not JSON (at character %d)" % e.value) from None
        if end != len(text) and text[end:].strip():
            raise ValueError("extra data after the JSON value (at character %d)" % end)
        return value

    if dumps([1, "é", {"a": None}, 1.5]) != '[1,"é",{"a":null},1.5]' or loads('{"a":[1]}') != {
        "a": [1]
    }:
        raise ImportError("unexpected _json behaviour")
except Exception:  # pragma: no cover - other Pythons
    import json as _json_module

    _encoder = _json_module.JSONEncoder(
        allow_nan=False, separators=(",", ":"), ensure_ascii=False, default=_not_json
    )
    dumps = _encoder.encode
    loads = _json_module.loads
