// The built-in torch.nn layer catalogue, as data.
//
// The data is Python (torch_nn_layers.py, embedded at build time by
// embed_stubs.cmake): one stub class per layer with torch 1.13's real
// constructor signature (names, order, defaults), the `_version`, and an
// `__init__` that registers exactly the parameters and buffers torch does,
// with shapes written as the formulas torch uses. The stubs are interpreted
// by the same evaluator as user code (state_dict_prediction.h), so binding
// positional/keyword arguments, defaults and symbolic arithmetic work the
// same way for `nn.Linear(h, 4 * h)` and for a user class.
//
// layer_catalog_test.cc builds every entry with several argument sets in
// real torch and compares keys and shapes.
#ifndef PTLINT_ANALYZER_PYTHON_LAYER_CATALOG_H_
#define PTLINT_ANALYZER_PYTHON_LAYER_CATALOG_H_

#include <set>
#include <string>
#include <vector>

#include "analyzer/python/module_index.h"

namespace ptlint {

class LayerCatalog {
 public:
  // The process-wide catalogue (parsed once, immutable afterwards).
  static const LayerCatalog& Get();

  // The stub source as a one-file index (module "ptlint_builtin_layers").
  const ModuleIndex& stubs() const { return stubs_; }
  // The stub class for a layer with parameters or buffers, or nullptr.
  const ClassInfo* FindStub(const std::string& short_name) const;
  // A torch.nn module class without parameters or buffers (ReLU, Dropout...).
  bool IsParameterless(const std::string& short_name) const;
  // Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Module.
  static bool IsContainer(const std::string& short_name);
  // Any torch.nn module class the catalogue knows.
  bool IsKnown(const std::string& short_name) const;
  // Layers with stubs, sorted.
  std::vector<std::string> StubbedLayers() const;
  const std::set<std::string>& parameterless() const { return parameterless_; }
  // Version of a parameter-less layer (1 for all in torch 1.13).
  static constexpr int kDefaultVersion = 1;

  static const char* StubSource();

 private:
  LayerCatalog();
  ModuleIndex stubs_;
  std::set<std::string> parameterless_;
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_LAYER_CATALOG_H_
