// Call-site extraction, key rewrites (see load_key_rewrite.h): which dict
// comprehensions on a loaded state dict ptlint understands. Each shape is
// matched whole; anything else in it (a second `for`, a value other than
// `v`, a condition other than k.startswith) means "not understood". The same
// shapes are followed into a project function the load is passed to
// (`sd = strip_module(sd)`): LoadThroughFunction, at the end.
#include <algorithm>
#include <cctype>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

namespace {

TSNode Unparenthesized(TSNode n) {
  while (!ts_node_is_null(n) && IsType(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1) {
    n = ts_node_named_child(n, 0);
  }
  return n;
}

std::string WithoutSpaces(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; }), s.end());
  return s;
}

}  // namespace

std::optional<LoadKeyRewrite> Extractor::KeyRewriteOf(TSNode comprehension, TSNode* iterable) {
  // {KEY: v for k, v in X.items() [if COND]}
  TSNode pair{}, for_in{}, if_clause{};
  uint32_t n = ts_node_named_child_count(comprehension);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(comprehension, i);
    if (IsType(c, "comment")) continue;
    TSNode* slot = IsType(c, "pair") ? &pair : IsType(c, "for_in_clause") ? &for_in : IsType(c, "if_clause") ? &if_clause : nullptr;
    if (slot == nullptr || !ts_node_is_null(*slot)) return std::nullopt;  // an unknown part, or a second one
    *slot = c;
  }
  if (ts_node_is_null(pair) || ts_node_is_null(for_in)) return std::nullopt;
  std::string k, v;
  if (!ItemsLoop(Field(for_in, "left"), Field(for_in, "right"), &k, &v, iterable)) return std::nullopt;
  if (WithoutSpaces(Text(Field(pair, "value"))) != v) return std::nullopt;
  std::optional<LoadKeyRewrite> rewrite = KeyExpressionRewrite(Unparenthesized(Field(pair, "key")), k);
  if (!rewrite) return std::nullopt;
  if (!ts_node_is_null(if_clause)) {
    if (ts_node_named_child_count(if_clause) != 1) return std::nullopt;
    TSNode cond = Unparenthesized(ts_node_named_child(if_clause, 0));
    rewrite->has_filter = true;
    rewrite->keep_if_starts = true;
    if (IsType(cond, "not_operator")) {
      rewrite->keep_if_starts = false;
      cond = Field(cond, "argument");
    }
    if (!KeyMethodLiteral(cond, k, "startswith", &rewrite->filter_prefix)) return std::nullopt;
  }
  return rewrite;
}

// `k, v in X.items()`: k, v and X.
bool Extractor::ItemsLoop(TSNode left, TSNode right, std::string* k, std::string* v, TSNode* iterable) {
  if (IsNull(left) || IsNull(right) || ts_node_named_child_count(left) != 2) return false;
  TSNode k_node = ts_node_named_child(left, 0), v_node = ts_node_named_child(left, 1);
  if (!IsType(k_node, "identifier") || !IsType(v_node, "identifier")) return false;
  *k = Text(k_node);
  *v = Text(v_node);
  right = Unparenthesized(right);
  if (!IsType(right, "call")) return false;
  TSNode items = Field(right, "function");
  TSNode items_args = Field(right, "arguments");
  if (IsNull(items) || !IsType(items, "attribute") || Text(Field(items, "attribute")) != "items" ||
      IsNull(items_args) || ts_node_named_child_count(items_args) != 0) {
    return false;
  }
  *iterable = Field(items, "object");
  return true;
}

// `k.METHOD("literal")` -> the literal.
bool Extractor::KeyMethodLiteral(TSNode call, const std::string& k, const char* method, std::string* literal) {
  call = Unparenthesized(call);
  if (IsNull(call) || !IsType(call, "call")) return false;
  TSNode f = Field(call, "function");
  if (IsNull(f) || !IsType(f, "attribute") || Text(Field(f, "object")) != k ||
      Text(Field(f, "attribute")) != method) {
    return false;
  }
  Args a = SplitArgs(Field(call, "arguments"));
  return a.positional.size() == 1 && a.keywords.empty() &&
         StringLiteralValue(file_.parsed, Unparenthesized(a.positional[0]), literal);
}

