"""The loop of a Python worker: the frames of engine/worker.c over fd 3.

    engine -> worker   hello {run}, call {id, so, target, stage, plugin,
                       plugin_dir, attempt, kwargs, calls: [[ITEM, ARGS]]},
                       reply {ok, value|error} (to our object request),
                       cancel {id}
    worker -> engine   log {id, i, level, text[, s]}, result {id, r: [[ITEM,
                       1, VALUE] | [ITEM, 0, ERROR], ...]}, done {id},
                       object {id, req}

A frame is a 4-byte big-endian length and compact JSON.  Speed comes from
doing little per call: results leave every FLUSH_CALLS calls or FLUSH_S of
work, the last ones and `done` in one write; after answering, the socket is
polled SPIN_S before a blocking read (the next call of a chain usually comes
sooner than a sleeping process wakes).

Between call frames the main thread reads the socket itself.  While a call
frame runs, a watcher thread owns the input: a `cancel` frame for the task
sets its flag and, when a call is running, interrupts it with SIGINT (a busy
loop or time.sleep raises KeyboardInterrupt; the call fails "cancelled",
later calls of the task too).  Other frames it reads wait for the main
thread.  SIGTERM cancels the running task the same way.

Only C modules are imported at start; pickle, traceback, asyncio and
logging's handler come when first needed.
"""

import os
import sys
import _signal
import _thread
import select

from dapt_worker import codec

FLUSH_CALLS = 256
FLUSH_S = 0.05
SPIN_S = 0.0001
WATCH_AFTER_S = 0.025
READ_CHUNK = 256 * 1024
# What a result's `repr` shows of a value kept as a pickle.
REPR_MAX = 80
HERE = os.path.dirname(os.path.abspath(__file__))

_dumps = codec.dumps
_loads = codec.loads
_clock = __import__("time").perf_counter
_sched_yield = getattr(os, "sched_yield", lambda: None)
_sleep = __import__("time").sleep


async def _probe():
    pass


_probe_coro = _probe()
CoroutineType = type(_probe_coro)
_probe_coro.close()
del _probe_coro


class Cancelled(BaseException):
    """Raised in a stage when its task was cancelled (never escapes)."""


class ProtocolError(Exception):
    pass


def _log_level(levelno):
    if levelno >= 40:
        return 3
    if levelno >= 30:
        return 2
    if levelno >= 20:
        return 1
    return 0


