"""The in-kernel guard shared by every assignment's checks.

The student's code runs in the same Python process as the test cells, so the checks defend
themselves:

* **No delegation.**  While the student's function runs (:class:`own_work`), a profile hook
  (``sys.setprofile``, and ``threading.setprofile`` for threads it starts) watches every call:
  any Python code of coursekit, ``scipy.stats``, ``scipy.cluster`` or scikit-learn that runs -- a public or private
  function, a method, a property, a module executed by a fresh import -- however the student
  got hold of it (``from``-imports, aliases, ``importlib``, ``__import__``, attributes of a module
  object, a default argument...) marks the call as delegating, and the check fails with
  :data:`DELEGATION_MESSAGE`.  Compiled callables of those packages (Cython functions, numba
  dispatchers), which run no Python code the hook could see, are replaced by recording stubs in
  their modules, in the notebook's namespace and wherever the notebook's own objects hold them
  (default arguments, closures, class and instance attributes, lists, dicts and their keys,
  tuples, sets, NumPy arrays of objects, ``types.SimpleNamespace``, ``functools.partial``, bound
  methods) for that time.  Starting a process (an audit
  hook sees ``os.fork``, ``subprocess.Popen``, ``os.system``, ...) fails the same way, and
  removing or replacing the profile hook fails with :data:`TAMPER_MESSAGE`.  numpy,
  ``scipy.special`` and ``scipy.linalg`` stay allowed.
* **One task at a time.**  A task that uses an earlier one is graded with a coursekit-backed
  stand-in (:func:`reference_backed`) bound to the earlier function's name in the notebook
  (:func:`substitute`); the stand-in may call coursekit because its own frame is on the stack
  (and it only accepts plain arrays and numbers, so no student code runs inside it).
* **Plain values only.**  Outputs are turned into fresh float64 arrays by functions captured at
  import, after checking that their type is exactly ``ndarray``, ``list``, ``tuple`` or a real
  scalar (an ndarray subclass or an object with ``__eq__``/``__array__`` tricks is rejected);
  shapes and finiteness are checked before any comparison.
* **Sealed checks.**  :func:`seal` rebinds every function of the check modules to a private
  copy of its module's namespace (and of ``builtins``), so rebinding ``_close`` or
  ``builtins.len`` from the notebook changes nothing the checks see.  After every call of the
  student's code the callables of numpy, scipy.special/linalg, math, builtins and the check
  modules, the ``__code__``/defaults/closures of the Python functions the checks rely on, are
  compared with their snapshot: any change is undone and the check fails with
  :data:`TAMPER_MESSAGE`.

What remains (documented in the README): code that digs into this module's private state to
reset it while it runs can still hide a call, as can a thread started from C code (e.g.
``map(_thread.start_new_thread, ...)``); only judging in another process closes that.  A compiled
callable kept where the walk of the notebook's objects does not look (an attribute of a library's
object, a read-only NumPy array of objects that is a view of memory it may not write, past 200,000
objects) is not swapped either.
"""

# The failure helper sits first and alone: IPython shows the frame that raised, and only this one.


def _raise_feedback(message):
    raise AssertionError(message) from None


import builtins  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402
import operator  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

import numpy as _np  # noqa: E402
import scipy.linalg as _linalg  # noqa: E402
import scipy.special as _special  # noqa: E402

from .. import _validation, classifier, gaussian, kmeans, mixture  # noqa: E402  (the references)

# ---------------------------------------------------------------------------------------------
# Captured at import time: student code may rebind numpy's functions, not these names.

_ndarray = _np.ndarray
_array = _np.array
_float64 = _np.float64
_ufunc_abs = _np.absolute
_ufunc_isfinite = _np.isfinite
_ufunc_subtract = _np.subtract
_ufunc_less_equal = _np.less_equal
_ufunc_multiply = _np.multiply
_ufunc_add = _np.add
_ufunc_equal = _np.equal
_and_reduce = _np.logical_and.reduce  # C-level: its behaviour cannot be swapped via __code__
_asarray = _np.asarray
_default_rng = _np.random.default_rng
_errstate = _np.errstate
_FunctionType = types.FunctionType
_type = builtins.type
_id = builtins.id
_isinstance = builtins.isinstance
_len = builtins.len
_float = builtins.float
_getattr = builtins.getattr
_tuple = builtins.tuple
_bool = builtins.bool
_getframe = sys._getframe
_setprofile = sys.setprofile
_getprofile = sys.getprofile
# For the integrity checks' fast path: loops that run in C, with no Python call (and no audit
# event: reading a function's __code__, __defaults__ or __kwdefaults__ raises one, and every audit
# hook, this module's included, is a Python call) per object compared.
_get_referents = gc.get_referents
_is = operator.is_
_all = builtins.all
_map = builtins.map
_repeat = itertools.repeat
_compress = itertools.compress
_callable = builtins.callable
_list = builtins.list
_set = builtins.set
_itemgetter0 = operator.itemgetter(0)
_SEPARATOR = (object(),)  # between two functions' referents: no object of one can pass for the next's
_threading_setprofile = threading.setprofile
_SCALAR_TYPES = (float, int, _np.float64, _np.float32, _np.float16, _np.int64, _np.int32,
                 _np.int16, _np.int8, _np.uint64, _np.uint32, _np.uint16, _np.uint8)

DELEGATION_MESSAGE = (
    "your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn: write it yourself with "
    "numpy (scipy.special and scipy.linalg are fine)"
)

TAMPER_MESSAGE = (
    "tampering: your code modified numpy, a builtin or the grader's checks while it ran; the tests "
    "cannot trust the result (do not modify numpy, builtins or coursekit.checks)"
)

PROCESS_MESSAGE = (
    "your function must not start another process: the tests cannot see what it runs there; "
    "write it with numpy in this process"
)


def npall(x):
    """All elements true, by a C-level ufunc reduction (numpy's Python-level ``all`` can be swapped)."""
    return _bool(_and_reduce(_asarray(x), axis=None))


