// Checkpoint: everything ptlint knows about one checkpoint file (or sharded
// set, or distributed-checkpoint folder), read statically.
//
// This is the model the rules and renderers consume. It is filled by
// ReadCheckpoint (checkpoint_reader.h); nothing here executes or imports.
#ifndef PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_H_
#define PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/formats/pickle_graph.h"
#include "analyzer/support/severity.h"

namespace ptlint {

enum class ContainerFormat {
  kUnknown,
  kTorchZip,               // torch.save >= 1.6
  kTorchScript,            // torch.jit.save (zip with constants.pkl)
  kLegacy,                 // torch.save < 1.6 / _use_new_zipfile_serialization=False
  kLegacyTar,              // pre-0.4 tar with storages/tensors/pickle members
  kSafetensors,
  kShardedIndex,           // *.index.json of a Hugging Face sharded set
  kDistributedCheckpoint,  // torch.distributed.checkpoint folder (.metadata + *.distcp)
  kRawPickle,              // a bare pickle stream (not a torch container)
  kNotACheckpoint,         // LFS pointer, HTML page, empty file, ...
};
const char* ContainerFormatName(ContainerFormat format);  // "torch-zip", ...

enum class Layout {
  kUnknown,
  kStateDict,        // OrderedDict of tensors (Module.state_dict()), maybe with _metadata
  kTensorDict,       // plain dict of tensors (Hugging Face pytorch_model.bin, hand-built)
  kWrapperDict,      // {"model_state_dict": ..., "optimizer_state_dict": ..., "epoch": ...}
  kLightning,        // Lightning checkpoint
  kPickledModule,    // torch.save(model): a whole nn.Module
  kOptimizerState,   // optimizer.state_dict() alone
  kTorchScript,
  kSafetensors,
  kSharded,
  kOther,            // some other object (list, tensor, ...)
};
const char* LayoutName(Layout layout);  // "state-dict", ...

// A problem the reader found in the file itself (corruption, not-a-checkpoint,
// storage size mismatch, ...). Rules turn these into PTL503 diagnostics.
struct ReaderProblem {
  std::string code;        // same vocabulary as Error::code
  Severity severity = Severity::kError;
  std::string message;     // what is wrong
  std::string hint;        // what to do
  std::string record;      // zip record / member / shard the problem is in, if any
  int64_t offset = -1;     // byte offset in that file, if known
  // The error torch.load would raise on this file, verbatim, if known
  // (e.g. "_pickle.UnpicklingError: invalid load key, 'v'.").
  std::string torch_error;
};

// One pickle read from the checkpoint (data.pkl, constants.pkl, each stacked
// legacy pickle, a tar member, a .distcp pickle, ...).
struct PickleStream {
  std::string record;      // zip record name / legacy pickle role ("magic", "protocol",
                           // "sys_info", "object", "storage_keys") / member name
  std::string file;        // file path the pickle is in (differs for shards / DCP folders)
  int index = 0;           // position among the checkpoint's pickles
  PickleGraph graph;
  // The pickle's bytes as they were unpickled (inflated when the record was
  // compressed), from its first opcode to where the machine stopped. Kept
  // so that analyses (the weights-only simulation) never go back to the
  // file. Empty once the read's budget (ReadOptions::max_kept_pickle_bytes)
  // is spent; analyses then work from the graph alone.
  std::string bytes;
};

// A global as seen by rules: where it is and what uses it.
struct GlobalUse {
  std::string module;
  std::string name;
  int pickle = 0;          // PickleStream::index
  uint64_t offset = 0;     // byte offset of the GLOBAL/STACK_GLOBAL opcode in its file
  bool dynamic = false;
  std::string consumer;    // "REDUCE", "NEWOBJ", "BUILD", "persistent-id", "" (unused/value)
  std::string object_path; // where in the loaded object it sits, e.g. "['args']", "['model']._modules['fc']"
};

struct TensorInfo {
  std::string name;                 // key path: "fc.weight" for state dicts,
                                    // "['optimizer']['state'][0]['exp_avg']" for other places
  std::string dtype;                // torch dtype name: "float32", "qint8", ...
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
  int64_t storage_offset = 0;
  std::string storage_key;          // "0", "1", ... (zip); legacy root key
  std::string location;             // "cpu", "cuda:0", "mps", "meta", ...
  bool requires_grad = false;
  bool is_parameter = false;        // rebuilt through _rebuild_parameter*
  std::string rebuild;              // "_rebuild_tensor_v2", ...
  std::string kind = "dense";       // "dense", "quantized", "sparse_coo", "sparse_csr", "meta", ...
  std::string qscheme;              // quantized only: "per_tensor_affine", "per_channel_affine", ...
  int pickle = 0;
  uint64_t offset = 0;              // byte offset of the rebuild call in its pickle's file
  uint64_t numel() const;
};

struct StorageInfo {
  std::string key;
  std::string storage_type;         // "FloatStorage", "UntypedStorage", ...
  std::string dtype;                // element dtype
  uint64_t element_size = 0;
  uint64_t numel = 0;               // as declared in the persistent id
  std::string location;
  std::string record;               // "sd/data/0"; empty when not in a zip
  std::optional<uint64_t> record_bytes;  // actual size of the record / legacy blob
  std::vector<std::string> tensors; // names of tensors that view this storage
};

struct OptimizerGroup {
  std::vector<int64_t> params;                 // parameter indices / ids
  std::map<std::string, std::string> options;  // "lr" -> "0.001", ...
};

struct OptimizerInfo {
  std::string path;                 // where in the object: "['optimizer_state_dict']"
  std::string family;               // ClassifySavedOptimizer (optimizer_family.h): "Adam/AdamW", "RAdam", ... or "unknown"
  std::vector<OptimizerGroup> groups;
  std::vector<std::string> state_keys;                       // union of per-param state keys
  std::map<int64_t, std::vector<std::string>> state_tensors; // param index -> tensor names in state
};

// For a whole pickled nn.Module: one node per submodule path.
struct ModuleNode {
  std::string path;                 // "" root, "fc", "layers.0"
  std::string module;               // class global module, e.g. "__main__", "torch.nn.modules.linear"
  std::string name;                 // class global name, e.g. "Net", "Linear"
  std::vector<std::string> attributes;   // instance __dict__ keys, as stored
  std::vector<std::string> parameters;   // _parameters keys (None ones included, marked "name=None")
  std::vector<std::string> buffers;      // _buffers keys
  std::vector<std::string> children;     // _modules keys
  std::vector<std::string> non_persistent_buffers;  // _non_persistent_buffers_set members
  int pickle = 0;
  uint64_t offset = 0;
};

struct ShardInfo {
  std::string file;                 // shard path relative to the index's folder
  std::vector<std::string> tensors; // tensor names the shard really holds
};

struct Checkpoint {
  std::string path;                 // as given by the user
  ContainerFormat format = ContainerFormat::kUnknown;
  Layout layout = Layout::kUnknown;
  uint64_t file_size = 0;
  std::string archive_name;         // zip folder name ("sd", "archive", ...)
  // Format and version records, e.g. "version" -> "3", "byteorder" -> "little",
  // ".format_version" -> "1", "legacy.protocol" -> "1001", "safetensors.format" -> "pt".
  std::map<std::string, std::string> records;
  std::vector<std::string> record_names;  // every zip record / tar member / shard, in file order

