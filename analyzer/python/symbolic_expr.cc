#include "analyzer/python/symbolic_expr.h"

#include <cmath>
#include <cstdio>

namespace ptlint {

std::string PyNumber::ToString() const {
  switch (kind) {
    case Kind::kBool: return i ? "True" : "False";
    case Kind::kInt: return std::to_string(i);
    case Kind::kFloat: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", f);
      std::string s = buf;
      if (s.find_first_of(".eni") == std::string::npos) s += ".0";
      return s;
    }
  }
  return "?";
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

// Binding strength for rendering without redundant parentheses.
int Precedence(const std::string& op) {
  if (op == "or") return 1;
  if (op == "and") return 2;
  if (op == "not") return 3;
  if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") return 4;
  if (op == "+" || op == "-") return 5;
  if (op == "*" || op == "/" || op == "//" || op == "%") return 6;
  if (op == "**") return 8;
  return 9;
}

}  // namespace

std::optional<PyNumber> ApplyBinary(const std::string& op, PyNumber a, PyNumber b) {
  const bool ints = a.IsIntegral() && b.IsIntegral();
  if (op == "and") return a.Truthy() ? b : a;
  if (op == "or") return a.Truthy() ? a : b;
  if (op == "==") return PyNumber::Bool(a.AsDouble() == b.AsDouble());
  if (op == "!=") return PyNumber::Bool(a.AsDouble() != b.AsDouble());
  if (op == "<") return PyNumber::Bool(a.AsDouble() < b.AsDouble());
  if (op == "<=") return PyNumber::Bool(a.AsDouble() <= b.AsDouble());
  if (op == ">") return PyNumber::Bool(a.AsDouble() > b.AsDouble());
  if (op == ">=") return PyNumber::Bool(a.AsDouble() >= b.AsDouble());
  if (op == "min") return a.AsDouble() <= b.AsDouble() ? a : b;
  if (op == "max") return a.AsDouble() >= b.AsDouble() ? a : b;
  if (ints) {
    // Overflow is a hostile input, not a reason to invoke UB.
    int64_t r = 0;
    if (op == "+") { if (__builtin_add_overflow(a.i, b.i, &r)) return std::nullopt; return PyNumber::Int(r); }
    if (op == "-") { if (__builtin_sub_overflow(a.i, b.i, &r)) return std::nullopt; return PyNumber::Int(r); }
    if (op == "*") { if (__builtin_mul_overflow(a.i, b.i, &r)) return std::nullopt; return PyNumber::Int(r); }
    if (op == "//") { if (b.i == 0 || (a.i == INT64_MIN && b.i == -1)) return std::nullopt; return PyNumber::Int(FloorDiv(a.i, b.i)); }
    if (op == "%") { if (b.i == 0 || (a.i == INT64_MIN && b.i == -1)) return std::nullopt; return PyNumber::Int(FloorMod(a.i, b.i)); }
    if (op == "/") { if (b.i == 0) return std::nullopt; return PyNumber::Float(static_cast<double>(a.i) / static_cast<double>(b.i)); }
    if (op == "**") {
      if (b.i < 0 || b.i > 62) return std::nullopt;
      int64_t acc = 1;
      for (int64_t k = 0; k < b.i; ++k) if (__builtin_mul_overflow(acc, a.i, &acc)) return std::nullopt;
      return PyNumber::Int(acc);
    }
    return std::nullopt;
  }
  double x = a.AsDouble(), y = b.AsDouble();
  if (op == "+") return PyNumber::Float(x + y);
  if (op == "-") return PyNumber::Float(x - y);
  if (op == "*") return PyNumber::Float(x * y);
  if (op == "/") { if (y == 0) return std::nullopt; return PyNumber::Float(x / y); }
  if (op == "//") { if (y == 0) return std::nullopt; return PyNumber::Float(std::floor(x / y)); }
  if (op == "%") { if (y == 0) return std::nullopt; return PyNumber::Float(x - y * std::floor(x / y)); }
  if (op == "**") return PyNumber::Float(std::pow(x, y));
  return std::nullopt;
}

namespace {

std::optional<PyNumber> ApplyUnary(const std::string& op, PyNumber a) {
  if (op == "-") {
    if (a.kind == PyNumber::Kind::kFloat) return PyNumber::Float(-a.f);
    if (a.i == INT64_MIN) return std::nullopt;
    return PyNumber::Int(-a.i);
  }
  if (op == "not") return PyNumber::Bool(!a.Truthy());
  if (op == "abs") {
    if (a.kind == PyNumber::Kind::kFloat) return PyNumber::Float(std::fabs(a.f));
    if (a.i == INT64_MIN) return std::nullopt;
    return PyNumber::Int(a.i < 0 ? -a.i : a.i);
  }
  if (op == "int") {
    if (a.kind != PyNumber::Kind::kFloat) return PyNumber::Int(a.i);
    if (!std::isfinite(a.f) || std::fabs(a.f) > 9.0e18) return std::nullopt;
    return PyNumber::Int(static_cast<int64_t>(a.f));  // truncation, as int() does
  }
  if (op == "float") return PyNumber::Float(a.AsDouble());
  if (op == "bool") return PyNumber::Bool(a.Truthy());
  return std::nullopt;
}

}  // namespace