// What KEY, an expression of the key variable `k`, makes of every key.
std::optional<LoadKeyRewrite> Extractor::KeyExpressionRewrite(TSNode key, const std::string& k) {
  auto string_arg = [&](TSNode s, std::string* out) {
    return !IsNull(s) && StringLiteralValue(file_.parsed, Unparenthesized(s), out);
  };
  auto k_method = [&](TSNode call, const char* method, std::string* literal) {
    return KeyMethodLiteral(call, k, method, literal);
  };
  auto is_k = [&](TSNode e) { return WithoutSpaces(Text(Unparenthesized(e))) == k; };
  // A plain decimal literal of at most 6 digits (no sign, no `_`, no hex).
  auto small_int = [&](TSNode e, size_t* out) {
    const std::string digits = IsType(e, "integer") ? Text(e) : std::string();
    if (digits.empty() || digits.size() > 6 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return false;
    }
    *out = std::stoul(digits);
    return true;
  };
  // `k[N:]` or `k[len("literal"):]` -> N (the characters every key loses).
  auto k_slice = [&](TSNode e, size_t* skip) {
    e = Unparenthesized(e);
    if (IsNull(e) || !IsType(e, "subscript") || !is_k(Field(e, "value"))) return false;
    TSNode slice = Field(e, "subscript");
    if (IsNull(slice) || !IsType(slice, "slice") || ts_node_named_child_count(slice) != 1) return false;
    TSNode start = ts_node_named_child(slice, 0);
    if (WithoutSpaces(Text(slice)) != WithoutSpaces(Text(start)) + ":") return false;  // `k[:N]`, `k[a:b]`
    if (IsType(start, "integer")) return small_int(start, skip);
    if (!IsType(start, "call") || Text(Field(start, "function")) != "len") return false;
    Args a = SplitArgs(Field(start, "arguments"));
    std::string literal;
    if (a.positional.size() != 1 || !a.keywords.empty() || !string_arg(a.positional[0], &literal)) return false;
    // Python's len counts code points; only ASCII makes that the byte count.
    if (!std::all_of(literal.begin(), literal.end(), [](unsigned char c) { return c < 0x80; })) return false;
    *skip = literal.size();
    return true;
  };
  auto k_after = [&](TSNode e, size_t skip) {
    size_t n = 0;
    return k_slice(e, &n) && n == skip;
  };

  LoadKeyRewrite rewrite;
  std::string a_literal, b_literal;
  if (is_k(key)) {
    rewrite.kind = LoadKeyRewrite::Kind::kIdentity;
  } else if (IsType(key, "call") && WithoutSpaces(Text(Field(key, "function"))) == "re.sub") {
    Args a = SplitArgs(Field(key, "arguments"));
    if (a.positional.size() != 3 || !a.keywords.empty() || !string_arg(a.positional[0], &a_literal) ||
        !string_arg(a.positional[1], &b_literal) || !is_k(a.positional[2])) {
      return std::nullopt;
    }
    auto regex = MakeRegexRewrite(a_literal, b_literal);
    if (!regex) return std::nullopt;
    rewrite = std::move(*regex);
  } else if (size_t skip = 0; k_slice(key, &skip)) {
    // {k[len("module."):]: v ...}: every key loses its first characters,
    // whatever they are (Python's slice; a key shorter than that becomes "").
    rewrite.kind = LoadKeyRewrite::Kind::kDropChars;
    rewrite.drop_chars = skip;
  } else if (IsType(key, "call") && IsType(Field(key, "function"), "attribute") &&
             Text(Field(Field(key, "function"), "object")) == k &&
             Text(Field(Field(key, "function"), "attribute")) == "replace") {
    // k.replace("module.", "") / k.replace(OLD, NEW, 1): Python's str.replace.
    Args a = SplitArgs(Field(key, "arguments"));
    if (a.positional.size() < 2 || a.positional.size() > 3 || !a.keywords.empty() ||
        !string_arg(a.positional[0], &a_literal) || !string_arg(a.positional[1], &b_literal) || a_literal.empty()) {
      return std::nullopt;
    }
    rewrite.kind = LoadKeyRewrite::Kind::kReplace;
    rewrite.from = a_literal;
    rewrite.to = b_literal;
    if (a.positional.size() == 3) {
      size_t count = 0;
      if (!small_int(Unparenthesized(a.positional[2]), &count)) return std::nullopt;  // computed or negative
      rewrite.replace_count = static_cast<int64_t>(count);
    }
  } else if (k_method(key, "removeprefix", &a_literal)) {
    rewrite.kind = LoadKeyRewrite::Kind::kPrefix;
    rewrite.from = a_literal;
  } else if (IsType(key, "binary_operator") && Text(Field(key, "operator")) == "+" &&
             string_arg(Field(key, "left"), &a_literal) && is_k(Field(key, "right"))) {
    rewrite.kind = LoadKeyRewrite::Kind::kPrefix;  // "backbone." + k
    rewrite.to = a_literal;
  } else if (IsType(key, "conditional_expression") && ts_node_named_child_count(key) == 3) {
    // (NEW + k[len(OLD):] if k.startswith(OLD) else k)
    TSNode then = Unparenthesized(ts_node_named_child(key, 0));
    TSNode cond = ts_node_named_child(key, 1);
    TSNode otherwise = ts_node_named_child(key, 2);
    if (!is_k(otherwise) || !k_method(cond, "startswith", &a_literal)) return std::nullopt;
    rewrite.kind = LoadKeyRewrite::Kind::kPrefix;
    rewrite.from = a_literal;
    if (k_after(then, a_literal.size())) {
      rewrite.to = "";
    } else if (IsType(then, "binary_operator") && Text(Field(then, "operator")) == "+" &&
               string_arg(Field(then, "left"), &b_literal) && k_after(Field(then, "right"), a_literal.size())) {
      rewrite.to = b_literal;
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  return rewrite;
}

// The loop every DataParallel answer on the forums writes:
//   new_sd = OrderedDict()            (or {} / dict())
//   for k, v in sd.items():
//       name = k[7:]                  (any number of such names, or none)
//       new_sd[name] = v              (or new_sd[KEY(k)] = v)
// new_sd is then sd's load with every key rewritten by KEY (load_key_rewrite.h
// shapes). Anything else in the body, an `else`, or a target that is not an
// empty dict: not this loop.
std::optional<std::pair<std::string, Value>> Extractor::LoopIntoNewDict(TSNode loop, const Env& env) {
  if (!IsNull(Field(loop, "alternative"))) return std::nullopt;
  std::string k, v;
  TSNode iterable{};
  if (!ItemsLoop(Field(loop, "left"), Field(loop, "right"), &k, &v, &iterable)) return std::nullopt;
  // The source: a followed load, by name or a literal entry of one.
  std::vector<std::string> entry_keys;
  bool literal = true;
  iterable = StringSubscriptChain(iterable, &entry_keys, &literal);
  if (!literal || !IsType(iterable, "identifier")) return std::nullopt;
  auto src = env.find(Text(iterable));
  if (src == env.end() || src->second.kind != Value::kLoad) return std::nullopt;
  Value loaded = src->second;
  for (const std::string& key : entry_keys) SubscriptLoad(loaded, key);

  TSNode body = Field(loop, "body");
  if (IsNull(body)) return std::nullopt;
  std::map<std::string, TSNode> names;  // `name = k[7:]` in the body
  std::string target;
  TSNode target_key{};
  uint32_t n = ts_node_named_child_count(body);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode st = ts_node_named_child(body, i);
    if (IsType(st, "comment")) continue;
    if (!target.empty()) return std::nullopt;  // the store must come last
    if (!IsType(st, "expression_statement") || ts_node_named_child_count(st) != 1) return std::nullopt;
    TSNode a = ts_node_named_child(st, 0);
    if (!IsType(a, "assignment")) return std::nullopt;
    TSNode left = Field(a, "left"), right = Field(a, "right");
    if (IsNull(left) || IsNull(right) || !IsNull(Field(a, "type"))) return std::nullopt;
    if (IsType(left, "identifier")) {
      if (Text(left) == k || Text(left) == v) return std::nullopt;  // rebinds the loop variables
      names[Text(left)] = Unparenthesized(right);
      continue;
    }
    if (!IsType(left, "subscript") || !IsType(Field(left, "value"), "identifier") ||
        WithoutSpaces(Text(right)) != v) {
      return std::nullopt;
    }
    target = Text(Field(left, "value"));
    target_key = Unparenthesized(Field(left, "subscript"));
  }
  if (target.empty() || IsNull(target_key)) return std::nullopt;
  auto dst = env.find(target);
  if (dst == env.end() || dst->second.kind != Value::kDict || !dst->second.empty) return std::nullopt;
  if (IsType(target_key, "identifier")) {
    auto named = names.find(Text(target_key));
    if (named != names.end()) target_key = named->second;
  }
  std::optional<LoadKeyRewrite> rewrite = KeyExpressionRewrite(target_key, k);
  if (!rewrite) return std::nullopt;
  loaded.key_rewrites.push_back(std::move(*rewrite));
  return std::make_pair(target, std::move(loaded));
}

// `X["a"]["b"]`, parenthesized anywhere: X, and the keys from X down in
// `keys` ("a", "b"). A subscript that is not a string literal (`X[name]`)
// gives "" and clears `*all_literal` (when given): callers differ on whether
// an entry they cannot name is "any entry" or "not followed".
TSNode Extractor::StringSubscriptChain(TSNode e, std::vector<std::string>* keys, bool* all_literal) {
  e = Unparenthesized(e);
  while (IsType(e, "subscript")) {
    std::string key;
    TSNode sub = Field(e, "subscript");
    if (IsNull(sub) || !IsType(sub, "string") || !StringLiteralValue(file_.parsed, sub, &key)) {
      key.clear();
      if (all_literal != nullptr) *all_literal = false;
    }
    keys->insert(keys->begin(), key);
    e = Unparenthesized(Field(e, "value"));
  }
  return e;
}

// A subscript of a followed load: one level down, and the rewrites recorded
// for that entry become the entry's own (load_key_rewrite.h `entry`).
void Extractor::SubscriptLoad(Value& load, const std::string& key) {
  const size_t depth = load.keys.size();
  std::vector<LoadKeyRewrite> kept;
  for (LoadKeyRewrite& r : load.key_rewrites) {
    if (!r.entry.empty() && r.entry_depth == depth) {
      if (r.entry != key) continue;  // another entry's: not this one
      r.entry.clear();
    }
    kept.push_back(std::move(r));
  }
  load.key_rewrites = std::move(kept);
  load.keys.push_back(key);
}

// `X` (a followed load, or a literal entry of one) changed in place by code
// ptlint does not follow: what load_state_dict receives from it is unknown.
// `entry`: the literal key it changes (`X.pop("optimizer")`), "" for any.
void Extractor::MarkChangedInPlace(TSNode target, const std::string& entry, TSNode where, Env& env) {
  LoadKeyRewrite r;
  r.kind = LoadKeyRewrite::Kind::kUnfollowed;
  r.entry = entry;
  RecordInPlaceRewrite(target, std::move(r), where, env);
}

void Extractor::RecordInPlaceRewrite(TSNode target, LoadKeyRewrite rewrite, TSNode where, Env& env) {
  std::vector<std::string> path;  // "" : an entry ptlint cannot name
  target = StringSubscriptChain(target, &path, nullptr);
  if (!IsType(target, "identifier")) return;
  auto it = env.find(Text(target));
  if (it == env.end() || it->second.kind != Value::kLoad) return;
  Value& load = it->second;
  if (rewrite.unfollowed_what.empty()) {
    std::string text = Text(where);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    rewrite.unfollowed_what = "`" + text + "` at " + file_.info.path + ":" + std::to_string(PositionOf(where).line);
  }
  // Changed inside an entry of the variable (`X["model"]`): recorded for that
  // entry. A rewrite of exactly that entry stays what it is; a change deeper
  // down, or in an entry ptlint cannot name (`X[name]`, "" = any), is unfollowed.
  if (!path.empty()) {
    const bool exact = path.size() == 1 && !path[0].empty() && rewrite.entry.empty();
    if (!exact) rewrite.kind = LoadKeyRewrite::Kind::kUnfollowed;
    rewrite.entry = path[0];
  }
  rewrite.entry_depth = load.keys.size();
  if (load.load_site == kParameterLoad && stand_in_changes_ != nullptr) {
    // A function's parameter changed in place: kept relative to the
    // parameter, as RecordInPlaceRewrite would record it on the argument.
    LoadKeyRewrite relative = rewrite;
    if (!load.keys.empty()) {
      const bool exact = load.keys.size() == 1 && rewrite.entry.empty();
      if (!exact) relative.kind = LoadKeyRewrite::Kind::kUnfollowed;
      relative.entry = load.keys[0];
    }
    relative.entry_depth = 0;
    stand_in_changes_->push_back(std::move(relative));
  }
  load.key_rewrites.push_back(std::move(rewrite));
}

namespace {

constexpr int kMaxEffectNesting = 4;  // functions handing the load on to functions, followed

bool SameRewrite(const LoadKeyRewrite& a, const LoadKeyRewrite& b) {
  return a.kind == b.kind && a.from == b.from && a.to == b.to && a.pattern == b.pattern &&
         a.replacement == b.replacement && a.drop_chars == b.drop_chars && a.has_filter == b.has_filter &&
         a.keep_if_starts == b.keep_if_starts && a.filter_prefix == b.filter_prefix && a.entry == b.entry &&
         a.entry_depth == b.entry_depth && a.replace_count == b.replace_count;
}

}  // namespace

bool SameLoad(const Value& a, const Value& b) {
  if (a.keys != b.keys || a.key_rewrites.size() != b.key_rewrites.size()) return false;
  for (size_t i = 0; i < a.key_rewrites.size(); ++i) {
    if (!SameRewrite(a.key_rewrites[i], b.key_rewrites[i])) return false;
  }
  return true;
}

// (call_sites_extractor.h) The call does not return what the body returns: a generator (`yield`
// anywhere in the body but in a nested def, class or lambda), or a coroutine.
bool ReturnsAnotherObject(TSNode def) {
  TSNode first = ts_node_child(def, 0);
  if (!ts_node_is_null(first) && IsType(first, "async")) return true;
  std::vector<TSNode> stack{Field(def, "body")};
  while (!stack.empty()) {
    TSNode n = stack.back();
    stack.pop_back();
    if (ts_node_is_null(n)) continue;
    if (IsType(n, "yield")) return true;
    if (IsType(n, "function_definition") || IsType(n, "class_definition") || IsType(n, "lambda")) continue;
    uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < count; ++i) stack.push_back(ts_node_named_child(n, i));
  }
  return false;
}

