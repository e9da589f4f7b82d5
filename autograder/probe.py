"""The grader's runtime inside the sandbox: runs one part's probe next to a student's solution cell.

It executes the cell as a module, then the part's probe (``parts/<part>/probe.py``, the only other
grader file shipped in) builds the part's objects around modules whose weights are the secret
inputs, and reports *observations* -- outputs as plain lists, registration read from the modules'
own dicts -- on the report channel.  It decides nothing: the judges outside compare them with a
numpy reference.

The student's code shares this interpreter, so everything here assumes it is hostile:

- the secrets arrive on stdin, never on the job's file system: the report key before the student's
  code runs, the inputs after it has been imported (stdin is closed before any probe runs);
- reports go to an inherited pipe (its fd number arrives with the key) as lines
  ``<hmac> <json>``: the grader keeps only lines signed with the key, so writing to the pipe,
  or to ``out.json``, forges nothing;
- all state lives in ``main``'s locals and closures (module globals are reachable through
  ``sys.modules["__main__"]``; a test checks that no code here reads a global after start-up);
- an audit hook, armed before the student's cell, refuses the routes to those locals when the
  student's code asks (frames, ``gc``, tracing, ``compile``/``exec``, ``/proc/*/mem``, ``ctypes``)
  and reports every attempt, which holds the part for review;
- structural facts are read from the registration data (``Module.__dict__["_modules"]`` through
  the type's own descriptor, ``type.__mro__``) and the library/numpy are snapshot before the
  student's code and compared after, so overriding or patching shows up instead of lying.

The library is the course's (the header's ``"library"``): d2lmods, or real PyTorch for a course
that teaches with it, imported under the same names (``torch``, ``nn``, ``F``); the parts' probes
use it only through the toolkit ``L``, which hides where the two differ (how a tensor's values
are read, ``L.load`` of data only, ``L.Parameter``...).

Usage (by :mod:`autograder.sandbox`)::

    python -I -B probe.py <in-dir> <out-dir> [<folder of d2lmods>]   # in-dir: part_probe.py, student.py

Only the standard library, numpy and the course's library (d2lmods or torch) are imported here;
never ``autograder``.
"""

import _hashlib
import _json
import os
import sys
import time
import types


