#include "analyzer/analysis/global_safety.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <utility>

namespace ptlint {
namespace {

// ---------------------------------------------------------------------------
// Python-2 name mapping. CPython's `_compat_pickle` (IMPORT_MAPPING and the
// NAME_MAPPING entries that can matter for a checkpoint). `pickle` applies it
// for protocol < 3 and torch's weights-only unpickler applies it to GLOBAL;
// ptlint applies it always, because a payload is free to pick the spelling a
// naive scanner does not know.
struct ModuleRename { const char* from; const char* to; };
constexpr ModuleRename kImportMapping[] = {
    {"__builtin__", "builtins"}, {"copy_reg", "copyreg"}, {"Queue", "queue"},
    {"SocketServer", "socketserver"}, {"ConfigParser", "configparser"}, {"repr", "reprlib"},
    {"tkFileDialog", "tkinter.filedialog"}, {"tkSimpleDialog", "tkinter.simpledialog"},
    {"tkColorChooser", "tkinter.colorchooser"}, {"tkCommonDialog", "tkinter.commondialog"},
    {"Dialog", "tkinter.dialog"}, {"Tkdnd", "tkinter.dnd"}, {"tkFont", "tkinter.font"},
    {"tkMessageBox", "tkinter.messagebox"}, {"ScrolledText", "tkinter.scrolledtext"},
    {"Tkconstants", "tkinter.constants"}, {"Tix", "tkinter.tix"}, {"ttk", "tkinter.ttk"},
    {"Tkinter", "tkinter"}, {"markupbase", "_markupbase"}, {"_winreg", "winreg"},
    {"thread", "_thread"}, {"dummy_thread", "_dummy_thread"}, {"dbhash", "dbm.bsd"},
    {"dumbdbm", "dbm.dumb"}, {"dbm", "dbm.ndbm"}, {"gdbm", "dbm.gnu"},
    {"xmlrpclib", "xmlrpc.client"}, {"SimpleXMLRPCServer", "xmlrpc.server"},
    {"httplib", "http.client"}, {"htmlentitydefs", "html.entities"},
    {"HTMLParser", "html.parser"}, {"Cookie", "http.cookies"}, {"cookielib", "http.cookiejar"},
    {"BaseHTTPServer", "http.server"}, {"test.test_support", "test.support"},
    {"commands", "subprocess"}, {"urlparse", "urllib.parse"},
    {"robotparser", "urllib.robotparser"}, {"urllib2", "urllib.request"}, {"anydbm", "dbm"},
    {"_abcoll", "collections.abc"}, {"cPickle", "pickle"},
    {"_elementtree", "xml.etree.ElementTree"}, {"FileDialog", "tkinter.filedialog"},
    {"SimpleDialog", "tkinter.simpledialog"}, {"DocXMLRPCServer", "xmlrpc.server"},
    {"SimpleHTTPServer", "http.server"}, {"CGIHTTPServer", "http.server"},
    {"UserDict", "collections"}, {"UserList", "collections"}, {"UserString", "collections"},
    {"whichdb", "dbm"}, {"StringIO", "io"}, {"cStringIO", "io"},
};

struct NameRename { const char* module; const char* name; const char* to_module; const char* to_name; };
constexpr NameRename kNameMapping[] = {
    {"__builtin__", "xrange", "builtins", "range"},
    {"__builtin__", "reduce", "functools", "reduce"},
    {"__builtin__", "intern", "sys", "intern"},
    {"__builtin__", "unichr", "builtins", "chr"},
    {"__builtin__", "unicode", "builtins", "str"},
    {"__builtin__", "long", "builtins", "int"},
    {"__builtin__", "basestring", "builtins", "str"},
    {"itertools", "izip", "builtins", "zip"},
    {"itertools", "imap", "builtins", "map"},
    {"itertools", "ifilter", "builtins", "filter"},
    {"itertools", "ifilterfalse", "itertools", "filterfalse"},
    {"itertools", "izip_longest", "itertools", "zip_longest"},
    {"UserDict", "IterableUserDict", "collections", "UserDict"},
    {"_socket", "fromfd", "socket", "fromfd"},
    {"_multiprocessing", "Connection", "multiprocessing.connection", "Connection"},
    {"multiprocessing.process", "Process", "multiprocessing.context", "Process"},
    {"multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen"},
    {"urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError"},
    {"urllib", "getproxies", "urllib.request", "getproxies"},
    {"urllib", "pathname2url", "urllib.request", "pathname2url"},
    {"urllib", "quote_plus", "urllib.parse", "quote_plus"},
    {"urllib", "quote", "urllib.parse", "quote"},
    {"urllib", "unquote_plus", "urllib.parse", "unquote_plus"},
    {"urllib", "unquote", "urllib.parse", "unquote"},
    {"urllib", "url2pathname", "urllib.request", "url2pathname"},
    {"urllib", "urlcleanup", "urllib.request", "urlcleanup"},
    {"urllib", "urlencode", "urllib.parse", "urlencode"},
    {"urllib", "urlopen", "urllib.request", "urlopen"},
    {"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
    {"urllib2", "HTTPError", "urllib.error", "HTTPError"},
    {"urllib2", "URLError", "urllib.error", "URLError"},
    {"exceptions", "StandardError", "builtins", "Exception"},
    {"socket", "_socketobject", "socket", "SocketType"},
};

// ---------------------------------------------------------------------------
// torch's weights_only allowlists.

// torch 1.13 `_get_allowed_globals()`, evaluated on Debian's torch 1.13 (90
// names). Tensor and storage classes are listed once here and reused below.
constexpr const char* kTensorClasses[] = {
    "torch.BFloat16Tensor", "torch.BoolTensor", "torch.ByteTensor", "torch.CharTensor",
    "torch.DoubleTensor", "torch.FloatTensor", "torch.HalfTensor", "torch.IntTensor",
    "torch.LongTensor", "torch.ShortTensor", "torch.cuda.BFloat16Tensor",
    "torch.cuda.BoolTensor", "torch.cuda.ByteTensor", "torch.cuda.CharTensor",
    "torch.cuda.DoubleTensor", "torch.cuda.FloatTensor", "torch.cuda.HalfTensor",
    "torch.cuda.IntTensor", "torch.cuda.LongTensor", "torch.cuda.ShortTensor",
    "torch.cuda.sparse.BFloat16Tensor", "torch.cuda.sparse.ByteTensor",
    "torch.cuda.sparse.CharTensor", "torch.cuda.sparse.DoubleTensor",
    "torch.cuda.sparse.FloatTensor", "torch.cuda.sparse.HalfTensor",
    "torch.cuda.sparse.IntTensor", "torch.cuda.sparse.LongTensor",
    "torch.cuda.sparse.ShortTensor", "torch.sparse.BFloat16Tensor", "torch.sparse.ByteTensor",
    "torch.sparse.CharTensor", "torch.sparse.DoubleTensor", "torch.sparse.FloatTensor",
    "torch.sparse.HalfTensor", "torch.sparse.IntTensor", "torch.sparse.LongTensor",
    "torch.sparse.ShortTensor",
};
constexpr const char* kStorageClasses[] = {
    "torch.BFloat16Storage", "torch.BoolStorage", "torch.ByteStorage", "torch.CharStorage",
    "torch.ComplexDoubleStorage", "torch.ComplexFloatStorage", "torch.DoubleStorage",
    "torch.FloatStorage", "torch.HalfStorage", "torch.IntStorage", "torch.LongStorage",
    "torch.QInt32Storage", "torch.QInt8Storage", "torch.QUInt2x4Storage",
    "torch.QUInt4x2Storage", "torch.QUInt8Storage", "torch.ShortStorage",
    "torch.cuda.BFloat16Storage", "torch.cuda.BoolStorage", "torch.cuda.ByteStorage",
    "torch.cuda.CharStorage", "torch.cuda.ComplexDoubleStorage",
    "torch.cuda.ComplexFloatStorage", "torch.cuda.DoubleStorage", "torch.cuda.FloatStorage",
    "torch.cuda.HalfStorage", "torch.cuda.IntStorage", "torch.cuda.LongStorage",
    "torch.cuda.ShortStorage", "torch.storage.TypedStorage", "torch.storage.UntypedStorage",
};
constexpr const char* k113Extra[] = {
    "collections.OrderedDict", "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout", "torch.Size", "torch.Tensor",
    "torch.complex32", "torch.complex64", "torch.complex128", "torch.float16",
    "torch.float32", "torch.float64", "torch.int8", "torch.int16", "torch.int32",
    "torch.int64",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_sparse_csr_tensor",
};
// torch 2.4 `_get_allowed_globals()` (read in the 2.4-era source): fixed
// entries, `_dtype_to_storage_type_map` + `_new_dtypes` dtypes, qschemes,
// `_tensor_rebuild_functions()` and `_rebuild_from_type_v2`.
constexpr const char* k24Extra[] = {
    "collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout", "torch.Size", "torch.Tensor", "torch.device",
    "_codecs.encode", "builtins.bytearray",
    // _dtype_to_storage_type_map
    "torch.float64", "torch.float32", "torch.float16", "torch.int64", "torch.int32",
    "torch.int16", "torch.int8", "torch.uint8", "torch.bool", "torch.bfloat16",
    "torch.complex128", "torch.complex64", "torch.quint8", "torch.qint8", "torch.qint32",
    "torch.quint4x2", "torch.quint2x4",
    // _new_dtypes
    "torch.float8_e5m2", "torch.float8_e4m3fn", "torch.float8_e5m2fnuz",
    "torch.float8_e4m3fnuz", "torch.bits8", "torch.bits16", "torch.bits1x8", "torch.bits2x4",
    "torch.bits4x2", "torch.complex32", "torch.uint16", "torch.uint32", "torch.uint64",
    // qschemes
    "torch.per_tensor_affine", "torch.per_tensor_symmetric", "torch.per_channel_affine",
    "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams",
    // rebuild functions
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor", "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_nested_tensor", "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._tensor._rebuild_from_type_v2",
};
// Added by 2.6 (builtins.set/complex, torch.uint1..7/int1..7,
// _rebuild_device_tensor_from_cpu_tensor).
constexpr const char* k26Extra[] = {
    "builtins.set", "builtins.complex", "torch._utils._rebuild_device_tensor_from_cpu_tensor",
    "torch.uint1", "torch.uint2", "torch.uint3", "torch.uint4", "torch.uint5", "torch.uint6",
    "torch.uint7", "torch.int1", "torch.int2", "torch.int3", "torch.int4", "torch.int5",
    "torch.int6", "torch.int7",
};
// Added after 2.6, present in 2.10 (`_new_dtypes`).
constexpr const char* kCurrentExtra[] = {"torch.float8_e8m0fnu", "torch.float4_e2m1fn_x2"};

std::vector<std::string> BuildAllowlist(TorchVersion version) {
  std::vector<std::string> names;
  auto add = [&names](const auto& list) {
    for (const char* n : list) names.emplace_back(n);
  };
  add(kTensorClasses);
  add(kStorageClasses);
  if (version == TorchVersion::k1_13) {
    add(k113Extra);
  } else {
    add(k24Extra);
    if (version != TorchVersion::k2_4) add(k26Extra);
    if (version == TorchVersion::kCurrent) add(kCurrentExtra);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

const std::vector<std::string>& Allowlist(TorchVersion version) {
  static const std::array<std::vector<std::string>, 4> lists = {
      BuildAllowlist(TorchVersion::k1_13), BuildAllowlist(TorchVersion::k2_4),
      BuildAllowlist(TorchVersion::k2_6), BuildAllowlist(TorchVersion::kCurrent)};
  return lists[static_cast<int>(version)];
}

// ---------------------------------------------------------------------------
// Blocklist tiers. An entry "m.*" covers module m and its submodules; any
// other entry is one qualified name. They explain danger; they do not decide
// safety (that is the allowlists' job).
struct TierEntry {
  const char* pattern;
  SafetyTier tier;
  const char* why;
};

constexpr SafetyTier kExec = SafetyTier::kCodeExecution;
constexpr SafetyTier kNet = SafetyTier::kNetwork;
constexpr SafetyTier kFs = SafetyTier::kFileSystem;
constexpr SafetyTier kGadget = SafetyTier::kGadget;

constexpr TierEntry kTierEntries[] = {
    // --- code execution: processes and the OS
    {"os.*", kExec, "the os module runs shell commands (os.system, os.popen, os.exec*) and changes files; torch blocks it outright"},
    {"posix.*", kExec, "posix is os under another name: system(), exec*() and fork run commands; torch blocks it outright"},
    {"nt.*", kExec, "nt is os on Windows: system() and spawn*() run commands; torch blocks it outright"},
    {"sys.*", kExec, "sys exposes the interpreter (modules, settrace, setprofile) and lets a payload reach any loaded module; torch blocks it outright"},
    {"subprocess.*", kExec, "subprocess starts arbitrary programs"},
    {"_posixsubprocess.*", kExec, "_posixsubprocess.fork_exec starts arbitrary programs"},
    {"pty.*", kExec, "pty.spawn starts an arbitrary program on a pseudo-terminal"},
    {"popen2.*", kExec, "popen2 starts arbitrary programs"},
    {"platform.popen", kExec, "platform.popen runs a shell command"},
    {"platform._syscmd_file", kExec, "platform._syscmd_file runs the `file` command on a path"},
    {"multiprocessing.*", kExec, "multiprocessing starts processes and runs callables in them (util.spawnv_passfds runs a program)"},
    {"_interpreters.*", kExec, "_interpreters runs source code in a sub-interpreter"},
    {"_xxsubinterpreters.*", kExec, "_xxsubinterpreters runs source code in a sub-interpreter"},
    {"_thread.*", kExec, "_thread.start_new_thread calls any callable on a new thread"},
    {"threading.*", kExec, "threading.Thread/Timer call any callable"},
    {"asyncio.*", kExec, "asyncio starts subprocesses (create_subprocess_shell) and runs callbacks"},
    {"signal.*", kExec, "signal installs handlers that run callables and can kill the process"},
    {"ctypes.*", kExec, "ctypes loads native libraries and calls arbitrary C functions"},
    {"_ctypes.*", kExec, "_ctypes loads native libraries and calls arbitrary C functions"},
    {"webbrowser.*", kExec, "webbrowser launches an external program on a URL (also a network request)"},
    // --- code execution: Python source, bytecode, importing
    {"builtins.eval", kExec, "eval runs a Python expression from the pickle"},
    {"builtins.exec", kExec, "exec runs Python statements from the pickle"},
    {"builtins.execfile", kExec, "execfile runs a Python file"},
    {"builtins.compile", kExec, "compile turns pickle strings into code objects that other calls run"},
    {"builtins.__import__", kExec, "__import__ imports any module, the first step of most payloads"},
    {"builtins.getattr", kExec, "getattr reaches any attribute of any object (e.g. getattr(os, 'system')), so any allowed object leads to code execution"},
    {"builtins.setattr", kExec, "setattr rewrites attributes of modules and classes, e.g. to swap a safe function for a dangerous one"},
    {"builtins.delattr", kExec, "delattr removes attributes of modules and classes that later code relies on"},
    {"builtins.globals", kExec, "globals() exposes the unpickler's namespace, including __builtins__"},
    {"builtins.locals", kExec, "locals() exposes the caller's namespace"},
    {"builtins.vars", kExec, "vars() exposes the __dict__ of any object, including modules"},
    {"builtins.breakpoint", kExec, "breakpoint starts a debugger that executes commands"},
    {"builtins.input", kExec, "input blocks on stdin (and with a debugger hook runs commands)"},
    {"builtins.help", kExec, "help starts an interactive pager that can run a shell"},
    {"builtins.apply", kExec, "apply calls any callable with pickle-supplied arguments"},
    {"builtins.reload", kExec, "reload re-executes a module's source"},
    {"builtins.open", kFs, "open reads or overwrites any file the process can reach"},
    {"runpy.*", kExec, "runpy runs modules and scripts (_run_code executes a code object)"},
    {"code.*", kExec, "code.InteractiveInterpreter runs Python source"},
    {"codeop.*", kExec, "codeop compiles Python source for execution"},
    {"types.CodeType", kExec, "types.CodeType builds a code object from pickle bytes"},
    {"types.FunctionType", kExec, "types.FunctionType turns a code object into a callable function"},
    {"types.LambdaType", kExec, "types.LambdaType turns a code object into a callable function"},
    {"types.MethodType", kExec, "types.MethodType binds an arbitrary callable as a method"},
    {"types.ModuleType", kExec, "types.ModuleType fabricates modules that shadow real ones"},
    {"marshal.*", kExec, "marshal.loads rebuilds code objects from bytes"},
    {"pickle.*", kExec, "pickle.loads unpickles a nested payload no scanner saw"},
    {"_pickle.*", kExec, "_pickle.loads unpickles a nested payload no scanner saw"},
    {"cPickle.*", kExec, "cPickle.loads unpickles a nested payload"},
    {"dill.*", kExec, "dill.loads unpickles a nested payload and rebuilds functions from code"},
    {"cloudpickle.*", kExec, "cloudpickle rebuilds functions from code objects (_make_function)"},
    {"joblib.*", kExec, "joblib.load unpickles a nested payload"},
    {"shelve.*", kExec, "shelve unpickles values from a database file"},
    {"copyreg._reconstructor", kGadget, "copyreg._reconstructor calls base.__new__/__init__ of any class, a constructor trampoline for payloads"},
    {"importlib.*", kExec, "importlib imports any module and can load source from any path"},
    {"imp.*", kExec, "imp loads modules from arbitrary source files"},
    {"zipimport.*", kExec, "zipimport loads Python code from a zip file"},
    {"pkgutil.*", kExec, "pkgutil.resolve_name / find_loader import arbitrary modules"},
    {"pydoc.*", kExec, "pydoc.pipepager / locate run shell commands and import modules"},
    {"pdb.*", kExec, "pdb runs debugger commands and Python statements (pdb.run)"},
    {"bdb.*", kExec, "bdb.Bdb.run executes code under the debugger"},
    {"timeit.*", kExec, "timeit compiles and runs a statement string"},
    {"cProfile.*", kExec, "cProfile.run executes a statement string"},
    {"profile.*", kExec, "profile.run executes a statement string"},
    {"trace.*", kExec, "trace.Trace.run executes a statement string"},
    {"doctest.*", kExec, "doctest runs the examples in docstrings"},
    {"idlelib.*", kExec, "idlelib contains run-code helpers (e.g. idlelib.autocomplete/pyshell)"},
    {"lib2to3.*", kExec, "lib2to3 gadgets load and run refactoring code"},
    {"ensurepip.*", kExec, "ensurepip runs pip, which installs and executes packages"},
    {"pip.*", kExec, "pip installs and executes packages"},
    {"venv.*", kExec, "venv creates environments and runs ensurepip"},
    {"distutils.*", kExec, "distutils spawns compilers and writes files (spawn, file_util)"},
    {"setuptools.*", kExec, "setuptools runs build commands"},
    {"_osx_support.*", kExec, "_osx_support runs shell commands (_read_output, _find_build_tool)"},
    {"_aix_support.*", kExec, "_aix_support runs shell commands"},
    {"_pyrepl.*", kExec, "_pyrepl runs interactive Python code"},
    {"test.*", kExec, "the CPython test package contains helpers that run scripts and subprocesses"},
    {"uuid._get_command_stdout", kExec, "uuid._get_command_stdout runs an external command"},
    {"uuid._popen", kExec, "uuid._popen runs an external command"},
    {"atexit.*", kExec, "atexit.register runs any callable when the interpreter exits"},
    {"numpy.f2py.*", kExec, "numpy.f2py compiles and runs Fortran/C code through the shell"},
    {"numpy.testing._private.utils.*", kExec, "numpy.testing._private.utils.runstring executes a code string"},
    {"numpy.distutils.*", kExec, "numpy.distutils spawns compilers and shell commands"},
    {"numpy.load", kExec, "numpy.load with allow_pickle unpickles a nested payload"},
    {"torch.load", kExec, "torch.load unpickles a nested checkpoint with the default (unsafe) pickle module"},
    {"torch.serialization.load", kExec, "torch.serialization.load unpickles a nested checkpoint"},
    {"torch.serialization._legacy_load", kExec, "torch.serialization._legacy_load unpickles a nested checkpoint"},
    {"torch.storage._load_from_bytes", kExec, "torch.storage._load_from_bytes runs torch.load on pickle-supplied bytes"},
    {"torch._utils._import_dotted_name", kExec, "torch._utils._import_dotted_name imports any module by name"},
    {"torch.compile", kExec, "torch.compile generates and loads native code"},
    {"torch.compile.*", kExec, "torch.compile generates and loads native code"},
    {"torch.utils._config_module.*", kExec, "ConfigModule.load_config unpickles pickle-supplied bytes"},
    {"torch.utils.data.datapipes.utils.decoder.*", kExec, "datapipe decoders (basichandlers) unpickle or torch.load pickle-supplied bytes"},
    {"torch.distributed.elastic.*", kNet, "torch.distributed.elastic rendezvous opens network stores and starts worker processes"},
    {"model_unpickler.*", kExec, "imports of a pickle scanner from inside a pickle exist to disable or fool it"},
    {"ast.*", kGadget, "ast builds syntax trees that compile() turns into running code"},
    {"_ast.*", kGadget, "_ast is ast's node classes: syntax trees that compile() turns into running code"},
    {"torch.ops.load_library", kExec, "torch.ops.load_library loads a native shared library (its initialisers run)"},
    {"torch.classes.load_library", kExec, "torch.classes.load_library loads a native shared library (its initialisers run)"},
    {"torch._ops._Ops.load_library", kExec, "torch.ops.load_library loads a native shared library (its initialisers run)"},
    {"torch._ops.ops.load_library", kExec, "torch.ops.load_library loads a native shared library (its initialisers run)"},
    {"torch._classes.*", kExec, "torch._classes.load_library loads native shared libraries"},
    {"torch.hub.*", kExec, "torch.hub downloads and runs a repository's hubconf.py"},
    {"torch.jit.*", kExec, "torch.jit compiles and loads TorchScript code"},
    {"torch._inductor.*", kExec, "torch._inductor compiles and loads generated native code (codecache.compile_file)"},
    {"torch._dynamo.*", kExec, "torch._dynamo rewrites and runs Python bytecode"},
    {"torch.fx.*", kExec, "torch.fx rebuilds GraphModules by exec()-ing generated Python source"},
    {"torch.package.*", kExec, "torch.package imports code shipped inside an archive"},
    {"torch.utils.collect_env.*", kExec, "torch.utils.collect_env.run runs a shell command"},
    {"torch.utils.bottleneck.*", kExec, "torch.utils.bottleneck runs a script under the profiler"},
    {"torch.utils.cpp_extension.*", kExec, "torch.utils.cpp_extension compiles and loads native code"},
    {"torch.distributed.rpc.*", kExec, "torch.distributed.rpc runs functions on remote or local workers"},
    {"transformers.dynamic_module_utils.*", kExec, "transformers.dynamic_module_utils downloads and imports remote model code"},
    {"transformers.models.auto.auto_factory.getattribute_from_module", kExec, "getattribute_from_module imports and returns any attribute of any module"},
    {"fickling.*", kExec, "imports of a pickle scanner from inside a pickle exist to disable or fool it"},
    {"picklescan.*", kExec, "imports of a pickle scanner from inside a pickle exist to disable or fool it"},
    {"modelscan.*", kExec, "imports of a pickle scanner from inside a pickle exist to disable or fool it"},
    {"modelaudit.*", kExec, "imports of a pickle scanner from inside a pickle exist to disable or fool it"},
    {"saferpickle.*", kExec, "imports of a pickle scanner from inside a pickle exist to disable or fool it"},
    {"operator.methodcaller", kExec, "operator.methodcaller calls any method by name on any object"},
    {"_operator.methodcaller", kExec, "operator.methodcaller calls any method by name on any object"},
    {"mlflow.*", kExec, "mlflow loaders download and unpickle or import model code"},
    {"logging.config.*", kExec, "logging.config.listen/dictConfig/fileConfig import and call arbitrary classes from a received config"},
    // --- network and SSRF
    {"socket.*", kNet, "socket opens network connections (exfiltration, reverse shells)"},
    {"_socket.*", kNet, "_socket opens network connections"},
    {"_ssl.*", kNet, "_ssl opens TLS connections"},
    {"ssl.*", kNet, "ssl opens network connections"},
    {"socketserver.*", kNet, "socketserver listens for network connections"},
    {"smtplib.*", kNet, "smtplib connects to a mail server (SSRF, exfiltration)"},
    {"smtpd.*", kNet, "smtpd listens for mail connections"},
    {"imaplib.*", kNet, "imaplib connects to a mail server (SSRF, exfiltration)"},
    {"poplib.*", kNet, "poplib connects to a mail server (SSRF, exfiltration)"},
    {"ftplib.*", kNet, "ftplib connects to an FTP server (SSRF, exfiltration)"},
    {"telnetlib.*", kNet, "telnetlib connects to a remote shell"},
    {"nntplib.*", kNet, "nntplib connects to a news server (SSRF)"},
    {"urllib.*", kNet, "urllib fetches URLs (SSRF, download of a second stage)"},
    {"urllib2.*", kNet, "urllib2 fetches URLs"},
    {"urllib3.*", kNet, "urllib3 fetches URLs"},
    {"http.*", kNet, "http.client/http.server open connections or listen on ports"},
    {"httplib.*", kNet, "httplib opens HTTP connections"},
    {"requests.*", kNet, "requests fetches URLs (SSRF, exfiltration)"},
    {"httpx.*", kNet, "httpx fetches URLs"},
    {"aiohttp.*", kNet, "aiohttp fetches URLs"},
    {"xmlrpc.*", kNet, "xmlrpc calls remote procedures"},
    {"wsgiref.*", kNet, "wsgiref serves HTTP"},
    {"asyncore.*", kNet, "asyncore opens network connections"},
    {"asynchat.*", kNet, "asynchat opens network connections"},
    {"ipaddress.*", kGadget, "ipaddress is harmless alone but only appears in payloads that build network targets"},
    {"logging.handlers.SocketHandler", kNet, "logging.handlers.SocketHandler sends records over the network"},
    {"logging.handlers.DatagramHandler", kNet, "logging.handlers.DatagramHandler sends records over the network"},
    {"logging.handlers.HTTPHandler", kNet, "logging.handlers.HTTPHandler sends records to a URL"},
    {"logging.handlers.SMTPHandler", kNet, "logging.handlers.SMTPHandler sends mail"},
    {"logging.handlers.SysLogHandler", kNet, "logging.handlers.SysLogHandler sends records over the network"},
    {"logging.handlers.QueueListener", kExec, "logging.handlers.QueueListener runs handlers on a thread"},
    // --- file system
    {"shutil.*", kFs, "shutil copies, moves and deletes files and trees (rmtree)"},
    {"io.open", kFs, "io.open reads or overwrites any file"},
    {"io.FileIO", kFs, "io.FileIO reads or overwrites any file"},
    {"io.open_code", kFs, "io.open_code reads any file"},
    {"_io.open", kFs, "_io.open reads or overwrites any file"},
    {"_io.FileIO", kFs, "_io.FileIO reads or overwrites any file"},
    {"_io.open_code", kFs, "_io.open_code reads any file"},
    {"codecs.open", kFs, "codecs.open reads or overwrites any file"},
    {"pathlib.Path.write_text", kFs, "Path.write_text overwrites a file"},
    {"pathlib.Path.write_bytes", kFs, "Path.write_bytes overwrites a file"},
    {"pathlib.Path.unlink", kFs, "Path.unlink deletes a file"},
    {"pathlib.Path.read_text", kFs, "Path.read_text reads a file (exfiltration)"},
    {"tempfile.*", kFs, "tempfile creates files and directories"},
    {"fileinput.*", kFs, "fileinput reads (and rewrites in place) arbitrary files"},
    {"linecache.*", kFs, "linecache reads arbitrary files (getline), a read primitive for exfiltration"},
    {"glob.*", kFs, "glob lists the file system"},
    {"tarfile.*", kFs, "tarfile extracts archives anywhere on disk"},
    {"zipfile.*", kFs, "zipfile reads and writes archives on disk"},
    {"mmap.*", kFs, "mmap maps files into memory"},
    {"sqlite3.*", kFs, "sqlite3 opens and writes database files (and loads extensions)"},
    {"dbm.*", kFs, "dbm opens and writes database files"},
    {"filecmp.*", kFs, "filecmp reads arbitrary files"},
    {"logging.FileHandler", kFs, "logging.FileHandler creates or appends to any file"},
    {"logging.handlers.RotatingFileHandler", kFs, "RotatingFileHandler creates, renames and truncates files"},
    {"logging.handlers.TimedRotatingFileHandler", kFs, "TimedRotatingFileHandler creates, renames and deletes files"},
    {"logging.handlers.WatchedFileHandler", kFs, "WatchedFileHandler creates or appends to any file"},
    {"numpy.save", kFs, "numpy.save writes a file"},
    {"numpy.savetxt", kFs, "numpy.savetxt writes a file"},
    {"numpy.fromfile", kFs, "numpy.fromfile reads any file"},
    {"numpy.loadtxt", kFs, "numpy.loadtxt reads any file"},
    {"numpy.memmap", kFs, "numpy.memmap maps and may create a file"},
    {"torch.save", kFs, "torch.save writes a file"},
    {"torch.from_file", kFs, "torch.from_file maps any file"},
    {"torch.UntypedStorage.from_file", kFs, "UntypedStorage.from_file maps any file"},
    // --- gadgets: harmless alone, building blocks for payloads
    {"functools.partial", kGadget, "functools.partial wraps any callable with pickle-chosen arguments, hiding the call from naive scanners"},
    {"functools.reduce", kGadget, "functools.reduce calls any callable repeatedly"},
    {"functools.partialmethod", kGadget, "functools.partialmethod wraps any callable with preset arguments"},
    {"operator.attrgetter", kGadget, "operator.attrgetter reads any attribute chain (e.g. '__globals__')"},
    {"_operator.attrgetter", kGadget, "operator.attrgetter reads any attribute chain"},
    {"operator.itemgetter", kGadget, "operator.itemgetter indexes into any object (e.g. __builtins__['eval'])"},
    {"_operator.itemgetter", kGadget, "operator.itemgetter indexes into any object"},
    {"operator.getitem", kGadget, "operator.getitem indexes into any object (e.g. __builtins__['eval'])"},
    {"_operator.getitem", kGadget, "operator.getitem indexes into any object"},
    {"operator.call", kExec, "operator.call calls any callable"},
    {"builtins.map", kGadget, "map calls any callable over pickle-supplied arguments when consumed"},
    {"builtins.filter", kGadget, "filter calls any callable when consumed"},
    {"builtins.iter", kGadget, "iter(callable, sentinel) calls a callable repeatedly"},
    {"builtins.next", kGadget, "next drives lazy map/filter gadgets to call their functions"},
    {"builtins.type", kGadget, "type() fabricates classes with pickle-chosen attributes and bases"},
    {"builtins.super", kGadget, "super reaches parent implementations, used in introspection chains"},
    {"builtins.classmethod", kGadget, "classmethod wraps callables, used to build call gadgets"},
    {"builtins.staticmethod", kGadget, "staticmethod wraps callables, used to build call gadgets"},
    {"builtins.property", kGadget, "property attaches callables to attribute access"},
    {"builtins.memoryview", kGadget, "memoryview exposes raw buffers for in-place rewriting"},
    {"builtins.print", kGadget, "print writes to stdout; payload test harnesses use it as a stand-in for code execution, and its attributes lead to __subclasses__ chains"},
    {"itertools.*", kGadget, "itertools (starmap, ...) calls callables lazily, hiding the call"},
    {"weakref.finalize", kGadget, "weakref.finalize calls any callable when an object dies"},
    {"copyreg.__newobj__", kGadget, "copyreg.__newobj__ calls cls.__new__ of any class"},
    {"copyreg.__newobj_ex__", kGadget, "copyreg.__newobj_ex__ calls cls.__new__ of any class"},
    {"string.Template", kGadget, "string.Template substitution reaches attributes of supplied objects"},
    {"collections.namedtuple", kGadget, "namedtuple fabricates classes from pickle-supplied names"},
    {"numpy.core.multiarray.frompyfunc", kGadget, "frompyfunc wraps any Python callable as a ufunc"},
    {"numpy.frompyfunc", kGadget, "frompyfunc wraps any Python callable as a ufunc"},
    {"numpy.vectorize", kGadget, "numpy.vectorize wraps any callable"},
    {"numpy.piecewise", kGadget, "numpy.piecewise calls any supplied callables"},
    {"numpy.apply_along_axis", kGadget, "numpy.apply_along_axis calls any callable"},
    {"numpy.fromfunction", kGadget, "numpy.fromfunction calls any callable"},
    {"numpy.lib.utils.*", kGadget, "numpy.lib.utils has source/introspection helpers"},
};

// Pure data constructors outside torch's allowlist: constructing them runs no
// code beyond the type's own __init__/__setstate__, and they appear in benign
// checkpoints (argparse args, numpy RNG state, pathlib paths, datetimes).
struct SafeEntry { const char* pattern; const char* why; };
constexpr SafeEntry kStdlibSafe[] = {
    {"builtins.set", "a set of pickled values"},
    {"builtins.frozenset", "a frozenset of pickled values"},
    {"builtins.complex", "a complex number"},
    {"builtins.bytearray", "a byte array"},
    {"builtins.bytes", "bytes"},
    {"builtins.dict", "a dict"},
    {"builtins.list", "a list"},
    {"builtins.tuple", "a tuple"},
    {"builtins.int", "an int"},
    {"builtins.float", "a float"},
    {"builtins.str", "a str"},
    {"builtins.bool", "a bool"},
    {"builtins.slice", "a slice"},
    {"builtins.range", "a range"},
    {"builtins.object", "a bare object (protocol 0/1 reconstruction base)"},
    {"builtins.Ellipsis", "the Ellipsis constant"},
    {"builtins.NotImplemented", "the NotImplemented constant"},
    {"collections.OrderedDict", "an ordered dict"},
    {"collections.Counter", "a counter dict"},
    {"collections.defaultdict", "a dict with a default factory (the factory is checked as its own global)"},
    {"collections.deque", "a deque"},
    {"collections.UserDict", "a dict wrapper"},
    {"collections.UserList", "a list wrapper"},
    {"collections.UserString", "a str wrapper"},
    {"_codecs.encode", "bytes rebuilt from a latin-1 string (torch's way of pickling bytes)"},
    {"codecs.encode", "text encoded with a codec"},
    {"datetime.datetime", "a datetime"},
    {"datetime.date", "a date"},
    {"datetime.time", "a time"},
    {"datetime.timedelta", "a duration"},
    {"datetime.timezone", "a time zone"},
    {"decimal.Decimal", "a decimal number"},
    {"fractions.Fraction", "a fraction"},
    {"uuid.UUID", "a UUID value"},
    {"argparse.Namespace", "command-line arguments saved with the checkpoint"},
    {"pathlib.Path", "a path value (not opened)"},
    {"pathlib.PosixPath", "a path value (not opened)"},
    {"pathlib.WindowsPath", "a path value (not opened)"},
    {"pathlib.PurePath", "a path value"},
    {"pathlib.PurePosixPath", "a path value"},
    {"pathlib.PureWindowsPath", "a path value"},
    {"numpy.core.multiarray._reconstruct", "a numpy array rebuilt from its pickled bytes"},
    {"numpy._core.multiarray._reconstruct", "a numpy array rebuilt from its pickled bytes"},
    {"numpy.core.multiarray.scalar", "a numpy scalar rebuilt from its bytes"},
    {"numpy._core.multiarray.scalar", "a numpy scalar rebuilt from its bytes"},
    {"numpy.core.numeric._frombuffer", "a numpy array rebuilt from a buffer"},
    {"numpy._core.numeric._frombuffer", "a numpy array rebuilt from a buffer"},
    {"numpy.ndarray", "the numpy array type"},
    {"numpy.dtype", "a numpy dtype"},
    {"numpy.dtypes.*", "a numpy 2 dtype class"},
    {"numpy.random._pickle.__randomstate_ctor", "a numpy RandomState (RNG state)"},
    {"numpy.random._pickle.__bit_generator_ctor", "a numpy bit generator (RNG state)"},
    {"numpy.random._pickle.__generator_ctor", "a numpy Generator (RNG state)"},
    {"numpy.random._mt19937.MT19937", "a numpy Mersenne Twister state"},
    {"torch.nn.modules.*", "a torch.nn layer class (full-module pickles); constructing it runs torch's own code only"},
    {"torch.nn.parameter.Parameter", "a torch Parameter"},
    {"torch.nn.parameter.Buffer", "a torch Buffer"},
    // The hook objects torch.nn.utils.weight_norm / spectral_norm attach to a
    // layer: whole-module pickles of such models carry them (torchaudio's
    // wav2vec2 positional convolution does). Plain classes of torch's own.
    {"torch.nn.utils.weight_norm.WeightNorm", "the hook weight_norm attaches to a layer (full-module pickles)"},
    {"torch.nn.utils.spectral_norm.SpectralNorm", "the hook spectral_norm attaches to a layer (full-module pickles)"},
    {"torch.nn.utils.spectral_norm.SpectralNormStateDictHook", "a spectral_norm state-dict hook (full-module pickles)"},
    {"torch.nn.utils.spectral_norm.SpectralNormLoadStateDictPreHook", "a spectral_norm load hook (full-module pickles)"},
    {"torch.optim.*", "a torch optimizer class (full-module pickles)"},
    {"torch.device", "a torch device"},
    {"torch.Size", "a torch Size"},
    {"torch._utils.*", "a torch tensor rebuild helper"},
    {"torch._tensor._rebuild_from_type_v2", "a torch tensor subclass rebuild helper"},
    {"torch.serialization._get_layout", "a torch layout"},
};

// Attribute names that let a payload climb from an allowed object to
// arbitrary code. Listed once; used for dotted global names and for getattr
// arguments.
struct IntrospectionEntry { const char* attribute; const char* why; };
constexpr IntrospectionEntry kIntrospection[] = {
    {"__subclasses__", "__subclasses__ enumerates every loaded class, e.g. to find one that wraps os or subprocess"},
    {"__globals__", "__globals__ exposes a function's module namespace, including imported modules and __builtins__"},
    {"__builtins__", "__builtins__ exposes eval, exec and __import__"},
    {"__import__", "__import__ imports any module"},
    {"__class__", "__class__ climbs from an object to its type, the first step of __subclasses__ chains"},
    {"__base__", "__base__ climbs to a base class (usually object) to reach __subclasses__"},
    {"__bases__", "__bases__ climbs to base classes to reach __subclasses__"},
    {"__mro__", "__mro__ climbs to object to reach __subclasses__"},
    {"__dict__", "__dict__ exposes and allows rewriting any object's attributes"},
    {"__getattribute__", "__getattribute__ reads any attribute, bypassing name checks"},
    {"__setattr__", "__setattr__ rewrites attributes of modules and classes"},
    {"__delattr__", "__delattr__ removes attributes of modules and classes"},
    {"__code__", "__code__ exposes or replaces a function's bytecode"},
    {"__closure__", "__closure__ exposes a function's captured variables"},
    {"__func__", "__func__ exposes a method's underlying function"},
    {"__self__", "__self__ exposes the object a builtin method is bound to (e.g. the builtins module)"},
    {"__loader__", "__loader__ can load and execute module source"},
    {"__spec__", "__spec__ leads to the module loader"},
    {"__reduce__", "__reduce__ / __reduce_ex__ return callables with arguments"},
    {"__reduce_ex__", "__reduce__ / __reduce_ex__ return callables with arguments"},
    {"__init_subclass__", "__init_subclass__ runs code when classes are created"},
    {"__getitem__", "__getitem__ on namespaces (e.g. __builtins__['eval']) reaches hidden callables"},
    {"func_globals", "func_globals is Python 2's __globals__"},
    {"gi_frame", "gi_frame exposes a generator's frame and its globals"},
    {"f_globals", "f_globals exposes a frame's module namespace"},
    {"f_back", "f_back climbs to the caller's frame (the unpickler's)"},
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// "m.*" matches module m and its submodules (checked against the module);
// "a.b" matches the qualified name exactly, or a module of that name.
bool PatternMatches(std::string_view pattern, std::string_view module, std::string_view qualified) {
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    std::string_view root = pattern.substr(0, pattern.size() - 2);
    if (module == root) return true;
    if (module.size() > root.size() && StartsWith(module, root) && module[root.size()] == '.') return true;
    // A qualified name under the module (e.g. module "torch", name "hub.load").
    return qualified.size() > root.size() && StartsWith(qualified, root) && qualified[root.size()] == '.';
  }
  return qualified == pattern;
}

const TierEntry* FindTierEntry(std::string_view module, std::string_view qualified) {
  // Exact names first (more specific, e.g. "platform.popen"), then modules.
  const TierEntry* module_match = nullptr;
  for (const TierEntry& e : kTierEntries) {
    std::string_view p = e.pattern;
    bool wildcard = p.size() >= 2 && p.substr(p.size() - 2) == ".*";
    if (!wildcard && qualified == p) return &e;
    if (wildcard && !module_match && PatternMatches(p, module, qualified)) module_match = &e;
  }
  return module_match;
}

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) dot = s.size();
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
  return parts;
}

}  // namespace

const char* TorchVersionName(TorchVersion version) {
  switch (version) {
    case TorchVersion::k1_13: return "1.13";
    case TorchVersion::k2_4: return "2.4";
    case TorchVersion::k2_6: return "2.6";
    case TorchVersion::kCurrent: return "2.10";
  }
  return "?";
}

std::optional<TorchVersion> ParseTorchVersion(std::string_view text) {
  if (text == "current" || text == "latest") return TorchVersion::kCurrent;
  int major = 0, minor = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(begin, end, major);
  if (ec != std::errc() || p == end || *p != '.') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, minor);
  if (ec2 != std::errc()) return std::nullopt;
  if (q != end && *q != '.' && *q != '+' && *q != 'a' && *q != 'r') return std::nullopt;
  if (major < 1) return std::nullopt;
  if (major == 1) return TorchVersion::k1_13;  // every 1.x behaves like the 1.13 unpickler or has none
  if (major > 2) return TorchVersion::kCurrent;
  if (minor < 6) return TorchVersion::k2_4;
  if (minor < 10) return TorchVersion::k2_6;
  return TorchVersion::kCurrent;
}

bool WeightsOnlyIsDefault(TorchVersion version) {
  return version == TorchVersion::k2_6 || version == TorchVersion::kCurrent;
}

const char* SafetyTierName(SafetyTier tier) {
  switch (tier) {
    case SafetyTier::kTorchAllowlist: return "torch-allowlist";
    case SafetyTier::kProjectOwn: return "project-own";
    case SafetyTier::kConfigSafe: return "config-safe";
    case SafetyTier::kStdlibSafe: return "stdlib-safe";
    case SafetyTier::kCodeExecution: return "code-execution";
    case SafetyTier::kNetwork: return "network";
    case SafetyTier::kFileSystem: return "file-system";
    case SafetyTier::kGadget: return "gadget";
    case SafetyTier::kUnknown: return "unknown";
  }
  return "?";
}

bool IsSafeTier(SafetyTier tier) {
  return tier == SafetyTier::kTorchAllowlist || tier == SafetyTier::kProjectOwn ||
         tier == SafetyTier::kConfigSafe || tier == SafetyTier::kStdlibSafe;
}

bool IsDangerousTier(SafetyTier tier) {
  return tier == SafetyTier::kCodeExecution || tier == SafetyTier::kNetwork ||
         tier == SafetyTier::kFileSystem || tier == SafetyTier::kGadget;
}

QualifiedGlobal NormalizeGlobal(std::string_view module, std::string_view name) {
  for (const NameRename& r : kNameMapping) {
    if (module == r.module && name == r.name) return {r.to_module, r.to_name};
  }
  if (module == "exceptions") return {"builtins", std::string(name)};
  for (const ModuleRename& r : kImportMapping) {
    if (module == r.from) return {r.to, std::string(name)};
  }
  if (module == "torch.tensor") return {"torch._tensor", std::string(name)};
  return {std::string(module), std::string(name)};
}

bool InTorchWeightsOnlyAllowlist(std::string_view qualified, TorchVersion version) {
  const auto& list = Allowlist(version);
  return std::binary_search(list.begin(), list.end(), qualified);
}

std::vector<std::string> TorchWeightsOnlyAllowlist(TorchVersion version) { return Allowlist(version); }

bool IsTorchBlockedModule(std::string_view module) {
  return module == "sys" || module == "os" || module == "posix" || module == "nt";
}

std::string_view IntrospectionAttributeReason(std::string_view attribute) {
  for (const IntrospectionEntry& e : kIntrospection) {
    if (attribute == e.attribute) return e.why;
  }
  return {};
}

namespace {

// ---------------------------------------------------------------------------
// Re-exports: the names under which modules hand out something they do not
// define (`torch._import_dotted_name` is torch._utils's importer,
// `tokenize._builtin_open` is `open`), generated from the libraries
// themselves by global_safety.reexports.py. Sorted by alias.
struct ReexportEntry {
  const char* alias;
  const char* module;
  const char* name;  // empty: the alias is a module
};
constexpr ReexportEntry kReexports[] = {
#include "analyzer/analysis/global_safety.reexports.inc"
};

const ReexportEntry* FindReexport(std::string_view qualified) {
  const ReexportEntry* end = std::end(kReexports);
  const ReexportEntry* it = std::lower_bound(
      std::begin(kReexports), end, qualified,
      [](const ReexportEntry& e, std::string_view q) { return std::string_view(e.alias) < q; });
  return it != end && qualified == it->alias ? it : nullptr;
}

std::string ReexportTarget(const ReexportEntry& r) {
  return *r.name ? std::string(r.module) + "." + r.name : std::string(r.module);
}

// Dotted names longer than these are not followed: an honest qualified name
// (a nested class) has two or three components.
constexpr size_t kMaxChainComponents = 32;
constexpr size_t kMaxChainChars = 1024;

int DangerRank(SafetyTier tier) {
  switch (tier) {
    case SafetyTier::kCodeExecution: return 3;
    case SafetyTier::kNetwork:
    case SafetyTier::kFileSystem: return 2;
    case SafetyTier::kGadget: return 1;
    default: return 0;
  }
}

// The worst blocklist entry met while resolving a name.
struct ChainHit {
  const TierEntry* entry = nullptr;
  std::string path;   // the resolved path the entry matched ("torch._utils._import_dotted_name")
  std::string alias;  // the re-export followed to reach it ("torch._import_dotted_name"), if any
};

void Consider(ChainHit* best, const TierEntry* entry, const std::string& path,
              const std::string& alias) {
  if (entry == nullptr) return;
  if (best->entry != nullptr) {
    int rank = DangerRank(entry->tier), best_rank = DangerRank(best->entry->tier);
    // The worst danger wins; among equals, the longest path (os.system, not os).
    if (rank < best_rank || (rank == best_rank && path.size() <= best->path.size())) return;
  }
  best->entry = entry;
  best->path = path;
  best->alias = alias;
}

// Follows parts[begin..] from the resolved path `cur` the way pickle's
// find_class does (one getattr per component), replacing each known
// re-export by what it is, and judges every object reached on the way.
void WalkChain(std::string cur, const std::vector<std::string_view>& parts, size_t begin,
               ChainHit* best) {
  std::string alias;
  for (size_t k = begin; k < parts.size(); ++k) {
    cur += '.';
    cur += parts[k];
    if (const ReexportEntry* r = FindReexport(cur)) {
      alias = cur;
      cur = ReexportTarget(*r);
    }
    Consider(best, FindTierEntry(cur, cur), cur, alias);
  }
}

bool IsWildcard(std::string_view pattern) {
  return pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*";
}

// A built-in safe entry for (module, qualified). Wildcards ("torch.nn.modules.*")
// vouch for names a module defines: a single component, not an imported
// name (`allow_wildcards` false for chains and re-exports).
const SafeEntry* FindSafeEntry(std::string_view module, std::string_view qualified,
                               bool allow_wildcards) {
  for (const SafeEntry& e : kStdlibSafe) {
    if (!allow_wildcards && IsWildcard(e.pattern)) continue;
    if (PatternMatches(e.pattern, module, qualified)) return &e;
  }
  return nullptr;
}

// The config's safe-globals entry for a name, with the same wildcard rule.
const std::string* FindConfigEntry(const SafetyContext& context, std::string_view module,
                                   std::string_view qualified, bool allow_wildcards) {
  for (const std::string& safe : context.safe_globals) {
    if (!allow_wildcards && IsWildcard(safe)) continue;
    if (PatternMatches(safe, module, qualified)) return &safe;
  }
  return nullptr;
}

// Whether any list vouches for the object a resolved path names (a
// re-export's origin): exactly, or by a wildcard over its defining module.
std::string WhoVouchesFor(std::string_view module, std::string_view name,
                          const SafetyContext& context) {
  std::string qualified = module.empty() ? std::string(name) : std::string(module) + "." + std::string(name);
  if (InTorchWeightsOnlyAllowlist(qualified, context.torch_version)) {
    return std::string("torch ") + TorchVersionName(context.torch_version) + "'s weights_only allowlist";
  }
  if (!name.empty() && context.project_class && context.project_class(module, name)) {
    return "the project's own classes";
  }
  bool single = name.find('.') == std::string_view::npos && !name.empty();
  if (const std::string* e = FindConfigEntry(context, module, qualified, single)) {
    return "safe-globals entry '" + *e + "'";
  }
  if (const SafeEntry* e = FindSafeEntry(module, qualified, single)) {
    return std::string("ptlint's safe entry '") + e->pattern + "'";
  }
  return {};
}

// Who vouches for a module as a whole or for some name in it: an allowlist
// entry that is the module, covers it with a wildcard, or names a member
// ("torch.Size" makes `torch` a module the allowlist trusts for something).
std::string WhoVouchesForModule(std::string_view module, const SafetyContext& context) {
  auto vouches = [&](std::string_view entry) {
    if (IsWildcard(entry)) return PatternMatches(entry, module, module);
    // An exact entry for a member of the module ("torch.Size" for `torch`).
    return entry.size() > module.size() && StartsWith(entry, module) && entry[module.size()] == '.';
  };
  for (const std::string& e : Allowlist(context.torch_version)) {
    if (vouches(e)) {
      return std::string("torch ") + TorchVersionName(context.torch_version) + "'s weights_only allowlist";
    }
  }
  for (const SafeEntry& e : kStdlibSafe) {
    if (vouches(e.pattern)) return std::string("ptlint's safe entry '") + e.pattern + "'";
  }
  for (const std::string& e : context.safe_globals) {
    if (vouches(e)) return "safe-globals entry '" + e + "'";
  }
  return {};
}

std::string JoinParts(const std::vector<std::string_view>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i) out += '.';
    out += parts[i];
  }
  return out;
}

}  // namespace

