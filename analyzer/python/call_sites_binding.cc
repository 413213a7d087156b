// Call-site extraction, statements and binding (see call_sites_extractor.h):
// walks blocks in order, a new scope per def and class, and records what
// assignments and with-items bind, so that a later `model.load_state_dict(sd)`
// knows what `model` and `sd` are.
#include <cstring>
#include <optional>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

void Extractor::Run() {
  TSNode root = file_.parsed.Root();
  // First walk: the call sites as the code reads without parameter values,
  // and every call of a function defined here with its arguments.
  std::vector<CallSite> sites;
  // What project functions do to a load passed to them, shared by every walk.
  ParameterEffects own_effects;
  ParameterEffects* effects = effects_ != nullptr ? effects_ : &own_effects;
  Extractor walk(index_, file_, sites, path_values_);
  walk.effects_ = effects;
  walk.quiet_ = quiet_;
  {
    Env env;
    walk.Block(root, env, "", 0);
  }
  // Most files are done: parameters matter only for a load (or a
  // load_state_dict receiver) inside a function that the walk left unknown.
  bool unknown_in_function = false;
  for (const CallSite& site : sites) {
    if (site.function.empty()) continue;
    if ((site.kind == CallKind::kTorchLoad || site.kind == CallKind::kJitLoad) && !site.checkpoint.known())
      unknown_in_function = true;
    if (site.kind == CallKind::kLoadStateDict && site.receiver_class.empty() && site.receiver_factory.empty())
      unknown_in_function = true;
  }
  if (unknown_in_function) {
    Seeds seeds = walk.SeedsFromCalls();
    for (int pass = 0; pass < 3 && !seeds.empty(); ++pass) {
      std::vector<CallSite> seeded_sites;
      Extractor seeded(index_, file_, seeded_sites, path_values_);
      seeded.seeds_ = seeds;
      seeded.quiet_ = quiet_;
      seeded.effects_ = effects;
      seeded.argparse_ = walk.argparse_;
      Env env;
      seeded.Block(root, env, "", 0);
      sites = std::move(seeded_sites);
      Seeds next = seeded.SeedsFromCalls();
      if (SameSeeds(next, seeds)) break;
      seeds = std::move(next);
    }
  }
  int base = static_cast<int>(out_.size());
  for (CallSite& site : sites) {
    if (site.load_site >= 0) site.load_site += base;
    if (site.optimizer_site >= 0) site.optimizer_site += base;
    out_.push_back(std::move(site));
  }
}

void Extractor::RecordFunction(TSNode def, const std::string& qualified) {
  FunctionParams fp;
  TSNode parent = ts_node_parent(def);
  if (IsType(parent, "decorated_definition")) parent = ts_node_parent(parent);
  fp.method = IsType(parent, "block") && IsType(ts_node_parent(parent), "class_definition");
  TSNode params = Field(def, "parameters");
  uint32_t n = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode p = ts_node_named_child(params, i);
    if (IsType(p, "identifier")) {
      fp.names.push_back(Text(p));
    } else if (IsType(p, "typed_parameter")) {
      TSNode name = ts_node_named_child(p, 0);
      if (!IsType(name, "identifier")) break;  // *args: typed, the rest is keyword-only
      fp.names.push_back(Text(name));
    } else if (IsType(p, "default_parameter") || IsType(p, "typed_default_parameter")) {
      std::string name = Text(Field(p, "name"));
      fp.names.push_back(name);
      fp.defaults[name] = Field(p, "value");
    } else if (IsType(p, "positional_separator")) {
      continue;
    } else {
      break;  // *args, **kwargs, `*`: what follows is not bound by position
    }
  }
  functions_[qualified] = std::move(fp);
}

