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
  // `k[N:]` or `k[len("literal"):]` -> N (the characters every key loses).
  auto k_slice = [&](TSNode e, size_t* skip) {
    e = Unparenthesized(e);
    if (IsNull(e) || !IsType(e, "subscript") || !is_k(Field(e, "value"))) return false;
    TSNode slice = Field(e, "subscript");
    if (IsNull(slice) || !IsType(slice, "slice") || ts_node_named_child_count(slice) != 1) return false;
    TSNode start = ts_node_named_child(slice, 0);
    if (WithoutSpaces(Text(slice)) != WithoutSpaces(Text(start)) + ":") return false;  // `k[:N]`, `k[a:b]`
    if (IsType(start, "integer")) {
      const std::string digits = Text(start);
      if (digits.empty() || digits.size() > 6 ||
          !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        return false;
      }
      *skip = std::stoul(digits);
      return true;
    }
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
         a.entry_depth == b.entry_depth;
}

bool SameLoad(const Value& a, const Value& b) {
  if (a.keys != b.keys || a.key_rewrites.size() != b.key_rewrites.size()) return false;
  for (size_t i = 0; i < a.key_rewrites.size(); ++i) {
    if (!SameRewrite(a.key_rewrites[i], b.key_rewrites[i])) return false;
  }
  return true;
}

}  // namespace

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
std::optional<Value> Extractor::LoadThroughFunction(TSNode call, const std::string& q, const Args& args,
                                                    const ArgValues& passed, Env& env, int depth) {
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
  const FunctionInfo* fn = index_.FindFunction(q);
  if (fn == nullptr || IsNull(fn->node)) return std::nullopt;
  const IndexedFile* file = index_.FindFile(fn->path);
  if (file == nullptr) return std::nullopt;
  std::vector<CallSite> unused;
  Extractor reader(index_, *file, unused, path_values_);
  reader.RecordFunction(fn->node, fn->name);
  const FunctionParams params = reader.functions_[fn->name];
  if (params.method) return std::nullopt;

  std::optional<Value> result;
  for (size_t i = 0; i < params.names.size(); ++i) {
    const std::string& name = params.names[i];
    const Value* value = nullptr;
    TSNode node{};
    if (i < passed.positional.size()) {
      value = &passed.positional[i];
      node = args.positional[i];
      bound[i] = true;
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

}  // namespace call_site_extraction
}  // namespace ptlint