  std::vector<PickleStream> pickles;
  // Pickles torch.load would not read but another loader may still
  // unpickle: members of a zip that is not a torch archive (picklescan and
  // numpy read members by extension or magic, and torch ignores lying flag
  // bits), `*.pkl` members beside a torch archive's own, the object array of
  // a .npy file, a raw pickle that does not look like any known format.
  // Security analysis scans them (fail closed); nothing else reads them.
  // Their `index` continues after `pickles`.
  std::vector<PickleStream> unread_pickles;
  std::vector<GlobalUse> globals;
  std::vector<TensorInfo> tensors;  // in pickle order
  std::vector<StorageInfo> storages;
  std::vector<std::vector<std::string>> tied_groups;  // tensors sharing one storage

  // For state dicts (also nested in wrappers): where it sits, its _metadata.
  std::string state_dict_path;      // "" at the root, "['model_state_dict']", ...
  std::map<std::string, int64_t> metadata_versions;   // module path -> _version
  bool has_metadata = false;

  std::vector<std::string> top_level_keys;  // keys of a top-level dict, in order
  // Lightning: ['hyper_parameters'], the LightningModule's __init__ kwargs
  // (load_from_checkpoint builds cls(**hyper_parameters, **overrides)).
  // Plain literals only (None, bools, numbers, strings, lists/tuples of them);
  // anything else is left out.
  std::map<std::string, nlohmann::json> hyper_parameters;
  // Top-level dict entries whose values are all plain literals, by key:
  // nanoGPT's ['model_args'] that `GPTConfig(**checkpoint["model_args"])`
  // builds the model from. An entry with any other value is left out whole
  // (a config known in part is not known).
  std::map<std::string, std::map<std::string, nlohmann::json>> literal_dicts;
  std::vector<OptimizerInfo> optimizers;
  std::vector<ModuleNode> modules;          // whole pickled nn.Module tree, root first
  std::vector<ShardInfo> shards;            // sharded sets
  std::vector<std::string> torchscript_code; // code/ records of a TorchScript archive

  std::vector<ReaderProblem> problems;

  uint64_t parameter_count() const;         // sum of numel over distinct tensors
  uint64_t tensor_bytes() const;            // sum of storage bytes
};

// The state dict's keys as the checkpoint holds them (relative to the state
// dict: "fc.weight"), in file order.
std::vector<const TensorInfo*> StateDictTensors(const Checkpoint& checkpoint);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_H_
