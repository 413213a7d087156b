// The names of torch 1.13's torch.nn module classes (see torch_nn_names.h).
#include "analyzer/python/torch_nn_names.h"

#include <unordered_set>

namespace ptlint {

namespace {

// clang-format off
// torch.nn module classes with neither parameters nor buffers (torch 1.13).
// Each still takes a Sequential index and a `_metadata` entry.
constexpr const char* kParameterless[] = {
    "Identity", "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
    "Sigmoid", "Tanh", "Hardtanh", "Hardsigmoid", "Hardswish", "Hardshrink", "Softshrink",
    "Tanhshrink", "Softplus", "Softsign", "Softmax", "Softmin", "LogSoftmax", "LogSigmoid",
    "Softmax2d", "Threshold", "GLU", "RReLU", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
    "AlphaDropout", "FeatureAlphaDropout", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d",
    "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "Flatten", "Unflatten", "Upsample",
    "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "ChannelShuffle", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "CosineSimilarity", "PairwiseDistance", "LocalResponseNorm",
    "CrossMapLRN2d", "Fold", "Unfold", "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss",
    "KLDivLoss", "CTCLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MarginRankingLoss",
    "HingeEmbeddingLoss", "SoftMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss", "MultiLabelMarginLoss"};

constexpr const char* kContainers[] = {
    "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"};

// The classes of torch_nn_layers.py whose names do not start with `_`, sorted.
constexpr const char* kStubbed[] = {
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Bilinear",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "CrossEntropyLoss", "Embedding", "EmbeddingBag", "GRU", "GRUCell", "GroupNorm",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LSTM", "LSTMCell", "LayerNorm",
    "LazyLinear", "Linear", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiheadAttention",
    "NLLLoss", "NonDynamicallyQuantizableLinear", "PReLU", "RNN", "RNNCell", "SyncBatchNorm",
    "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer"};
// clang-format on

bool Contains(std::span<const char* const> names, std::string_view name) {
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

}  // namespace

std::span<const char* const> TorchNnContainers() { return kContainers; }
std::span<const char* const> TorchNnParameterless() { return kParameterless; }
std::span<const char* const> TorchNnStubbedLayers() { return kStubbed; }

bool IsTorchNnContainer(std::string_view short_name) { return Contains(kContainers, short_name); }
bool IsTorchNnParameterless(std::string_view short_name) {
  return Contains(kParameterless, short_name);
}
bool IsTorchNnStubbedLayer(std::string_view short_name) { return Contains(kStubbed, short_name); }

bool IsTorchNnLayer(std::string_view short_name) {
  // Asked for every `torch.nn.X` the predictor calls: one lookup instead of a
  // scan of the three lists (some 150 names).
  static const std::unordered_set<std::string_view> kAll = [] {
    std::unordered_set<std::string_view> all;
    for (auto names : {TorchNnContainers(), TorchNnParameterless(), TorchNnStubbedLayers()}) {
      for (const char* n : names) all.insert(n);
    }
    return all;
  }();
  return kAll.count(short_name) > 0;
}

}  // namespace ptlint
