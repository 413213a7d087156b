// Call-site extraction's internals (call_sites.h is the interface): the
// Extractor walks one file's tree and records its torch.load / torch.save /
// load_state_dict / add_safe_globals / torch.optim calls.
//
// Its member functions are split by responsibility:
//   call_sites_binding.cc  statements, scopes and name binding (`m = Model()`,
//                          `with x as y`, `a = b = expr`): what a local name holds
//   call_sites_values.cc   expression values: paths (strings, f-strings, `/` and
//                          `+` joins, module constants), `ckpt["key"]`, literals
//   call_sites_loads.cc    call recognition: which calls are load/save sites,
//                          what they load into, Lightning and torch.optim
//   call_sites_key_rewrite.cc  key-rewriting dict comprehensions and loops on
//                          a loaded state dict (load_key_rewrite.h), changes
//                          in place, and what a project function a load is
//                          passed to does to it
// so that each can be read on its own; the state they share is here.
#ifndef PTLINT_ANALYZER_PYTHON_CALL_SITES_EXTRACTOR_H_
#define PTLINT_ANALYZER_PYTHON_CALL_SITES_EXTRACTOR_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "analyzer/python/call_sites.h"
#include "analyzer/python/module_index.h"

namespace ptlint {
namespace call_site_extraction {

// What a local name is bound to, as far as the extractor follows it.
struct Value {
  // kFactoryResult: what a project function returned (`model =
  // wav2vec2_model(...)`); `cls` names the function. Whether it builds a
  // module is the state-dict prediction's call, not this pass's.
  enum Kind {
    kNone,
    kLoad,
    kInstance,
    kFactoryResult,
    kPath,
    kStateDict,
    kDictWithStateDict,
    kOptimizer,
    kDict,     // a dict literal / dict(...) / a config: `dict_paths` holds its path values
    kArgs,     // what `parser.parse_args()` returns: attributes are argparse dests
    kGlobals,  // a list or tuple of names (`allowed = [Net, Block]`), resolved in `names`
    kConfigObject,  // a project class that is not a module, built from literals: `config` holds it as JSON
  } kind = kNone;
  int load_site = -1;
  int optimizer_site = -1;  // kOptimizer: index of the torch.optim construction
  std::vector<std::string> keys;
  std::vector<LoadKeyRewrite> key_rewrites;  // kLoad: its keys rewritten on the way (load_key_rewrite.h)
  std::string cls;
  SourcePosition cls_position;
  std::map<std::string, nlohmann::json> ctor_args;
  PathExpr path;
  // kDict: the path values of its entries, nested keys joined by kKeySep.
  std::map<std::string, PathExpr> dict_paths;
  // kGlobals: each element's qualified name (as written when unresolved).
  std::vector<std::string> names;
  // kDict: built empty (`{}`, `dict()`, `OrderedDict()`) and not stored into since.
  bool empty = false;
  // kDict: stored into since it was built (`new[k] = v`, `.update(...)`): a
  // dict a function returns this way may be a loaded one under new keys.
  bool stored_into = false;
  // kConfigObject: {"$class": ..., "$args": [...], keywords} (PredictOptions::args).
  nlohmann::json config;
};
using Env = std::unordered_map<std::string, Value>;

constexpr char kKeySep = '\x1f';

constexpr int kMaxDepth = 200;  // expression nesting followed; deeper is left alone

// What an expression evaluates to for its path value alone (PathOnly), by
// file and node, shared by every Extractor of one extraction run. The same
// module constant (`_COMMON_META = {..., "categories": _IMAGENET_CATEGORIES}`)
// is read again at every use, in every file that imports it, and each read
// re-walked everything it refers to. PathOnly is a function of the file and
// the node; the depth it starts at matters only where the kMaxDepth cutoff
// is reached, so an entry keeps how deep its evaluation went below its start
// (`span`) and is reused only where that stays within the cutoff. An
// evaluation that reached the cutoff is not kept.
struct PathValueCache {
  struct Entry {
    Value value;
    int span = 0;
  };
  // A node by its file, tree-sitter id and start: the id alone is not
  // unique for the small leaves tree-sitter stores inline.
  struct Key {
    const void* file;
    const void* node;
    uint32_t start;
    bool operator==(const Key& o) const { return file == o.file && node == o.node && start == o.start; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      size_t h = std::hash<const void*>{}(k.file);
      h = h * 1000003u ^ std::hash<const void*>{}(k.node);
      return h * 1000003u ^ k.start;
    }
  };
  std::unordered_map<Key, Entry, KeyHash> entries;
  // Whether a name read in a module resolves to a module-level assignment
  // (ImportedConstant asks for every name a path could be built from), by
  // "module\ndotted". Names only: it never changes during an extraction.
  std::unordered_map<std::string, bool> assignment_names;
};

// A module-level def of a project module, pinned down as the one a call
// runs (call_sites_imported.cc).
struct PinnedFunction {
  const IndexedFile* file = nullptr;
  TSNode def{};
  std::string name;
};

// The text of the module-level def `fn` as far as the index knows it
// without building `file`'s tree: from its line to the next module-level def
// or class (or the end), with whatever module statements lie between. For
// cheap "may it load?" tests before a tree is built.
std::string_view DefinitionText(const IndexedFile& file, const FunctionInfo& fn);

// Two followed loads with the same keys and key rewrites.
bool SameLoad(const Value& a, const Value& b);
// The call does not return what the body returns: a generator or a coroutine.
bool ReturnsAnotherObject(TSNode def);

inline SourcePosition EndOf(TSNode n) {
  TSPoint p = ts_node_end_point(n);
  return SourcePosition{p.row + 1, p.column + 1};
}

class Extractor {
 public:
  Extractor(const ModuleIndex& index, const IndexedFile& file, std::vector<CallSite>& out,
            PathValueCache* path_values = nullptr)
      : index_(index), file_(file), out_(out), path_values_(path_values) {}