def array_equal(a, b):
    """Same shape and equal elements, from C-level functions only."""
    a = _asarray(a)
    b = _asarray(b)
    if a.shape != b.shape:
        return False
    return _bool(_and_reduce(_ufunc_equal(a, b), axis=None))


def _snapshot_modules():
    modules = [_np, _np.linalg, _np.random, _np.lib, _special, _linalg,
               _validation, classifier, gaussian, kmeans, mixture]
    return [(m, dict(vars(m))) for m in modules]


_SNAPSHOT = _snapshot_modules()


def _numpy_tampered():
    """The name of a numpy/scipy function the notebook replaced since this module was imported."""
    for module, names in _SNAPSHOT:
        current = vars(module)
        for key, value in names.items():
            if current.get(key, value) is not value and callable(value):
                return f"{module.__name__}.{key}"
    return None


class Fail(Exception):
    """A graded property does not hold; the message is the feedback."""


class NotWritten(Fail):
    """The student's function still raises NotImplementedError."""


def fail(message):
    raise Fail(message)


def hide_caller_frames(frame, hide):
    """IPython skips frames whose locals hold ``__tracebackhide__``; a cell's locals are its globals.

    Set while a hidden check's failure propagates, so that the feedback shows the message and not
    the hidden test cell's code; cleared when the next check or visible test starts.
    """
    namespace = frame.f_globals if frame is not None else None
    if not _isinstance(namespace, dict) or namespace.get("__name__") != "__main__":
        return
    if hide:
        namespace["__tracebackhide__"] = True
    else:
        namespace.pop("__tracebackhide__", None)


def check(func):
    """A hidden check: internal failures become a short ``AssertionError`` for the feedback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841  (IPython hides this frame in the feedback)
        caller = _getframe(1)
        hide_caller_frames(caller, False)
        message, _ = run_guarded(func, args, kwargs)
        if message is not None:
            hide_caller_frames(caller, True)
            _raise_feedback(message)

    return wrapper


def run_guarded(func, args, kwargs):
    """Run a check: ``(None, "passed")``, or ``(feedback message, "failed" or "not written")``."""
    tampered = _numpy_tampered()
    if tampered is not None:
        return (f"the notebook replaced {tampered}: the tests cannot run (do not modify numpy, scipy or "
                "coursekit)", "failed")
    if _internals_tampered() | _state_tampered():
        return TAMPER_MESSAGE, "failed"
    message, status = None, "passed"
    try:
        # The checks' own arithmetic (diagnosing a wrong answer divides by its zeros) never warns.
        with warnings.catch_warnings(), _errstate(all="ignore"):
            warnings.simplefilter("ignore")
            func(*args, **kwargs)
    except NotWritten as exc:
        message, status = exc.args[0], "not written"
    except Fail as exc:
        message, status = exc.args[0], "failed"
    if _internals_tampered() | _state_tampered():  # e.g. own_work.__exit__ replaced from inside
        message, status = TAMPER_MESSAGE, "failed"
    return message, status


# ---------------------------------------------------------------------------------------------
# What counts as delegating


def _package_dir(name):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0]) + os.sep


_COURSEKIT_DIR = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep
_CHECKS_DIR = _COURSEKIT_DIR + "checks" + os.sep
# scipy.cluster.vq holds k-means itself (kmeans2, vq): a reference for hw3 as scipy.stats is for hw1-hw2.
_BLOCKED_DIRS = _tuple(d for d in (_COURSEKIT_DIR, _package_dir("scipy.stats"), _package_dir("scipy.cluster"),
                                   _package_dir("sklearn")) if d)
_BLOCKED_DIRS += _tuple(os.path.abspath(d[:-1]) + os.sep for d in _BLOCKED_DIRS
                        if os.path.abspath(d[:-1]) + os.sep not in _BLOCKED_DIRS)
# The grading worker's modules may run in the kernel; they are no reference to delegate to.
_EXEMPT_DIRS = (_COURSEKIT_DIR + "grading" + os.sep,)
_BLOCKED_MODULES = ("coursekit", "scipy.stats", "scipy.cluster", "sklearn")
_EXEMPT_MODULES = ("coursekit.checks", "coursekit.grading")


def _blocked_module(name):
    return (_type(name) is str and (name in _BLOCKED_MODULES or name.startswith(("coursekit.", "scipy.stats.",
                                                                                     "scipy.cluster.", "sklearn.")))
            and not (name in _EXEMPT_MODULES or name.startswith(("coursekit.checks.", "coursekit.grading."))))


_LIBRARY_PREFIXES = _tuple(sorted({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
                                   | {_COURSEKIT_DIR})) + ("<frozen",)


def in_student_code(frame):
    """True if the innermost frame that is not a library's is the student's (not the checks')."""
    while frame is not None:
        if _id(frame.f_code) in _CHECK_CODE_IDS:
            return False
        filename = frame.f_code.co_filename
        if not (filename.startswith(_LIBRARY_PREFIXES) or os.path.realpath(filename).startswith(_LIBRARY_PREFIXES)):
            return True
        frame = frame.f_back
    return False


# Filled by seal(): ids of the code objects of the checks (nested ones included), and of the few
# that student code may call (the reference stand-ins, the audit hook).
_CHECK_CODE_IDS = frozenset()
_ENTRY_CODE_IDS = frozenset()
_REFERENCE_CODE_IDS = frozenset()
_PRIVATE_IDS = frozenset()

_state = {"student": 0, "hit": None, "tampered": False, "process": False}
_PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                             "subprocess.Popen", "os.startfile", "pty.spawn"})
_PROFILE_EVENTS = frozenset({"sys.setprofile", "sys.settrace"})


def _trusted(reference):
    """A reference stand-ins may run: a lambda written in a check module, as written there."""
    return (_type(reference) is _FunctionType and _id(reference.__code__) in _REFERENCE_CODE_IDS
            and _id(reference.__globals__) in _PRIVATE_IDS and reference.__closure__ is None)


