#include "analyzer/python/layer_catalog.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>

#include "analyzer/python/torch_nn_names.h"

namespace ptlint {

// The stubs are torch_nn_layers.py: torch 1.13's built-in layers with
// parameters or buffers, as stub classes. Signatures (names, order, defaults)
// are copied from torch/nn/modules; the bodies keep only what decides the
// state dict: registration order, names, conditions and shape formulas.
// Verified against real torch by layer_catalog_test.cc. The names of the
// layers without state and of the containers are in torch_nn_names.cc.
const char* LayerCatalog::StubSource() { return kTorchNnLayerStubs; }

const LayerCatalog& LayerCatalog::Get() {
  static const LayerCatalog* catalog = new LayerCatalog();
  return *catalog;
}

LayerCatalog::LayerCatalog() {
  for (const char* name : TorchNnParameterless()) parameterless_.insert(name);
  DiscoveredFile info;
  info.path = "<ptlint builtin layers>";
  info.module_name = "ptlint_builtin_layers";
  // The stub source is ours and constant: parsing cannot fail short of an ABI
  // mismatch, which every other parse would report too.
  (void)stubs_.AddFile(info, kTorchNnLayerStubs);
}

const ClassInfo* LayerCatalog::FindStub(const std::string& short_name) const {
  if (short_name.empty() || short_name[0] == '_') return nullptr;
  // Asked at every layer the predictor builds, and a name that is no stub
  // class (ReLU, Dropout) goes through the index's full name resolution:
  // each thread remembers the answers (the catalogue never changes).
  thread_local const LayerCatalog* owner = nullptr;
  thread_local std::unordered_map<std::string, const ClassInfo*> known;
  if (owner != this) {
    known.clear();
    owner = this;
  }
  auto it = known.find(short_name);
  if (it != known.end()) return it->second;
  const ClassInfo* found = stubs_.FindClass("ptlint_builtin_layers." + short_name);
  if (known.size() < 4096) known.emplace(short_name, found);  // bounded: names come from scanned code
  return found;
}

bool LayerCatalog::IsParameterless(const std::string& short_name) const {
  return parameterless_.count(short_name) > 0;
}

bool LayerCatalog::IsContainer(const std::string& short_name) {
  return IsTorchNnContainer(short_name);
}

bool LayerCatalog::IsKnown(const std::string& short_name) const {
  return IsParameterless(short_name) || FindStub(short_name) != nullptr || IsContainer(short_name);
}

std::vector<std::string> LayerCatalog::StubbedLayers() const {
  std::vector<std::string> out;
  for (const ClassInfo* c : stubs_.AllClasses()) {
    if (!c->name.empty() && c->name[0] != '_') out.push_back(c->name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ptlint