class Worker:
    def __init__(self, fd):
        self.fd = fd
        self.sock = None
        try:
            import _socket

            self.sock = _socket.socket(fileno=fd)
            self._dontwait = _socket.MSG_DONTWAIT
        except (ImportError, OSError, AttributeError):
            self.sock = None  # a pipe (tests): plain reads, no spinning
        try:
            os.set_inheritable(fd, False)
        except OSError:
            pass
        self.buf = bytearray()
        self.pos = 0
        self.eof = False
        self.dead = False
        self.pending = []  # frames the watcher read for the main thread
        self.main_ident = _thread.get_ident()
        self.send_lock = _thread.allocate_lock()
        self.io_lock = _thread.allocate_lock()
        self.object_lock = _thread.allocate_lock()
        self.serving = 0  # the frame being served (a sequence number), 0 idle
        self.frame_seq = 0
        self.reading = False  # the main thread reads the socket (object request)
        self.watching = False  # the watcher reads it
        self.watcher = False
        self.wake_r = self.wake_w = -1
        # the run (hello) and the call being served
        self.run = {}
        self.task_id = None
        self.stop_id = None  # the last task a cancel named
        self.cancelled = False
        self.in_call = False
        self.item = -1
        self.stage = None
        self.plugin = None
        self.plugin_dir = None
        self.attempt = 1
        self.results = []
        self.modules = {}  # so -> [module, file, (mtime_ns, size)]
        self.failed_imports = set()
        self.value_seq = 0
        self.context_cache = None
        self.stdout = self.stderr = None
        self.real_stdout = sys.stdout
        self.real_stderr = sys.stderr

    # ------------------------------------------------------------------
    # Output
    # ------------------------------------------------------------------

    def write(self, data):
        if self.dead:
            return
        view = memoryview(data)
        try:
            while view:
                n = os.write(self.fd, view)
                view = view[n:]
        except OSError as e:
            self.dead = True
            self.say("cannot write to the engine: %s" % e.strerror)

    @staticmethod
    def frame(text):
        data = text.encode("utf-8")
        return len(data).to_bytes(4, "big") + data

    def say(self, text):
        try:
            self.real_stderr.write("dapt_worker: %s\n" % text)
            self.real_stderr.flush()
        except Exception:
            pass

    def results_bytes(self):
        """The pending results as a result frame (b"" when none)."""
        results = self.results
        if not results:
            return b""
        try:
            body = _dumps(results)
            data = ('{"op":"result","id":%d,"r":%s}' % (self.task_id, body)).encode("utf-8")
        except (TypeError, ValueError, RecursionError, OverflowError, UnicodeError):
            data = self.results_one_by_one(results)
        results.clear()  # the same list: serve() keeps appending to it
        return len(data).to_bytes(4, "big") + data

    def results_one_by_one(self, results):
        parts = []
        for entry in results:
            item, ok, value = entry
            text = None
            if ok:
                try:
                    text = "[%d,1,%s]" % (item, _dumps(value))
                    text.encode("utf-8")
                except (TypeError, ValueError, RecursionError, OverflowError):
                    text = None
                    try:
                        text = "[%d,1,%s]" % (item, _dumps(self.keep_value(value, item)))
                    except Exception as e:  # not picklable either
                        text = "[%d,0,%s]" % (
                            item,
                            _dumps(
                                "the stage returned a value that is neither JSON nor "
                                "picklable (%s): %s" % (_type_name(value), _short(e))
                            ),
                        )
                except UnicodeError:
                    text = "[%d,0,%s]" % (
                        item,
                        _dumps("the stage returned a string that is not valid Unicode "
                               "(a lone surrogate)"),
                    )
            if text is None:
                text = "[%d,0,%s]" % (item, _dumps(value))
            parts.append(text)
        return ('{"op":"result","id":%d,"r":[%s]}' % (self.task_id, ",".join(parts))).encode(
            "utf-8", "replace")

    def log(self, level, text, stream=None, item=None):
        """A log frame of the running task (results before it, in order)."""
        if self.task_id is None or self.dead:
            out = self.real_stderr
            try:
                out.write(text + "\n")
                out.flush()
            except Exception:
                pass
            return
        if item is None:
            item = self.item
        try:
            enc = _dumps(text)
        except Exception:
            enc = _dumps(text.encode("utf-8", "replace").decode("utf-8"))
        if stream is None:
            body = '{"op":"log","id":%d,"i":%d,"level":%d,"text":%s}' % (
                self.task_id, item, level, enc)
        else:
            body = '{"op":"log","id":%d,"i":%d,"level":%d,"text":%s,"s":"%s"}' % (
                self.task_id, item, level, enc, stream)
        data = body.encode("utf-8", "replace")
        with self.send_lock:
            if _thread.get_ident() == self.main_ident:
                data = self.results_bytes() + len(data).to_bytes(4, "big") + data
            else:
                data = len(data).to_bytes(4, "big") + data
            self.write(data)

    def log_lines(self, level, text, item=None):
        for line in text.rstrip("\n").split("\n"):
            self.log(level, line, None, item)

    # ------------------------------------------------------------------
    # Input
    # ------------------------------------------------------------------

    def _take(self):
        """The next whole frame in the buffer as (dict, raw), or None."""
        buf, pos = self.buf, self.pos
        if len(buf) - pos < 4:
            return None
        n = int.from_bytes(buf[pos:pos + 4], "big")
        end = pos + 4 + n
        if len(buf) < end:
            return None
        raw = bytes(buf[pos + 4:end])
        if end == len(buf):
            buf.clear()
            self.pos = 0
        else:
            self.pos = end
            if end > 1 << 20:
                del buf[:end]
                self.pos = 0
        try:
            msg = _loads(raw.decode("utf-8"))
        except (ValueError, UnicodeError) as e:
            raise ProtocolError("a frame that is not JSON: %s" % e)
        if type(msg) is not dict:
            raise ProtocolError("a frame that is not a JSON object")
        return msg, raw

    def _recv(self, block):
        """Read what is there into the buffer: False at EOF.  Without
        `block`, None when nothing was there."""
        if self.sock is not None:
            try:
                data = self.sock.recv(READ_CHUNK, 0 if block else self._dontwait)
            except BlockingIOError:
                return None
            except InterruptedError:
                return None
        else:
            if not block:
                return None
            data = os.read(self.fd, READ_CHUNK)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def next_frame(self, spin=False):
        """The next frame for the main thread (cancel frames are handled
        here), or None at EOF."""
        deadline = _clock() + SPIN_S if spin and self.sock is not None else 0
        while True:
            if self.pending:
                return self.pending.pop(0)
            got = self._take()
            if got is not None:
                msg, raw = got
                if msg.get("op") == "cancel":
                    self.on_cancel(msg.get("id"))
                    continue
                return msg, raw
            if self.eof:
                return None
            if deadline:
                if self._recv(False) is None:
                    if _clock() >= deadline:
                        deadline = 0
                    else:
                        _sched_yield()
                continue
            self._recv(True)

    def on_cancel(self, task_id):
        self.stop_id = task_id
        if task_id is not None and task_id == self.task_id:
            self.cancelled = True
            if self.in_call:
                try:
                    _signal.pthread_kill(self.main_ident, _signal.SIGINT)
                except (OSError, AttributeError):
                    pass

    # ------------------------------------------------------------------
    # The watcher: the input while a call frame runs long
    # ------------------------------------------------------------------
    #
    # A frame that ends within WATCH_AFTER_S never involves the thread (a
    # chain's stage costs two attribute stores, no syscall, no wakeup of
    # another thread).  The watcher looks every WATCH_AFTER_S: when the same
    # frame is still running, it takes the socket's input (under io_lock)
    # until the frame ends or the main thread needs it back (an object
    # request); the main thread wakes it out of poll() through a pipe.

    def frame_start(self):
        if not self.watcher:
            self.wake_r, self.wake_w = os.pipe()
            os.set_blocking(self.wake_r, False)
            self.watcher = True
            _thread.start_new_thread(self._watch, ())
        self.frame_seq += 1
        self.serving = self.frame_seq

    def frame_end(self):
        with self.io_lock:
            self.serving = 0
            armed = self.watching
            self.watching = False
        if armed:
            self._wake()

    def take_input(self):
        """The main thread reads the socket from now on (until give_input)."""
        with self.io_lock:
            self.reading = True
            armed = self.watching
            self.watching = False
        if armed:
            self._wake()

    def give_input(self):
        with self.io_lock:
            self.reading = False

    def _wake(self):
        try:
            os.write(self.wake_w, b"x")
        except OSError:
            pass

    def _watch(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        poller.register(self.wake_r, select.POLLIN)
        fd = self.fd
        seen = 0
        while True:
            _sleep(WATCH_AFTER_S)
            seq = self.serving
            if seq == 0 or seq != seen:
                seen = seq
                continue
            with self.io_lock:
                if self.serving != seq or self.reading or self.eof:
                    continue
                self.watching = True
            while True:
                try:
                    events = poller.poll()
                except OSError:
                    events = []
                readable = False
                for f, _ in events:
                    if f == fd:
                        readable = True
                    else:
                        try:
                            os.read(self.wake_r, 4096)
                        except OSError:
                            pass
                with self.io_lock:
                    if not self.watching:
                        break
                    if readable and not self._watch_read():
                        # the engine is gone: stop what runs, exit after it
                        self.watching = False
                        self.on_cancel(self.task_id)
                        return

    def _watch_read(self):
        """Read and dispatch what came (io_lock held): False at EOF."""
        try:
            got = self._recv(self.sock is None)
            while True:
                frame = self._take()
                if frame is None:
                    break
                if frame[0].get("op") == "cancel":
                    self.on_cancel(frame[0].get("id"))
                else:
                    self.pending.append(frame)
        except ProtocolError as e:
            self.say(str(e))
            os._exit(1)
        except OSError:
            self.eof = True
            return False
        return got is not False

    # ------------------------------------------------------------------
    # Object store requests (dapt.object_store)
    # ------------------------------------------------------------------

    def object_request(self, req):
        """Send {op, key, namespace, strategy, value}: the reply's value, or
        raise ObjectError with the engine's message."""
        if self.task_id is None:
            raise RuntimeError("the object store is only reachable inside a stage run by dapt")
        body = ('{"op":"object","id":%d,"req":%s}' % (self.task_id, _dumps(req))).encode("utf-8")
        with self.object_lock:
            self.take_input()
            try:
                with self.send_lock:
                    head = self.results_bytes() if _thread.get_ident() == self.main_ident else b""
                    self.write(head + len(body).to_bytes(4, "big") + body)
                while True:
                    got = self.next_frame()
                    if got is None:
                        raise RuntimeError("the engine closed the connection")
                    msg = got[0]
                    if msg.get("op") == "reply":
                        break
                    self.say("expected a reply frame, got `%s`" % msg.get("op"))
                    os._exit(1)
            finally:
                self.give_input()
        if self.cancelled and self.in_call:
            raise KeyboardInterrupt("cancelled")
        if msg.get("ok") is True:
            return msg.get("value")
        raise ObjectError(msg.get("error") or "the object store request failed")

    # ------------------------------------------------------------------
    # Values that are not JSON
    # ------------------------------------------------------------------

    def values_dir(self):
        run_id = self.run.get("run_id") or "norun"
        ws = self.run.get("workspace")
        if ws:
            return os.path.join(ws, ".dapt", "values", run_id)
        tmp = os.environ.get("TMPDIR") or "/tmp"
        return os.path.join(tmp, "dapt-values-%d" % os.getuid(), run_id)

    def keep_value(self, value, item):
        """Pickle a value that is not JSON: its reference."""
        import pickle

        folder = self.values_dir()
        os.makedirs(folder, exist_ok=True)
        self.value_seq += 1
        name = "%s-%d-%d.pickle" % (self.stage or "stage", item if item >= 0 else 0,
                                    self.attempt)
        path = os.path.join(folder, name)
        if os.path.exists(path):
            name = "%s-%d-%d-%d-%d.pickle" % (self.stage or "stage", item if item >= 0 else 0,
                                              self.attempt, os.getpid(), self.value_seq)
            path = os.path.join(folder, name)
        write_pickle(path, value)
        return make_ref(path, value)

    # ------------------------------------------------------------------
    # Calls
    # ------------------------------------------------------------------

    def load(self, so, target):
        """The function, or raise LoadError with the message."""
        ent = self.modules.get(so)
        if ent is not None:
            mod, path, sig = ent
            if path is not None:
                try:
                    st = os.stat(path)
                    now = (st.st_mtime_ns, st.st_size)
                except OSError:
                    now = sig
                if now != sig:
                    mod = self.reload(so, mod, path)
                    ent[0] = mod
                    ent[2] = now
        else:
            import importlib

            if so in self.failed_imports:
                importlib.invalidate_caches()
            try:
                mod = importlib.import_module(so)
            except BaseException as e:
                self.failed_imports.add(so)
                raise LoadError(self.import_error(so, e))
            self.failed_imports.discard(so)
            path = getattr(mod, "__file__", None)
            sig = None
            if path:
                try:
                    st = os.stat(path)
                    sig = (st.st_mtime_ns, st.st_size)
                except OSError:
                    path = None
            self.modules[so] = [mod, path, sig]
        obj = mod
        for part in target.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise LoadError("module `%s` has no function `%s`" % (so, target))
        if not callable(obj):
            raise LoadError("`%s.%s` is not a function (it is %s %s)" % (
                so, target, _article(type(obj).__name__), type(obj).__name__))
        return obj

    def reload(self, so, mod, path):
        import importlib

        cached = getattr(mod, "__cached__", None)
        if cached:
            try:
                os.unlink(cached)  # its stamp has 1 s resolution: it may look fresh
            except OSError:
                pass
        importlib.invalidate_caches()
        try:
            return importlib.reload(mod)
        except BaseException as e:
            raise LoadError(self.import_error(so, e))

    def import_error(self, so, e):
        if isinstance(e, ModuleNotFoundError) and e.name and so.startswith(e.name) and (
                len(so) == len(e.name) or so[len(e.name)] == "."):
            return "ModuleNotFoundError: No module named '%s' (the target's module `%s` is " \
                   "not importable by %s)" % (e.name, so, sys.executable)
        text = self.error_text(e, so)
        self.traceback_lines(e)
        return text

    def user_roots(self, so):
        roots = []
        top = (so or "").split(".")[0]
        mod = sys.modules.get(top)
        f = getattr(mod, "__file__", None)
        if f:
            if os.path.basename(f).startswith("__init__."):
                roots.append(os.path.dirname(f) + os.sep)
            else:
                roots.append(f)
        return roots

    def error_text(self, e, so=None):
        """`Type: message (FILE:LINE)`, FILE:LINE the innermost frame of the
        user's code."""
        name = type(e).__name__
        msg = str(e)
        text = "%s: %s" % (name, msg) if msg else name
        if isinstance(e, SyntaxError) and e.filename:
            detail = e.msg if getattr(e, "msg", None) else msg
            return "%s: %s (%s:%s)" % (name, detail, _show_path(e.filename), e.lineno)
        where = _where(e.__traceback__, self.user_roots(so))
        if where:
            text += " (%s:%d)" % (_show_path(where[0]), where[1])
        return text

    def traceback_lines(self, e, item=None):
        import traceback

        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(HERE):
            tb = tb.tb_next
        text = "".join(traceback.format_exception(type(e), e, tb))
        self.log_lines(3, text, item)

    def serve(self, msg, raw):
        task_id = msg.get("id")
        if type(task_id) is not int:
            raise ProtocolError("a call frame without an integer `id`")
        self.task_id = task_id
        self.cancelled = self.stop_id == task_id
        self.context_cache = None
        so, target = msg.get("so"), msg.get("target")
        kwargs = msg.get("kwargs")
        if type(kwargs) is not dict:
            kwargs = {}
        calls = msg.get("calls")
        if type(calls) is not list:
            calls = []
        self.stage = msg.get("stage")
        self.plugin = msg.get("plugin")
        self.plugin_dir = msg.get("plugin_dir")
        attempt = msg.get("attempt")
        self.attempt = attempt if type(attempt) is int and attempt > 0 else 1
        results = self.results
        results.clear()
        self.item = -1
        self.frame_start()
        try:
            load_error = None
            fn = None
            if type(so) is not str or type(target) is not str:
                load_error = "dapt_worker: a call without `so` or `target`"
            else:
                try:
                    fn = self.load(so, target)
                except LoadError as e:
                    load_error = str(e)
            refs = b'"$dapt_ref"' in raw
            if refs and fn is not None:
                try:
                    kwargs = resolve_kwargs(kwargs)
                except Exception as e:
                    load_error = "cannot load a Python value passed to the stage: %s" % _short(e)
            self.flush_streams()
            since = 0
            last = _clock()
            for call in calls:
                item = call[0] if type(call) is list and call and type(call[0]) is int else -1
                if load_error is not None:
                    results.append([item, 0, load_error])
                elif self.cancelled:
                    results.append([item, 0, "cancelled"])
                else:
                    args = call[1] if len(call) > 1 and type(call[1]) is list else []
                    self.item = item
                    try:
                        if refs:
                            args = resolve_args(args)
                        # in_call before the last look at `cancelled`: a cancel
                        # coming now is seen here or interrupts the call
                        self.in_call = True
                        if self.cancelled:
                            raise Cancelled()
                        value = fn(*args, **kwargs) if kwargs else fn(*args)
                        if type(value) is CoroutineType:
                            value = run_coroutine(value)
                        self.in_call = False
                        results.append([item, 1, value])
                    except BaseException as e:
                        self.in_call = False
                        results.append([item, 0, self.failure(e, so, item)])
                    if self.stdout.partial or self.stderr.partial:
                        self.flush_streams()
                    self.item = -1
                    if self.dead:
                        break
                since += 1
                if since >= FLUSH_CALLS:
                    self.flush_results()
                    since = 0
                    last = _clock()
                elif _clock() - last >= FLUSH_S:
                    self.flush_results()
                    since = 0
                    last = _clock()
        finally:
            self.in_call = False
        with self.send_lock:
            data = self.results_bytes()
            done = ('{"op":"done","id":%d}' % task_id).encode()
            self.write(data + len(done).to_bytes(4, "big") + done)
        self.frame_end()
        self.task_id = None
        self.cancelled = False

    def failure(self, e, so, item):
        if isinstance(e, (KeyboardInterrupt, Cancelled)) and self.cancelled:
            return "cancelled"
        try:
            text = self.error_text(e, so)
            self.traceback_lines(e, item)
        except BaseException as e2:  # a cancel while formatting, a broken __str__
            if self.cancelled:
                return "cancelled"
            text = "%s (and its message could not be made: %s)" % (type(e).__name__, _short(e2))
        return text

    def flush_results(self):
        with self.send_lock:
            data = self.results_bytes()
            if data:
                self.write(data)

    def flush_streams(self):
        if self.stdout is not None:
            self.stdout.flush()
            self.stderr.flush()

    # ------------------------------------------------------------------
    # The loop
    # ------------------------------------------------------------------

    def main(self):
        spin = False
        while not self.dead:
            got = self.next_frame(spin)
            if got is None:
                return 0
            msg, raw = got
            op = msg.get("op")
            if op == "call":
                self.serve(msg, raw)
                spin = True
                if self.eof and not self.pending:
                    return 0
            elif op == "hello":
                run = msg.get("run")
                if type(run) is not dict:
                    self.say("the hello frame has no run")
                    return 1
                self.run = run
                self.context_cache = None
                spin = False
            else:
                self.say("unexpected frame `%s`" % (op if isinstance(op, str) else "(no op)"))
                return 1
        return 1


class LoadError(Exception):
    pass


class ObjectError(Exception):
    pass


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------


def _article(word):
    return "an" if word[:1].lower() in "aeiou" else "a"


def _short(e):
    msg = str(e)
    return "%s: %s" % (type(e).__name__, msg) if msg else type(e).__name__


def _type_name(value):
    kind = type(value)
    mod = kind.__module__
    return kind.__qualname__ if mod == "builtins" else "%s.%s" % (mod, kind.__qualname__)


def _where(tb, roots):
    """(file, line) of the innermost frame in `roots`, else of the
    innermost frame that is not dapt's own nor the import machinery."""
    best = None
    fallback = None
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if not f.startswith("<") and not f.startswith(HERE):
            fallback = (f, tb.tb_lineno)
            for r in roots:
                if f == r or (r.endswith(os.sep) and f.startswith(r)):
                    best = (f, tb.tb_lineno)
        tb = tb.tb_next
    return best or fallback


def _show_path(path):
    """A file relative to the sys.path folder it was imported from."""
    best = ""
    for entry in sys.path:
        if not entry:
            entry = os.getcwd()
        entry = entry.rstrip(os.sep) + os.sep
        if path.startswith(entry) and len(entry) > len(best):
            best = entry
    return path[len(best):] if best else path


def write_pickle(path, value):
    import pickle

    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def make_ref(path, value):
    try:
        text = repr(value)
    except Exception:
        text = "<%s>" % _type_name(value)
    if len(text) > REPR_MAX:
        text = text[:REPR_MAX - 3] + "..."
    return {"$dapt_ref": "pickle", "path": os.path.abspath(path), "type": _type_name(value),
            "repr": text}


def is_ref(value):
    return type(value) is dict and "$dapt_ref" in value


def load_ref(ref):
    import pickle

    kind = ref.get("$dapt_ref")
    if kind != "pickle":
        raise ValueError("unknown kind of value reference `%s`" % kind)
    with open(ref["path"], "rb") as f:
        return pickle.load(f)


def resolve(value):
    if type(value) is dict:
        return load_ref(value) if "$dapt_ref" in value else value
    if type(value) is list:
        for v in value:
            if type(v) is dict and "$dapt_ref" in v:
                return [load_ref(x) if type(x) is dict and "$dapt_ref" in x else x
                        for x in value]
    return value


def resolve_args(args):
    return [resolve(a) for a in args]


def resolve_kwargs(kwargs):
    return {k: resolve(v) for k, v in kwargs.items()}


def run_coroutine(coro):
    import asyncio

    return asyncio.run(coro)


# ----------------------------------------------------------------------
# print and logging
# ----------------------------------------------------------------------


class LineWriter:
    """sys.stdout / sys.stderr in a worker: each line a log frame of the
    stage that wrote it."""

    encoding = "utf-8"
    errors = "replace"
    newlines = None
    line_buffering = True
    closed = False

    def __init__(self, worker, stream, level, real):
        self._worker = worker
        self._stream = stream
        self._level = level
        self._real = real
        self.partial = ""
        self.name = "<%s>" % stream
        self.buffer = _ByteWriter(self)

    def write(self, text):
        if type(text) is not str:
            if isinstance(text, str):
                text = str(text)
            else:
                raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if not text:
            return 0
        if "\n" not in text:
            self.partial += text
            return len(text)
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        w = self._worker
        for line in lines:
            w.log(self._level, line, self._stream)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.partial:
            line, self.partial = self.partial, ""
            self._worker.log(self._level, line, self._stream)

    def isatty(self):
        return False

    def fileno(self):
        return self._real.fileno()

    def readable(self):
        return False

    def writable(self):
        return True

    def seekable(self):
        return False


class _ByteWriter:
    def __init__(self, text):
        self._text = text

    def write(self, data):
        self._text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self):
        self._text.flush()