def _allowed(frame):
    """True if a reference stand-in's frame is on the stack (coursekit may run for it)."""
    while frame is not None:
        if _id(frame.f_code) == _STANDIN_CODE_ID:
            return _trusted(frame.f_locals.get("reference"))
        frame = frame.f_back
    return False


def _profile(frame, event, arg):
    """Installed while the student's code runs: records calls into the references.

    Reference stand-ins switch it off while their reference runs (only checks' code runs then),
    so whatever runs coursekit, scipy.stats, scipy.cluster or scikit-learn with the hook on is the student's.
    """
    if event == "call":
        code = frame.f_code
        cid = _id(code)
        if cid in _CHECK_CODE_IDS:
            # Student code may call a stand-in, nothing else of the checks (e.g. to whitelist itself).
            if cid not in _ENTRY_CODE_IDS:
                caller = frame.f_back
                if caller is None or _id(caller.f_code) not in _CHECK_CODE_IDS:
                    _state["tampered"] = f"called {code.co_name} of the checks"
            return
        filename = code.co_filename
        if filename.startswith(_BLOCKED_DIRS) and not filename.startswith(_EXEMPT_DIRS) and _state["hit"] is None:
            _state["hit"] = filename
    elif event == "c_call":
        module = _getattr(arg, "__module__", None)
        if module is not None and _state["hit"] is None and _blocked_module(module):
            _state["hit"] = module


_STANDIN_CODE_ID = None


def _audit(event, args):
    """Permanent audit hook (cannot be removed); inert unless the student's code is running here."""
    if _getprofile() is not _profile:
        return
    if event in _PROFILE_EVENTS:
        if _id(_getframe(1).f_code) not in _CHECK_CODE_IDS:  # own_work.__exit__ may remove the hook
            _state["tampered"] = event
    elif event in _PROCESS_EVENTS and _state["hit"] is None:  # (a reference starting one scores zero anyway)
        _state["process"] = True
        raise RuntimeError("starting a process is not allowed while your function is graded")


sys.addaudithook(_audit)


class _Recorder:
    """Stands in for a compiled reference (Cython function, numba dispatcher) while student code runs."""

    __slots__ = ("_key", "_original")

    def __init__(self, key, original):
        self._key = key
        self._original = original

    def __call__(self, *args, **kwargs):
        if not _allowed(_getframe(1)):
            if _state["hit"] is None:
                _state["hit"] = self._key
        return self._original(*args, **kwargs)


def _opaque(value):
    """A callable of a blocked package whose calls the profile hook cannot see."""
    t = _type(value)
    if t is _FunctionType or _isinstance(value, type) or not callable(value) or t is _Recorder:
        return False
    if t.__name__ in ("builtin_function_or_method", "cython_function_or_method", "fused_cython_function",
                      "CPUDispatcher", "Dispatcher", "ufunc"):
        return True
    return t.__name__.endswith("cython_function_or_method")


# Module names already judged by _blocked_module (a function of the name alone): the modules of a
# kernel are the same from one call of the student's code to the next, bar the few it imports.
_NAMES_SEEN = set()
_NAMES_BLOCKED = set()


def _blocked_items():
    """``(name, module)`` of ``sys.modules`` whose name is blocked, in ``sys.modules``' order."""
    items = _list(sys.modules.items())
    names = _list(_map(_itemgetter0, items))
    if not _all(_map(_is, _map(_type, names), _repeat(str))):
        # A key that is not exactly a str (the notebook put it there): hashing or comparing it
        # could run the notebook's code, so judge every name one by one, as _blocked_module does.
        return [item for item in items if _blocked_module(item[0])]
    for name in _set(names) - _NAMES_SEEN:  # exact strs: hashed and compared in C
        _NAMES_SEEN.add(name)
        if _blocked_module(name):
            _NAMES_BLOCKED.add(name)
    return _compress(items, _map(_NAMES_BLOCKED.__contains__, names))


def _swap_opaque(student_namespaces, roots=()):
    """Replace compiled reference callables by recorders; returns the undo list.

    In the blocked modules, in the student's namespaces, and in whatever the student's objects
    (``roots``, the namespaces) hold (:func:`_swap_reachable`)."""
    swaps = []
    opaque = {}
    for name, module in _blocked_items():
        if module is None:
            continue
        namespace = _getattr(module, "__dict__", None)
        if not _isinstance(namespace, dict):
            continue
        for attr, value in list(namespace.items()):
            if attr.startswith("__") or not _opaque(value):
                continue
            owner = _getattr(value, "__module__", None)
            if owner is not None and not _blocked_module(owner):
                continue  # e.g. numpy's functions imported into a blocked module
            recorder = opaque.get(_id(value))
            if recorder is None:
                recorder = opaque[_id(value)] = _Recorder(f"{name}.{attr}", value)
            swaps.append((namespace, attr, value))
            namespace[attr] = recorder
    for namespace in student_namespaces:
        for attr, value in list(namespace.items()):
            recorder = opaque.get(_id(value))
            if recorder is not None:
                swaps.append((namespace, attr, value))
                namespace[attr] = recorder
    kinds = _set(_type(r._original) for r in opaque.values())
    if kinds:
        _swap_reachable(student_namespaces, roots, kinds, opaque, swaps)
    return swaps


# The student's objects the walk below looks into, at most (a list of a million numbers is data,
# not a hiding place; past this many objects the walk stops).
_WALK_LIMIT = 200_000
_CELL = _type((lambda x: lambda: x)(0).__closure__[0])
_ATOMS = frozenset({str, bytes, int, float, bool, complex, _ndarray, type(None), _float64})
_STR_ONLY = frozenset({str})


def _student_function(f):
    """A Python function written in the notebook (not a library's, not the checks')."""
    code = f.__code__
    if _id(code) in _CHECK_CODE_IDS:
        return False
    filename = code.co_filename
    return not (_type(filename) is str and filename.startswith(_LIBRARY_PREFIXES))


