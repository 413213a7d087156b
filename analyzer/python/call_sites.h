// CallSites: where the project's source saves and loads checkpoints.
//
// Finds `torch.load`, `torch.jit.load`, `torch.save`, `X.load_state_dict(...)`
// `torch.serialization.add_safe_globals([...])` and `torch.optim.X(...)` calls in the indexed
// source, and follows the simple data flow a reviewer would: within one
// function (or module body), `ckpt = torch.load(p)` then
// `model.load_state_dict(ckpt["model_state_dict"])` where `model = Net(...)`.
// Paths are followed when they are literals, simple constants,
// `os.path.join` / `Path(...) / ...` of those, or f-strings (a glob prefix).
// Nothing is executed; what cannot be followed is left empty, never guessed.
#ifndef PTLINT_ANALYZER_PYTHON_CALL_SITES_H_
#define PTLINT_ANALYZER_PYTHON_CALL_SITES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/python/load_key_rewrite.h"
#include "analyzer/python/module_index.h"

namespace ptlint {

enum class CallKind { kTorchLoad, kJitLoad, kTorchSave, kLoadStateDict, kAddSafeGlobals, kOptimizer };
const char* CallKindName(CallKind kind);  // "torch.load", ...

// A checkpoint path as far as the source says it.
struct PathExpr {
  std::string text;       // "ckpt/model.pt", or a glob "ckpt/epoch_*.pt"
  bool is_glob = false;   // from an f-string or concatenation with unknowns
  bool known() const { return !text.empty(); }
};

struct CallSite {
  CallKind kind = CallKind::kTorchLoad;
  std::string path;        // source file
  std::string module;      // dotted module of the file
  std::string function;    // enclosing function ("" at module level)
  SourcePosition start;    // of the call expression
  SourcePosition end;
  std::string call_text;   // the call as written (clipped to 200 bytes)

  // torch.load / torch.jit.load
  PathExpr checkpoint;             // the file argument, when it can be followed
  bool has_map_location = false;
  std::optional<bool> weights_only;  // when passed as a literal
  std::string result_variable;     // `ckpt = torch.load(...)` -> "ckpt"
  SourcePosition args_end;         // position just before the closing ')' (to insert kwargs)

  // load_state_dict
  std::string receiver;            // "model", "self.net"
  std::string receiver_class;      // qualified class when `receiver = Cls(...)` is visible
  // Or the project function when `receiver = f(...)` is (a factory such as
  // torchaudio's `wav2vec2_model(...)`; the binding decides whether f
  // evidently builds a module). receiver_args are then f's arguments.
  std::string receiver_factory;
  SourcePosition receiver_class_position;
  // The constructor (or factory) arguments of that call that are literals ("0", "1", ...
  // for positional ones, names for keywords), for the state-dict prediction.
  std::map<std::string, nlohmann::json> receiver_args;
  bool strict_false = false;
  // Lightning loads are recorded as two sites: the torch.load of the file
  // (lightning set: Lightning, not the call, decides map_location and
  // weights_only) and the load_state_dict of its ["state_dict"].
  // `Cls.load_from_checkpoint(path, **overrides)` sets it on the second too:
  // the model is Cls(**hyper_parameters, **overrides), receiver_args hold the
  // overrides and the checkpoint's hyper_parameters supply the rest.
  // `trainer.fit(model, ckpt_path=path)` does not: the model is as built.
  bool lightning = false;
  // The receiver is bound to a `torch.optim.X(...)` construction: the index of
  // that kOptimizer site (optimizer.load_state_dict, not a module's).
  int optimizer_site = -1;
  // What is passed: a torch.load result (directly or through a variable),
  // with the subscript keys applied to it (["model_state_dict"]).
  int load_site = -1;              // index into the CallSite list of that torch.load
  std::vector<std::string> keys;
  // Key rewrites between that torch.load and this call (dict comprehensions,
  // load_key_rewrite.h), applied in order: load_state_dict receives the
  // file's keys rewritten.
  std::vector<LoadKeyRewrite> key_rewrites;
  std::string argument_text;

  // torch.save
  std::string saved_text;          // the object argument as written
  bool saves_state_dict = false;   // `x.state_dict()` or a dict holding one
  bool saves_module = false;       // a variable bound to a Module class instance
  std::string saved_class;         // that class, qualified
  PathExpr destination;

  // add_safe_globals
  std::vector<std::string> safe_globals;  // qualified names when resolvable, else as written

  // torch.optim.X(...) construction (kOptimizer). `result_variable` is the
  // name it is bound to.
  std::string optimizer_class;     // "torch.optim.Adam" (as resolved)
  // The parameter groups as written: one entry per group, the receiver of
  // its `.parameters()` ("model", "model.backbone"); "" for a group whose
  // parameters are not `X.parameters()`. Empty when the argument is not a
  // `.parameters()` call or a list of `{"params": ...}` dicts.
  std::vector<std::string> group_sources;
  bool groups_known = false;       // every group is `X.parameters()` of one model
  // The model those `.parameters()` belong to, when `model = Cls(...)` is
  // visible: its class, literal constructor arguments, and each group's
  // attribute prefix inside it ("" whole model, "backbone." a submodule).
  std::string params_variable;     // "model"
  std::string params_class;
  std::map<std::string, nlohmann::json> params_args;
  std::vector<std::string> group_prefixes;  // parallel to group_sources when groups_known

  // A site recorded at the call of a loading helper of another module
  // (`read_state("ckpt/x.pt")`, call_sites_imported.cc) stands for a call
  // in the helper's body: the helper (the innermost, for helpers calling
  // helpers) and where that call is, with its argument list's end.
  std::string through;             // "read_state"
  std::string through_path;        // "utils/io.py"
  SourcePosition through_start;
  SourcePosition through_args_end;

  // Set for a torch.load whose result is then used like a module
  // (`m = torch.load(p); m.eval()` / `m(x)`), for PTL302.
  bool result_used_as_module = false;
  SourcePosition used_as_module_at;
};

// All call sites in the index, in file order. `project_root` resolves
// relative checkpoint paths the way the scripts would from the project root.
std::vector<CallSite> ExtractCallSites(const ModuleIndex& index);

// The call sites of one file, with `load_site` indices local to the result
// (the LSP re-extracts only the edited file and splices with ConcatCallSites).
// A file whose text names none of the calls (MayHaveCallSites in the .cc) is
// skipped before its tree is built: in a big workspace most files are.
std::vector<CallSite> ExtractFileCallSites(const ModuleIndex& index, const IndexedFile& file);
// The call sites of each of `files` (null entries give none), as
// ExtractFileCallSites would give them, found on every core.
std::vector<std::vector<CallSite>> ExtractCallSitesOfFiles(const ModuleIndex& index,
                                                           const std::vector<const IndexedFile*>& files);

// Concatenates per-file lists, shifting `load_site` into the joined list.
std::vector<CallSite> ConcatCallSites(const std::vector<const std::vector<CallSite>*>& per_file);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_CALL_SITES_H_
