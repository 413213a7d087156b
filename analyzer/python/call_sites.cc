#include "analyzer/python/call_sites.h"

#include <cctype>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace ptlint {

const char* CallKindName(CallKind kind) {
  switch (kind) {
    case CallKind::kTorchLoad: return "torch.load";
    case CallKind::kJitLoad: return "torch.jit.load";
    case CallKind::kTorchSave: return "torch.save";
    case CallKind::kLoadStateDict: return "load_state_dict";
    case CallKind::kAddSafeGlobals: return "torch.serialization.add_safe_globals";
    case CallKind::kOptimizer: return "torch.optim";
  }
  return "?";
}

namespace {

// What a local name is bound to, as far as the extractor follows it.
struct Value {
  // kFactoryResult: what a project function returned (`model =
  // wav2vec2_model(...)`); `cls` names the function. Whether it builds a
  // module is the state-dict prediction's call, not this pass's.
  enum Kind { kNone, kLoad, kInstance, kFactoryResult, kPath, kStateDict, kDictWithStateDict, kOptimizer } kind = kNone;
  int load_site = -1;
  int optimizer_site = -1;  // kOptimizer: index of the torch.optim construction
  std::vector<std::string> keys;
  std::string cls;
  SourcePosition cls_position;
  std::map<std::string, nlohmann::json> ctor_args;
  PathExpr path;
};
using Env = std::unordered_map<std::string, Value>;

constexpr int kMaxDepth = 200;  // expression nesting followed; deeper is left alone

SourcePosition EndOf(TSNode n) {
  TSPoint p = ts_node_end_point(n);
  return SourcePosition{p.row + 1, p.column + 1};
}

class Extractor {
 public:
  Extractor(const ModuleIndex& index, const IndexedFile& file, std::vector<CallSite>& out)
      : index_(index), file_(file), out_(out) {}

  void Run() {
    Env env;
    Block(file_.parsed.Root(), env, "", 0);
  }

 private:
  std::string Text(TSNode n) const { return std::string(file_.parsed.Text(n)); }

  void Block(TSNode block, Env& env, const std::string& function, int depth) {
    uint32_t n = ts_node_named_child_count(block);
    for (uint32_t i = 0; i < n; ++i) Statement(ts_node_named_child(block, i), env, function, depth);
  }

