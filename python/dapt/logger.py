"""structlog-style logging over the standard `logging` (Flowdapt's
flowdapt.lib.logger): logger.info("ModelTrained", loss=0.1) logs the line
`ModelTrained loss=0.1`.  In a stage, every record becomes a log line of
the stage (the worker's root handler)."""

import logging


def _render(event, args, kw):
    text = str(event)
    if args:
        try:
            text = text % args
        except (TypeError, ValueError):
            text = " ".join([text] + [str(a) for a in args])
    if kw:
        text += " " + " ".join("%s=%s" % (k, _value(v)) for k, v in kw.items())
    return text


def _value(v):
    s = str(v)
    return repr(s) if (" " in s or not s) and not isinstance(v, (int, float)) else s


class BoundLogger:
    def __init__(self, logger, context=None):
        self._logger = logger
        self._context = dict(context or {})

    @property
    def name(self):
        return self._logger.name

    def bind(self, **kw):
        ctx = dict(self._context)
        ctx.update(kw)
        return BoundLogger(self._logger, ctx)

    def new(self, **kw):
        return BoundLogger(self._logger, kw)

    def unbind(self, *keys):
        ctx = {k: v for k, v in self._context.items() if k not in keys}
        return BoundLogger(self._logger, ctx)

    def _log(self, level, event, args, kw):
        if not self._logger.isEnabledFor(level):
            return
        exc_info = kw.pop("exc_info", None)
        stack_info = kw.pop("stack_info", False)
        fields = dict(self._context)
        fields.update(kw)
        self._logger.log(level, "%s", _render(event, args, fields), exc_info=exc_info,
                         stack_info=stack_info, stacklevel=3)

    def debug(self, event="", *args, **kw):
        self._log(logging.DEBUG, event, args, kw)

    def info(self, event="", *args, **kw):
        self._log(logging.INFO, event, args, kw)

    def warning(self, event="", *args, **kw):
        self._log(logging.WARNING, event, args, kw)

    warn = warning

    def error(self, event="", *args, **kw):
        self._log(logging.ERROR, event, args, kw)

    def critical(self, event="", *args, **kw):
        self._log(logging.CRITICAL, event, args, kw)

    fatal = critical

    def exception(self, event="", *args, **kw):
        kw.setdefault("exc_info", True)
        self._log(logging.ERROR, event, args, kw)

    def log(self, level, event="", *args, **kw):
        self._log(level, event, args, kw)


def get_logger(name=None, **initial):
    """A structlog-style logger named `name` (the root logger for None)."""
    return BoundLogger(logging.getLogger(name), initial)


getLogger = get_logger