// What `fn`'s body does to its parameter `param` when a followed load is
// passed to it, walked once with `param` bound to a stand-in load; nullopt
// when ptlint cannot say (the body is being walked already, or too long a
// chain of functions handing the load on).
std::optional<Extractor::ParameterEffect> Extractor::EffectOn(const FunctionInfo& fn, const std::string& param,
                                                              int depth) {
  if (effects_ == nullptr || depth > kMaxDepth) return std::nullopt;
  const std::string key = fn.qualified_name + kKeySep + param;
  if (auto known = effects_->find(key); known != effects_->end()) return known->second;
  if (effect_nesting_ >= kMaxEffectNesting) return std::nullopt;
  const IndexedFile* file = index_.FindFile(fn.path);
  TSNode body = IsNull(fn.node) ? TSNode{} : Field(fn.node, "body");
  if (file == nullptr || IsNull(body)) return std::nullopt;
  (*effects_)[key] = std::nullopt;  // a recursive call meets "cannot say"

  ParameterEffect effect;
  std::vector<std::pair<TSNode, Value>> returns;
  std::vector<CallSite> discarded;  // the body's own sites are recorded by its file's walk
  Extractor walk(index_, *file, discarded, path_values_);
  walk.recording_ = false;
  walk.effects_ = effects_;
  walk.effect_nesting_ = effect_nesting_ + 1;
  walk.stand_in_changes_ = &effect.in_place;
  walk.returns_ = &returns;
  walk.returns_of_ = fn.name;
  Env env;
  Value stand_in;
  stand_in.kind = Value::kLoad;
  stand_in.load_site = kParameterLoad;
  env[param] = stand_in;
  walk.Block(body, env, fn.name, depth + 1);

  // Every return the stand-in, the same way: the call's value is the load.
  // A dict built from it some other way (`{k.replace(...): v ...}`, a dict
  // filled by a loop ptlint does not follow), or returns that differ: a load
  // changed in code ptlint does not follow. Anything else (None, a module, a
  // dict literal such as `{"model": sd}`, a number): not it.
  bool all_load = !returns.empty(), any_load = false, unknown_dict = false;
  for (const auto& [node, r] : returns) {
    if (r.kind == Value::kLoad && r.load_site == kParameterLoad) {
      if (any_load && !SameLoad(effect.returned, r)) unknown_dict = true;
      if (!any_load) effect.returned = r;
      any_load = true;
      continue;
    }
    all_load = false;
    if ((r.kind == Value::kDict && r.stored_into) ||
        (!IsNull(node) && IsType(Unparenthesized(node), "dictionary_comprehension"))) {
      unknown_dict = true;
    }
  }
  if (unknown_dict || (any_load && !all_load)) {
    effect.returns = ParameterEffect::kUnknownDict;
  } else if (all_load) {
    effect.returns = ParameterEffect::kTheLoad;
  }
  (*effects_)[key] = effect;
  return effect;
}

