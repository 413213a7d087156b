#include "analyzer/checkpoint/checkpoint.h"

#include <functional>
#include <limits>
#include <string>
#include <cstdint>
#include <vector>

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
  // (A hash set of views instead of a set of copied keys: a 20,000-tensor
  // state dict would copy 60,000 strings and vectors.)
  // Every field but the dtype (at most a few dozen views can differ only in
  // it, so a hostile file cannot make one bucket long), mixed inline: two
  // std::hash calls per tensor were 2.5 % of reading a 20,000-tensor file.
  struct ViewHash {
    size_t operator()(const TensorInfo* t) const {
      uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the key (storage keys are short)
      for (unsigned char c : t->storage_key) h = (h ^ c) * 0x100000001b3ull;
      auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x9e3779b97f4a7c15ull; h ^= h >> 29; };
      mix(static_cast<uint64_t>(t->storage_offset));
      for (int64_t d : t->shape) mix(static_cast<uint64_t>(d));
      mix(0xfeedull);
      for (int64_t d : t->stride) mix(static_cast<uint64_t>(d));
      return static_cast<size_t>(h);
    }
  };
  struct ViewEqual {
    bool operator()(const TensorInfo* a, const TensorInfo* b) const {
      return a->storage_key == b->storage_key && a->storage_offset == b->storage_offset &&
             a->shape == b->shape && a->stride == b->stride && a->dtype == b->dtype;
    }
  };
  // Open addressing over tensor indices: no allocation per tensor.
  size_t buckets = 16;
  while (buckets < 2 * tensors.size()) buckets *= 2;
  constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<uint32_t> seen(buckets, kEmpty);
  ViewHash hash;
  ViewEqual equal;
  uint64_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& tensor = tensors[i];
    if (!tensor.storage_key.empty()) {
      size_t slot = hash(&tensor) & (buckets - 1);
      bool duplicate = false;
      while (seen[slot] != kEmpty) {
        if (equal(&tensors[seen[slot]], &tensor)) {
          duplicate = true;
          break;
        }
        slot = (slot + 1) & (buckets - 1);
      }
      if (duplicate) continue;
      seen[slot] = static_cast<uint32_t>(i);
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

std::vector<const TensorInfo*> StateDictTensors(const Checkpoint& cp) {
  std::vector<const TensorInfo*> out;
  for (const TensorInfo& t : cp.tensors) {
    if (!t.name.empty() && t.name[0] != '[') out.push_back(&t);
  }
  return out;
}

}  // namespace ptlint
