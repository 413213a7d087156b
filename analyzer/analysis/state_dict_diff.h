// StateDictDiff: how a checkpoint's state dict differs from the one a class
// predicts, the way `Module.load_state_dict` will see it.
//
// One place for the comparison the PTL2xx rules report from: wrapper prefix
// (`module.`, `_orig_mod.`, stacked) found first so it is one finding instead
// of N missing + N unexpected keys; then renamed subtrees (missing and
// unexpected keys that align by suffix and shape); then what is left missing,
// unexpected, or of another shape. torch's own leniencies are applied: a
// BatchNorm `num_batches_tracked` is not missing when the checkpoint's
// `_metadata` version for that module is absent or < 2, a 0-dim parameter
// accepts a (1,) tensor, keys under open subtrees are accepted. Keys of
// repeated blocks (patterns, `layers.*.weight`) are checked per instance the
// file holds: shape, and each instance's missing keys.
#ifndef PTLINT_ANALYZER_ANALYSIS_STATE_DICT_DIFF_H_
#define PTLINT_ANALYZER_ANALYSIS_STATE_DICT_DIFF_H_

#include <memory>
#include <string>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {

struct ShapeMismatch {
  const PredictedKey* expected = nullptr;
  const TensorInfo* actual = nullptr;
  std::vector<size_t> dims;              // the dimensions that differ (all, if the rank differs)
  std::vector<std::string> driving_args; // constructor arguments behind those dimensions
};

struct RenamedSubtree {
  std::string checkpoint_prefix;         // "enc." (old name, in the file)
  std::string code_prefix;               // "encoder." (new name, in the source)
  std::vector<std::string> keys;         // suffixes that align ("0.weight", ...)
  const PredictedKey* anchor = nullptr;  // first predicted key of the new subtree
  // Suffixes only the file has under the old name because torch fills them
  // in under the new one (BatchNorm's `num_batches_tracked` with no
  // `_metadata` version 2 for the new path): torch names them unexpected,
  // and the same rename fixes them.
  std::vector<std::string> filled_by_torch;
};

struct StateDictDiff {
  // A prefix on every checkpoint key the class does not have ("module.",
  // "_orig_mod.module."), or one the class expects and the file lacks.
  std::string extra_prefix;
  std::string missing_prefix;
  std::vector<RenamedSubtree> renames;
  std::vector<const PredictedKey*> missing;
  std::vector<const TensorInfo*> unexpected;   // names as in the file
  std::vector<ShapeMismatch> mismatches;
  // Entries of the state dict that are not tensors (`sd["epoch"] = 3`):
  // load_state_dict reports them as unexpected keys, as it does any key.
  std::vector<std::string> unexpected_entries;
  size_t matched = 0;                          // keys present on both sides
  size_t checkpoint_keys = 0;
  // Keys of repeated blocks (`h.*.attn.bias`) made concrete for each
  // instance the file holds (`h.3.attn.bias`), so that a missing one is
  // reported by name; `missing` and `mismatches` may point here.
  std::vector<std::unique_ptr<PredictedKey>> instantiated;
};

StateDictDiff DiffStateDict(const ExpectedStateDict& expected, const Checkpoint& checkpoint);

// The message torch 1.13/2.x raises for these lists (`Error(s) in loading
// state_dict for Net:\n\tMissing key(s) in state_dict: "a", "b". ...`),
// limited to `max_keys` per list (the rest as ", ...").
std::string TorchLoadStateDictError(const std::string& class_name,
                                    const std::vector<std::string>& missing,
                                    const std::vector<std::string>& unexpected,
                                    const std::vector<std::string>& size_mismatches,
                                    size_t max_keys = 8);

// "torch.Size([5, 8])"
std::string TorchSizeText(const std::vector<int64_t>& shape);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_STATE_DICT_DIFF_H_