  // Records `file`'s call sites into `out`.
  void Run();
  // Definitions (by node id) Run's walks do not enter: their text can hold
  // no call site and names no function of this file that can
  // (call_sites.cc), so a walk of them records nothing a call site needs.
  void SkipDefinitions(const std::unordered_set<const void*>* quiet) { quiet_ = quiet; }

 private:

  std::string Text(TSNode n) const { return std::string(file_.parsed.Text(n)); }

  // A call's arguments, positional and keyword.
  struct Args {
    std::vector<TSNode> positional;
    std::vector<std::pair<std::string, TSNode>> keywords;
    TSNode Keyword(const char* name) const {
      for (const auto& [k, v] : keywords) {
        if (k == name) return v;
      }
      return TSNode{};
    }
  };

  // Function parameters fed by literal paths at their callers in this file
  // (`def evaluate(path): torch.load(path)` ... `evaluate("ckpt/x.pt")`).
  // Run() walks the file once to record every call of a function defined
  // in it with its argument values, seeds each function's parameters whose
  // callers (or default) agree on one path, and walks again; chains
  // (`main(args.ckpt)` -> `load(path)`) take one more walk each, up to 3.
  struct FunctionParams {
    std::vector<std::string> names;        // positional-or-keyword, in order
    std::map<std::string, TSNode> defaults;
    bool method = false;                   // defined in a class: the first is self/cls
  };
  struct ArgValues {
    std::vector<Value> positional;
    std::map<std::string, Value> keywords;
    bool star = false;                     // *args / **kwargs at the call: unknowable
  };
  struct RecordedCall {
    std::vector<std::string> candidates;   // qualified names it may call, innermost scope first
    bool via_self = false;                 // `self.m(...)`: a method, self not passed
    ArgValues args;
  };
  using Seeds = std::map<std::string, Env>;               // function -> its parameters' values
  std::map<std::string, FunctionParams> functions_;       // qualified ("Cls.method") -> params
  std::vector<RecordedCall> calls_;
  Seeds seeds_;
  bool recording_ = true;                                 // this walk records calls_
  void RecordFunction(TSNode def, const std::string& qualified);
  void RecordCall(TSNode callee, ArgValues args, const std::string& function);
  Seeds SeedsFromCalls();
  static bool SameSeeds(const Seeds& a, const Seeds& b);

  // argparse: dest -> default, for `args.dest` (collected once per file).
  const std::map<std::string, PathExpr>& ArgparseDefaults();
  std::optional<std::map<std::string, PathExpr>> argparse_;

  // The load path as a site records it: relative paths that climb (`../`)
  // are resolved against the script's folder; a glob with no literal name
  // part (`os.path.join(self.folder, name)`, `f"{d}/{n}.pt"`) is unknown,
  // so the load binds to nothing rather than to every file.
  PathExpr SitePath(const PathExpr& p) const;

  // Statements and binding (call_sites_binding.cc).
  void Block(TSNode block, Env& env, const std::string& function, int depth);
  void Statement(TSNode s, Env& env, const std::string& function, int depth);
  void WithClause(TSNode clause, Env& env, const std::string& function, int depth);
  void Assignment(TSNode a, Env& env, const std::string& function, int depth);

