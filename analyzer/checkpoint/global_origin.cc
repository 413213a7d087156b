#include "analyzer/checkpoint/global_origin.h"

#include <algorithm>
#include <array>

namespace ptlint {
namespace {

// sys.stdlib_module_names of CPython 3.11 (public names, plus the private
// C modules pickles reference), plus the Python 2 names pickle maps.
constexpr std::array<std::string_view, 235> kStdlib = {
    "__builtin__", "__future__", "_codecs", "_collections", "_ctypes", "_functools", "_io",
    "_operator", "_pickle", "_posixsubprocess", "_socket", "_thread", "abc", "aifc", "antigravity",
    "argparse", "array", "ast", "asynchat", "asyncio", "asyncore", "atexit", "audioop", "base64",
    "bdb", "binascii", "bisect", "builtins", "bz2", "cPickle", "cProfile", "calendar", "cgi",
    "cgitb", "chunk", "cmath", "cmd", "code", "codecs", "codeop", "collections", "colorsys",
    "commands", "compileall", "concurrent", "configparser", "contextlib", "contextvars", "copy",
    "copy_reg", "copyreg", "crypt", "csv", "ctypes", "curses", "dataclasses", "datetime", "dbm",
    "decimal", "difflib", "dis", "distutils", "doctest", "email", "encodings", "ensurepip", "enum",
    "errno", "exceptions", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch", "fractions",
    "ftplib", "functools", "gc", "genericpath", "getopt", "getpass", "gettext", "glob", "graphlib",
    "grp", "gzip", "hashlib", "heapq", "hmac", "html", "http", "httplib", "idlelib", "imaplib",
    "imghdr", "imp", "importlib", "inspect", "io", "ipaddress", "itertools", "json", "keyword",
    "lib2to3", "linecache", "locale", "logging", "lzma", "mailbox", "mailcap", "marshal", "math",
    "mimetypes", "mmap", "modulefinder", "msilib", "msvcrt", "multiprocessing", "netrc", "nis",
    "nntplib", "nt", "ntpath", "nturl2path", "numbers", "opcode", "operator", "optparse", "os",
    "ossaudiodev", "pathlib", "pdb", "pickle", "pickletools", "pipes", "pkgutil", "platform",
    "plistlib", "poplib", "posix", "posixpath", "pprint", "profile", "pstats", "pty", "pwd",
    "py_compile", "pyclbr", "pydoc", "pydoc_data", "pyexpat", "queue", "quopri", "random", "re",
    "readline", "reprlib", "resource", "rlcompleter", "runpy", "sched", "secrets", "select",
    "selectors", "shelve", "shlex", "shutil", "signal", "site", "smtpd", "smtplib", "sndhdr",
    "socket", "socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants", "sre_parse", "ssl",
    "stat", "statistics", "string", "stringprep", "struct", "subprocess", "sunau", "symtable", "sys",
    "sysconfig", "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios", "textwrap",
    "this", "threading", "time", "timeit", "tkinter", "token", "tokenize", "tomllib", "trace",
    "traceback", "tracemalloc", "tty", "turtle", "turtledemo", "types", "typing", "unicodedata",
    "unittest", "urllib", "urllib2", "uu", "uuid", "venv", "warnings", "wave", "weakref",
    "webbrowser", "winreg", "winsound", "wsgiref", "xdrlib", "xml", "xmlrpc", "zipapp", "zipfile",
    "zipimport", "zlib", "zoneinfo",
};

// Well-known packages that are neither torch nor the user's project. Only
// used to say "third party" rather than "project"; unknown roots are assumed
// to be the project's, which the source index then confirms or refutes.
constexpr std::array<std::string_view, 40> kThirdParty = {
    "numpy", "scipy", "pandas", "sklearn", "omegaconf", "hydra", "pytorch_lightning", "lightning",
    "lightning_fabric", "transformers", "timm", "torchvision", "torchaudio", "torchtext",
    "ultralytics", "deepspeed", "apex", "accelerate", "peft", "safetensors", "yaml", "PIL",
    "requests", "urllib3", "joblib", "dill", "cloudpickle", "tensorflow", "keras", "jax", "onnx",
    "sentencepiece", "tokenizers", "huggingface_hub", "fairseq", "mmcv", "mmdet", "detectron2",
    "einops", "tqdm",
};

}  // namespace

std::string_view ModuleRoot(std::string_view module) {
  size_t dot = module.find('.');
  return dot == std::string_view::npos ? module : module.substr(0, dot);
}

bool IsStandardLibraryModule(std::string_view module) {
  std::string_view root = ModuleRoot(module);
  return std::find(kStdlib.begin(), kStdlib.end(), root) != kStdlib.end();
}

GlobalOrigin ClassifyGlobalOrigin(std::string_view module) {
  std::string_view root = ModuleRoot(module);
  if (root == "torch" || root == "__torch__" || root == "caffe2") return GlobalOrigin::kTorch;
  if (IsStandardLibraryModule(module)) return GlobalOrigin::kStandardLibrary;
  if (std::find(kThirdParty.begin(), kThirdParty.end(), root) != kThirdParty.end()) {
    return GlobalOrigin::kThirdParty;
  }
  return GlobalOrigin::kProject;
}

const char* GlobalOriginName(GlobalOrigin origin) {
  switch (origin) {
    case GlobalOrigin::kTorch: return "torch-owned";
    case GlobalOrigin::kStandardLibrary: return "standard library";
    case GlobalOrigin::kThirdParty: return "third party";
    case GlobalOrigin::kProject: return "project";
  }
  return "project";
}

}  // namespace ptlint