// `strip_module(sd)`, `sd = fix_keys(ckpt["model"])`: a followed load passed
// to a project function. What the body changes in place is recorded on the
// argument (the note names the call, and what in the body changed it); the
// call's value is the argument's load with the rewrites the body applied
// when the function returns it, nullopt when it does not (the caller keeps
// its own value).
std::optional<Value> Extractor::LoadThroughFunction(TSNode call, const FunctionInfo* fn, size_t skip,
                                                    const Args& args, const ArgValues& passed, Env& env,
                                                    int depth) {
  bool any_load = false;
  for (const Value& p : passed.positional) any_load |= p.kind == Value::kLoad;
  for (const auto& [name, p] : passed.keywords) any_load |= p.kind == Value::kLoad;
  if (!any_load) return std::nullopt;
  std::string text = Text(call);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  const std::string what = "`" + text + "` at " + file_.info.path + ":" + std::to_string(PositionOf(call).line);
  auto noted = [&](LoadKeyRewrite r) {
    if (r.kind == LoadKeyRewrite::Kind::kUnfollowed) {
      r.unfollowed_what = r.unfollowed_what.empty() ? what : what + ", through " + r.unfollowed_what;
    }
    return r;
  };
  // A load the body cannot be followed with (recursion, too long a chain, a
  // splat at the call, *args / **kwargs in the definition): as if the call
  // changed it in place, so drift is not judged on keys ptlint only guessed.
  auto unknown = [&](TSNode node) {
    LoadKeyRewrite r;
    r.kind = LoadKeyRewrite::Kind::kUnfollowed;
    RecordInPlaceRewrite(node, noted(r), call, env);
  };
  std::vector<bool> bound(passed.positional.size(), false);
  std::map<std::string, bool> bound_keywords;
  auto unbound_loads = [&]() {
    for (size_t j = 0; j < passed.positional.size(); ++j) {
      if (!bound[j] && passed.positional[j].kind == Value::kLoad) unknown(args.positional[j]);
    }
    for (const auto& [name, p] : passed.keywords) {
      if (!bound_keywords[name] && p.kind == Value::kLoad) unknown(args.Keyword(name.c_str()));
    }
  };
  if (passed.star) {  // which parameter gets what is not known
    unbound_loads();
    return std::nullopt;
  }
  if (fn == nullptr) {  // a project function whose body is not known to be the one that runs
    unbound_loads();
    return std::nullopt;
  }
  if (IsNull(fn->node)) return std::nullopt;
  const IndexedFile* file = index_.FindFile(fn->path);
  if (file == nullptr) return std::nullopt;
  std::vector<CallSite> unused;
  Extractor reader(index_, *file, unused, path_values_);
  reader.RecordFunction(fn->node, fn->name);
  const FunctionParams params = reader.functions_[fn->name];
  // A bound method whose self/cls is not a positional parameter: which
  // parameter gets what is not known.
  if (skip > params.names.size()) {
    unbound_loads();
    return std::nullopt;
  }

  std::optional<Value> result;
  for (size_t i = skip; i < params.names.size(); ++i) {
    const std::string& name = params.names[i];
    const Value* value = nullptr;
    TSNode node{};
    if (i - skip < passed.positional.size()) {
      value = &passed.positional[i - skip];
      node = args.positional[i - skip];
      bound[i - skip] = true;
    } else if (auto kw = passed.keywords.find(name); kw != passed.keywords.end()) {
      value = &kw->second;
      node = args.Keyword(name.c_str());
      bound_keywords[name] = true;
    }
    if (value == nullptr || value->kind != Value::kLoad || IsNull(node)) continue;
    std::optional<ParameterEffect> effect = EffectOn(*fn, name, depth);
    if (!effect) {
      unknown(node);
      continue;
    }
    for (const LoadKeyRewrite& r : effect->in_place) RecordInPlaceRewrite(node, noted(r), call, env);
    if (effect->returns == ParameterEffect::kNotTheLoad || result) continue;
    Value out = *value;
    if (effect->returns == ParameterEffect::kTheLoad) {
      for (LoadKeyRewrite r : effect->returned.key_rewrites) {
        r.entry_depth += value->keys.size();
        out.key_rewrites.push_back(noted(std::move(r)));
      }
      for (const std::string& k : effect->returned.keys) SubscriptLoad(out, k);
    } else {
      LoadKeyRewrite r;
      r.kind = LoadKeyRewrite::Kind::kUnfollowed;
      r.unfollowed_what = what + ", which returns a dict built from it";
      r.entry_depth = value->keys.size();
      out.key_rewrites.push_back(std::move(r));
    }
    result = std::move(out);
  }
  unbound_loads();
  return result;
}


