// Call-site extraction, call recognition (see call_sites_extractor.h): which
// calls are torch.load / torch.jit.load / torch.save / load_state_dict /
// add_safe_globals / torch.optim sites (resolved through the module index),
// their arguments, what they load into, and Lightning's loads
// (load_from_checkpoint, Trainer ckpt_path) as the sites they stand for.
#include <cctype>
#include <cstring>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

Extractor::Args Extractor::SplitArgs(TSNode args) {
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

TSNode Extractor::Arg(const Args& a, size_t pos, const char* keyword) {
  if (pos < a.positional.size()) return a.positional[pos];
  return a.Keyword(keyword);
}

CallSite Extractor::NewSite(CallKind kind, TSNode call, const std::string& function) {
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

Value Extractor::Call(TSNode call, Env& env, const std::string& function, int depth) {
  Value v;
  TSNode callee = Field(call, "function");
  TSNode arg_list = Field(call, "arguments");
  Args args = SplitArgs(arg_list);
  std::string callee_text = IsNull(callee) ? "" : Text(callee);
  bool object_done = false;  // the callee's object was walked already (no call recorded twice)

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
      if (it != env.end() && it->second.kind == Value::kOptimizer)
        s.optimizer_site = it->second.optimizer_site;
      TSNode arg = Arg(args, 0, "state_dict");
      if (!IsNull(arg)) {
        s.argument_text = Text(arg).substr(0, 200);
        size_t before = out_.size();
        Value a = Expr(arg, env, function, depth + 1);
        if (a.kind == Value::kLoad) {
          s.load_site = a.load_site;
          s.keys = a.keys;
          s.key_rewrites = a.key_rewrites;
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
    // `Net().to(device)`, `model.cuda().eval()`: nn.Module's own methods
    // that return the module keep the instance's class.
    static const char* kReturnsSelf[] = {"to",     "cuda", "cpu",    "eval",     "train",
                                         "float",  "half", "double", "bfloat16", "requires_grad_",
                                         "share_memory", "xpu", "to_empty"};
    bool returns_self = false;
    for (const char* m : kReturnsSelf) returns_self |= method == m;
    // `cfg.get("ckpt")` on a config dict (looked up without evaluating twice).
    bool dict_get = false;
    if (method == "get" && (IsType(object, "identifier") || IsType(object, "attribute"))) {
      auto bound = env.find(receiver);
      if (bound != env.end()) {
        dict_get = bound->second.kind == Value::kDict;
      } else if (IsType(object, "identifier")) {
        dict_get = Constant(receiver, depth + 1).kind == Value::kDict;
      }
    }
    Value base;
    if (returns_self || method == "parse_args" || dict_get) {
      base = Expr(object, env, function, depth + 1);
      object_done = true;
    }
    // Anything else (`trainer.train()` of a project module, a tensor's
    // `.to()`) goes on as an ordinary call, its object already walked.
    bool chain = returns_self && (base.kind == Value::kInstance || base.kind == Value::kFactoryResult ||
                                  (base.kind == Value::kLoad && IsType(object, "call")));
    if (chain || method == "parse_args" || dict_get) {
      std::vector<Value> arg_values;
      for (TSNode a : args.positional) arg_values.push_back(Expr(a, env, function, depth + 1));
      for (const auto& kw : args.keywords) Expr(kw.second, env, function, depth + 1);
      if (returns_self && (base.kind == Value::kInstance || base.kind == Value::kFactoryResult)) return base;
      if (returns_self && base.kind == Value::kLoad && base.keys.empty()) {
        // `torch.load(p).eval()`: only methods a tensor lacks (a loaded
        // tensor has `.to()` and `.cuda()` too).
        static const char* kModuleOnly[] = {"eval", "train"};
        for (const char* m : kModuleOnly) {
          if (method == m) MarkUsedAsModule(base.load_site, call);
        }
      }
      if (method == "parse_args") v.kind = Value::kArgs;  // argparse's Namespace
      if (dict_get && base.kind == Value::kDict && !args.positional.empty()) {
        // `cfg.get("ckpt", default)`: the entry, or the default when absent.
        std::string key;
        if (StringLiteralValue(file_.parsed, args.positional[0], &key)) {
          Value entry = DictEntry(base, key);
          if (entry.kind != Value::kNone) return entry;
          if (arg_values.size() > 1 && arg_values[1].kind == Value::kPath &&
              base.dict_paths.empty()) {
            return arg_values[1];
          }
        }
      }
      return v;
    }
    // `sd.pop(k)`, `ckpt.update(...)`, `ckpt["model"].clear()`: a followed
    // load changed in place. `sd = ckpt.pop("model")` / `ckpt.get("model")`
    // read the entry as `ckpt["model"]` does.
    static const char* kMutators[] = {"pop", "popitem", "update", "clear", "setdefault", "__setitem__",
                                      "__delitem__"};
    bool mutator = false;
    for (const char* m : kMutators) mutator |= method == m;
    if (mutator || method == "get") {
      std::string key;
      if (!args.positional.empty() && method != "update" && method != "popitem" && method != "clear" &&
          !StringLiteralValue(file_.parsed, args.positional[0], &key)) {
        key.clear();
      }
      if (mutator) MarkChangedInPlace(object, key, call, env);
      if (mutator && IsType(object, "identifier")) {
        auto bound = env.find(receiver);
        if (bound != env.end() && bound->second.kind == Value::kDict) {
          bound->second.empty = false;
          bound->second.stored_into = true;
        }
      }
      if ((method == "pop" || method == "get") && !key.empty() && IsType(object, "identifier")) {
        auto bound = env.find(receiver);
        if (bound != env.end() && bound->second.kind == Value::kLoad) {
          Value entry = bound->second;
          if (mutator) entry.key_rewrites.pop_back();  // the pop itself: the entry leaves, unchanged
          SubscriptLoad(entry, key);
          for (TSNode a : args.positional) Expr(a, env, function, depth + 1);
          return entry;
        }
      }
    }
    auto it = env.find(receiver);
    if (it != env.end() && it->second.kind == Value::kLoad && it->second.keys.empty()) {
      static const char* kModuleMethods[] = {
          "eval",          "train",    "to",         "cuda",
          "cpu",           "forward",  "parameters", "named_parameters",
          "modules",       "children", "half",       "float",
          "requires_grad_"};
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

  Symbol sym =
      callee_text.empty() ? Symbol{} : index_.ResolveName(file_.info.module_name, callee_text);
  std::string q = sym.qualified_name;
  if (q == "torch.nn.modules.utils.consume_prefix_in_state_dict_if_present" ||
      q == "consume_prefix_in_state_dict_if_present") {
    // In place: every key starting with the prefix loses it (and the
    // `_metadata` entries with it), as DDP users strip `module.`.
    TSNode target = Arg(args, 0, "state_dict");
    TSNode prefix = Arg(args, 1, "prefix");
    std::string literal;
    if (!IsNull(target)) {
      if (!IsNull(prefix) && StringLiteralValue(file_.parsed, prefix, &literal)) {
        LoadKeyRewrite r;
        r.kind = LoadKeyRewrite::Kind::kPrefix;
        r.from = literal;
        r.keeps_metadata = true;
        RecordInPlaceRewrite(target, std::move(r), call, env);
      } else {
        MarkChangedInPlace(target, "", call, env);
      }
    }
    for (TSNode a : args.positional) Expr(a, env, function, depth + 1);
    for (const auto& kw : args.keywords) Expr(kw.second, env, function, depth + 1);
    return v;
  }
  if (q == "torch.load" || q == "torch.serialization.load" || q == "torch.jit.load") {
    CallSite s =
        NewSite(q == "torch.jit.load" ? CallKind::kJitLoad : CallKind::kTorchLoad, call, function);
    TSNode f = Arg(args, 0, "f");
    if (!IsNull(f)) {
      Value p = Expr(f, env, function, depth + 1);
      if (p.kind == Value::kPath) s.checkpoint = SitePath(p.path);
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
    for (size_t i = 1; i < args.positional.size(); ++i)
      Expr(args.positional[i], env, function, depth + 1);
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
      // A list as written, or a name bound to one (`allowed = [...]`, a
      // module constant, an imported one).
      Value g = Expr(list, env, function, depth + 1);
      if (g.kind == Value::kGlobals) s.safe_globals = g.names;
    }
    out_.push_back(std::move(s));
    return v;
  }
  if (IsOptimizerClass(q)) return Optimizer(q, call, args, env, function, depth + 1);
  if ((q == "os.environ.get" || q == "os.getenv") && args.positional.size() == 2) {
    // `os.environ.get("CKPT", "ckpt/x.pt")`: the documented default, as for argparse.
    Expr(args.positional[0], env, function, depth + 1);
    Value fallback = Expr(args.positional[1], env, function, depth + 1);
    if (fallback.kind == Value::kPath) return fallback;
    return v;
  }
  if (callee_text == "dict" && args.positional.empty() && sym.kind != Symbol::Kind::kClass &&
      sym.kind != Symbol::Kind::kFunction) {
    v.kind = Value::kDict;  // `dict(ckpt="ckpt/x.pt")`
    v.empty = args.keywords.empty();
    for (const auto& [name, node] : args.keywords) {
      AddDictEntry(v, name, Expr(node, env, function, depth + 1));
    }
    return v;
  }
  if ((q == "collections.OrderedDict" || q == "typing.OrderedDict") && args.positional.empty() &&
      args.keywords.empty()) {
    v.kind = Value::kDict;  // `new_sd = OrderedDict()`, filled by a loop over a load
    v.empty = true;
    return v;
  }
  if (q == "os.path.join" || q == "pathlib.Path" || q == "pathlib.PurePath" ||
      q == "posixpath.join") {
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
    v.ctor_args = LiteralArgs(args, &env);
  } else if (sym.kind == Symbol::Kind::kClass && sym.cls != nullptr) {
    // A config object (`cfg = GPTConfig(n_layer=4)`), kept only when all its
    // arguments are literals.
    if (auto config = Literal(call)) {
      v.kind = Value::kConfigObject;
      v.config = std::move(*config);
    } else if (args.positional.size() == 1 && args.keywords.empty() &&
               IsType(args.positional[0], "dictionary_splat")) {
      // `GPTConfig(**checkpoint["model_args"])` of a followed load: the
      // config is that entry of the file, filled in when the file is known
      // (project_analysis: ExpandCheckpointConfigs).
      TSNode entry = ts_node_named_child(args.positional[0], 0);
      std::string key;
      if (!IsNull(entry) && IsType(entry, "subscript") && IsType(Field(entry, "value"), "identifier") &&
          IsType(Field(entry, "subscript"), "string") &&
          StringLiteralValue(file_.parsed, Field(entry, "subscript"), &key)) {
        auto bound = env.find(Text(Field(entry, "value")));
        if (bound != env.end() && bound->second.kind == Value::kLoad && bound->second.keys.empty()) {
          v.kind = Value::kConfigObject;
          v.config = nlohmann::json::object();
          v.config["$class"] = sym.cls->qualified_name;
          v.config["$checkpoint_entry"] = key;
        }
      }
    }
  } else if (sym.kind == Symbol::Kind::kExternal && !BuiltinModuleName(q).empty()) {
    v.kind = Value::kInstance;
    v.cls = q;
    v.cls_position = PositionOf(call);
  } else if (sym.kind == Symbol::Kind::kFunction && index_.FindFunction(q) != nullptr) {
    v.kind = Value::kFactoryResult;
    v.cls = q;
    v.cls_position = PositionOf(call);
    v.ctor_args = LiteralArgs(args, &env);
  }
  // Calls inside the arguments (nested torch.load, state_dict(), ...); their
  // values feed the callee's parameters when it is defined in this file.
  ArgValues passed;
  for (TSNode a : args.positional) {
    if (IsType(a, "list_splat") || IsType(a, "dictionary_splat")) passed.star = true;
    passed.positional.push_back(Expr(a, env, function, depth + 1));
  }
  for (const auto& kw : args.keywords) passed.keywords[kw.first] = Expr(kw.second, env, function, depth + 1);
  // A followed load handed to a project function (`strip_module(sd)`), a
  // function defined in the enclosing one (`fix(sd)`) or a method
  // (`self.strip(sd)`, `Trainer.clean(sd)`); a function of this file that
  // returns a load it made (`load_weights("ckpt/x.pt")`) is that load.
  std::optional<Value> through;
  bool load_passed = false;
  for (const Value& p : passed.positional) load_passed |= p.kind == Value::kLoad;
  for (const auto& [name, p] : passed.keywords) load_passed |= p.kind == Value::kLoad;
  LocalCallee local;
  if (!IsNull(callee) && (load_passed || !returned_loads_.empty()) &&
      (IsType(callee, "attribute") || (IsType(callee, "identifier") && v.kind != Value::kInstance))) {
    local = ResolveLocalCallee(call, callee, env);
  }
  std::string returns_of;  // the callee's scope name, when it is defined in this file
  if (local.kind == LocalCallee::kFound) {
    v = Value{};  // not the module-level function of that name, if any
    through = LoadThroughFunction(call, &local.fn, local.skip, args, passed, env, depth + 1);
    if (local.fn.path == file_.info.path) returns_of = local.fn.name;
  } else if (local.kind == LocalCallee::kUnknown) {
    v = Value{};
    through = LoadThroughFunction(call, nullptr, 0, args, passed, env, depth + 1);
  } else if (v.kind == Value::kFactoryResult && !(IsType(callee, "identifier") && env.count(callee_text) != 0)) {
    // (A local name of the function's name, `fix = lambda sd: ...`, shadows it.)
    const FunctionInfo* fn = index_.FindFunction(q);
    if (fn != nullptr) {
      through = LoadThroughFunction(call, fn, 0, args, passed, env, depth + 1);
      if (fn->path == file_.info.path) returns_of = fn->name;
    }
  }
  if (auto made = returned_loads_.find(returns_of); !returns_of.empty() && made != returned_loads_.end()) {
    through = made->second;
  }
  // A loading helper of another project module (call_sites_imported.cc);
  // inside one, a helper of its own module too (no walk of that module
  // seeds its parameters from this call).
  if (!through && !load_passed && !passed.star && local.kind == LocalCallee::kNone && !IsNull(callee) &&
      sym.kind == Symbol::Kind::kFunction && sym.function != nullptr &&
      (sym.function->path != file_.info.path || !inline_chain_.empty())) {
    if (auto pinned = PinImportedFunction(call, callee, sym, env)) {
      through = InlineImportedHelper(call, *pinned, passed, function, depth + 1);
    }
  }
  if (recording_ && !IsNull(callee)) RecordCall(callee, std::move(passed), function);
  if (!IsNull(callee) && IsType(callee, "attribute") && !object_done)
    Expr(Field(callee, "object"), env, function, depth + 1);
  if (through) return *through;
  return v;
}

// Lightning's `trainer.fit(model, ..., ckpt_path=p)` (and validate / test /
// predict): the Trainer loads p and restores ckpt["state_dict"] into the
// model the call passes, strictly, as the user built it (no
// hyper_parameters). Recorded when that model is a followed Module
// instance; otherwise nothing is known and nothing is recorded.
std::optional<Value> Extractor::LightningResume(TSNode call, const Args& args, Env& env,
                                                const std::string& function, int depth) {
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
  PushLightningSites(call, function, SitePath(p.path), std::move(restore));
  return Value{};
}

// Lightning's `Cls.load_from_checkpoint(checkpoint_path, map_location=None,
// hparams_file=None, strict=None, **overrides)`: the torch.load of the file,
// then Cls(**hyper_parameters, **overrides).load_state_dict(
// checkpoint["state_dict"], strict=strict). The value is a Cls instance.
Value Extractor::LightningLoad(TSNode call, const Args& args, const ClassInfo& cls, Env& env,
                               const std::string& function, int depth) {
  PathExpr path;
  if (TSNode arg = Arg(args, 0, "checkpoint_path"); !IsNull(arg)) {
    Value p = Expr(arg, env, function, depth + 1);
    if (p.kind == Value::kPath) path = SitePath(p.path);
  }
  std::map<std::string, nlohmann::json> overrides = LiteralArgs(args);
  for (const char* own : {"0", "1", "2", "3", "checkpoint_path", "map_location", "hparams_file",
                          "strict", "weights_only"}) {
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

  for (size_t i = 1; i < args.positional.size(); ++i)
    Expr(args.positional[i], env, function, depth + 1);
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
void Extractor::PushLightningSites(TSNode call, const std::string& function, const PathExpr& path,
                                   CallSite restore) {
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
bool Extractor::IsOptimizerClass(const std::string& q) {
  if (q.rfind("torch.optim.", 0) != 0) return false;
  if (q.find(".lr_scheduler") != std::string::npos || q.find(".swa_utils") != std::string::npos)
    return false;
  size_t dot = q.rfind('.');
  std::string last = q.substr(dot + 1);
  return !last.empty() && std::isupper(static_cast<unsigned char>(last[0])) && last != "Optimizer";
}

// The receiver of `X.parameters()` (also through `list(...)` / `tuple(...)`),
// or "" when the expression is something else.
std::string Extractor::ParametersSource(TSNode e, int depth) {
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

Value Extractor::Optimizer(const std::string& q, TSNode call, const Args& args, Env& env,
                           const std::string& function, int depth) {
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
              StringLiteralValue(file_.parsed, Field(pair, "key"), &key) && key == "params") {
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
    if (source.empty() || found == env.end() ||
        (!s.params_variable.empty() && s.params_variable != root)) {
      s.groups_known = false;
      break;
    }
    if (s.params_variable.empty()) {
      s.params_variable = root;
      s.params_class = found->second.cls;
      s.params_args = found->second.ctor_args;
    }
    s.group_prefixes.push_back(source.size() == root.size() ? ""
                                                            : source.substr(root.size() + 1) + ".");
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

void Extractor::MarkUsedAsModule(int site, TSNode at) {
  if (site < 0 || site >= static_cast<int>(out_.size())) return;
  CallSite& s = out_[static_cast<size_t>(site)];
  if (!s.result_used_as_module) {
    s.result_used_as_module = true;
    s.used_as_module_at = PositionOf(at);
  }
}

}  // namespace call_site_extraction
}  // namespace ptlint
