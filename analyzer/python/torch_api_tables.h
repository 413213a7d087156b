// What the state-dict predictor knows about the torch and Python APIs it does
// not interpret, as data: which names are tensor factories, which calls can
// never return a module, which module methods leave the state dict alone.
// Adding knowledge here is a table edit, not a code change.
#ifndef PTLINT_ANALYZER_PYTHON_TORCH_API_TABLES_H_
#define PTLINT_ANALYZER_PYTHON_TORCH_API_TABLES_H_

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

}  // namespace ptlint::prediction

#endif  // PTLINT_ANALYZER_PYTHON_TORCH_API_TABLES_H_
