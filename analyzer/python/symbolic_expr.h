// Symbolic integer/boolean/float expressions over constructor arguments.
//
// A predicted shape dimension is an expression such as `hidden * 4` or
// `in_channels // groups`. It keeps the names of the constructor arguments it
// comes from (so a drift rule can say "dimension 0 is `num_classes`") and, when
// every argument it uses has a known value (given, or its default), the value.
#ifndef PTLINT_ANALYZER_PYTHON_SYMBOLIC_EXPR_H_
#define PTLINT_ANALYZER_PYTHON_SYMBOLIC_EXPR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace ptlint {

// A Python number: int, float or bool (bool is an int subtype in Python).
struct PyNumber {
  enum class Kind { kInt, kFloat, kBool };
  Kind kind = Kind::kInt;
  int64_t i = 0;   // kInt, kBool
  double f = 0.0;  // kFloat

  static PyNumber Int(int64_t v) { return {Kind::kInt, v, 0.0}; }
  static PyNumber Float(double v) { return {Kind::kFloat, 0, v}; }
  static PyNumber Bool(bool v) { return {Kind::kBool, v ? 1 : 0, 0.0}; }
  bool IsIntegral() const { return kind != Kind::kFloat; }
  double AsDouble() const { return kind == Kind::kFloat ? f : static_cast<double>(i); }
  bool Truthy() const { return kind == Kind::kFloat ? f != 0.0 : i != 0; }
  std::string ToString() const;
};

class SymExpr;
using SymExprPtr = std::shared_ptr<const SymExpr>;

// Immutable expression tree. Leaves: constants, constructor arguments
// (optionally with a value) and unknowns (with the source text that could
// not be understood).
class SymExpr {
 public:
  enum class Kind { kConst, kArg, kUnknown, kUnary, kBinary };

  static SymExprPtr Const(PyNumber value);
  static SymExprPtr Int(int64_t value) { return Const(PyNumber::Int(value)); }
  // A constructor argument; `value` is its given or default value, if known.
  static SymExprPtr Arg(std::string name, std::optional<PyNumber> value);
  static SymExprPtr Unknown(std::string text);
  // op: "-", "not", "int", "float", "abs" (unary)
  static SymExprPtr Unary(std::string op, SymExprPtr operand);
  // op: + - * / // % ** == != < <= > >= and or min max
  // Folds when both sides are constants.
  static SymExprPtr Binary(std::string op, SymExprPtr lhs, SymExprPtr rhs);

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }  // arg name / op / unknown text
  const SymExprPtr& lhs() const { return lhs_; }
  const SymExprPtr& rhs() const { return rhs_; }

  // The value if every leaf has one (constants and valued arguments).
  std::optional<PyNumber> Evaluate() const;
  // The value only if it does not depend on any argument or unknown.
  std::optional<PyNumber> Constant() const;
  // Python-like rendering: `hidden * 4`, `in_channels // groups`.
  std::string ToString() const;
  // Constructor arguments the expression reads.
  void CollectArgs(std::set<std::string>* out) const;
  bool HasUnknown() const;

 private:
  Kind kind_ = Kind::kConst;
  PyNumber value_;
  bool has_value_ = false;
  std::string name_;
  SymExprPtr lhs_, rhs_;
};

// Applies a binary operator to two numbers with Python semantics (floor
// division and modulo round towards negative infinity). nullopt on division
// by zero or an unknown operator.
std::optional<PyNumber> ApplyBinary(const std::string& op, PyNumber a, PyNumber b);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_SYMBOLIC_EXPR_H_