_HEAPTYPE, _IMMUTABLETYPE = 1 << 9, 1 << 8  # Py_TPFLAGS_*


def _student_class(cls):
    """A class made by ``class`` in the notebook (plain metaclass, not a library's module)."""
    if _type(cls) is not type or cls.__flags__ & _IMMUTABLETYPE or not cls.__flags__ & _HEAPTYPE:
        return False
    name = cls.__dict__.get("__module__")
    if _type(name) is not str:
        return False
    if name == "__main__":  # the notebook's own
        return True
    module = sys.modules.get(name)
    filename = _getattr(module, "__file__", None) if module is not None else None
    return not (_type(filename) is str and os.path.realpath(filename).startswith(_LIBRARY_PREFIXES))


def _swap_reachable(student_namespaces, roots, kinds, opaque, swaps):
    """Put recorders in place of compiled reference callables the student's objects hold.

    A compiled callable held in a default argument, a closure, a class attribute, a list, a
    dict (as a value or a key), a tuple, a set, a NumPy array of objects, a ``functools.partial``,
    a bound method, a ``types.SimpleNamespace`` or an instance's attributes is called
    without any lookup in a module the profile hook or :func:`_swap_opaque` could see.  This
    walks what the notebook's namespace (and the graded function) reach -- the student's own
    functions, classes, instances and plain containers, never a library's object or a module --
    and swaps every such callable (an object of one of the ``kinds`` of the references'
    compiled callables, from a blocked module) for a recorder; ``swaps`` gets the undo entries.
    Only exact built-in types are looked into, by their C-level accessors, so no code of the
    student's runs here; a library module's namespace is not walked (its callables are swapped
    by :func:`_swap_opaque`), and a list or tuple of plain numbers and strings is passed over by
    one C-level pass (measured in a kernel with scikit-learn loaded: no change per graded call for
    a plain notebook, ~8-10 ms, and +30 ms for one holding a list of 10^6 floats).
    """
    seen = _set()
    count = [0]

    def recorder_for(value):
        if _type(value) not in kinds or not _blocked_module(_getattr(value, "__module__", None)):
            return None
        rec = opaque.get(_id(value))
        if rec is None:
            rec = opaque[_id(value)] = _Recorder(f"{value.__module__}.{_getattr(value, '__qualname__', '?')}", value)
        return rec

    def replaced(value, namespace=False):
        """What to put in place of ``value`` (None: keep it; mutable containers are fixed in place)."""
        t = _type(value)
        if t in _ATOMS:
            if t is _ndarray and value.dtype.kind == "O" and _id(value) not in seen:
                seen.add(_id(value))
                replaced_in_object_array(value)
            return None
        if _id(value) in seen:
            return None
        if count[0] >= _WALK_LIMIT:
            return None
        rec = recorder_for(value)
        if rec is not None:
            return rec
        seen.add(_id(value))
        count[0] += 1
        if (t is list or t is tuple) and _set(_map(_type, value)) <= _ATOMS:  # numbers, strings: in C
            return None
        if t is dict and not namespace and _library_namespace(value):
            return None  # a module's namespace (a library's: the notebook's own are walked as roots)
        if t is dict:
            for key, item in _list(value.items()):
                if _type(key) is str and key == "__builtins__":
                    continue
                new = replaced(item)
                if new is not None:
                    swaps.append((value, key, item))
                    value[key] = new
            # A compiled callable as a key (found again by iterating the dict): the key is swapped.
            for key in [k for k in _list(value) if _type(k) in kinds]:
                rec = recorder_for(key)
                if rec is not None:
                    _swap_key(value, key, rec)
                    swaps.append((_KeySlot(value, rec), key, None))
        elif t is list:
            for i, item in enumerate(_list(value)):
                new = replaced(item)
                if new is not None:
                    swaps.append((value, i, item))
                    value[i] = new
        elif t is tuple:
            items = _list(value)
            news = [replaced(item) for item in items]
            if any(n is not None for n in news):
                return _tuple(item if n is None else n for item, n in zip(items, news))
        elif t is _FunctionType:
            if not _student_function(value):
                return None
            defaults = value.__defaults__
            if defaults is not None:
                new = replaced(defaults)
                if new is not None:
                    swaps.append((_AttrSlot(value), "__defaults__", defaults))
                    value.__defaults__ = new
            if value.__kwdefaults__ is not None:
                replaced(value.__kwdefaults__)
            for cell in value.__closure__ or ():
                try:
                    content = cell.cell_contents
                except ValueError:
                    continue
                new = replaced(content)
                if new is not None:
                    swaps.append((_AttrSlot(cell), "cell_contents", content))
                    cell.cell_contents = new
            replaced(value.__globals__, namespace=True)
        elif t is type:
            if not _student_class(value):
                return None
            for key, item in _list(value.__dict__.items()):
                new = replaced(item)
                if new is not None:
                    swaps.append((_AttrSlot(value), key, item))
                    type.__setattr__(value, key, new)
        elif t is staticmethod or t is classmethod:
            new = replaced(value.__func__)
            if new is not None:
                return t(new)
        elif t is types.MethodType:
            new = replaced(value.__func__)
            if new is not None:
                return types.MethodType(new, value.__self__)
        elif t is functools.partial:
            func, args, keywords = value.func, value.args, value.keywords
            new_func, new_args, new_keywords = replaced(func), replaced(args), None
            if keywords:
                new_keywords = dict(keywords)
                replaced(new_keywords)
                if _all(_map(_is, new_keywords.values(), keywords.values())):
                    new_keywords = None
            if new_func is not None or new_args is not None or new_keywords is not None:
                return functools.partial(func if new_func is None else new_func,
                                         *(args if new_args is None else new_args),
                                         **(keywords if new_keywords is None else new_keywords))
        elif t is set or t is frozenset:
            items = _list(value)
            news = [replaced(item) for item in items]
            if any(n is not None for n in news):
                if t is frozenset:
                    return frozenset(item if n is None else n for item, n in zip(items, news))
                for item, n in zip(items, news):
                    if n is not None:
                        value.discard(item)
                        value.add(n)
                        swaps.append((_SetSlot(value, n), None, item))
        elif t is _CELL:
            return None
        elif t is types.SimpleNamespace:
            replaced(vars(value))
        elif _student_class(t):  # an instance of a class of the notebook: its attributes
            attributes = _instance_dict(value, t)
            if attributes is not None:
                replaced(attributes)
        return None

    def replaced_in_object_array(array):
        """Swap in place what an array of Python objects holds (its items walked like a list's)."""
        if not array.flags.writeable:
            try:
                array.flags.writeable = True
            except ValueError:  # a view of memory it may not write: left as it is
                return
            swaps.append((_AttrSlot(array.flags), "writeable", False))
        items = _list(array.flat)
        if _set(_map(_type, items)) <= _ATOMS:  # numbers, strings: passed over in C
            return
        flat = array.flat
        for i, item in enumerate(items):
            new = replaced(item)
            if new is not None:
                swaps.append((flat, i, item))
                flat[i] = new

    for root in _tuple(roots):
        replaced(root)
    for namespace in student_namespaces:
        replaced(namespace, namespace=True)