SymExprPtr SymExpr::Const(PyNumber value) {
  auto e = std::make_shared<SymExpr>();
  e->kind_ = Kind::kConst;
  e->value_ = value;
  e->has_value_ = true;
  return e;
}

SymExprPtr SymExpr::Arg(std::string name, std::optional<PyNumber> value) {
  auto e = std::make_shared<SymExpr>();
  e->kind_ = Kind::kArg;
  e->name_ = std::move(name);
  if (value) {
    e->value_ = *value;
    e->has_value_ = true;
  }
  return e;
}

SymExprPtr SymExpr::Unknown(std::string text) {
  auto e = std::make_shared<SymExpr>();
  e->kind_ = Kind::kUnknown;
  e->name_ = std::move(text);
  return e;
}

SymExprPtr SymExpr::Unary(std::string op, SymExprPtr operand) {
  if (auto c = operand->Constant()) {
    if (auto r = ApplyUnary(op, *c)) return Const(*r);
  }
  auto e = std::make_shared<SymExpr>();
  e->kind_ = Kind::kUnary;
  e->name_ = std::move(op);
  e->lhs_ = std::move(operand);
  return e;
}

SymExprPtr SymExpr::Binary(std::string op, SymExprPtr lhs, SymExprPtr rhs) {
  auto a = lhs->Constant();
  auto b = rhs->Constant();
  if (a && b) {
    if (auto r = ApplyBinary(op, *a, *b)) return Const(*r);
  }
  // x * 1, x + 0 keep the argument name visible without noise.
  if (b && b->IsIntegral() && a == std::nullopt) {
    if ((op == "*" || op == "//") && b->i == 1 && b->kind == PyNumber::Kind::kInt) return lhs;
    if ((op == "+" || op == "-") && b->i == 0 && b->kind == PyNumber::Kind::kInt) return lhs;
  }
  if (a && a->IsIntegral() && b == std::nullopt) {
    if (op == "*" && a->i == 1 && a->kind == PyNumber::Kind::kInt) return rhs;
    if (op == "+" && a->i == 0 && a->kind == PyNumber::Kind::kInt) return rhs;
  }
  auto e = std::make_shared<SymExpr>();
  e->kind_ = Kind::kBinary;
  e->name_ = std::move(op);
  e->lhs_ = std::move(lhs);
  e->rhs_ = std::move(rhs);
  return e;
}

std::optional<PyNumber> SymExpr::Evaluate() const {
  switch (kind_) {
    case Kind::kConst:
    case Kind::kArg:
      if (has_value_) return value_;
      return std::nullopt;
    case Kind::kUnknown:
      return std::nullopt;
    case Kind::kUnary: {
      auto a = lhs_->Evaluate();
      if (!a) return std::nullopt;
      return ApplyUnary(name_, *a);
    }
    case Kind::kBinary: {
      auto a = lhs_->Evaluate();
      // Short-circuit like Python: `False and x` is False even if x is unknown.
      if (a && name_ == "and" && !a->Truthy()) return a;
      if (a && name_ == "or" && a->Truthy()) return a;
      auto b = rhs_->Evaluate();
      if (!a || !b) return std::nullopt;
      return ApplyBinary(name_, *a, *b);
    }
  }
  return std::nullopt;
}

std::optional<PyNumber> SymExpr::Constant() const {
  if (kind_ == Kind::kConst) return value_;
  return std::nullopt;
}

std::string SymExpr::ToString() const {
  switch (kind_) {
    case Kind::kConst: return value_.ToString();
    case Kind::kArg: return name_;
    case Kind::kUnknown: return "<" + name_ + ">";
    case Kind::kUnary:
      if (name_ == "-") return "-" + (lhs_->kind_ == Kind::kBinary ? "(" + lhs_->ToString() + ")" : lhs_->ToString());
      if (name_ == "not") return "not " + lhs_->ToString();
      return name_ + "(" + lhs_->ToString() + ")";
    case Kind::kBinary: {
      if (name_ == "min" || name_ == "max") return name_ + "(" + lhs_->ToString() + ", " + rhs_->ToString() + ")";
      int p = Precedence(name_);
      auto side = [&](const SymExprPtr& e, bool right) {
        std::string s = e->ToString();
        if (e->kind_ == Kind::kBinary) {
          int q = Precedence(e->name_);
          if (q < p || (right && q == p)) return "(" + s + ")";
        }
        return s;
      };
      return side(lhs_, false) + " " + name_ + " " + side(rhs_, true);
    }
  }
  return "?";
}

void SymExpr::CollectArgs(std::set<std::string>* out) const {
  if (kind_ == Kind::kArg) out->insert(name_);
  if (lhs_) lhs_->CollectArgs(out);
  if (rhs_) rhs_->CollectArgs(out);
}

bool SymExpr::HasUnknown() const {
  if (kind_ == Kind::kUnknown) return true;
  if (kind_ == Kind::kArg && !has_value_) return false;
  return (lhs_ && lhs_->HasUnknown()) || (rhs_ && rhs_->HasUnknown());
}

}  // namespace ptlint