  // Expression values (call_sites_values.cc).
  Value Constant(const std::string& name, int depth);
  Value ImportedConstant(const std::string& dotted, int depth);
  static void AddDictEntry(Value& dict, const std::string& key, const Value& value);
  static Value DictEntry(const Value& dict, const std::string& key);
  Value PathOnly(TSNode e, int depth);
  PathExpr JoinPaths(const std::vector<PathExpr>& parts);
  PathExpr StringValue(TSNode s);
  Value Expr(TSNode e, Env& env, const std::string& function, int depth);
  // A dict comprehension over `X.items()` that rewrites or filters keys
  // (call_sites_key_rewrite.cc): the rewrite, and X in `iterable`.
  std::optional<LoadKeyRewrite> KeyRewriteOf(TSNode comprehension, TSNode* iterable);
  bool ItemsLoop(TSNode left, TSNode right, std::string* k, std::string* v, TSNode* iterable);
  bool KeyMethodLiteral(TSNode call, const std::string& k, const char* method, std::string* literal);
  std::optional<LoadKeyRewrite> KeyExpressionRewrite(TSNode key, const std::string& k);
  // `for k, v in sd.items(): new_sd[k[7:]] = v` into an empty dict: new_sd
  // and its value (sd's load, keys rewritten).
  std::optional<std::pair<std::string, Value>> LoopIntoNewDict(TSNode loop, const Env& env);
  static void SubscriptLoad(Value& load, const std::string& key);
  // `X["a"]["b"]` -> X and its keys ("a", "b"); "" for a key that is not a
  // string literal, which also clears `*all_literal` when given.
  TSNode StringSubscriptChain(TSNode e, std::vector<std::string>* keys, bool* all_literal);
  // A followed load changed in place (`sd.pop(k)`, `sd[x] = ...`, `del sd[k]`,
  // consume_prefix_in_state_dict_if_present): recorded as a key rewrite.
  void MarkChangedInPlace(TSNode target, const std::string& entry, TSNode where, Env& env);
  void RecordInPlaceRewrite(TSNode target, LoadKeyRewrite rewrite, TSNode where, Env& env);
  // A followed load passed to a project function (`strip_module(sd)`,
  // `sd = fix_keys(ckpt["model"])`): the function's body is walked once per
  // (function, parameter) with the parameter bound to a stand-in load
  // (load_site kParameterLoad), which records what the body does to it.
  // In-place changes are recorded on the argument as if written at the call
  // (`sd.pop(k)` in the body: unfollowed, the note naming the call); a
  // returned stand-in (the forum loop into a new dict, `return new`) is the
  // call's value, the argument's load with the same key rewrites.
  static constexpr int kParameterLoad = -2;
  struct ParameterEffect {
    // Changes to the parameter in place, relative to it (entry_depth 0).
    std::vector<LoadKeyRewrite> in_place;
    enum Returns {
      kNotTheLoad,  // no return of it (None, a module, a config): the value stays what it was
      kTheLoad,     // every return is the parameter's load: `returned` (keys, rewrites)
      kUnknownDict,  // a dict built from it in code ptlint does not follow, or returns that differ
    } returns = kNotTheLoad;
    Value returned;
  };
  // By "function<kKeySep>parameter"; nullopt while that body is being walked.
  using ParameterEffects = std::map<std::string, std::optional<ParameterEffect>>;
  std::optional<ParameterEffect> EffectOn(const FunctionInfo& fn, const std::string& param, int depth);
  // `fn` null: a project function ptlint found but cannot follow (a
  // decorated nested def, an inherited or overridden method): every load
  // passed to it is changed by code ptlint does not follow. `skip`: the
  // leading parameters the call does not pass (a bound method's self/cls).
  std::optional<Value> LoadThroughFunction(TSNode call, const FunctionInfo* fn, size_t skip, const Args& args,
                                           const ArgValues& passed, Env& env, int depth);
  // A callee the index does not list (call_sites_key_rewrite.cc): a function
  // defined in an enclosing function (`def fix(sd)` then `fix(sd)`), a method
  // of the enclosing class (`self.m(sd)`, `cls.m(sd)`) or of a project class
  // (`Trainer.m(sd)`). `fn` is built from the tree (path, node, and the
  // function's scope name as the walk names it); kUnknown: it is such a
  // function, but which body runs, or what its decorator does, is not known.
  struct LocalCallee {
    enum Kind { kNone, kFound, kUnknown } kind = kNone;
    FunctionInfo fn;
    size_t skip = 0;
  };
  LocalCallee ResolveLocalCallee(TSNode call, TSNode callee, const Env& env);
  LocalCallee MethodOf(TSNode cls, const std::string& cls_name, const std::string& cls_path,
                       const std::string& method, bool via_instance);
  // What each function defined in this file returned in this walk, by scope
  // name, and the function's value when every return is the same followed
  // load (`def load_weights(path): sd = torch.load(path); return {...}`):
  // a later call of it in this file is that load, keys rewritten.
  std::map<std::string, std::vector<Value>> own_returns_;
  std::map<std::string, Value> returned_loads_;
  void SummarizeReturns(const std::string& function, TSNode def);
  // A loading helper defined in another project module
  // (call_sites_imported.cc): `load_weights("ckpt/x.pt")` imported from
  // utils/ckpt.py, or `load_checkpoint(model, path)`. Its body is walked with
  // its parameters bound to the call's arguments (paths, modules), and the
  // loads it makes of a known file are recorded at the call, in this file,
  // as the sites they stand for (its load_state_dict too, when the receiver
  // is known); the call's value is the load it returns, if it returns one.
  // The callee must be pinned down: bound once in every module on the way
  // (no second import, def, assignment or star import of the name), a
  // plain def at module level (not decorated, not under an `if` or `try`),
  // not shadowed in the calling function. Helpers calling helpers are
  // followed kMaxInlineNesting deep, and never into one already on the way.
  std::optional<PinnedFunction> PinImportedFunction(TSNode call, TSNode callee, const Symbol& sym, const Env& env);
  std::optional<Value> InlineImportedHelper(TSNode call, const PinnedFunction& fn, const ArgValues& passed,
                                            const std::string& function, int depth);
  // The helpers being walked, outermost first (path ":" name): a call of
  // one of them again is recursion, not followed.
  std::vector<std::string> inline_chain_;
  ParameterEffects* effects_ = nullptr;
  int effect_nesting_ = 0;                          // stand-in walks this one is inside
  std::vector<LoadKeyRewrite>* stand_in_changes_ = nullptr;  // a stand-in walk's in-place changes
  std::vector<std::pair<TSNode, Value>>* returns_ = nullptr;  // a stand-in walk's returns
  std::string returns_of_;                          // ... of this function (not nested ones)
  std::map<std::string, nlohmann::json> LiteralArgs(const Args& args, const Env* env = nullptr);
  // `name` occurs exactly twice in the file (its binding and one use): a
  // config object nothing else can have changed in between.
  bool BoundAndUsedOnce(const std::string& name);
  std::optional<nlohmann::json> Literal(TSNode n, int depth = 0);

