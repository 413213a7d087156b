#include "analyzer/python/torch_api_tables.h"

namespace ptlint::prediction {

const std::set<std::string>& TorchTensorFactories() {
  static const std::set<std::string> kNames = {
      "zeros", "ones", "empty", "randn", "rand", "Tensor", "FloatTensor", "LongTensor", "full", "randint",
      "eye", "arange", "tensor", "zeros_like", "ones_like", "empty_like", "randn_like", "rand_like",
      "as_tensor", "from_numpy", "linspace", "logspace", "BoolTensor", "DoubleTensor", "IntTensor",
      "HalfTensor"};
  return kNames;
}

const std::set<std::string>& TorchShapeFactories() {
  static const std::set<std::string> kNames = {"zeros",      "ones",       "empty",        "randn",
                                               "rand",       "Tensor",     "FloatTensor",  "LongTensor",
                                               "BoolTensor", "DoubleTensor", "IntTensor", "HalfTensor"};
  return kNames;
}

const std::set<std::string>& PythonBuiltinNames() {
  static const std::set<std::string> kNames = {
      "range", "len", "int", "float", "bool", "str", "min", "max", "abs", "round", "isinstance", "tuple",
      "list", "dict", "enumerate", "zip", "sum", "setattr", "getattr", "hasattr", "super", "reversed",
      "sorted", "print", "type", "any", "all", "map", "filter", "iter", "next", "object", "set"};
  return kNames;
}

const std::vector<std::string>& NonModuleCallPrefixes() {
  static const std::vector<std::string> kPrefixes = {"math.", "torch.", "numpy.", "np.", "typing.",
                                                     "warnings.", "logging.", "functools.", "itertools.",
                                                     "operator.", "os.", "sys.", "re."};
  return kPrefixes;
}

const std::set<std::string>& MathFunctions() {
  static const std::set<std::string> kNames = {"ceil", "floor", "sqrt", "log2", "log", "prod", "gcd"};
  return kNames;
}

const std::set<std::string>& StateDictNeutralModuleMethods() {
  static const std::set<std::string> kNames = {
      "reset_parameters", "_reset_parameters", "apply", "train", "eval", "to", "cuda", "cpu", "float",
      "double", "half", "requires_grad_", "register_forward_hook", "register_forward_pre_hook",
      "register_full_backward_hook", "register_backward_hook", "_register_load_state_dict_pre_hook",
      "_register_state_dict_hook", "register_load_state_dict_post_hook", "flatten_parameters",
      "init_weights", "_init_weights", "zero_grad", "share_memory", "extra_repr"};
  return kNames;
}

const std::set<std::string>& ModuleMemberIterators() {
  static const std::set<std::string> kNames = {"parameters", "modules", "children", "named_parameters",
                                               "named_modules", "buffers"};
  return kNames;
}

const std::set<std::string>& PlainValueAnnotations() {
  static const std::set<std::string> kNames = {
      "int", "float", "bool", "str", "Tuple[int, int]", "Tuple[int, ...]", "List[int]", "Optional[int]",
      "Optional[float]", "Optional[bool]", "Optional[str]", "List[float]", "Sequence[int]", "Tuple[int]",
      "List[str]"};
  return kNames;
}

const std::set<std::string>& TorchParameterConstructors() {
  static const std::set<std::string> kNames = {"torch.nn.Parameter", "torch.nn.parameter.Parameter",
                                               "nn.Parameter", "torch.nn.parameter.UninitializedParameter",
                                               "torch.nn.UninitializedParameter"};
  return kNames;
}

const std::set<std::string>& TorchConcreteFunctions() {
  // Elementwise arithmetic as functions, and what RegNet's width schedule
  // uses (torchvision's BlockParams.from_init_params).
  static const std::set<std::string> kNames = {"log",  "pow",      "round",       "divide", "div",
                                               "true_divide", "diff", "add", "sub", "subtract",
                                               "mul",  "multiply"};
  return kNames;
}

const std::map<std::string, std::string>& TorchDTypeNames() {
  static const std::map<std::string, std::string> kNames = {
      {"torch.float32", "float32"}, {"torch.float", "float32"}, {"torch.int64", "int64"},
      {"torch.long", "int64"},      {"torch.int32", "int32"},   {"torch.int", "int32"}};
  return kNames;
}

const std::map<std::string, std::string>& TensorCastMethods() {
  static const std::map<std::string, std::string> kNames = {
      {"int", "int32"}, {"long", "int64"}, {"float", "float32"}};
  return kNames;
}

}  // namespace ptlint::prediction