void Extractor::RecordCall(TSNode callee, ArgValues args, const std::string& function) {
  RecordedCall call;
  call.args = std::move(args);
  // The scopes the call is in, innermost first: "A.b.c" -> "A.b.c", "A.b", "A", "".
  std::vector<std::string> scopes;
  for (std::string scope = function;; ) {
    scopes.push_back(scope);
    if (scope.empty()) break;
    size_t dot = scope.rfind('.');
    scope = dot == std::string::npos ? "" : scope.substr(0, dot);
  }
  if (IsType(callee, "identifier")) {
    std::string name = Text(callee);
    for (const std::string& scope : scopes) call.candidates.push_back(scope.empty() ? name : scope + "." + name);
  } else if (IsType(callee, "attribute") && Text(Field(callee, "object")) == "self") {
    std::string name = Text(Field(callee, "attribute"));
    call.via_self = true;
    for (const std::string& scope : scopes) {
      if (!scope.empty() && scope != function) call.candidates.push_back(scope + "." + name);
    }
  } else {
    return;
  }
  calls_.push_back(std::move(call));
}

namespace {

// Values a parameter can be seeded with: paths, and module instances
// (`def load(model, path)` called as `load(Net(), "x.pt")`).
bool Seedable(const Value& v) {
  return (v.kind == Value::kPath && v.path.known()) || v.kind == Value::kInstance;
}

bool SameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Value::kPath) return a.path.text == b.path.text && a.path.is_glob == b.path.is_glob;
  if (a.kind == Value::kInstance) return a.cls == b.cls && a.ctor_args == b.ctor_args;
  return false;
}

}  // namespace

Extractor::Seeds Extractor::SeedsFromCalls() {
  // Which defined function each call reaches (the innermost scope's).
  std::map<std::string, std::vector<const RecordedCall*>> by_function;
  for (const RecordedCall& call : calls_) {
    for (const std::string& candidate : call.candidates) {
      auto f = functions_.find(candidate);
      if (f == functions_.end()) continue;
      if (f->second.method == call.via_self) by_function[candidate].push_back(&call);
      break;
    }
  }
  Seeds seeds;
  for (const auto& [qualified, calls] : by_function) {
    const FunctionParams& fp = functions_[qualified];
    size_t first = fp.method ? 1 : 0;  // self is not passed
    for (size_t i = first; i < fp.names.size(); ++i) {
      const std::string& name = fp.names[i];
      std::optional<Value> agreed;
      bool ok = true;
      for (const RecordedCall* call : calls) {
        Value value;
        size_t pos = i - first;
        if (call->args.star) {
          ok = false;
        } else if (pos < call->args.positional.size()) {
          value = call->args.positional[pos];
        } else if (auto kw = call->args.keywords.find(name); kw != call->args.keywords.end()) {
          value = kw->second;
        } else if (auto d = fp.defaults.find(name); d != fp.defaults.end()) {
          value = PathOnly(d->second, 1);
        }
        if (!ok || !Seedable(value) || (agreed && !SameValue(*agreed, value))) {
          ok = false;
          break;
        }
        agreed = value;
      }
      if (ok && agreed) seeds[qualified][name] = *agreed;
    }
  }
  return seeds;
}

bool Extractor::SameSeeds(const Seeds& a, const Seeds& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || ia->second.size() != ib->second.size()) return false;
    for (const auto& [name, value] : ia->second) {
      auto other = ib->second.find(name);
      if (other == ib->second.end() || !SameValue(value, other->second)) return false;
    }
  }
  return true;
}

void Extractor::Block(TSNode block, Env& env, const std::string& function, int depth) {
  uint32_t n = ts_node_named_child_count(block);
  for (uint32_t i = 0; i < n; ++i) Statement(ts_node_named_child(block, i), env, function, depth);
}