  // Call sites (call_sites_loads.cc).
  Args SplitArgs(TSNode args);
  TSNode Arg(const Args& a, size_t pos, const char* keyword);
  CallSite NewSite(CallKind kind, TSNode call, const std::string& function);
  Value Call(TSNode call, Env& env, const std::string& function, int depth);
  std::optional<Value> LightningResume(TSNode call, const Args& args, Env& env,
                                       const std::string& function, int depth);
  Value LightningLoad(TSNode call, const Args& args, const ClassInfo& cls, Env& env,
                      const std::string& function, int depth);
  void PushLightningSites(TSNode call, const std::string& function, const PathExpr& path,
                          CallSite restore);
  static bool IsOptimizerClass(const std::string& q);
  std::string ParametersSource(TSNode e, int depth = 0);
  Value Optimizer(const std::string& q, TSNode call, const Args& args, Env& env,
                  const std::string& function, int depth);
  void MarkUsedAsModule(int site, TSNode at);
  static bool IsNull(TSNode n) { return ts_node_is_null(n); }

  const ModuleIndex& index_;
  const IndexedFile& file_;
  std::vector<CallSite>& out_;
  // PathOnly's memo (see PathValueCache); null: none. Not used while
  // ArgparseDefaults is being filled in (an evaluation then sees a partial
  // map), nor below such an evaluation.
  PathValueCache* path_values_ = nullptr;
  const std::unordered_set<const void*>* quiet_ = nullptr;  // SkipDefinitions
  bool filling_argparse_ = false;
  // The deepest `depth` this extractor's evaluations reached (for the
  // memo's span).
  int deepest_ = 0;
  void Reached(int depth) {
    if (depth > deepest_) deepest_ = depth;
  }
};

}  // namespace call_site_extraction
}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_CALL_SITES_EXTRACTOR_H_