def main(
    os=os,
    sys=sys,
    time=time,
    hmac_digest=_hashlib.hmac_digest,
    types=types,
    enc_str=_json.encode_basestring_ascii,
    len=len,
    type=type,
    isinstance=isinstance,
    id=id,
    str=str,
    repr=repr,
    int=int,
    float=float,
    list=list,
    dict=dict,
    tuple=tuple,
    set=set,
    frozenset=frozenset,
    bool=bool,
    bytes=bytes,
    sorted=sorted,
    enumerate=enumerate,
    range=range,
    zip=zip,
    min=min,
    getattr=getattr,
    hasattr=hasattr,
    callable=callable,
    compile=compile,
    exec=exec,
    open=open,
    BaseException=BaseException,
    object=object,
    OSError=OSError,
    ImportError=ImportError,
    PermissionError=PermissionError,
    classmethod=classmethod,
    staticmethod=staticmethod,
    property=property,
    ValueError=ValueError,
):
    T0 = time.perf_counter()
    perf, os_write, os_read, os_close, os_exit = (
        time.perf_counter,
        os.write,
        os.read,
        os.close,
        os._exit,
    )
    argv = list(sys.argv)
    in_dir = argv[1]
    if len(argv) > 3 and argv[3] not in sys.path:
        # the folder holding d2lmods (in the sandbox it holds nothing else), for a checkout that
        # is not pip-installed; an installed d2lmods is found through site-packages as usual
        sys.path.append(argv[3])

    def read_exactly(n):
        chunks, got = [], 0
        while got < n:
            try:
                b = os_read(0, min(65536, n - got))
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    # -- the header: report key, report fd, part, size of the inputs that follow -----------------
    line = b""
    while not line.endswith(b"\n") and len(line) < 4096:
        b = read_exactly(1)
        if not b:
            break
        line += b
    import json

    try:
        header = json.loads(line.decode())
        key, fd, part, n_inputs = (
            bytes.fromhex(header["key"]),
            int(header["fd"]),
            str(header["part"]),
            int(header["n"]),
        )
        library = str(header.get("library", "d2lmods"))
        if library not in ("d2lmods", "torch"):
            raise ValueError(library)
    except BaseException:
        os_exit(3)
    # C functions only from here on: a Python-level helper could be rebound to one that is handed the key
    seq = [0]

    # -- a JSON encoder that uses nothing the student can rebind ----------------------------------
    float_repr, int_repr = float.__repr__, int.__repr__
    inf = float("inf")

    def enc(o, depth=0):
        t = type(o)
        if o is None:
            return "null"
        if t is bool:
            return "true" if o else "false"
        if t is int:
            return int_repr(o) if -(10**18) < o < 10**18 else '"<big int>"'
        if t is float:
            if o != o:  # noqa: PLR0124  (NaN)
                return "NaN"
            if o == inf or o == -inf:
                return "Infinity" if o > 0 else "-Infinity"
            return float_repr(o)
        if t is str:
            return enc_str(o)
        if depth > 40:
            return '"<too deep>"'
        if t is list or t is tuple:
            return "[" + ",".join([enc(x, depth + 1) for x in o]) + "]"
        if t is dict:
            return (
                "{"
                + ",".join(
                    [
                        enc_str(k if type(k) is str else "<key>") + ":" + enc(v, depth + 1)
                        for k, v in dict.items(o)
                    ]
                )
                + "}"
            )
        return enc_str("<" + str.__str__(type.__dict__["__name__"].__get__(t)) + ">")

    def send(kind, name, value):
        """One signed record on the report pipe: ``<hmac-sha256 hex> <json>``."""
        seq[0] += 1
        payload = enc([seq[0], kind, name, value]).encode()
        if len(payload) > 256 * 1024:  # one huge observation must not crowd out the others
            payload = enc(
                [
                    seq[0],
                    kind,
                    name,
                    {
                        "error": {
                            "type": "ReportTooLarge",
                            "message": "the observation is too large to report",
                        }
                    },
                ]
            ).encode()
        mac = hmac_digest(key, payload, "sha256").hex().encode()
        if fd < 0:
            return
        data = mac + b" " + payload + b"\n"
        while data:
            try:
                n = os_write(fd, data)
            except OSError:
                return
            data = data[n:]

    whole_module = []  # the library's own error for a file that holds a whole module (torch)

    def err(e):
        """An exception as data: its type name and the first line of its message (the message only
        when a built-in exception class writes it: a student's ``__str__`` does not run here)."""
        try:
            msg = (
                str.__str__(str(e))
                if type(type(e).__str__) is not types.FunctionType
                else "<message>"
            )
        except BaseException:
            msg = "<unprintable>"
        kind = str.__str__(type.__dict__["__name__"].__get__(type(e)))
        if whole_module and type(e) is whole_module[0] and "torch.nn.modules" in msg:
            # torch.load(weights_only=True) refusing a pickled module: worded as d2lmods.save
            # words the same mistake, so that the judge reads one message whatever the library
            kind, msg = (
                "SerializationError",
                (
                    "torch.load cannot load a whole module (weights_only=True reads data, not "
                    "code): save net.state_dict() instead"
                ),
            )
        return {"error": {"type": kind, "message": msg[:300]}}

    timings = {}
    send("part", "part", part)
    import numpy as np

    try:
        # the course's library, under the names the notebook gives it: torch, nn, F
        if library == "torch":
            import pickle

            import torch
            from torch import nn
            from torch.nn import functional as F

            whole_module.append(pickle.UnpicklingError)
            # what torch.manual_seed imports on its first call, imported before the snapshot
            import torch.cuda
            import torch.mtia
            import torch.xpu  # noqa: F401
        else:
            import d2lmods as torch
            from d2lmods import nn

            try:
                from d2lmods.nn import functional as F
            except ImportError:
                F = None
        # the library's lazy parts (numba, its kernels) load here, before anything is guarded
        torch.tensor(np.ones((2, 2), dtype=np.float32)) @ torch.tensor(
            np.ones((2, 2), dtype=np.float32)
        )
    except BaseException as e:  # the library itself does not import: nothing can be graded
        send("import_error", "import_error", err(e)["error"])
        os_exit(0)
    import _signal
    import _thread
    import bdb
    import inspect
    import io
    import logging
    import pdb  # noqa: T100  (to refuse its set_trace, never to use it)
    import signal
    import string
    import traceback

    np_load, BytesIO = np.load, io.BytesIO
    timings["imports"] = perf() - T0

    # -- what the student's code may not change: d2lmods and numpy, snapshot now ------------------
    DICT_OF = type.__dict__["__dict__"].__get__  # a class's real namespace
    MRO_OF = type.__dict__["__mro__"].__get__
    NAME_OF = type.__dict__["__name__"].__get__
    lib_classes = {}

    def walk_classes(c):
        if id(c) in lib_classes:
            return
        lib_classes[id(c)] = c
        for s in type.__subclasses__(c):
            walk_classes(s)

    walk_classes(nn.Module)
    walk_classes(torch.Tensor)
    lib_modules = [
        m
        for name, m in sorted(dict.items(dict(sys.modules)))
        if str.split(name, ".")[0] in (library, "numpy") and m is not None
    ]
    for m in lib_modules:
        for v in dict.values(dict(m.__dict__)):
            if type in MRO_OF(type(v)) and (getattr(v, "__module__", "") or "").startswith(library):
                walk_classes(v)
    snapshot = {}
    for c in dict.values(lib_classes):
        snapshot[("class", id(c))] = (
            NAME_OF(c),
            {k: id(v) for k, v in dict.items(dict(DICT_OF(c)))},
        )
    for m in lib_modules:
        snapshot[("module", id(m))] = (
            m.__name__,
            {
                k: id(v)
                for k, v in dict.items(dict(m.__dict__))
                if type(v) in (types.FunctionType, types.BuiltinFunctionType)
                or type in MRO_OF(type(v))  # a class, whatever its metaclass (torch's have theirs)
            },
        )
    lib_by_id = {("class", id(c)): c for c in dict.values(lib_classes)}
    lib_by_id.update({("module", id(m)): m for m in lib_modules})

    # how a tensor's values and gradient are read: through the C-level slots, taken now
    if library == "torch":
        TENSOR_BASE = DICT_OF(torch._C.TensorBase)
        detach_, numpy_ = TENSOR_BASE["detach"], TENSOR_BASE["numpy"]
        tensor_grad = TENSOR_BASE["grad"].__get__

        def tensor_data(t):
            return numpy_(detach_(t))

    else:
        tensor_data = DICT_OF(torch.Tensor)["_data"].__get__
        tensor_grad = DICT_OF(torch.Tensor)["_grad"].__get__
    missing = object()
    lib_dirs = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (torch, np))
    CODE_OF = types.FunctionType.__dict__["__code__"].__get__
    wrappers = (classmethod, staticmethod, property)

    def replaced_by_student(v):
        """A changed entry counts unless d2lmods put it there itself (it resolves some names lazily)."""
        if type(v) in wrappers:
            v = getattr(v, "__func__", None) or getattr(v, "fget", None)
        if type(v) is types.FunctionType:
            return not CODE_OF(v).co_filename.startswith(lib_dirs)
        return v is missing or type(v) is type or callable(v)

    # global state of the library that changes what every module computes without replacing a
    # function: torch's global module hooks and its function/dispatch modes (d2lmods has neither)
    state_seen = []
    if library == "torch":
        import collections

        hook_mod = torch.nn.modules.module
        hook_dicts = [
            (k, v, len(v))
            for k, v in dict.items(dict(hook_mod.__dict__))
            if str.startswith(k, "_global_") and type(v) in (dict, collections.OrderedDict)
        ]
        mode_stacks = [
            (what, f, f())
            for what, f in (
                ("a TorchFunctionMode", getattr(torch._C, "_len_torch_function_stack", None)),
                ("a TorchDispatchMode", getattr(torch._C, "_len_torch_dispatch_stack", None)),
            )
            if f is not None
        ]

        # what torch.load(weights_only=True) may call: torch.serialization.add_safe_globals([exec])
        # would make the probe's own load of the student's file run exec
        import torch._weights_only_unpickler as wo_mod

        safe_globals = dict.get(wo_mod.__dict__, "_marked_safe_globals_set")
        n_safe = len(safe_globals) if safe_globals is not None else 0

        def library_state():
            out = []
            for k, d, n in hook_dicts:
                if dict.get(hook_mod.__dict__, k) is not d or len(d) != n:
                    out.append(f"torch.nn.modules.module.{k} (a global module hook)")
            now = dict.get(wo_mod.__dict__, "_marked_safe_globals_set")
            if now is not safe_globals or (now is not None and len(now) != n_safe):
                out.append("torch.serialization's safe globals (what weights_only loading calls)")
            for what, f, n in mode_stacks:
                if f() != n:
                    out.append(f"torch: {what} left active")
            for x in out:
                if x not in state_seen:
                    state_seen.append(x)

    else:

        def library_state():
            return None

    def patched():
        library_state()
        out = list(state_seen)
        for k, (name, attrs) in dict.items(snapshot):
            obj = lib_by_id[k]
            now = dict(DICT_OF(obj) if k[0] == "class" else obj.__dict__)
            changed = [a for a, i in dict.items(attrs) if id(dict.get(now, a, missing)) != i]
            if k[0] == "class":
                changed += [a for a in now if a not in attrs]
            out += [
                f"{name}.{a}" for a in changed if replaced_by_student(dict.get(now, a, missing))
            ]
        return sorted(out)[:20]

    # -- the audit hook: refuse the routes into this function's locals ----------------------------
    student_codes, deny_codes, events, busy = set(), set(), [], set()
    # library helpers that hand a frame (or any attribute the caller names) back to whoever called them
    for f in (
        inspect.currentframe,
        inspect.stack,
        inspect.trace,
        inspect.getouterframes,
        inspect.getinnerframes,
        inspect.getmembers,
        getattr(inspect, "getmembers_static", None),
        traceback.walk_stack,
        traceback.walk_tb,
        traceback.extract_stack,
        traceback.print_stack,
        traceback.format_stack,
        logging.currentframe,
        string.Formatter.get_field,
        string.Formatter.vformat,
        pdb.set_trace,
        pdb.Pdb.set_trace,
        bdb.Bdb.set_trace,
        bdb.set_trace,
    ):
        co = getattr(f, "__code__", None)
        if co is not None:
            deny_codes.add(id(co))
    # ... unless the library itself asks: logging looks up the caller's file and line for a record
    allowed_via = {id(logging.currentframe.__code__): {id(logging.Logger.findCaller.__code__)}}
    if library == "torch":
        # torch.manual_seed queues the seed for devices not yet started (cuda, xpu, mtia) with the
        # text of the stack (traceback.format_stack): strings, never a frame
        lazy_calls = []
        for dev in ("cuda", "xpu", "mtia"):
            try:
                lazy_calls.append(id(getattr(torch, dev)._lazy_call.__code__))
            except BaseException:
                pass
        allowed_via[id(traceback.format_stack.__code__)] = set(lazy_calls)
    FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
    # a frame leads to every frame below it (f_back), so these are refused to any code in another
    # thread (a thread pool would call them for the student's code, out of its sight)
    FRAME_EVENTS = frozenset(
        {
            "sys._getframe",
            "sys._current_frames",
            "sys._current_exceptions",
            "gc.get_objects",
            "gc.get_referrers",
            "gc.get_referents",
            "sys.settrace",
            "sys.setprofile",
        }
    )
    WATCHED = frozenset(
        {
            "sys._getframe",
            "sys._current_frames",
            "sys._current_exceptions",
            "sys.settrace",
            "sys.setprofile",
            "sys.addaudithook",
            "gc.get_objects",
            "gc.get_referrers",
            "gc.get_referents",
            "compile",
            "exec",
            "code.__new__",
            "marshal.loads",
            "marshal.load",
            "function.__new__",
            "ctypes.dlopen",
            "ctypes.dlsym",
            "ctypes.cdata",
            "ctypes.addressof",
            "ctypes.string_at",
            "ctypes.wstring_at",
            "ctypes.call_function",
            "ctypes.create_string_buffer",
            "ctypes.PyObj_FromPtr",
            "ctypes.set_errno",
            "ctypes.get_errno",
        }
    )
    getframe, get_ident, normpath = sys._getframe, _thread.get_ident, os.path.normpath
    armed, main_thread = [False], [get_ident()]

    def caller_is_student():
        try:
            f = getframe(2)  # 0: here, 1: the hook, 2: the code whose action raised the event
        except ValueError:  # raised from C with no Python caller
            return False
        code = id(f.f_code)
        if code in deny_codes and code in allowed_via:
            return f.f_back is None or id(f.f_back.f_code) not in allowed_via[code]
        return code in student_codes or code in deny_codes

    def hook(event, args):
        if not armed[0]:
            return
        me = get_ident()
        if me in busy:
            return
        watched = event in WATCHED
        frames = event in FRAME_EVENTS
        path = None
        if event == "object.__getattr__":
            watched = frames = len(args) > 1 and args[1] in FRAME_ATTRS
        elif event in ("object.__setattr__", "object.__delattr__"):
            watched = len(args) > 1 and args[1] in (
                "__code__",
                "__class__",
                "__globals__",
                "__closure__",
                "__defaults__",
                "__kwdefaults__",
                "cell_contents",
            )
        elif event in ("open", "os.listdir", "os.scandir"):
            p = args[0] if args else None
            if type(p) is bytes:
                p = p.decode("utf-8", "replace")
            if type(p) is str:
                path = normpath(p)
                watched = path.startswith(("/proc", "/dev/fd"))
                if path.startswith("/proc") and (path.endswith("/mem") or "/map_files" in path):
                    busy.add(me)
                    try:
                        events.append([event, path[:100]])
                        send("event", "event", [event, path[:100]])
                    finally:
                        busy.discard(me)
                    raise PermissionError(f"{path}: not available while grading")
        anyone = False
        if event == "pickle.find_class" and len(args) > 1:
            # a pickle names the callables it runs: the grader never unpickles, and a library that
            # does (np.load(allow_pickle=True), torch.load(weights_only=False)) would run exec for
            # the student out of the hook's sight, so only data types are let through, for anyone
            m, g = args[0], args[1]
            watched = anyone = not (type(m) is str and type(g) is str and pickle_ok(m, g))
            path = f"{str(m)[:60]}.{str(g)[:40]}"
        if not watched:
            return
        busy.add(me)
        try:
            if not anyone and not caller_is_student() and not (frames and me != main_thread[0]):
                return
            what = event if path is None else f"{event} {path[:100]}"
            if event.startswith("object.") and len(args) > 1:
                what = f"{event} {args[1]}"
            if len(events) < 50:
                events.append([what, ""])
                send("event", "event", [what, ""])  # now: the code may never let the probe finish
        finally:
            busy.discard(me)
        raise PermissionError(f"{what}: not available while grading")

    # what a pickle of data (a state_dict, an array, a whole nn.Module of the library) may name:
    # plain names only (a dotted one is a chain of attributes, __globals__ and beyond)
    PICKLE_NAMES = {
        "builtins": frozenset(
            {"set", "frozenset", "slice", "complex", "bytearray", "range", "list", "dict"}
            | {"tuple", "int", "float", "bool", "str", "bytes", "object"}
        ),
        "collections": frozenset({"OrderedDict", "defaultdict", "deque", "Counter"}),
        "copyreg": frozenset({"_reconstructor"}),
        "_codecs": frozenset({"encode"}),
        "numpy": frozenset({"dtype", "ndarray"}),
        "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
        "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
        "torch": frozenset({"Size", "device", "dtype", "Tensor", "strided", "preserve_format"}),
        "torch._utils": frozenset(
            {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter"}
            | {"_rebuild_parameter_with_state"}
        ),
        "torch.storage": frozenset({"_load_from_bytes", "UntypedStorage", "TypedStorage"}),
        "torch._tensor": frozenset({"_rebuild_from_type", "_rebuild_from_type_v2"}),
        "torch.nn.parameter": frozenset({"Parameter", "Buffer", "UninitializedParameter"}),
    }

    def pickle_ok(m, g):
        if "." in g:
            return False
        m = dict.get({"__builtin__": "builtins", "copy_reg": "copyreg"}, m, m)  # protocol 2 names
        if m == "torch" and str.endswith(g, "Storage"):
            return True
        if str.startswith(m, "torch.nn.modules.") and not str.startswith(g, "_"):
            return (
                type(dict.get(dict(sys.modules[m].__dict__) if m in sys.modules else {}, g)) is type
            )
        return g in dict.get(PICKLE_NAMES, m, frozenset())

    sys.addaudithook(hook)

    # A signal handler is handed the frame it interrupts (no audit event says so): the student's
    # code may not install one, and the handlers are compared with these after every step.
    handlers_before = {
        n: signal.getsignal(n)
        for n in signal.valid_signals()
        if n not in (signal.SIGKILL, signal.SIGSTOP)
    }
    getsignal, set_signal = signal.getsignal, signal.signal

    signal_calls = []

    def refuse_signal(signalnum, handler, calls=signal_calls, error=OSError):
        # it becomes signal.signal, where the student's code can read its closure: so it has
        # none, and only notes the call for the probe to report
        calls.append(1)
        raise error("signal.signal: not available while grading")

    signal.signal = _signal.signal = refuse_signal

    def signals_changed():
        if signal_calls:
            send("event", "event", ["signal.signal", ""])
            signal_calls.clear()
        changed = [int(n) for n, h in dict.items(handlers_before) if getsignal(n) is not h]
        for n in changed:  # put ours back, so that a later step is not interrupted by theirs
            try:
                set_signal(n, handlers_before[n])
            except (OSError, ValueError):
                pass
        return changed

    # -- the student's cell ------------------------------------------------------------------------
    with open(os.path.join(in_dir, "student.py"), encoding="utf-8") as f:
        source = f.read()
    with open(os.path.join(in_dir, "part_probe.py"), encoding="utf-8") as f:
        part_source = f.read()
    part_ns = {"__name__": "__probe__"}
    exec(compile(part_source, "<part probe>", "exec"), part_ns)
    run_probe = part_ns["probe"]
    ns = {"__name__": "__student__", "torch": torch, "nn": nn, "F": F, "np": np}
    if library == "d2lmods":
        ns["d2lmods"] = torch
    try:
        code = compile(source, "<solution cell>", "exec")
        todo = [code]
        while todo:
            c = todo.pop()
            student_codes.add(id(c))
            todo += [k for k in c.co_consts if type(k) is types.CodeType]
        compiled = True
    except BaseException as e:
        send("exec", "exec", err(e))
        compiled = False
    keep_alive = code if compiled else None  # noqa: F841  (ids in student_codes stay unique)
    t = perf()
    exec_ok = False
    if compiled:
        armed[0] = True
        try:
            exec(code, ns)
            exec_ok = True
            send("exec", "exec", {"ok": True})
        except BaseException as e:  # a broken cell still lets us report *why* nothing works
            send("exec", "exec", err(e))
    timings["exec"] = perf() - t

    # -- the inputs, now that the cell has been imported -------------------------------------------
    raw = read_exactly(n_inputs)
    try:
        os_close(0)
    except OSError:
        pass
    if len(raw) != n_inputs:
        send("event", "event", ["stdin read by someone else", ""])
        os_exit(0)
    with np_load(BytesIO(raw), allow_pickle=False) as z:
        inputs = {k: z[k] for k in z.files}
    raw = None

    # -- the toolkit the part's probe observes with ------------------------------------------------
    Module, Tensor = nn.Module, torch.Tensor
    MODULE_DICT = DICT_OF(Module)[
        "__dict__"
    ].__get__  # an instance's real __dict__, whatever its class says
    DATA, GRAD = tensor_data, tensor_grad
    asarray, float64, tolist = np.asarray, np.float64, np.ndarray.tolist
    tensor_types = frozenset(id(c) for c in dict.values(lib_classes) if Tensor in MRO_OF(c))
    module_types = frozenset(id(c) for c in dict.values(lib_classes) if Module in MRO_OF(c))
    FORBIDDEN = frozenset(
        {
            "parameters",
            "named_parameters",
            "buffers",
            "named_buffers",
            "children",
            "named_children",
            "modules",
            "named_modules",
            "state_dict",
            "load_state_dict",
            "_named_members",
            "_save_to_state_dict",
            "__getattribute__",
            "__getattr__",
            "__setattr__",
            "__delattr__",
            "__dict__",
            "__class__",
            "_modules",
            "_parameters",
            "_buffers",
            "__dir__",
            "__instancecheck__",
            "__subclasscheck__",
            "mro",
            "train",
            "eval",
            "_apply",
            "apply",
            "to",
            "double",
            "float",
            "__init_subclass__",
        }
    )
    overrides = []

    def mro(obj):
        return MRO_OF(type(obj))

    def raw_modules(m):
        """The registered children of a Module, read from its own dict (None: not a Module)."""
        if Module not in mro(m):
            return None
        d = MODULE_DICT(m)
        mods = dict.get(d, "_modules")
        return list(dict.items(mods)) if type(mods) is dict else []

    def raw_named_modules(m, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(m) in memo:
            return []
        memo.add(id(m))
        out = [(prefix, m)]
        for name, c in raw_modules(m) or []:
            if c is not None and Module in mro(c):
                out += raw_named_modules(
                    c, (prefix + "." if prefix else "") + str.__str__(name), memo
                )
        return out

    def raw_named_parameters(m):
        out, seen = [], set()
        for pre, mod in raw_named_modules(m):
            params = dict.get(MODULE_DICT(mod), "_parameters")
            for name, p in dict.items(params) if type(params) is dict else []:
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out.append(((pre + "." if pre else "") + str.__str__(name), p))
        return out

    def check_classes(obj):
        """Student classes of ``obj`` that redefine traversal or registration (or use a metaclass)."""
        for c in MRO_OF(type(obj)):
            if id(c) in lib_classes or c is object:
                continue
            name = str.__str__(NAME_OF(c))
            for attr in DICT_OF(c):
                if attr in FORBIDDEN and f"{name}.{attr}" not in overrides:
                    overrides.append(f"{name}.{attr}")
            meta = type(c)
            if (
                meta is not type
                and id(meta) not in lib_classes
                and f"{name}: metaclass" not in overrides
            ):
                overrides.append(f"{name}: metaclass")

    def arr(t):
        """A tensor as {shape, dtype, data}, read from its array; anything else as its type name."""
        if id(type(t)) not in tensor_types:
            return {"not_tensor": str.__str__(NAME_OF(type(t)))}
        a = asarray(DATA(t))
        out = {"shape": [int(s) for s in a.shape], "dtype": str.__str__(str(a.dtype))}
        if (
            a.size > 20_000
        ):  # no check needs more; the judge reads a missing "data" as a wrong value
            return out
        out["data"] = tolist(asarray(a, dtype=float64))
        return out

    def grad(t):
        g = GRAD(t) if id(type(t)) in tensor_types else None
        return None if g is None else arr(g)

    def training(m):
        v = dict.get(MODULE_DICT(m), "training")
        return v if type(v) is bool else None

    def step(name, fn):
        """Run one observation; report its result or the exception it raised."""
        t0 = perf()
        try:
            value = fn()
        except BaseException as e:  # SystemExit, KeyboardInterrupt, MemoryError included
            value = err(e)
        timings["checks"] = timings.get("checks", 0.0) + perf() - t0
        changed = signals_changed()
        if changed:
            send("event", "event", ["signal handler installed", str(changed)[:80]])
        library_state()  # a hook put in place for one step and removed after it still counts
        send("probe", name, value)

    # the library-neutral layer the parts' probes use for what d2lmods and torch spell differently
    lib_save, lib_load = torch.save, torch.load
    if library == "torch":

        def load_data(f, load=lib_load):
            """torch.load of data only (what d2lmods.load reads): a whole module is refused."""
            return load(f, weights_only=True)

    else:
        load_data = lib_load
    lib = types.SimpleNamespace(
        library=library,
        torch=torch,
        nn=nn,
        np=np,
        Module=Module,
        Tensor=Tensor,
        Parameter=nn.Parameter,
        Dropout=nn.Dropout,
        save=lib_save,
        load=load_data,
        Linear=nn.Linear,
        LazyLinear=nn.LazyLinear,
        ReLU=nn.ReLU,
        Sequential=nn.Sequential,
        ModuleList=nn.ModuleList,
        ModuleDict=nn.ModuleDict,
        tensor=torch.tensor,
        ascontiguousarray=np.ascontiguousarray,
        float64_=np.float64,
        load_state_dict=Module.load_state_dict,
        state_dict=Module.state_dict,
        train=Module.train,
        double=Module.double,
        named_children=Module.named_children,
        parameters=Module.parameters,
        step=step,
        arr=arr,
        grad=grad,
        err=err,
        mro=mro,
        raw_modules=raw_modules,
        raw_named_modules=raw_named_modules,
        raw_named_parameters=raw_named_parameters,
        check_classes=check_classes,
        training=training,
        is_module_type=lambda c: id(c) in module_types,
        len=len,
        type=type,
        isinstance=isinstance,
        id=id,
        str=str,
        repr=repr,
        int=int,
        float=float,
        list=list,
        dict=dict,
        tuple=tuple,
        set=set,
        sorted=sorted,
        enumerate=enumerate,
        range=range,
        zip=zip,
        hasattr=hasattr,
        BaseException=BaseException,
        name_of=lambda c: str.__str__(NAME_OF(c)),
    )

    if exec_ok:
        # Each part reseeds so a student's use of the global RNG cannot depend on test order.
        np.random.seed(0)
        torch.manual_seed(0)
        try:
            run_probe(lib, inputs, ns)
        except BaseException as e:  # a missing name, or something escaping a step
            send("probe", "_part", err(e))
    armed[0] = False
    send(
        "integrity",
        "integrity",
        {"events": list(events), "overrides": list(overrides), "patched": patched()},
    )
    timings["total"] = perf() - T0
    send("done", "timings", {k: float(v) for k, v in dict.items(timings)})


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # skip atexit handlers the student may have registered