void Extractor::Statement(TSNode s, Env& env, const std::string& function, int depth) {
  Reached(depth);
  if (depth > kMaxDepth || ts_node_is_null(s)) return;
  const char* type = ts_node_type(s);
  if (quiet_ != nullptr && quiet_->count(s.id) != 0) return;  // a definition that can hold no call site
  if (std::strcmp(type, "function_definition") == 0) {
    Env local;  // a new scope; module constants stay reachable through the index
    std::string name = Text(Field(s, "name"));
    std::string qualified = function.empty() ? name : function + "." + name;
    if (recording_) RecordFunction(s, qualified);
    // Parameters every caller here passes the same path or module to.
    if (auto seeded = seeds_.find(qualified); seeded != seeds_.end()) local = seeded->second;
    TSNode body = Field(s, "body");
    own_returns_.erase(qualified);  // a redefinition: only this body's returns
    if (!ts_node_is_null(body)) Block(body, local, qualified, depth + 1);
    SummarizeReturns(qualified, s);
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
  if (std::strcmp(type, "delete_statement") == 0) {
    // `del sd["fc.weight"]`, `del ckpt["optimizer"]`: a followed load changed in place.
    uint32_t n = ts_node_named_child_count(s);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode t = ts_node_named_child(s, i);
      std::vector<TSNode> targets;
      if (IsType(t, "expression_list")) {
        for (uint32_t j = 0; j < ts_node_named_child_count(t); ++j) targets.push_back(ts_node_named_child(t, j));
      } else {
        targets.push_back(t);
      }
      for (TSNode target : targets) {
        if (!IsType(target, "subscript")) continue;
        std::string key;
        TSNode sub = Field(target, "subscript");
        if (IsNull(sub) || !IsType(sub, "string") || !StringLiteralValue(file_.parsed, sub, &key)) key.clear();
        MarkChangedInPlace(Field(target, "value"), key, s, env);
      }
    }
    return;
  }
  if (returns_ != nullptr && function == returns_of_ && std::strcmp(type, "return_statement") == 0) {
    // A stand-in walk (LoadThroughFunction): what the function returns.
    TSNode e{};
    for (uint32_t i = 0; i < ts_node_named_child_count(s) && IsNull(e); ++i) {
      if (!IsType(ts_node_named_child(s, i), "comment")) e = ts_node_named_child(s, i);
    }
    Value r = IsNull(e) ? Value{} : Expr(e, env, function, depth + 1);
    returns_->emplace_back(e, std::move(r));
    return;
  }
  if (std::strcmp(type, "return_statement") == 0 && !function.empty()) {
    // What the function returns, for a call of it later in the walk
    // (SummarizeReturns); walked as any other expression.
    TSNode e{};
    for (uint32_t i = 0; i < ts_node_named_child_count(s) && IsNull(e); ++i) {
      if (!IsType(ts_node_named_child(s, i), "comment")) e = ts_node_named_child(s, i);
    }
    own_returns_[function].push_back(IsNull(e) ? Value{} : Expr(e, env, function, depth + 1));
    return;
  }
  // `for k, v in sd.items(): new_sd[k[7:]] = v`: new_sd is sd's load, its
  // keys rewritten (read before the walk, which may rebind the names).
  std::optional<std::pair<std::string, Value>> loop;
  if (std::strcmp(type, "for_statement") == 0) loop = LoopIntoNewDict(s, env);
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
  if (loop) env[loop->first] = std::move(loop->second);
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
  if (IsType(left, "subscript")) {
    // `sd[new_key] = sd.pop(k)`, `ckpt["model"] = other`: a followed load changed in place.
    std::string key;
    TSNode sub = Field(left, "subscript");
    if (IsNull(sub) || !IsType(sub, "string") || !StringLiteralValue(file_.parsed, sub, &key)) key.clear();
    MarkChangedInPlace(Field(left, "value"), key, a, env);
    if (IsType(Field(left, "value"), "identifier")) {
      auto bound = env.find(Text(Field(left, "value")));
      if (bound != env.end() && bound->second.kind == Value::kDict) {
        bound->second.empty = false;
        bound->second.stored_into = true;
      }
    }
    return;
  }
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