namespace {

// The innermost function_definition around `n` (class bodies are not
// scopes a nested function's names are looked up in, as in Python).
TSNode EnclosingDef(TSNode n) {
  for (n = ts_node_parent(n); !ts_node_is_null(n); n = ts_node_parent(n)) {
    if (IsType(n, "function_definition")) return n;
  }
  return TSNode{};
}

// `def` as a statement of a block: the decorated_definition holding it, or itself.
TSNode DefinitionStatement(TSNode def) {
  TSNode parent = ts_node_parent(def);
  return !ts_node_is_null(parent) && IsType(parent, "decorated_definition") ? parent : def;
}

// The class_definition whose body holds `def` directly, or null.
TSNode ClassOfMethod(TSNode def) {
  TSNode block = ts_node_parent(DefinitionStatement(def));
  if (ts_node_is_null(block) || !IsType(block, "block")) return TSNode{};
  TSNode cls = ts_node_parent(block);
  return !ts_node_is_null(cls) && IsType(cls, "class_definition") ? cls : TSNode{};
}

// A parameter's name (`x`, `x: T`, `x=1`, `*args`, `**kw`), "" for `*` and `/`.
std::string ParameterName(const ParsedPython& parsed, TSNode p) {
  if (IsType(p, "identifier")) return std::string(parsed.Text(p));
  TSNode name = Field(p, "name");
  if (ts_node_is_null(name) && ts_node_named_child_count(p) > 0) name = ts_node_named_child(p, 0);
  while (!ts_node_is_null(name) && !IsType(name, "identifier") && ts_node_named_child_count(name) > 0) {
    name = ts_node_named_child(name, 0);  // typed_parameter(list_splat_pattern(identifier))
  }
  return !ts_node_is_null(name) && IsType(name, "identifier") ? std::string(parsed.Text(name)) : "";
}

std::vector<std::string> ParameterNames(const ParsedPython& parsed, TSNode def) {
  std::vector<std::string> names;
  TSNode params = Field(def, "parameters");
  uint32_t n = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params);
  for (uint32_t i = 0; i < n; ++i) names.push_back(ParameterName(parsed, ts_node_named_child(params, i)));
  return names;
}