  void Statement(TSNode s, Env& env, const std::string& function, int depth) {
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
      if (!ts_node_is_null(body)) Block(body, local, function.empty() ? name : function + "." + name, depth + 1);
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
  void WithClause(TSNode clause, Env& env, const std::string& function, int depth) {
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

  void Assignment(TSNode a, Env& env, const std::string& function, int depth) {
    TSNode left = Field(a, "left");
    TSNode right = Field(a, "right");
    if (ts_node_is_null(right)) return;
    if (IsType(right, "assignment")) {  // a = b = expr
      Assignment(right, env, function, depth + 1);
      TSNode inner_left = Field(right, "left");
      if (!ts_node_is_null(left) && !ts_node_is_null(inner_left)) env[Text(left)] = env[Text(inner_left)];
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

  // Module-level constants (`CKPT = "ckpt/model.pt"`) through the index.
  Value Constant(const std::string& name, int depth) {
    auto it = file_.assignments.find(name);
    if (it == file_.assignments.end() || depth > kMaxDepth) return {};
    Env empty;
    std::vector<CallSite> scratch;
    Extractor inner(index_, file_, scratch);
    Value v = inner.PathOnly(it->second, depth + 1);
    return v;
  }

  // Evaluates an expression for its path value only, recording no call sites.
  Value PathOnly(TSNode e, int depth) {
    Env env;
    return Expr(e, env, "", depth);
  }

  PathExpr JoinPaths(const std::vector<PathExpr>& parts) {
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

  PathExpr StringValue(TSNode s) {
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

  Value Expr(TSNode e, Env& env, const std::string& function, int depth) {
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

  struct Args {
    std::vector<TSNode> positional;
    std::vector<std::pair<std::string, TSNode>> keywords;
    TSNode Keyword(const char* name) const {
      for (const auto& [k, v] : keywords) {
        if (k == name) return v;
      }
      return TSNode{};
    }
  };

  Args SplitArgs(TSNode args) {
    Args a;
    if (ts_node_is_null(args)) return a;
    uint32_t n = ts_node_named_child_count(args);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(args, i);
      if (IsType(c, "keyword_argument")) {
        a.keywords.emplace_back(Text(Field(c, "name")), Field(c, "value"));
      } else if (!IsType(c, "comment")) {
        a.positional.push_back(c);
      }
    }
    return a;
  }

  TSNode Arg(const Args& a, size_t pos, const char* keyword) {
    if (pos < a.positional.size()) return a.positional[pos];
    return a.Keyword(keyword);
  }

  CallSite NewSite(CallKind kind, TSNode call, const std::string& function) {
    CallSite s;
    s.kind = kind;
    s.path = file_.info.path;
    s.module = file_.info.module_name;
    s.function = function;
    s.start = PositionOf(call);
    s.end = EndOf(call);
    s.call_text = Text(call).substr(0, 200);
    return s;
  }

  static bool IsNull(TSNode n) { return ts_node_is_null(n); }

  // The arguments of a call that are literals: "0", "1", ... for positional
  // ones, names for keywords (bound against the signature by the prediction).
  std::map<std::string, nlohmann::json> LiteralArgs(const Args& args) {
    std::map<std::string, nlohmann::json> out;
    for (size_t i = 0; i < args.positional.size(); ++i) {
      if (auto lit = Literal(args.positional[i])) out[std::to_string(i)] = *lit;
    }
    for (const auto& [name, node] : args.keywords) {
      if (auto lit = Literal(node)) out[name] = *lit;
    }
    return out;
  }

  Value Call(TSNode call, Env& env, const std::string& function, int depth) {
    Value v;
    TSNode callee = Field(call, "function");
    TSNode arg_list = Field(call, "arguments");
    Args args = SplitArgs(arg_list);
    std::string callee_text = IsNull(callee) ? "" : Text(callee);

    // Method calls on a followed local first: load_state_dict, state_dict, use as module.
    if (!IsNull(callee) && IsType(callee, "attribute")) {
      std::string method = Text(Field(callee, "attribute"));
      TSNode object = Field(callee, "object");
      std::string receiver = Text(object);
      if (method == "load_state_dict") {
        CallSite s = NewSite(CallKind::kLoadStateDict, call, function);
        s.receiver = receiver;
        auto it = env.find(receiver);
        if (it != env.end() && it->second.kind == Value::kInstance) {
          s.receiver_class = it->second.cls;
          s.receiver_class_position = it->second.cls_position;
          s.receiver_args = it->second.ctor_args;
        } else if (it != env.end() && it->second.kind == Value::kFactoryResult) {
          s.receiver_factory = it->second.cls;
          s.receiver_class_position = it->second.cls_position;
          s.receiver_args = it->second.ctor_args;
        }
        if (it != env.end() && it->second.kind == Value::kOptimizer) s.optimizer_site = it->second.optimizer_site;
        TSNode arg = Arg(args, 0, "state_dict");
        if (!IsNull(arg)) {
          s.argument_text = Text(arg).substr(0, 200);
          size_t before = out_.size();
          Value a = Expr(arg, env, function, depth + 1);
          if (a.kind == Value::kLoad) {
            s.load_site = a.load_site;
            s.keys = a.keys;
          }
          (void)before;
        }
        TSNode strict = args.Keyword("strict");
        if (!IsNull(strict) && Text(strict) == "False") s.strict_false = true;
        if (args.positional.size() > 1 && Text(args.positional[1]) == "False") s.strict_false = true;
        out_.push_back(std::move(s));
        Expr(object, env, function, depth + 1);
        return v;
      }
      if (method == "load_from_checkpoint") {
        Symbol owner = index_.ResolveName(file_.info.module_name, receiver);
        if (owner.kind == Symbol::Kind::kClass && owner.cls != nullptr &&
            index_.Classify(*owner.cls).kind == ModuleKind::kModule) {
          return LightningLoad(call, args, *owner.cls, env, function, depth);
        }
      }
      if ((method == "fit" || method == "validate" || method == "test" || method == "predict") &&
          !IsNull(args.Keyword("ckpt_path"))) {
        if (auto resumed = LightningResume(call, args, env, function, depth)) return *resumed;
      }
      if (method == "state_dict" && args.positional.empty()) {
        Expr(object, env, function, depth + 1);
        v.kind = Value::kStateDict;
        return v;
      }
      auto it = env.find(receiver);
      if (it != env.end() && it->second.kind == Value::kLoad && it->second.keys.empty()) {
        static const char* kModuleMethods[] = {"eval", "train", "to", "cuda", "cpu", "forward",
                                               "parameters", "named_parameters", "modules",
                                               "children", "half", "float", "requires_grad_"};
        for (const char* m : kModuleMethods) {
          if (method == m) MarkUsedAsModule(it->second.load_site, call);
        }
      }
    }
    if (!IsNull(callee) && IsType(callee, "identifier")) {
      auto it = env.find(callee_text);
      if (it != env.end() && it->second.kind == Value::kLoad && it->second.keys.empty()) {
        MarkUsedAsModule(it->second.load_site, call);  // m(x)
      }
    }

    Symbol sym = callee_text.empty() ? Symbol{} : index_.ResolveName(file_.info.module_name, callee_text);
    std::string q = sym.qualified_name;
    if (q == "torch.load" || q == "torch.serialization.load" || q == "torch.jit.load") {
      CallSite s = NewSite(q == "torch.jit.load" ? CallKind::kJitLoad : CallKind::kTorchLoad, call, function);
      TSNode f = Arg(args, 0, "f");
      if (!IsNull(f)) {
        Value p = Expr(f, env, function, depth + 1);
        if (p.kind == Value::kPath) s.checkpoint = p.path;
      }
      s.has_map_location = !IsNull(Arg(args, 1, "map_location"));
      TSNode wo = args.Keyword("weights_only");
      if (!IsNull(wo)) {
        std::string t = Text(wo);
        if (t == "True") s.weights_only = true;
        if (t == "False") s.weights_only = false;
      }
      s.args_end = EndOf(arg_list);
      if (s.args_end.column > 1) s.args_end.column -= 1;
      for (size_t i = 1; i < args.positional.size(); ++i) Expr(args.positional[i], env, function, depth + 1);
      v.kind = Value::kLoad;
      v.load_site = static_cast<int>(out_.size());
      out_.push_back(std::move(s));
      return v;
    }
    if (q == "torch.save" || q == "torch.serialization.save") {
      CallSite s = NewSite(CallKind::kTorchSave, call, function);
      TSNode obj = Arg(args, 0, "obj");
      if (!IsNull(obj)) {
        s.saved_text = Text(obj).substr(0, 200);
        Value o = Expr(obj, env, function, depth + 1);
        s.saves_state_dict = o.kind == Value::kStateDict || o.kind == Value::kDictWithStateDict;
        if (o.kind == Value::kInstance) {
          s.saves_module = true;
          s.saved_class = o.cls;
        }
      }
      TSNode dest = Arg(args, 1, "f");
      if (!IsNull(dest)) {
        Value d = Expr(dest, env, function, depth + 1);
        if (d.kind == Value::kPath) s.destination = d.path;
      }
      out_.push_back(std::move(s));
      return v;
    }
    if (q == "torch.serialization.add_safe_globals" || q == "torch.serialization.safe_globals") {
      CallSite s = NewSite(CallKind::kAddSafeGlobals, call, function);
      TSNode list = Arg(args, 0, "safe_globals");
      if (!IsNull(list)) {
        uint32_t n = ts_node_named_child_count(list);
        for (uint32_t i = 0; i < n; ++i) {
          TSNode el = ts_node_named_child(list, i);
          std::string t = Text(el);
          Symbol g = index_.ResolveName(file_.info.module_name, t);
          s.safe_globals.push_back(g.qualified_name.empty() ? t : g.qualified_name);
        }
      }
      out_.push_back(std::move(s));
      return v;
    }
    if (IsOptimizerClass(q)) return Optimizer(q, call, args, env, function, depth + 1);
    if (q == "os.path.join" || q == "pathlib.Path" || q == "pathlib.PurePath" || q == "posixpath.join") {
      std::vector<PathExpr> parts;
      for (TSNode a : args.positional) {
        Value p = Expr(a, env, function, depth + 1);
        parts.push_back(p.kind == Value::kPath ? p.path : PathExpr{});
      }
      v.kind = Value::kPath;
      v.path = JoinPaths(parts);
      return v;
    }
    if (sym.kind == Symbol::Kind::kClass && sym.cls != nullptr &&
        index_.Classify(*sym.cls).kind == ModuleKind::kModule) {
      v.kind = Value::kInstance;
      v.cls = sym.cls->qualified_name;
      v.cls_position = PositionOf(call);
      v.ctor_args = LiteralArgs(args);
    } else if (sym.kind == Symbol::Kind::kExternal && !BuiltinModuleName(q).empty()) {
      v.kind = Value::kInstance;
      v.cls = q;
      v.cls_position = PositionOf(call);
    } else if (sym.kind == Symbol::Kind::kFunction && index_.FindFunction(q) != nullptr) {
      v.kind = Value::kFactoryResult;
      v.cls = q;
      v.cls_position = PositionOf(call);
      v.ctor_args = LiteralArgs(args);
    }
    // Calls inside the arguments (nested torch.load, state_dict(), ...).
    for (TSNode a : args.positional) Expr(a, env, function, depth + 1);
    for (const auto& kw : args.keywords) Expr(kw.second, env, function, depth + 1);
    if (!IsNull(callee) && IsType(callee, "attribute")) Expr(Field(callee, "object"), env, function, depth + 1);
    return v;
  }

  // Lightning's `trainer.fit(model, ..., ckpt_path=p)` (and validate / test /
  // predict): the Trainer loads p and restores ckpt["state_dict"] into the
  // model the call passes, strictly, as the user built it (no
  // hyper_parameters). Recorded when that model is a followed Module
  // instance; otherwise nothing is known and nothing is recorded.
  std::optional<Value> LightningResume(TSNode call, const Args& args, Env& env, const std::string& function,
                                       int depth) {
    TSNode model = Arg(args, 0, "model");
    if (IsNull(model)) return std::nullopt;
    auto it = env.find(Text(model));
    if (it == env.end() || it->second.kind != Value::kInstance) return std::nullopt;
    Value p = Expr(args.Keyword("ckpt_path"), env, function, depth + 1);
    if (p.kind != Value::kPath) return std::nullopt;  // a computed path
    // Lightning's own names for "a checkpoint the callbacks know", not files.
    const std::string& text = p.path.text;
    if (text == "last" || text == "best" || text == "hpc" || text.rfind("registry", 0) == 0) {
      return std::nullopt;
    }
    CallSite restore = NewSite(CallKind::kLoadStateDict, call, function);
    restore.receiver = Text(model);
    restore.receiver_class = it->second.cls;
    restore.receiver_class_position = it->second.cls_position;
    restore.receiver_args = it->second.ctor_args;
    PushLightningSites(call, function, p.path, std::move(restore));
    return Value{};
  }

  // Lightning's `Cls.load_from_checkpoint(checkpoint_path, map_location=None,
  // hparams_file=None, strict=None, **overrides)`: the torch.load of the file,
  // then Cls(**hyper_parameters, **overrides).load_state_dict(
  // checkpoint["state_dict"], strict=strict). The value is a Cls instance.
  Value LightningLoad(TSNode call, const Args& args, const ClassInfo& cls, Env& env,
                      const std::string& function, int depth) {
    PathExpr path;
    if (TSNode arg = Arg(args, 0, "checkpoint_path"); !IsNull(arg)) {
      Value p = Expr(arg, env, function, depth + 1);
      if (p.kind == Value::kPath) path = p.path;
    }
    std::map<std::string, nlohmann::json> overrides = LiteralArgs(args);
    for (const char* own : {"0", "1", "2", "3", "checkpoint_path", "map_location", "hparams_file", "strict",
                            "weights_only"}) {
      overrides.erase(own);  // load_from_checkpoint's own parameters, not the model's
    }
    CallSite restore = NewSite(CallKind::kLoadStateDict, call, function);
    restore.lightning = true;  // built from the checkpoint's hyper_parameters
    restore.receiver = cls.name;
    restore.receiver_class = cls.qualified_name;
    restore.receiver_class_position = PositionOf(call);
    restore.receiver_args = overrides;
    TSNode strict = args.Keyword("strict");
    restore.strict_false = !IsNull(strict) && Text(strict) == "False";
    PushLightningSites(call, function, path, std::move(restore));

    for (size_t i = 1; i < args.positional.size(); ++i) Expr(args.positional[i], env, function, depth + 1);
    for (const auto& kw : args.keywords) Expr(kw.second, env, function, depth + 1);
    Value v;
    v.kind = Value::kInstance;
    v.cls = cls.qualified_name;
    v.cls_position = PositionOf(call);
    v.ctor_args = std::move(overrides);
    return v;
  }

  // The two sites a Lightning load stands for: the torch.load of `path`, and
  // `restore`, the load_state_dict of its ["state_dict"] into the model.
  // Lightning maps storages itself (to the CPU when map_location is not
  // given), and which weights_only it passes depends on its release: the
  // device and weights_only rules are not predicted for these loads.
  void PushLightningSites(TSNode call, const std::string& function, const PathExpr& path, CallSite restore) {
    CallSite load = NewSite(CallKind::kTorchLoad, call, function);
    load.lightning = true;
    load.checkpoint = path;
    load.has_map_location = true;
    load.weights_only = false;
    restore.load_site = static_cast<int>(out_.size());
    restore.keys = {"state_dict"};
    out_.push_back(std::move(load));
    out_.push_back(std::move(restore));
  }

  // torch.optim.Adam, torch.optim.adamw.AdamW, ...: a class under torch.optim
  // (not the schedulers or SWA helpers).
  static bool IsOptimizerClass(const std::string& q) {
    if (q.rfind("torch.optim.", 0) != 0) return false;
    if (q.find(".lr_scheduler") != std::string::npos || q.find(".swa_utils") != std::string::npos) return false;
    size_t dot = q.rfind('.');
    std::string last = q.substr(dot + 1);
    return !last.empty() && std::isupper(static_cast<unsigned char>(last[0])) && last != "Optimizer";
  }

  // The receiver of `X.parameters()` (also through `list(...)` / `tuple(...)`),
  // or "" when the expression is something else.
  std::string ParametersSource(TSNode e, int depth = 0) {
    if (IsNull(e) || depth > 4 || !IsType(e, "call")) return "";
    TSNode callee = Field(e, "function");
    Args a = SplitArgs(Field(e, "arguments"));
    if (IsNull(callee)) return "";
    if (IsType(callee, "attribute") && Text(Field(callee, "attribute")) == "parameters" &&
        a.positional.empty() && a.keywords.empty()) {
      return Text(Field(callee, "object"));
    }
    std::string name = Text(callee);
    if ((name == "list" || name == "tuple") && a.positional.size() == 1 && a.keywords.empty()) {
      return ParametersSource(a.positional[0], depth + 1);
    }
    return "";
  }

  Value Optimizer(const std::string& q, TSNode call, const Args& args, Env& env, const std::string& function,
                  int depth) {
    CallSite s = NewSite(CallKind::kOptimizer, call, function);
    s.optimizer_class = q;
    TSNode params = Arg(args, 0, "params");
    if (!IsNull(params)) {
      if (IsType(params, "list") || IsType(params, "tuple")) {
        bool dicts = true;
        uint32_t n = ts_node_named_child_count(params);
        for (uint32_t i = 0; i < n && dicts; ++i) {
          TSNode el = ts_node_named_child(params, i);
          if (IsType(el, "comment")) continue;
          if (!IsType(el, "dictionary")) {
            dicts = false;
            break;
          }
          std::string source;
          uint32_t m = ts_node_named_child_count(el);
          for (uint32_t j = 0; j < m; ++j) {
            TSNode pair = ts_node_named_child(el, j);
            std::string key;
            if (IsType(pair, "pair") && !IsNull(Field(pair, "key")) &&
                StringLiteralValue(file_.parsed, Field(pair, "key"), &key) &&
                key == "params") {
              source = ParametersSource(Field(pair, "value"));
            }
          }
          s.group_sources.push_back(source);
        }
        if (!dicts) s.group_sources.clear();
      } else {
        std::string source = ParametersSource(params);
        if (!source.empty()) s.group_sources.push_back(source);
      }
    }
    // The model the groups come from: the longest dotted prefix of each source
    // bound to a Module instance; every group must share it.
    s.groups_known = !s.group_sources.empty();
    for (const std::string& source : s.group_sources) {
      std::string root = source;
      Env::const_iterator found = env.end();
      while (!root.empty()) {
        auto it = env.find(root);
        if (it != env.end() && it->second.kind == Value::kInstance) {
          found = it;
          break;
        }
        size_t dot = root.rfind('.');
        root = dot == std::string::npos ? "" : root.substr(0, dot);
      }
      if (source.empty() || found == env.end() || (!s.params_variable.empty() && s.params_variable != root)) {
        s.groups_known = false;
        break;
      }
      if (s.params_variable.empty()) {
        s.params_variable = root;
        s.params_class = found->second.cls;
        s.params_args = found->second.ctor_args;
      }
      s.group_prefixes.push_back(source.size() == root.size() ? "" : source.substr(root.size() + 1) + ".");
    }
    if (!s.groups_known) s.group_prefixes.clear();
    Value v;
    v.kind = Value::kOptimizer;
    v.optimizer_site = static_cast<int>(out_.size());
    out_.push_back(std::move(s));
    for (TSNode a : args.positional) Expr(a, env, function, depth + 1);
    for (const auto& kw : args.keywords) Expr(kw.second, env, function, depth + 1);
    return v;
  }

  // A literal constructor argument as JSON: ints, floats, booleans, None,
  // strings, and lists/tuples of those. Anything else is not given.
  std::optional<nlohmann::json> Literal(TSNode n, int depth = 0) {
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

  void MarkUsedAsModule(int site, TSNode at) {
    if (site < 0 || site >= static_cast<int>(out_.size())) return;
    CallSite& s = out_[static_cast<size_t>(site)];
    if (!s.result_used_as_module) {
      s.result_used_as_module = true;
      s.used_as_module_at = PositionOf(at);
    }
  }

  const ModuleIndex& index_;
  const IndexedFile& file_;
  std::vector<CallSite>& out_;
};

}  // namespace

namespace {

// Every call the extractor records is a call of `torch.load`,
// `torch.jit.load`, `torch.save`, `X.load_state_dict`, `add_safe_globals` or
// a `torch.optim` class: a file whose text has none of `load(`, `save(`
// (whole words, so `_load_from_state_dict(` and `download(` do not count),
// `load_state_dict`, `safe_globals` or the word `optim` cannot have one,
// unless it renames the function on import (`from torch import load as tl`),
// which the ` as ` form catches. Those files are skipped without building
// their tree: parsing is most of the first index's time.
bool HasCallWord(const std::string& source, std::string_view word) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t at = source.find(word); at != std::string::npos; at = source.find(word, at + 1)) {
    if (at > 0 && ident(source[at - 1])) continue;
    size_t end = at + word.size();
    if (end < source.size() && ident(source[end])) continue;
    size_t next = source.find_first_not_of(" \t", end);
    if (next == std::string::npos) continue;
    if (source[next] == '(' || source.compare(next, 3, "as ") == 0) return true;
  }
  return false;
}

bool HasWord(const std::string& source, std::string_view word) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t at = source.find(word); at != std::string::npos; at = source.find(word, at + 1)) {
    bool starts = at == 0 || !ident(source[at - 1]);
    size_t end = at + word.size();
    bool ends = end >= source.size() || !ident(source[end]);
    if (starts && ends) return true;
  }
  return false;
}

bool MayHaveCallSites(const std::string& source) {
  return source.find("load_state_dict") != std::string::npos ||
         source.find("load_from_checkpoint") != std::string::npos ||
         source.find("ckpt_path") != std::string::npos ||
         source.find("safe_globals") != std::string::npos || HasCallWord(source, "load") ||
         HasCallWord(source, "save") || HasWord(source, "optim");
}

}  // namespace

std::vector<CallSite> ExtractFileCallSites(const ModuleIndex& index, const IndexedFile& file) {
  std::vector<CallSite> local;
  if (!MayHaveCallSites(file.parsed.source)) return local;  // before the tree is built
  if (file.parsed.tree) Extractor(index, file, local).Run();
  return local;
}

std::vector<CallSite> ConcatCallSites(const std::vector<const std::vector<CallSite>*>& per_file) {
  std::vector<CallSite> sites;
  for (const std::vector<CallSite>* local : per_file) {
    // Load-site indices are per file; shift them into the joined list.
    int base = static_cast<int>(sites.size());
    for (const CallSite& s : *local) {
      sites.push_back(s);
      if (s.load_site >= 0) sites.back().load_site += base;
      if (s.optimizer_site >= 0) sites.back().optimizer_site += base;
    }
  }
  return sites;
}

std::vector<CallSite> ExtractCallSites(const ModuleIndex& index) {
  std::vector<std::vector<CallSite>> per_file;
  std::vector<const std::vector<CallSite>*> parts;
  per_file.reserve(index.files().size());
  for (const auto& file : index.files()) {
    if (!file) continue;
    per_file.push_back(ExtractFileCallSites(index, *file));
    parts.push_back(&per_file.back());
  }
  return ConcatCallSites(parts);
}

}  // namespace ptlint