def _library_namespace(d):
    """True if ``d`` is the very ``__dict__`` of the module its ``__name__`` names (exact str keys
    only: looking them up runs no code of the student's)."""
    if _set(_map(_type, d)) != _STR_ONLY:
        return False
    name = d.get("__name__")
    module = sys.modules.get(name) if _type(name) is str else None
    return _type(module) is types.ModuleType and module.__dict__ is d


def _instance_dict(obj, cls):
    """``obj.__dict__`` through the C-level descriptor Python gives every class (None when the
    class defines its own ``__dict__``, or has none): no code of the student's runs."""
    for klass in cls.__mro__:
        descriptor = klass.__dict__.get("__dict__")
        if descriptor is not None:
            if _type(descriptor) is not types.GetSetDescriptorType:
                return None
            attributes = descriptor.__get__(obj, cls)
            return attributes if _type(attributes) is dict else None
    return None


class _AttrSlot:
    """An undo entry's target that is set with setattr (a function's defaults, a cell, a class)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __setitem__(self, name, value):
        if _type(self.obj) is type:
            type.__setattr__(self.obj, name, value)
        else:
            setattr(self.obj, name, value)


_KEY_TYPES = frozenset({str, bytes, int, float, bool, complex, type(None), _float64, _Recorder})


def _swap_key(d, old, new):
    """Put key ``new`` in place of ``old`` in dict ``d``, with its value and, when every other key
    hashes in C (strings, numbers, the swapped callable and its recorder), at its place in the
    order (the dict is rebuilt); otherwise at the end (hashing a key of the student's would run
    its code)."""
    keys = _list(d)
    if _all(_type(k) in _KEY_TYPES or k is old for k in keys):
        items = _list(d.items())
        d.clear()
        for k, v in items:
            d[new if k is old else k] = v
    else:
        d[new] = d.pop(old)


class _KeySlot:
    """An undo entry's target for a swapped dict key: puts the original key back for the recorder."""

    __slots__ = ("d", "recorder")

    def __init__(self, d, recorder):
        self.d = d
        self.recorder = recorder

    def __setitem__(self, key, _):
        if self.recorder in self.d:
            _swap_key(self.d, self.recorder, key)


class _SetSlot:
    """An undo entry's target in a set: takes the recorder out and puts the original back."""

    __slots__ = ("s", "recorder")

    def __init__(self, s, recorder):
        self.s = s
        self.recorder = recorder

    def __setitem__(self, _, value):
        self.s.discard(self.recorder)
        self.s.add(value)


def _unswap(swaps):
    for namespace, attr, value in reversed(swaps):
        namespace[attr] = value


class own_work:  # noqa: N801
    """Run the student's code with the references watched (see the module docstring)."""

    def __init__(self, namespace=None, func=None):
        self._namespace = namespace
        self._func = func

    def __enter__(self):
        self._outermost = _state["student"] == 0
        if self._outermost:
            self._namespaces = _snapshot_namespaces()
            main = sys.modules.get("__main__")
            spaces = [vars(main)] if main is not None else []
            if _isinstance(self._namespace, dict) and all(self._namespace is not s for s in spaces):
                spaces.append(self._namespace)
            self._swaps = _swap_opaque(spaces, () if self._func is None else (self._func,))
            _state["hit"] = None
            _state["tampered"] = False
            _state["process"] = False
            self._profile = _getprofile()
            self._thread_profile = _getattr(threading, "_profile_hook", None)
            _threading_setprofile(_profile)
            _state["student"] = 1
            _setprofile(_profile)
        else:
            _state["student"] += 1
        return self

    def __exit__(self, exc_type, exc, tb):
        __tracebackhide__ = True  # noqa: F841
        if not self._outermost:
            _state["student"] -= 1
            return False
        hook_intact = _getprofile() is _profile
        _setprofile(self._profile)
        _threading_setprofile(self._thread_profile)
        _state["student"] = 0
        _unswap(self._swaps)
        # Both run (and restore what they find changed) before the verdict.
        tampered = _restore_namespaces(self._namespaces) | _internals_tampered()
        tampered = tampered or not hook_intact or _state["tampered"]
        hit, process = _state["hit"], _state["process"]
        _state["hit"], _state["tampered"], _state["process"] = None, False, False
        if tampered:
            _raise_feedback(TAMPER_MESSAGE)
        if hit is not None:
            _raise_feedback(DELEGATION_MESSAGE)
        if process:
            _raise_feedback(PROCESS_MESSAGE)
        return False