// A def's decorators as written, without the `@` ("staticmethod", "torch.no_grad()").
std::vector<std::string> Decorators(const ParsedPython& parsed, TSNode def) {
  std::vector<std::string> out;
  TSNode statement = DefinitionStatement(def);
  if (ts_node_eq(statement, def)) return out;
  uint32_t n = ts_node_named_child_count(statement);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(statement, i);
    if (!IsType(c, "decorator")) continue;
    std::string text(parsed.Text(c));
    text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char ch) { return std::isspace(ch); }),
               text.end());
    out.push_back(text.empty() ? text : text.substr(1));
  }
  return out;
}

// The function definitions directly in `block` named `name` (a decorated
// one as its function_definition).
std::vector<TSNode> DefsNamed(const ParsedPython& parsed, TSNode block, const std::string& name) {
  std::vector<TSNode> out;
  uint32_t n = ts_node_is_null(block) ? 0 : ts_node_named_child_count(block);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode st = ts_node_named_child(block, i);
    if (IsType(st, "decorated_definition")) st = Field(st, "definition");
    if (ts_node_is_null(st) || !IsType(st, "function_definition")) continue;
    if (parsed.Text(Field(st, "name")) == name) out.push_back(st);
  }
  return out;
}

// A def named `name` anywhere in a function's `body` but directly in it:
// under an `if`, a loop, a `try` or a `with` (not in a nested def or class,
// whose names are their own).
bool DefNamedInsideStatements(const ParsedPython& parsed, TSNode body, const std::string& name) {
  std::vector<TSNode> stack;
  uint32_t n = ts_node_is_null(body) ? 0 : ts_node_named_child_count(body);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode st = ts_node_named_child(body, i);
    if (!IsType(st, "function_definition") && !IsType(st, "decorated_definition") && !IsType(st, "class_definition")) {
      stack.push_back(st);
    }
  }
  while (!stack.empty()) {
    TSNode node = stack.back();
    stack.pop_back();
    if (IsType(node, "decorated_definition")) node = Field(node, "definition");
    if (ts_node_is_null(node) || IsType(node, "class_definition") || IsType(node, "lambda")) continue;
    if (IsType(node, "function_definition")) {
      if (parsed.Text(Field(node, "name")) == name) return true;
      continue;
    }
    uint32_t count = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < count; ++i) stack.push_back(ts_node_named_child(node, i));
  }
  return false;
}


