// What the state-dict predictor knows about the torch and Python APIs it does
// not interpret, as data: which names are tensor factories, which calls can
// never return a module, which module methods leave the state dict alone.
// Adding knowledge here is a table edit, not a code change.
#ifndef PTLINT_ANALYZER_PYTHON_TORCH_API_TABLES_H_
#define PTLINT_ANALYZER_PYTHON_TORCH_API_TABLES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ptlint::prediction {

// torch.<name>(...) that return a new tensor (shape from the arguments).
const std::set<std::string>& TorchTensorFactories();
// Of those, the ones whose positional arguments are the shape (`torch.zeros(2, 3)`).
const std::set<std::string>& TorchShapeFactories();
// Python builtins the interpreter evaluates or recognises by name.
const std::set<std::string>& PythonBuiltinNames();
// Module prefixes whose calls never return an nn.Module ("math.", "torch.", ...).
const std::vector<std::string>& NonModuleCallPrefixes();
// math.<name> evaluated on known numbers.
const std::set<std::string>& MathFunctions();
// nn.Module methods that do not change what state_dict() holds.
const std::set<std::string>& StateDictNeutralModuleMethods();
// nn.Module methods that iterate members (their result is never a module).
const std::set<std::string>& ModuleMemberIterators();
// Annotations of constructor parameters that cannot hold a module.
const std::set<std::string>& PlainValueAnnotations();
// Names of torch's Parameter constructors.
const std::set<std::string>& TorchParameterConstructors();
// torch.<name>(...) computed on small 1-D tensors whose elements are known
// (prediction_values.cc: ConcreteTensorCall); anything else stays unknown.
const std::set<std::string>& TorchConcreteFunctions();
// dtypes those tensors can have, by the names code spells them
// (`torch.float32`, `torch.long`): "float32", "int64" or "int32".
const std::map<std::string, std::string>& TorchDTypeNames();
// tensor.<method>() casts of such tensors: `.int()` is int32, `.long()` int64.
const std::map<std::string, std::string>& TensorCastMethods();

}  // namespace ptlint::prediction

#endif  // PTLINT_ANALYZER_PYTHON_TORCH_API_TABLES_H_