def reference_backed(reference, calls=None):
    """A stand-in for an earlier task: runs ``reference`` (a lambda of the checks) on plain inputs.

    Student code calls it in place of its own earlier function.  Only plain arrays and numbers
    get in (no student object runs inside), the reference must be one written in the checks
    (:func:`_trusted`), and the profile hook is off while it runs, so the reference costs what
    it costs outside the guard.  ``calls``, a list, gets one entry per call (a check can then
    tell a student whose function never called the earlier one).
    """

    def standin(*args):
        if calls is not None:
            calls.append(_len(args))
        args = _tuple(_plain_argument(a) for a in args)
        if not _trusted(reference):
            _state["tampered"] = "a stand-in's reference was replaced"
            raise TypeError("this function was tampered with")
        hooked = _getprofile() is _profile
        if hooked:
            _setprofile(None)
        try:
            return reference(*args)
        finally:
            if hooked:
                _setprofile(_profile)

    return standin


def _plain_argument(value):
    if _type(value) in (int, float, bool, _np.int64, _np.float64):
        return value
    try:
        return plain(value, "an argument")
    except Fail:
        raise TypeError("expected an array of numbers") from None


@contextlib.contextmanager
def substitute(student_func, **replacements):
    """Bind stand-ins of earlier tasks to their names in the notebook while a check runs."""
    namespace = _getattr(student_func, "__globals__", None)
    if not _isinstance(namespace, dict):
        main = sys.modules.get("__main__")
        namespace = vars(main) if main is not None else {}
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def call_student(func, name, *args, substitutes=None, task=None, unchanged=()):
    """Call the student's function under :class:`own_work`; turn its errors into feedback.

    ``unchanged``: (position, argument name) of inputs the docstring says not to modify; the
    call fails if the function wrote into them.
    """
    if not callable(func):
        fail(f"{name} is not a function")
    # Copies: the student's function must not see (or change) the reference's arrays.
    args = _tuple(a.copy() if _type(a) is _ndarray else a for a in args)
    before = [(i, what, args[i].copy()) for i, what in unchanged]
    result = _call_student(func, name, args, substitutes, task)
    for i, what, copy in before:
        if not array_equal(args[i], copy):
            shown = str(args[i].tolist())
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            fail(f"{name} modified its argument {what} (yours now holds {shown}): the docstring says not to "
                 f"(work on a copy, e.g. np.array({what}, dtype=float))")
    return result


def _call_student(func, name, args, substitutes, task):
    namespace = _getattr(func, "__globals__", None)
    with contextlib.ExitStack() as stack:
        if substitutes:
            stack.enter_context(substitute(func, **substitutes))
        try:
            with own_work(namespace, func), warnings.catch_warnings(), _errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return func(*args)
        except AssertionError as exc:
            first = exc.args[0] if exc.args else None
            if _type(first) is str and first in (TAMPER_MESSAGE, DELEGATION_MESSAGE, PROCESS_MESSAGE):
                fail(first)
            fail(f"{name} raised AssertionError: {describe(exc)}")
        except NotImplementedError:
            where = f" ({task})" if task else ""
            raise NotWritten(f"{name}{where} is not written yet: it still raises NotImplementedError") from None
        except RecursionError:
            fail(f"{name} raised RecursionError: does it call itself (or a function that calls it back)?")
        except Exception as exc:
            fail(f"{name} raised {_type(exc).__name__}: {describe(exc)}")


def describe(exc):
    try:
        text = str(exc)
    except BaseException:
        text = "?"
    return text[:200]


# ---------------------------------------------------------------------------------------------
# Safe conversion of the student's outputs


def _plain_leaf_ok(value):
    t = _type(value)
    return t in _SCALAR_TYPES or t is bool or t is _np.bool_


def plain(value, what, dtype=_float64):
    """Return ``value`` as a fresh plain ndarray of ``dtype``, or fail with a type message."""
    t = _type(value)
    if t is _ndarray:
        if value.dtype.kind not in "biuf":
            fail(f"{what} must hold numbers (got an array of dtype {value.dtype})")
        try:
            return _array(value, dtype=dtype, copy=True)
        except (ValueError, OverflowError):
            fail(f"{what} could not be converted to numbers")
    if t in (list, tuple):
        stack = [value]
        count = 0
        while stack:
            item = stack.pop()
            count += 1
            if count > 10_000_000:
                fail(f"{what} is too large")
            ti = _type(item)
            if ti in (list, tuple):
                stack.extend(item)
            elif ti is _ndarray:
                if item.dtype.kind not in "biuf":
                    fail(f"{what} must hold numbers")
            elif not _plain_leaf_ok(item):
                fail(f"{what} must be a NumPy array of numbers (found an element of type {ti.__name__})")
        try:
            return _array(value, dtype=dtype)
        except (ValueError, TypeError, OverflowError):
            fail(f"{what} must be a rectangular array of numbers")
    if _plain_leaf_ok(value):
        return _array(value, dtype=dtype)
    if value is None:
        fail(f"{what} is None: does the function end with a return statement?")
    fail(f"{what} must be a NumPy array (got an object of type {t.__name__})")


def array_of_shape(value, what, shape, dtype=_float64, finite=True):
    arr = plain(value, what, dtype)
    if arr.shape != shape:
        if arr.size == int(_np.prod(shape)) and arr.size > 0:
            fail(f"{what} has shape {arr.shape} but must have shape {shape} (reshape it)")
        fail(f"{what} has shape {arr.shape} but must have shape {shape}")
    if finite and arr.dtype.kind == "f" and not npall(_ufunc_isfinite(arr)):
        fail(f"{what} contains NaN or infinity")
    return arr


def scalar(value, what, finite=True):
    t = _type(value)
    if t is _ndarray:
        if value.size != 1:
            fail(f"{what} must be a single number (got an array of shape {value.shape})")
    elif value is None:
        fail(f"{what} is None: does the function end with a return statement?")
    elif not _plain_leaf_ok(value):
        fail(f"{what} must be a number (got an object of type {t.__name__})")
    arr = plain(value, what).reshape(-1)
    if finite and not npall(_ufunc_isfinite(arr)):
        fail(f"{what} is NaN or infinite")
    return _float(arr[0])