// "Outer.fix" for a def inside `def Outer` (classes too): the `function`
// the walk names its body by.
std::string ScopeName(const ParsedPython& parsed, TSNode def) {
  std::string name(parsed.Text(Field(def, "name")));
  for (TSNode n = ts_node_parent(def); !ts_node_is_null(n); n = ts_node_parent(n)) {
    if (IsType(n, "function_definition") || IsType(n, "class_definition")) {
      name = std::string(parsed.Text(Field(n, "name"))) + "." + name;
    }
  }
  return name;
}

}  // namespace

// `method` of the class `cls` (its class_definition, in `cls_path`), called
// through an instance (`self.m(...)`: self is bound) or through the class
// (`Trainer.m(...)`: nothing is, but a classmethod's cls). Only a method
// defined in that class's body, once, plain or as a @staticmethod /
// @classmethod; through an instance, only when no project class deriving
// from it by that name defines the method again (self may be one of them).
Extractor::LocalCallee Extractor::MethodOf(TSNode cls, const std::string& cls_name, const std::string& cls_path,
                                           const std::string& method, bool via_instance) {
  LocalCallee out;
  const IndexedFile* file = index_.FindFile(cls_path);
  if (file == nullptr) return out;
  out.kind = LocalCallee::kUnknown;  // a method of a project class from here on: not guessed
  std::vector<TSNode> defs = DefsNamed(file->parsed, Field(cls, "body"), method);
  if (defs.size() != 1) return out;  // inherited (or undefined), or redefined (property setters)
  bool is_static = false, is_class = false;
  for (const std::string& d : Decorators(file->parsed, defs[0])) {
    if (d == "staticmethod") {
      is_static = true;
    } else if (d == "classmethod") {
      is_class = true;
    } else {
      return out;  // a decorator may change the arguments and the result
    }
  }
  if (via_instance || is_class) {
    for (const ClassInfo* other : index_.AllClasses()) {
      if (ts_node_eq(other->node, cls) && other->path == cls_path) continue;
      if (std::find(other->methods.begin(), other->methods.end(), method) == other->methods.end()) continue;
      for (const std::string& base : other->base_texts) {
        size_t dot = base.rfind('.');
        if ((dot == std::string::npos ? base : base.substr(dot + 1)) == cls_name) return out;
      }
    }
  }
  out.kind = LocalCallee::kFound;
  out.skip = is_static ? 0 : (is_class || via_instance) ? 1 : 0;
  out.fn.name = ScopeName(file->parsed, defs[0]);
  out.fn.module = file->info.module_name;
  out.fn.qualified_name = out.fn.module + ":" + out.fn.name;
  out.fn.path = cls_path;
  out.fn.node = defs[0];
  return out;
}

