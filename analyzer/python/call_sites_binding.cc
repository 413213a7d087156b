// Call-site extraction, statements and binding (see call_sites_extractor.h):
// walks blocks in order, a new scope per def and class, and records what
// assignments and with-items bind, so that a later `model.load_state_dict(sd)`
// knows what `model` and `sd` are.
#include <cstring>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

void Extractor::Run() {
  Env env;
  Block(file_.parsed.Root(), env, "", 0);
}

void Extractor::Block(TSNode block, Env& env, const std::string& function, int depth) {
  uint32_t n = ts_node_named_child_count(block);
  for (uint32_t i = 0; i < n; ++i) Statement(ts_node_named_child(block, i), env, function, depth);
}

void Extractor::Statement(TSNode s, Env& env, const std::string& function, int depth) {
  if (depth > kMaxDepth || ts_node_is_null(s)) return;
  const char* type = ts_node_type(s);
  if (std::strcmp(type, "function_definition") == 0) {
    Env local;  // a new scope; module constants stay reachable through the index
    std::string name = Text(Field(s, "name"));
    std::string qualified = function.empty() ? name : function + "." + name;
    TSNode body = Field(s, "body");
    if (!ts_node_is_null(body)) Block(body, local, qualified, depth + 1);
    return;
  }
  if (std::strcmp(type, "class_definition") == 0) {
    Env local;
    std::string name = Text(Field(s, "name"));
    TSNode body = Field(s, "body");
    if (!ts_node_is_null(body))
      Block(body, local, function.empty() ? name : function + "." + name, depth + 1);
    return;
  }
  if (std::strcmp(type, "expression_statement") == 0) {
    uint32_t n = ts_node_named_child_count(s);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode e = ts_node_named_child(s, i);
      if (IsType(e, "assignment")) {
        Assignment(e, env, function, depth + 1);
      } else {
        Expr(e, env, function, depth + 1);
      }
    }
    return;
  }
  // Compound statements: walk blocks in order, and the expressions around them
  // (conditions, iterables, with-items) for calls.
  uint32_t n = ts_node_named_child_count(s);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(s, i);
    if (IsType(c, "block") || IsType(c, "module")) {
      Block(c, env, function, depth + 1);
    } else if (IsType(c, "elif_clause") || IsType(c, "else_clause") || IsType(c, "except_clause") ||
               IsType(c, "finally_clause") || IsType(c, "function_definition") ||
               IsType(c, "class_definition") || IsType(c, "decorated_definition") ||
               IsType(c, "expression_statement") || std::strstr(ts_node_type(c), "statement")) {
      Statement(c, env, function, depth + 1);
    } else if (IsType(c, "with_clause")) {
      WithClause(c, env, function, depth + 1);
    } else {
      Expr(c, env, function, depth + 1);
    }
  }
}

// `with open(p) as f` is not followed, but `with x as y` binds y when x is known.
void Extractor::WithClause(TSNode clause, Env& env, const std::string& function, int depth) {
  uint32_t n = ts_node_named_child_count(clause);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode item = ts_node_named_child(clause, i);
    TSNode value = Field(item, "value");
    if (ts_node_is_null(value)) continue;
    if (IsType(value, "as_pattern")) {
      Value v = Expr(ts_node_named_child(value, 0), env, function, depth + 1);
      TSNode alias = Field(value, "alias");
      if (!ts_node_is_null(alias)) env[Text(alias)] = v;
    } else {
      Expr(value, env, function, depth + 1);
    }
  }
}

void Extractor::Assignment(TSNode a, Env& env, const std::string& function, int depth) {
  TSNode left = Field(a, "left");
  TSNode right = Field(a, "right");
  if (ts_node_is_null(right)) return;
  if (IsType(right, "assignment")) {  // a = b = expr
    Assignment(right, env, function, depth + 1);
    TSNode inner_left = Field(right, "left");
    if (!ts_node_is_null(left) && !ts_node_is_null(inner_left))
      env[Text(left)] = env[Text(inner_left)];
    return;
  }
  size_t sites_before = out_.size();
  Value v = Expr(right, env, function, depth + 1);
  if (ts_node_is_null(left)) return;
  if (IsType(left, "identifier") || IsType(left, "attribute")) {
    std::string name = Text(left);
    env[name] = v;
    if (v.kind == Value::kLoad && v.keys.empty() && v.load_site >= static_cast<int>(sites_before)) {
      out_[static_cast<size_t>(v.load_site)].result_variable = name;
    }
    if (v.kind == Value::kOptimizer && v.optimizer_site >= static_cast<int>(sites_before)) {
      out_[static_cast<size_t>(v.optimizer_site)].result_variable = name;
    }
  }
}

}  // namespace call_site_extraction
}  // namespace ptlint
