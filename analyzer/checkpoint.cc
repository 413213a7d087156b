#include "analyzer/checkpoint.h"

#include <limits>
#include <set>
#include <tuple>

namespace ptlint {

const char* ContainerFormatName(ContainerFormat format) {
  switch (format) {
    case ContainerFormat::kUnknown: return "unknown";
    case ContainerFormat::kTorchZip: return "torch-zip";
    case ContainerFormat::kTorchScript: return "torchscript";
    case ContainerFormat::kLegacy: return "legacy";
    case ContainerFormat::kLegacyTar: return "legacy-tar";
    case ContainerFormat::kSafetensors: return "safetensors";
    case ContainerFormat::kShardedIndex: return "sharded-index";
    case ContainerFormat::kDistributedCheckpoint: return "distributed-checkpoint";
    case ContainerFormat::kRawPickle: return "raw-pickle";
    case ContainerFormat::kNotACheckpoint: return "not-a-checkpoint";
  }
  return "unknown";
}

const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kUnknown: return "unknown";
    case Layout::kStateDict: return "state-dict";
    case Layout::kTensorDict: return "tensor-dict";
    case Layout::kWrapperDict: return "wrapper-dict";
    case Layout::kLightning: return "lightning";
    case Layout::kPickledModule: return "pickled-module";
    case Layout::kOptimizerState: return "optimizer-state";
    case Layout::kTorchScript: return "torchscript";
    case Layout::kSafetensors: return "safetensors";
    case Layout::kSharded: return "sharded";
    case Layout::kOther: return "other";
  }
  return "unknown";
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
  }
  return "error";
}

namespace {

// Hostile files declare absurd sizes; totals saturate instead of wrapping.
uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a
             ? std::numeric_limits<uint64_t>::max()
             : a + b;
}

}  // namespace

uint64_t TensorInfo::numel() const {
  uint64_t n = 1;  // a 0-d tensor (shape ()) holds one element
  for (int64_t dim : shape) {
    if (dim <= 0) return 0;
    n = SaturatingMul(n, static_cast<uint64_t>(dim));
  }
  return n;
}

uint64_t Checkpoint::parameter_count() const {
  // Tied weights and aliases (one tensor under several names) count once:
  // two entries are the same tensor when they view the same storage the same
  // way. Tensors without a storage (meta, sparse) cannot alias; count each.
  using ViewKey = std::tuple<std::string, int64_t, std::vector<int64_t>,
                             std::vector<int64_t>, std::string>;
  std::set<ViewKey> seen;
  uint64_t total = 0;
  for (const TensorInfo& tensor : tensors) {
    if (!tensor.storage_key.empty()) {
      ViewKey key{tensor.storage_key, tensor.storage_offset, tensor.shape,
                  tensor.stride, tensor.dtype};
      if (!seen.insert(std::move(key)).second) continue;
    }
    total = SaturatingAdd(total, tensor.numel());
  }
  return total;
}

uint64_t Checkpoint::tensor_bytes() const {
  uint64_t total = 0;
  for (const StorageInfo& storage : storages) {
    total = SaturatingAdd(total, SaturatingMul(storage.numel, storage.element_size));
  }
  return total;
}

}  // namespace ptlint
