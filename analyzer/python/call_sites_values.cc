// Call-site extraction, expression values (see call_sites_extractor.h): what
// an expression evaluates to as far as the extractor follows it — a path
// (literal, f-string with `*` for interpolations, `/` and `+` joins, a
// module constant), a loaded checkpoint and the keys read from it, a state
// dict — and literal constructor arguments as JSON.
#include <cstring>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

// Module-level constants (`CKPT = "ckpt/model.pt"`) through the index.
Value Extractor::Constant(const std::string& name, int depth) {
  auto it = file_.assignments.find(name);
  if (it == file_.assignments.end() || depth > kMaxDepth) return {};
  Env empty;
  std::vector<CallSite> scratch;
  Extractor inner(index_, file_, scratch);
  Value v = inner.PathOnly(it->second, depth + 1);
  return v;
}

// Evaluates an expression for its path value only, recording no call sites.
Value Extractor::PathOnly(TSNode e, int depth) {
  Env env;
  return Expr(e, env, "", depth);
}

PathExpr Extractor::JoinPaths(const std::vector<PathExpr>& parts) {
  PathExpr p;
  for (const PathExpr& part : parts) {
    if (!part.known()) {
      p.text += "*";
      p.is_glob = true;
      continue;
    }
    if (!p.text.empty() && p.text.back() != '/') p.text += "/";
    p.text += part.text;
    p.is_glob |= part.is_glob;
  }
  return p;
}

PathExpr Extractor::StringValue(TSNode s) {
  PathExpr p;
  std::string literal;
  if (StringLiteralValue(file_.parsed, s, &literal)) {
    p.text = literal;
    return p;
  }
  // An f-string: its literal pieces, with `*` for each interpolation.
  uint32_t n = ts_node_named_child_count(s);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(s, i);
    if (IsType(c, "string_content")) {
      p.text += Text(c);
    } else if (IsType(c, "interpolation")) {
      if (p.text.empty() || p.text.back() != '*') p.text += "*";
      p.is_glob = true;
    }
  }
  if (p.text == "*") p.text.clear();
  return p;
}

Value Extractor::Expr(TSNode e, Env& env, const std::string& function, int depth) {
  Value v;
  if (ts_node_is_null(e) || depth > kMaxDepth) return v;
  const char* type = ts_node_type(e);
  if (std::strcmp(type, "parenthesized_expression") == 0 && ts_node_named_child_count(e) == 1) {
    return Expr(ts_node_named_child(e, 0), env, function, depth + 1);
  }
  if (std::strcmp(type, "string") == 0 || std::strcmp(type, "concatenated_string") == 0) {
    v.kind = Value::kPath;
    v.path = StringValue(e);
    return v;
  }
  if (std::strcmp(type, "identifier") == 0 || std::strcmp(type, "attribute") == 0) {
    auto it = env.find(Text(e));
    if (it != env.end()) return it->second;
    if (std::strcmp(type, "identifier") == 0) return Constant(Text(e), depth + 1);
    Expr(Field(e, "object"), env, function, depth + 1);
    return v;
  }
  if (std::strcmp(type, "subscript") == 0) {
    Value base = Expr(Field(e, "value"), env, function, depth + 1);
    TSNode sub = Field(e, "subscript");
    std::string key;
    if (base.kind == Value::kLoad && !ts_node_is_null(sub) && IsType(sub, "string") &&
        StringLiteralValue(file_.parsed, sub, &key)) {
      base.keys.push_back(key);
      return base;
    }
    Expr(sub, env, function, depth + 1);
    return v;
  }
  if (std::strcmp(type, "binary_operator") == 0) {
    Value l = Expr(Field(e, "left"), env, function, depth + 1);
    Value r = Expr(Field(e, "right"), env, function, depth + 1);
    std::string op = Text(Field(e, "operator"));
    if ((op == "/" || op == "+") && (l.kind == Value::kPath || r.kind == Value::kPath)) {
      v.kind = Value::kPath;
      if (op == "/") {
        v.path = JoinPaths({l.path, r.path});
      } else {
        v.path.text = (l.path.known() ? l.path.text : "*") + (r.path.known() ? r.path.text : "*");
        v.path.is_glob = l.path.is_glob || r.path.is_glob || !l.path.known() || !r.path.known();
      }
    }
    return v;
  }
  if (std::strcmp(type, "dictionary") == 0) {
    uint32_t n = ts_node_named_child_count(e);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode pair = ts_node_named_child(e, i);
      if (!IsType(pair, "pair")) {
        Expr(pair, env, function, depth + 1);
        continue;
      }
      Value val = Expr(Field(pair, "value"), env, function, depth + 1);
      if (val.kind == Value::kStateDict) v.kind = Value::kDictWithStateDict;
    }
    return v;
  }
  if (std::strcmp(type, "call") == 0) return Call(e, env, function, depth + 1);
  uint32_t n = ts_node_named_child_count(e);
  for (uint32_t i = 0; i < n; ++i) Expr(ts_node_named_child(e, i), env, function, depth + 1);
  return v;
}

// The arguments of a call that are literals: "0", "1", ... for positional
// ones, names for keywords (bound against the signature by the prediction).
std::map<std::string, nlohmann::json> Extractor::LiteralArgs(const Args& args) {
  std::map<std::string, nlohmann::json> out;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (auto lit = Literal(args.positional[i])) out[std::to_string(i)] = *lit;
  }
  for (const auto& [name, node] : args.keywords) {
    if (auto lit = Literal(node)) out[name] = *lit;
  }
  return out;
}

// A literal constructor argument as JSON: ints, floats, booleans, None,
// strings, and lists/tuples of those. Anything else is not given.
std::optional<nlohmann::json> Extractor::Literal(TSNode n, int depth) {
  if (ts_node_is_null(n) || depth > 8) return std::nullopt;
  std::string t = Text(n);
  if (IsType(n, "integer")) {
    try {
      return nlohmann::json(std::stoll(t, nullptr, 0));
    } catch (...) {
      return std::nullopt;
    }
  }
  if (IsType(n, "float")) {
    try {
      return nlohmann::json(std::stod(t));
    } catch (...) {
      return std::nullopt;
    }
  }
  if (IsType(n, "true")) return nlohmann::json(true);
  if (IsType(n, "false")) return nlohmann::json(false);
  if (IsType(n, "none")) return nlohmann::json(nullptr);
  if (IsType(n, "unary_operator") && t.size() > 1 && t[0] == '-') {
    auto inner = Literal(Field(n, "argument"), depth + 1);
    if (inner && inner->is_number_integer()) return nlohmann::json(-inner->get<int64_t>());
    if (inner && inner->is_number_float()) return nlohmann::json(-inner->get<double>());
    return std::nullopt;
  }
  if (IsType(n, "string")) {
    std::string v;
    if (StringLiteralValue(file_.parsed, n, &v)) return nlohmann::json(v);
    return std::nullopt;
  }
  if (IsType(n, "list") || IsType(n, "tuple")) {
    nlohmann::json arr = nlohmann::json::array();
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; ++i) {
      auto el = Literal(ts_node_named_child(n, i), depth + 1);
      if (!el) return std::nullopt;
      arr.push_back(*el);
    }
    return arr;
  }
  return std::nullopt;
}

}  // namespace call_site_extraction
}  // namespace ptlint