def tuple_of(value, what, count):
    if _type(value) not in (tuple, list) or _len(value) != count:
        got = f"a tuple of {_len(value)} values" if _type(value) in (tuple, list) else _type(value).__name__
        fail(f"{what} must return a tuple of {count} values (got {got})")
    return value


def close(a, b, rtol, atol):
    """|a - b| <= atol + rtol |b| elementwise, with captured ufuncs on plain arrays."""
    a = _asarray(a)
    b = _asarray(b)
    try:
        _np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    diff = _ufunc_abs(_ufunc_subtract(a, b))
    bound = _ufunc_add(atol, _ufunc_multiply(rtol, _ufunc_abs(b)))
    return npall(_ufunc_less_equal(diff, bound))


def rng(seed):
    return _default_rng(seed)


def quiet():
    """Reference computations: no warnings reach the cell's stderr."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


# ---------------------------------------------------------------------------------------------
# Integrity: the student's function runs in this process and may patch what the checks use.

_MISSING = object()
_SEALED = []  # modules sealed so far (filled by seal)


def _integrity_modules():
    return [builtins, math, contextlib, functools, warnings, types, threading, _np, _np.linalg, _np.random,
            _np.lib, _special, _linalg] + _SEALED


def _snapshot_namespaces():
    """The callables of the modules the checks rely on, before the student's code runs."""
    return [(d, dict(_compress(d.items(), _map(_callable, d.values())))) for d in _INTEGRITY_DICTS]


def _same_entries(current, saved):
    """True if ``current`` (a dict or mappingproxy) maps every key of ``saved`` to the very same object."""
    return _all(_map(_is, _map(current.get, saved, _repeat(_MISSING)), saved.values()))


def _same_objects(current, saved):
    return _len(current) == _len(saved) and _all(_map(_is, current, saved))


def _restore_namespaces(snapshot):
    """Put back every callable rebound since ``snapshot``; True if there was one."""
    changed = False
    for d, saved in snapshot:
        if _same_entries(d, saved):
            continue
        for key, value in saved.items():
            if d.get(key, _MISSING) is not value:
                d[key] = value
                changed = True
    return changed


def _reference_modules():
    for name, module in list(sys.modules.items()):
        if module is not None and _blocked_module(name) and name.startswith("coursekit"):
            if name.startswith(("coursekit.plotting", "coursekit.widgets", "coursekit.cli", "coursekit.__main__")):
                continue
            yield module