def install_logging(worker, logging):
    """A root handler sending every record as a log frame."""

    class FrameHandler(logging.Handler):
        def emit(self, record):
            try:
                text = record.getMessage()
                if record.exc_info and record.exc_info[0] is not None:
                    import traceback

                    text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
                elif record.exc_text:
                    text += "\n" + record.exc_text
                if record.stack_info:
                    text += "\n" + record.stack_info
                level = _log_level(record.levelno)
                for line in text.split("\n"):
                    worker.log(level, line)
            except RecursionError:
                raise
            except Exception:
                self.handleError(record)

    root = logging.getLogger()
    handler = FrameHandler(logging.NOTSET)
    root.addHandler(handler)
    if root.level == logging.WARNING:  # nobody chose one yet
        root.setLevel(logging.DEBUG)
        # its "Using selector: EpollSelector" on every asyncio.run is noise
        chatty = logging.getLogger("asyncio")
        if chatty.level == logging.NOTSET:
            chatty.setLevel(logging.INFO)
    logging.lastResort = None


class _LoggingHook:
    """Sets up logging when a stage first imports it (so a worker whose
    stages never log never pays for the import)."""

    def __init__(self, worker):
        self.worker = worker

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _LoggingLoader(spec.loader, self.worker)
        return spec


class _LoggingLoader:
    def __init__(self, loader, worker):
        self._loader = loader
        self._worker = worker

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        try:
            install_logging(self._worker, module)
        except Exception as e:
            self._worker.say("cannot set up logging: %s" % _short(e))

    def __getattr__(self, name):
        return getattr(self._loader, name)


