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
#ifndef PTLINT_ANALYZER_OBJECT_INTERPRETER_H_
#define PTLINT_ANALYZER_OBJECT_INTERPRETER_H_

#include <string_view>

#include "analyzer/checkpoint.h"

namespace ptlint {

// Fills tensors, storages, tied_groups, globals, layout, state_dict_path,
// metadata_versions, has_metadata, top_level_keys, optimizers and modules of
// `checkpoint` from checkpoint.pickles. `main_pickle` is the index of the
// pickle that holds the saved object (data.pkl, the legacy object pickle).
// Problems found (e.g. a persistent id of an unknown shape) are appended to
// checkpoint.problems.
void InterpretObjects(Checkpoint& checkpoint, int main_pickle);

// dtype name and element size for a legacy storage class name
// ("FloatStorage" -> {"float32", 4}); {"", 0} when unknown.
struct StorageDtype { const char* dtype; uint64_t element_size; };
StorageDtype StorageTypeDtype(std::string_view storage_class);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_OBJECT_INTERPRETER_H_