def _python_functions():
    """Python functions whose ``__code__`` the checks depend on (directly or through numpy)."""
    seen = {}

    def add(f):
        if _type(f) is _FunctionType and _id(f) not in seen:
            seen[_id(f)] = f
            for cell in f.__closure__ or ():
                try:
                    add(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
            add(f.__dict__.get("__wrapped__"))

    modules = [m for m in _integrity_modules() if m is not builtins] + list(_reference_modules())
    sealed = {_id(m) for m in _SEALED}
    for module in modules:
        for value in list(vars(module).values()):
            add(value)
            add(_getattr(value, "_implementation", None))  # numpy's array-function dispatchers
            add(_getattr(value, "__wrapped__", None))
            if _isinstance(value, type) and _id(sys.modules.get(_getattr(value, "__module__", ""))) in sealed:
                for member in vars(value).values():
                    add(member)
    return _tuple((f, f.__code__, f.__defaults__, f.__kwdefaults__, _cells(f)) for f in seen.values())


def _cells(f):
    """A function's closure cells with their contents (the checks' wrappers hold the checks there)."""
    out = []
    for cell in f.__closure__ or ():
        try:
            out.append((cell, cell.cell_contents))
        except ValueError:
            out.append((cell, _MISSING))
    return _tuple(out)


def _state_tampered():
    """Outside the student's code the guard is at rest; True (and reset) if it is not."""
    if _state["student"] == 0 and _getprofile() is not _profile:
        return False
    if _getprofile() is _profile:
        _setprofile(None)
    _state["student"] = 0
    _state["hit"] = None
    return True


def _internals_unchanged():
    """True if nothing :func:`_internals_tampered` compares has changed (the common case), found
    without a Python call per object: the functions' fields (``__code__``, defaults, ...) and
    closure cells hold the very objects they held when last compared, as does every saved entry of
    the check modules, their private namespaces and classes. False means: look closer (a function's
    name or docstring may have changed too: ``functools.total_ordering`` renames shared ones)."""
    code_args, code_refs, cell_args, cell_refs = _FAST_SNAPSHOT
    if not (_same_objects(_get_referents(*code_args), code_refs)
            and _same_objects(_get_referents(*cell_args), cell_refs)):
        return False
    dicts, classes = _OWN_SNAPSHOT
    for d, saved in dicts:
        if not _same_entries(d, saved):
            return False
    for cls, saved in classes:
        if not _same_entries(vars(cls), saved):
            return False
    return True


def _internals_tampered():
    """True if a check module or a function the checks rely on changed since sealing (all put back)."""
    if _internals_unchanged():
        return False
    changed = False
    for f, code, defaults, kwdefaults, cells in _CODE_SNAPSHOT:
        if f.__code__ is not code or f.__defaults__ is not defaults or f.__kwdefaults__ is not kwdefaults:
            f.__code__, f.__defaults__, f.__kwdefaults__ = code, defaults, kwdefaults
            changed = True
        for cell, content in cells:
            try:
                current = cell.cell_contents
            except ValueError:
                current = _MISSING
            if current is not content and content is not _MISSING:
                cell.cell_contents = content
                changed = True
    dicts, classes = _OWN_SNAPSHOT
    for d, saved in dicts:
        for key, value in saved.items():
            if d.get(key, _MISSING) is not value:
                d[key] = value
                changed = True
    for cls, saved in classes:
        current = vars(cls)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                setattr(cls, key, value)
                changed = True
    # Everything compared above is as sealed again: what differs from the fast path's snapshot now
    # is what it does not judge (names, docstrings); take it again (in place: same list object).
    _FAST_SNAPSHOT[1] = _tuple(_get_referents(*_FAST_SNAPSHOT[0]))
    _FAST_SNAPSHOT[3] = _tuple(_get_referents(*_FAST_SNAPSHOT[2]))
    return changed


_INTEGRITY_DICTS = ()
_CODE_SNAPSHOT = ()
_OWN_SNAPSHOT = ((), ())
_FAST_SNAPSHOT = [(), (), (), ()]


def _code_ids(code, out):
    out.add(_id(code))
    for const in code.co_consts:
        if _type(const) is types.CodeType:
            _code_ids(const, out)


def seal(modules):
    """Rebind the functions of ``modules`` (the check modules, this one included) to private namespaces.

    The checks look up their helpers (``close``, ``fail``, ``len``, ...) as globals at call
    time; with private copies of the namespaces (and of builtins), rebinding
    ``coursekit.checks._guard.close`` or ``builtins.len`` from the notebook, or from inside the
    student's function, changes nothing the checks see.  Then the integrity snapshots are taken.
    """
    guard_private = None
    private_builtins = dict(vars(builtins))
    privates = {}
    for module in modules:
        private = dict(vars(module))
        private["__builtins__"] = private_builtins
        privates[_id(vars(module))] = private
    names = {m.__name__ for m in modules}
    rebound = {}

    def rebind(f):
        if _type(f) is not _FunctionType or _id(f.__globals__) not in privates:
            return f
        if _id(f) in rebound:
            return rebound[_id(f)]
        new = _FunctionType(f.__code__, privates[_id(f.__globals__)], f.__name__, f.__defaults__, f.__closure__)
        rebound[_id(f)] = new
        new.__kwdefaults__ = f.__kwdefaults__
        new.__dict__.update(f.__dict__)
        new.__qualname__, new.__module__, new.__doc__ = f.__qualname__, f.__module__, f.__doc__
        for cell in f.__closure__ or ():
            try:
                content = cell.cell_contents
            except ValueError:
                continue
            cell.cell_contents = rebind(content)
        if "__wrapped__" in new.__dict__:
            new.__wrapped__ = rebind(new.__wrapped__)
        return new

    classes = {}
    for module in modules:
        for namespace in (vars(module), privates[_id(vars(module))]):
            for name, value in list(namespace.items()):
                if _type(value) is _FunctionType:
                    namespace[name] = rebind(value)
                elif _isinstance(value, type) and _getattr(value, "__module__", None) in names:
                    classes[_id(value)] = value
    for cls in classes.values():
        for attr, member in list(vars(cls).items()):
            if _type(member) is _FunctionType:
                setattr(cls, attr, rebind(member))
    guard_private = privates[_id(vars(sys.modules[__name__]))]

    code_ids = set()
    for f in rebound.values():  # the functions written in the check modules (methods included)
        _code_ids(f.__code__, code_ids)
    standin = reference_backed(lambda: None)
    entry = {_id(standin.__code__), _id(_audit.__code__), _id(_Recorder.__call__.__code__)}
    for module in modules:  # functions Python itself calls from inside the student's code (signal handlers)
        for name in _getattr(module, "_ENTRY_POINTS", ()):
            entry.add(_id(vars(module)[name].__code__))
    # The references stand-ins may run are the lambdas written in the check modules.
    references = set()

    def lambdas(code):
        for const in code.co_consts:
            if _type(const) is types.CodeType:
                if const.co_name == "<lambda>":
                    references.add(_id(const))
                lambdas(const)

    for f in rebound.values():
        lambdas(f.__code__)
    sealed = _tuple(modules)
    for namespace in [vars(sys.modules[__name__]), guard_private]:
        namespace["_SEALED"] = list(sealed)
        namespace["_CHECK_CODE_IDS"] = frozenset(code_ids)
        namespace["_ENTRY_CODE_IDS"] = frozenset(entry)
        namespace["_REFERENCE_CODE_IDS"] = frozenset(references)
        namespace["_PRIVATE_IDS"] = frozenset(_id(p) for p in privates.values())
        namespace["_STANDIN_CODE_ID"] = _id(standin.__code__)
    integrity = _tuple(vars(m) for m in _integrity_modules())
    code_snapshot = guard_private["_python_functions"]()
    # The same state as the fast path sees it: every function's referents (code, defaults,
    # kwdefaults, closure, ...) and every closure cell's content, one C call each.
    code_args = _tuple(x for entry in code_snapshot for x in (entry[0], _SEPARATOR))
    cell_args = _tuple(x for entry in code_snapshot for cell, _ in entry[4] for x in (cell, _SEPARATOR))
    fast = [code_args, _tuple(_get_referents(*code_args)), cell_args, _tuple(_get_referents(*cell_args))]
    own = ([(d, dict(d)) for d in [vars(m) for m in modules] + list(privates.values()) + [private_builtins]],
           [(c, dict(vars(c))) for c in classes.values()])
    for namespace in [vars(sys.modules[__name__]), guard_private]:
        namespace["_INTEGRITY_DICTS"] = integrity
        namespace["_CODE_SNAPSHOT"] = code_snapshot
        namespace["_OWN_SNAPSHOT"] = own
        namespace["_FAST_SNAPSHOT"] = fast
    # The snapshots above saw the previous values of these names; they are part of the state now.
    for d, saved in own[0]:
        for key in ("_SEALED", "_CHECK_CODE_IDS", "_ENTRY_CODE_IDS", "_REFERENCE_CODE_IDS", "_STANDIN_CODE_ID", "_PRIVATE_IDS",
                    "_INTEGRITY_DICTS", "_CODE_SNAPSHOT", "_OWN_SNAPSHOT", "_FAST_SNAPSHOT"):
            if key in d:
                saved[key] = d[key]
