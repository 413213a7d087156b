// ObjectInterpreter: gives meaning to the symbolic object graph of a
// checkpoint's pickles.
//
// - recognises tensor rebuild calls (_rebuild_tensor_v2/_v3,
//   _rebuild_parameter(_with_state), _rebuild_qtensor, sparse, meta, ...)
//   and storage persistent ids, producing TensorInfo / StorageInfo;
// - names tensors by their key path (state dict keys, nested wrapper keys);
// - groups tensors that share a storage (tied weights, views);
// - classifies the layout (state dict, wrapper dict, Lightning, pickled
//   module, optimizer state, ...), reads `_metadata` versions, the optimizer
//   summary and a pickled module's tree;
// - records every global with the object path where it sits and what
//   consumes it.
// Every walk is bounded: a graph that shares nodes (memo) is visited once
// per node, so a "billion laughs" pickle cannot expand.
//
// Conventions (what the fields mean; rules rely on them):
// - Tensor names. The primary state dict (the root one, the one under the
//   wrapper key `model_state_dict`/`state_dict`/`model`/..., Lightning's
//   `state_dict`) names its tensors by key ("fc.weight"); a pickled module
//   tree names them the way state_dict() would ("layers.0.bias"), except
//   non-persistent buffers, which state_dict() leaves out and which keep
//   their object path ("._buffers['position_ids']"). Every other tensor is
//   named by its Python subscript path from the root
//   ("['optimizer_state_dict']['state'][0]['exp_avg']"; BUILD attributes as
//   ".attr"). One TensorInfo per reference: a tensor object referenced twice
//   (keep_vars tying) appears under both names; a container shared through
//   the memo is expanded once, under its first path.
// - TensorInfo::rebuild is the rebuild function that reads the data
//   (`_rebuild_tensor_v2` for a Parameter too: is_parameter says it was
//   wrapped). The inner tensors of a sparse tensor (indices/values), a
//   per-channel quantized tensor (scales/zero points) or a nested tensor are
//   not state entries and get no TensorInfo; their storages are recorded
//   with StorageInfo::tensors names "<name>.<q_per_channel_scales>",
//   "<name>.<indices>", "<name>.<values>", ... A sparse tensor has an empty
//   storage_key and shape = its dense size.
// - Legacy (6-tuple) persistent ids with view metadata: storage_key is the
//   root key and storage_offset includes the view's offset.
// - GlobalUse::consumer is the strongest use of the global node: "REDUCE"
//   (callee of a call: REDUCE/INST/OBJ), "NEWOBJ", "persistent-id" (inside
//   a persistent id), "BUILD", "value" (held as data), "" (referenced by
//   nothing). Uses by nodes unreachable from the root count too (a broken
//   pickle's REDUCE); object_path is "" for those.
// - Problems: "object.unrecognised-tensor" (warning) for a rebuild call or
//   persistent id of a shape torch does not write, "object.storage-conflict"
//   for one storage key declared twice differently; at most 64 are reported.
#ifndef PTLINT_ANALYZER_CHECKPOINT_OBJECT_INTERPRETER_H_
#define PTLINT_ANALYZER_CHECKPOINT_OBJECT_INTERPRETER_H_

#include <string_view>

#include "analyzer/checkpoint/checkpoint.h"

namespace ptlint {

// Fills tensors, storages, tied_groups, globals, layout, state_dict_path,
// metadata_versions, has_metadata, top_level_keys, optimizers and modules of
// `checkpoint` from checkpoint.pickles. `main_pickle` is the index of the
// pickle that holds the saved object (data.pkl, the legacy object pickle).
// Problems found (e.g. a persistent id of an unknown shape) are appended to
// checkpoint.problems.
void InterpretObjects(Checkpoint& checkpoint, int main_pickle);

// Cross-checks the walk's shortcut for torch.save's dense tensors
// (ReplayDenseTensorWalk) against the generic walk of the same tensor,
// aborting with a message on any difference. On by default in debug builds
// (!NDEBUG); the fuzzers and tests turn it on. Not thread-safe: set it
// before reading.
void SetObjectWalkCrossCheck(bool on);

// dtype name and element size for a legacy storage class name
// ("FloatStorage" -> {"float32", 4}); {"", 0} when unknown.
struct StorageDtype { const char* dtype; uint64_t element_size; };
StorageDtype StorageTypeDtype(std::string_view storage_class);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_OBJECT_INTERPRETER_H_