# ----------------------------------------------------------------------
# Start
# ----------------------------------------------------------------------

WORKER = None


def _on_sigint(signum, frame):
    w = WORKER
    if w is not None and w.in_call and w.cancelled:
        raise KeyboardInterrupt("cancelled")


def _on_sigterm(signum, frame):
    w = WORKER
    if w is None or w.task_id is None:
        return
    w.cancelled = True
    if w.in_call:
        raise KeyboardInterrupt("cancelled")


def run(fd):
    global WORKER
    compat = os.environ.get("DAPT_PYTHON_COMPAT")
    if compat and compat not in sys.path:
        sys.path.append(compat)
    w = Worker(fd)
    WORKER = w
    w.stdout = LineWriter(w, "stdout", 1, sys.stdout)
    w.stderr = LineWriter(w, "stderr", 2, sys.stderr)
    sys.stdout = w.stdout
    sys.stderr = w.stderr
    _signal.signal(_signal.SIGINT, _on_sigint)
    _signal.signal(_signal.SIGTERM, _on_sigterm)
    if "logging" in sys.modules:
        install_logging(w, sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingHook(w))
    try:
        rc = w.main()
    except ProtocolError as e:
        w.say(str(e))
        return 1
    finally:
        sys.stdout = w.real_stdout
        sys.stderr = w.real_stderr
    if rc == 0:
        _end_group()
    return rc


def _end_group():
    """At EOF (the run is over, or the engine died): what the stages left
    running ends with us.  The engine starts each worker as the leader of
    its own process group; that group goes, we with it."""
    if os.getpgrp() != os.getpid():
        return  # not started by the engine: our group is not ours
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os.killpg(os.getpid(), _signal.SIGKILL)
