// The state dict an nn.Module class will produce, predicted from source.
//
// PredictStateDict interprets the class's `__init__` (and the helper methods
// and project functions it calls, base-class `__init__`s through super(),
// containers, loops and comprehensions) abstractly: values are numbers,
// symbolic expressions over the constructor arguments, strings, lists,
// tensors with symbolic shapes and module instances. Nothing is executed.
//
// It mirrors torch 1.13's Module.__setattr__ / register_* semantics and
// state_dict() order (own parameters, persistent buffers, _extra_state, then
// children; reassignment keeps the first position; None slots are skipped).
//
// Honesty rule: a key or shape is predicted exactly only when it follows from
// the source. A branch whose condition is unknown makes its keys optional; a
// loop with an unknown trip count makes its names patterns (`layers.*.weight`);
// anything not understood (dynamic setattr, registries, factories that cannot
// be followed, modules passed in from outside) makes an open subtree with the
// reason, and nothing is guessed under it.
#ifndef PTLINT_ANALYZER_PYTHON_STATE_DICT_PREDICTION_H_
#define PTLINT_ANALYZER_PYTHON_STATE_DICT_PREDICTION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/python/module_index.h"
#include "analyzer/support/interned_path.h"
#include "analyzer/support/result.h"

namespace ptlint {

struct SourceLocation {
  InternedPath path;
  uint32_t line = 0;    // 1-based; 0 = unknown
  uint32_t column = 0;  // 1-based
};

// One dimension: the expression over the root's constructor arguments
// ("hidden * 4"), the arguments it reads, and its value when known.
struct PredictedDim {
  std::string expr;
  std::vector<std::string> args;
  std::optional<int64_t> value;
};

struct PredictedShape {
  bool rank_known = false;
  std::vector<PredictedDim> dims;  // meaningful when rank_known
  // Every dimension has a value.
  bool Concrete() const;
  std::string ToString() const;  // "(8, 4)", "(hidden * 4, ?)", "?"
};

enum class KeyKind { kParameter, kBuffer, kExtraState };
const char* KeyKindName(KeyKind kind);  // "parameter", "buffer", "extra_state"

enum class Confidence { kExact, kPartial, kOpen };
const char* ConfidenceName(Confidence c);  // "exact", "partial", "open"

struct PredictedKey {
  std::string key;          // "encoder.0.weight", or a pattern "layers.*.weight"
  bool is_pattern = false;  // contains `*` standing for one unknown path component
  KeyKind kind = KeyKind::kParameter;
  bool persistent = true;   // false: a non-persistent buffer (not in state_dict)
  bool optional = false;    // registered only under a condition that is not known
  PredictedShape shape;
  std::string owner_class;  // class whose code registered it
  std::string attribute;    // attribute / registered name in that class
  SourceLocation location;  // the assignment or register_* call
};

struct OpenSubtree {
  std::string prefix;  // "encoder." (everything under it), "" for the whole module
  std::string reason;
  SourceLocation location;
};

struct MetadataEntry {
  std::string path;  // module path without trailing dot; "" for the root
  int64_t version = 1;
  std::string type;  // qualified class name
  bool is_pattern = false;
  bool optional = false;
  Confidence confidence = Confidence::kExact;  // of the subtree under this path
  // Where the module at this path is built in project code (`self.norm =
  // nn.LayerNorm(d)`, an element's own line in `nn.Sequential(...)`); empty
  // for the root and for modules built inside torch's own layers.
  SourceLocation location;
  // An element appended in a loop (`for _ in range(depth): self.layers.append(...)`):
  // the loop's header, which decides how many such elements there are.
  SourceLocation repeated_by;
  // A container element built on another line than where it is placed
  // (`nn.Sequential(nn.Dropout(p), final_conv)` with `final_conv` built
  // above): the argument that places it, which decides its index. Empty
  // when the element is built in place.
  SourceLocation placed;
};

struct ConstructorParam {
  std::string name;
  std::string default_text;  // source text of the default, empty when required
  std::string annotation;
  bool given = false;        // bound from PredictOptions::args
};

struct ExpectedStateDict {
  std::string class_name;  // qualified
  std::vector<ConstructorParam> params;
  std::vector<PredictedKey> keys;  // state_dict order; includes non-persistent buffers (persistent=false)
  std::vector<MetadataEntry> metadata;
  std::vector<OpenSubtree> open;
  Confidence confidence = Confidence::kExact;
  // Advisory flags: custom load logic makes key/shape diagnostics soft.
  std::vector<std::string> advisories;
  bool budget_exhausted = false;
};

// Work shared by the predictions of one run. A torch.nn layer built from the
// catalogue is interpreted once per distinct set of plain arguments
// (structural binding predicts hundreds of constructions that all build the
// same Conv2d and BatchNorm2d layers); later builds copy the result. The
// prediction is the same with or without it. One per thread; the layers and
// constructions built (not the rest) may be shared by memos on several
// threads, each made with `PredictionMemo(other)`.
class PredictionMemo {
 public:
  PredictionMemo();
  // A memo of its own that shares `builds_of`'s built layers and
  // constructions: what one thread builds, the others copy.
  explicit PredictionMemo(PredictionMemo& builds_of);
  ~PredictionMemo();
  PredictionMemo(const PredictionMemo&) = delete;
  PredictionMemo& operator=(const PredictionMemo&) = delete;
  struct Impl;  // prediction_interpreter.h
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct PredictOptions {
  // Constructor arguments by name (JSON: numbers, booleans, null, strings,
  // lists, objects). Positional arguments are given as "0", "1", ... and bound
  // against the real signature. An object is a configuration whose entries
  // also read as attributes (`config.n_embd`); an object with "$class" is that
  // project class built from "$args" (positional) and its other entries
  // (keywords): `{"$class": "model.GPTConfig", "n_embd": 768}` for
  // `GPT(GPTConfig(**checkpoint["model_args"]))`, or
  // `{"$class": "model.Encoder", "$args": [64]}` for a module injected at the
  // call site (`Model(encoder=Encoder(64))`).
  std::map<std::string, nlohmann::json> args;
  // Bound on interpreted steps (statements + expressions) per prediction.
  int64_t max_steps = 2'000'000;
  // Bound on unrolled loop iterations (per loop).
  int64_t max_unroll = 4096;
  // Use the built-in layer catalogue for torch.nn layers even when the torch
  // source is indexed (true), or interpret the indexed torch source (false).
  bool prefer_catalog = true;
  // Optional: shared with other predictions of the same run (see above).
  PredictionMemo* memo = nullptr;
  // A project class built again with the same plain arguments in the same
  // context is copied from its first construction (tests turn this off to
  // compare with interpreting every construction).
  bool memoise_constructions = true;
};

// Predicts the state dict of `class_name` (any importable name the index
// knows, or a torch.nn layer name such as "torch.nn.Linear").
Result<ExpectedStateDict> PredictStateDict(const ModuleIndex& index, const std::string& class_name,
                                           const PredictOptions& options = {});

// JSON rendering (the schema is documented in analyzer/classes_command.md).
nlohmann::json ExpectedStateDictToJson(const ExpectedStateDict& expected);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_STATE_DICT_PREDICTION_H_