std::string ReexportOrigin(std::string_view qualified) {
  const ReexportEntry* r = FindReexport(qualified);
  return r ? ReexportTarget(*r) : std::string();
}

bool CanRunCode(const GlobalClassification& c) { return IsDangerousTier(c.tier) || c.unresolvable; }

GlobalClassification ClassifyGlobal(std::string_view raw_module, std::string_view raw_name,
                                    const SafetyContext& context) {
  GlobalClassification out;
  out.normalized = NormalizeGlobal(raw_module, raw_name);
  const std::string& module = out.normalized.module;
  const std::string& name = out.normalized.name;
  const std::string qualified = out.normalized.qualified();
  // pickle's find_class imports `module`, then follows `name` with one
  // getattr per dotted component (protocol 4+). A dotted name is therefore an
  // attribute chain, and is judged by where it ends, never by where it starts.
  const std::vector<std::string_view> parts = SplitDots(name);
  const bool chain = parts.size() > 1;

  // 1. torch's own allowlist: what torch.load(weights_only=True) accepts.
  if (!chain && InTorchWeightsOnlyAllowlist(qualified, context.torch_version)) {
    out.tier = SafetyTier::kTorchAllowlist;
    out.matched = qualified;
    out.why = std::string("in torch ") + TorchVersionName(context.torch_version) +
              "'s weights_only allowlist";
    return out;
  }

  if (chain && (parts.size() > kMaxChainComponents || name.size() > kMaxChainChars)) {
    out.tier = SafetyTier::kUnknown;
    out.unresolvable = true;
    out.matched = "attribute chain";
    out.why = "the name is an attribute chain of " + std::to_string(parts.size()) + " components (" +
              std::to_string(name.size()) + " bytes) that pickle's find_class follows with getattr "
              "one by one; ptlint does not follow chains that long, so it cannot say what the "
              "chain reaches";
    return out;
  }

  // 2. What the blocklist knows about the object the name reaches. Checked
  // before the project/config allowlists so that a config entry cannot make
  // os.system safe; the allowlist that claimed it is reported instead.
  ChainHit hit;
  Consider(&hit, FindTierEntry(module, qualified), qualified, "");
  const ReexportEntry* reexport = chain ? nullptr : FindReexport(qualified);
  if (reexport) Consider(&hit, FindTierEntry(ReexportTarget(*reexport), ReexportTarget(*reexport)),
                         ReexportTarget(*reexport), qualified);
  std::string attribute_why;
  std::string attribute_match;
  if (chain) {
    WalkChain(module, parts, 0, &hit);
    // Every sub-chain read as a path of its own: an attribute may be a module
    // imported under its own name (`torch.nn.modules.module.torch`), which
    // makes `torch._import_dotted_name` a real path whatever precedes it.
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string head(parts[i]);
      Consider(&hit, FindTierEntry(head, head), head, "");
      if (i + 1 < parts.size()) WalkChain(head, parts, i + 1, &hit);
    }
  }
  for (std::string_view part : parts) {
    std::string_view why = IntrospectionAttributeReason(part);
    if (!why.empty()) {
      attribute_why = std::string(why);
      attribute_match = std::string(part);
      break;
    }
  }
  // Dunder module components ("numpy.__builtins__" as a module path).
  if (!hit.entry && attribute_why.empty()) {
    for (std::string_view part : SplitDots(module)) {
      std::string_view why = IntrospectionAttributeReason(part);
      if (!why.empty()) {
        attribute_why = std::string(why);
        attribute_match = std::string(part);
        break;
      }
    }
  }
  const TierEntry* entry = hit.entry;

  // Wildcards vouch for the names a module defines: one component that the
  // module does not merely import.
  const bool defined_name = !chain && reexport == nullptr;
  std::string allowlisted_by;
  if (context.project_class && context.project_class(module, name)) {
    allowlisted_by = "the project's own classes";
  } else if (const std::string* e = FindConfigEntry(context, module, qualified, defined_name)) {
    allowlisted_by = "safe-globals entry '" + *e + "'";
  }

  if (entry && entry->tier != SafetyTier::kGadget) {
    out.tier = entry->tier;
    bool direct = hit.path == qualified && hit.alias.empty();
    out.matched = direct ? entry->pattern : hit.path + " (" + entry->pattern + ")";
    out.why = entry->why;
    if (chain) {
      out.why = "the dotted name is an attribute chain that pickle's find_class follows with getattr "
                "to " + hit.path + (hit.alias.empty() ? "" : " (" + hit.alias + " is a re-export of it)") +
                ": " + out.why;
    } else if (!hit.alias.empty()) {
      out.why = qualified + " is " + hit.path + " re-exported: " + out.why;
    }
    out.overridden_allowlist = allowlisted_by;
    return out;
  }
  if (!attribute_why.empty()) {
    out.tier = SafetyTier::kGadget;
    out.matched = attribute_match;
    out.why = "introspection through " + attribute_match + ": " + attribute_why;
    out.overridden_allowlist = allowlisted_by;
    return out;
  }

  // 3. The project's own classes and the config's safe-globals.
  if (!allowlisted_by.empty() && !entry) {
    bool project = allowlisted_by == "the project's own classes";
    out.tier = project ? SafetyTier::kProjectOwn : SafetyTier::kConfigSafe;
    out.matched = project ? qualified : allowlisted_by;
    out.why = project ? "a class defined in the project's own source"
                      : "allowlisted by the project config (" + allowlisted_by + ")";
    return out;
  }

  if (entry) {  // a gadget: reported even when an allowlist claimed it
    out.tier = entry->tier;
    out.matched = hit.path == qualified && hit.alias.empty() ? entry->pattern : hit.path;
    out.why = entry->why;
    if (!hit.alias.empty() && !chain) out.why = qualified + " is " + hit.path + " re-exported: " + out.why;
    if (chain) out.why = "the dotted name resolves through attributes to " + hit.path + ": " + out.why;
    out.overridden_allowlist = allowlisted_by;
    return out;
  }

  // 4. A chain spelled exactly as an allowlisted name (`torch` +
  // `_utils._rebuild_tensor_v2` is torch._utils._rebuild_tensor_v2).
  if (chain && InTorchWeightsOnlyAllowlist(qualified, context.torch_version)) {
    out.tier = SafetyTier::kTorchAllowlist;
    out.matched = qualified;
    out.why = std::string("in torch ") + TorchVersionName(context.torch_version) +
              "'s weights_only allowlist";
    return out;
  }

  // 5. Pure data constructors.
  if (const SafeEntry* safe = FindSafeEntry(module, qualified, defined_name)) {
    out.tier = SafetyTier::kStdlibSafe;
    out.matched = safe->pattern;
    out.why = safe->why;
    return out;
  }

  // 6. A name the module imports rather than defines: judged by its origin.
  if (reexport) {
    std::string target = ReexportTarget(*reexport);
    std::string vouched = WhoVouchesFor(reexport->module, reexport->name, context);
    if (!vouched.empty() && *reexport->name) {
      out.tier = SafetyTier::kStdlibSafe;
      out.matched = target;
      out.why = qualified + " is " + target + " re-exported, which " + vouched + " vouches for";
      return out;
    }
    std::string by = WhoVouchesForModule(module, context);
    out.tier = SafetyTier::kUnknown;
    out.unresolvable = !by.empty();
    out.matched = target;
    out.why = qualified + " is " + target + (*reexport->name ? "" : " (a module)") + ", which " +
              module + " imports rather than defines" +
              (by.empty() ? "" : "; " + by + " vouches for what " + module +
                                     " defines, not for what it imports") +
              "; nothing vouches for " + target;
    return out;
  }

  // 7. A chain that starts at something an allowlist vouches for and leaves
  // it: nobody can say what it reaches (fail closed).
  if (chain) {
    std::string by;
    std::string through;
    if (context.project_class) {
      for (size_t j = parts.size() - 1; j >= 1 && by.empty(); --j) {
        std::string head = JoinParts(parts, j);
        if (context.project_class(module, head)) {
          by = "the project's own classes";
          through = module + "." + head;
        }
      }
    }
    for (size_t j = parts.size() - 1; j >= 1 && by.empty(); --j) {
      std::string head = JoinParts(parts, j);
      std::string prefix = module + "." + head;
      bool single = j == 1;
      if (InTorchWeightsOnlyAllowlist(prefix, context.torch_version)) {
        by = std::string("torch ") + TorchVersionName(context.torch_version) + "'s weights_only allowlist";
      } else if (const std::string* e = FindConfigEntry(context, module, prefix, single)) {
        by = "safe-globals entry '" + *e + "'";
      } else if (const SafeEntry* e = FindSafeEntry(module, prefix, single)) {
        by = std::string("ptlint's safe entry '") + e->pattern + "'";
      }
      if (!by.empty()) through = prefix;
    }
    if (by.empty()) {
      by = WhoVouchesForModule(module, context);
      if (!by.empty()) through = module;
    }
    if (!by.empty()) {
      out.tier = SafetyTier::kUnknown;
      out.unresolvable = true;
      out.matched = through;
      out.why = "the dotted name is an attribute chain that pickle's find_class follows with getattr "
                "from " + through + " (which " + by + " vouches for) to attributes no allowlist "
                "names; an allowlist vouches for what a module defines, not for whatever its "
                "attributes lead to, so ptlint cannot say what " + qualified + " is";
      return out;
    }
  }

  // 8. Nobody vouches for it.
  out.tier = SafetyTier::kUnknown;
  out.why = "outside torch's weights_only allowlist, the project's classes and the config's "
            "safe-globals; loading it imports " + module + " and runs whatever " + qualified +
            " does";
  return out;
}

}  // namespace ptlint