Extractor::LocalCallee Extractor::ResolveLocalCallee(TSNode call, TSNode callee, const Env& env) {
  LocalCallee out;
  if (IsType(callee, "identifier")) {
    // `fix(sd)`: a def in an enclosing function's body, innermost first; a
    // parameter of the same name in between shadows it.
    const std::string name = Text(callee);
    if (env.count(name) != 0) return out;
    for (TSNode f = EnclosingDef(call); !IsNull(f); f = EnclosingDef(f)) {
      std::vector<std::string> params = ParameterNames(file_.parsed, f);
      if (std::find(params.begin(), params.end(), name) != params.end()) return out;
      std::vector<TSNode> defs = DefsNamed(file_.parsed, Field(f, "body"), name);
      const bool conditional = DefNamedInsideStatements(file_.parsed, Field(f, "body"), name);
      if (defs.empty() && !conditional) continue;
      out.kind = LocalCallee::kUnknown;
      // Defined twice or under a condition (which body runs is not known), or decorated.
      if (conditional || defs.size() != 1 || !Decorators(file_.parsed, defs[0]).empty()) return out;
      out.kind = LocalCallee::kFound;
      out.fn.name = ScopeName(file_.parsed, defs[0]);
      out.fn.module = file_.info.module_name;
      out.fn.qualified_name = out.fn.module + ":" + out.fn.name;
      out.fn.path = file_.info.path;
      out.fn.node = defs[0];
      return out;
    }
    return out;
  }
  if (!IsType(callee, "attribute")) return out;
  TSNode object = Field(callee, "object");
  if (IsNull(object) || !IsType(object, "identifier")) return out;
  const std::string obj = Text(object), method = Text(Field(callee, "attribute"));
  if (env.count(obj) != 0) return out;  // a local variable
  // `self.m(...)` / `cls.m(...)`: the first parameter of a method of the
  // enclosing class (not a @staticmethod's).
  TSNode f = EnclosingDef(call);
  if (!IsNull(f)) {
    TSNode cls = ClassOfMethod(f);
    std::vector<std::string> params = ParameterNames(file_.parsed, f);
    if (!IsNull(cls) && !params.empty() && params[0] == obj) {
      bool is_static = false, is_class = false;
      for (const std::string& d : Decorators(file_.parsed, f)) {
        is_static |= d == "staticmethod";
        is_class |= d == "classmethod";
      }
      if (!is_static) {
        return MethodOf(cls, Text(Field(cls, "name")), file_.info.path, method, /*via_instance=*/!is_class);
      }
    }
  }
  // `Trainer.m(...)`: a project class by name.
  Symbol s = index_.ResolveName(file_.info.module_name, obj);
  if (s.kind == Symbol::Kind::kClass && s.cls != nullptr && !IsNull(s.cls->node)) {
    return MethodOf(s.cls->node, s.cls->name, s.cls->path, method, /*via_instance=*/false);
  }
  return out;
}

// After the walk of `def` (scope name `function`): its value at a later
// call, when every return is one followed load of this walk, the same way.
void Extractor::SummarizeReturns(const std::string& function, TSNode def) {
  returned_loads_.erase(function);
  auto it = own_returns_.find(function);
  if (it == own_returns_.end() || it->second.empty() || ReturnsAnotherObject(def)) return;
  const Value& first = it->second.front();
  for (const Value& r : it->second) {
    if (r.kind != Value::kLoad || r.load_site < 0 || r.load_site != first.load_site || !SameLoad(r, first)) return;
  }
  returned_loads_[function] = first;
}

}  // namespace call_site_extraction
}  // namespace ptlint
