// The names of torch 1.13's torch.nn module classes, as plain data.
//
// Both the module index (is a base class one of torch's layers?) and the
// layer catalogue (which layers have stubs, which register nothing) need
// these names. They live here, below both, so that the index does not depend
// on the catalogue: the catalogue is built from a ModuleIndex of its stubs,
// and the index only needs the names.
//
// kTorchNnLayerStubs is the text of torch_nn_layers.py, embedded at build
// time by embed_stubs.cmake (see layer_catalog.h for what the stubs are).
#ifndef PTLINT_ANALYZER_PYTHON_TORCH_NN_NAMES_H_
#define PTLINT_ANALYZER_PYTHON_TORCH_NN_NAMES_H_

#include <span>
#include <string_view>

namespace ptlint {

// torch_nn_layers.py, byte for byte (generated: build/generated/torch_nn_layers.cc).
extern const char kTorchNnLayerStubs[];

// Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Module.
std::span<const char* const> TorchNnContainers();
// torch.nn module classes with neither parameters nor buffers (ReLU, ...).
std::span<const char* const> TorchNnParameterless();
// The layers torch_nn_layers.py has a stub class for (its classes whose
// names do not start with `_`), sorted. layer_catalog_test checks that this
// list and the stubs agree.
std::span<const char* const> TorchNnStubbedLayers();

bool IsTorchNnContainer(std::string_view short_name);
bool IsTorchNnParameterless(std::string_view short_name);
bool IsTorchNnStubbedLayer(std::string_view short_name);
// Any torch.nn module class ptlint knows: a container, a parameter-less
// layer or a stubbed one.
bool IsTorchNnLayer(std::string_view short_name);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_TORCH_NN_NAMES_H_
