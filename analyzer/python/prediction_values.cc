// Abstract values: deep copies, JSON arguments, truthiness, numbers, iteration.
#include "analyzer/python/prediction_interpreter.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

#include "analyzer/python/torch_api_tables.h"

namespace ptlint::prediction {

V MakeObject(std::string type_name, ClassRef cls) {
  auto inst = std::make_shared<Instance>();
  inst->type_name = std::move(type_name);
  inst->cls = cls;
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kObject;
  v->module = std::move(inst);
  v->cls = cls;
  return v;
}

V CloneValue(const V& v, int depth) {
  if (!v || depth > 64) return v;
  if (v->kind == Value::Kind::kModule && v->module) {
    auto c = std::make_shared<Value>(*v);
    c->module = CloneInstance(*v->module, depth + 1);
    return c;
  }
  if (v->kind == Value::Kind::kTensor) return std::make_shared<Value>(*v);
  return v;
}

std::shared_ptr<Instance> CloneInstance(const Instance& src, int depth) {
  auto out = std::make_shared<Instance>(src);
  for (auto* list : {&out->params, &out->buffers, &out->children}) {
    for (auto& slot : *list) {
      for (auto& value : slot.values) value = CloneValue(value, depth);
    }
  }
  return out;
}

namespace {

struct Isolator {
  std::unordered_map<const Instance*, std::shared_ptr<Instance>> instances;
  std::unordered_map<const Value*, V> values;

  std::shared_ptr<Instance> Copy(const std::shared_ptr<Instance>& src) {
    if (!src) return src;
    auto [it, added] = instances.try_emplace(src.get());
    if (!added) return it->second;
    auto out = std::make_shared<Instance>(*src);
    it->second = out;
    for (auto* list : {&out->params, &out->buffers, &out->children}) {
      for (Slot& slot : *list) {
        for (V& value : slot.values) value = Copy(value);
      }
    }
    for (auto& [name, value] : out->attrs) value = Copy(value);
    return out;
  }

  V Copy(const V& v) {
    if (!v) return v;
    auto [it, added] = values.try_emplace(v.get());
    if (!added) return it->second;
    auto out = std::make_shared<Value>(*v);
    it->second = out;
    for (V& item : out->items) item = Copy(item);
    for (auto& [key, value] : out->dict) value = Copy(value);
    for (V& alternative : out->alternatives) alternative = Copy(alternative);
    out->module = Copy(out->module);
    out->target = Copy(out->target);
    if (out->closure_env) {
      auto env = std::make_shared<std::map<std::string, V>>(*out->closure_env);
      for (auto& [name, value] : *env) value = Copy(value);
      out->closure_env = std::move(env);
    }
    return out;
  }
};

}  // namespace

std::shared_ptr<Instance> IsolatedCopy(const std::shared_ptr<Instance>& src) {
  Isolator isolator;
  return isolator.Copy(src);
}

// A constructor argument given as JSON; numbers keep the argument's name.
V ValueFromJson(const nlohmann::json& j, const std::string& name) {
  if (j.is_null()) return MakeNone();
  if (j.is_boolean()) return MakeNum(SymExpr::Arg(name, PyNumber::Bool(j.get<bool>())));
  if (j.is_number_integer()) return MakeNum(SymExpr::Arg(name, PyNumber::Int(j.get<int64_t>())));
  if (j.is_number_float()) return MakeNum(SymExpr::Arg(name, PyNumber::Float(j.get<double>())));
  if (j.is_string()) return MakeStr(j.get<std::string>());
  if (j.is_array()) {
    std::vector<V> items;
    for (size_t i = 0; i < j.size(); ++i) items.push_back(ValueFromJson(j[i], name + "[" + std::to_string(i) + "]"));
    // JSON has no tuples; torch code checks isinstance(x, (list, tuple)) alike.
    return MakeSeq(std::move(items), true);
  }
  if (j.is_object()) {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    for (auto it = j.begin(); it != j.end(); ++it) d->dict.push_back({it.key(), ValueFromJson(it.value(), name + "." + it.key())});
    d->entries_are_attributes = true;
    return d;
  }
  return MakeUnknown("argument");
}

SourceLocation Interpreter::Loc(const Frame& f, TSNode node) {
  SourceLocation loc;
  if (f.file) loc.path = f.file->info.path;
  if (!ts_node_is_null(node)) {
    SourcePosition p = PositionOf(node);
    loc.line = p.line;
    loc.column = p.column;
  }
  return loc;
}

const IndexedFile* Interpreter::FileOf(const ModuleIndex& index, const ClassInfo* cls) {
  return cls ? index.FindFile(cls->path) : nullptr;
}

std::optional<bool> Interpreter::Truth(const V& v) {
  switch (v->kind) {
    case Value::Kind::kNone: return false;
    case Value::Kind::kNum: {
      auto n = v->num->Evaluate();
      if (n) return n->Truthy();
      return std::nullopt;
    }
    case Value::Kind::kStr: return v->str_pattern ? std::optional<bool>() : std::optional<bool>(!v->str.empty());
    case Value::Kind::kSeq:
      if (v->items_open) return std::nullopt;
      return !v->items.empty();
    case Value::Kind::kDict:
      if (v->dict_open || v->dict_keys_uncertain) return std::nullopt;
      return !v->dict.empty();
    case Value::Kind::kModule:
    case Value::Kind::kClass:
    case Value::Kind::kFunction:
    case Value::Kind::kObject:
    case Value::Kind::kPartial:
    case Value::Kind::kTensor:  // ambiguous for tensors in torch, but never a branch we need
      return v->kind == Value::Kind::kTensor ? std::optional<bool>() : std::optional<bool>(true);
    default: return std::nullopt;
  }
}

SymExprPtr Interpreter::AsExpr(const V& v, const std::string& text) {
  if (v->kind == Value::Kind::kNum) return v->num;
  if (v->kind == Value::Kind::kUnknown && !v->arg_name.empty()) return SymExpr::Arg(v->arg_name, std::nullopt);
  return SymExpr::Unknown(text.empty() ? "?" : text);
}

std::optional<int64_t> Interpreter::AsInt(const V& v) {
  if (v->kind != Value::Kind::kNum) return std::nullopt;
  auto n = v->num->Evaluate();
  if (!n || !n->IsIntegral()) return std::nullopt;
  return n->i;
}

std::optional<std::vector<V>> Interpreter::Iterate(const V& v) {
  if (v->kind == Value::Kind::kSeq && !v->items_open) return v->items;
  if (v->kind == Value::Kind::kDict && !v->dict_open && !v->dict_keys_uncertain) {
    std::vector<V> keys;
    for (auto& [k, _] : v->dict) keys.push_back(MakeStr(k));
    return keys;
  }
  if (v->kind == Value::Kind::kStr && !v->str_pattern) {
    std::vector<V> chars;
    for (char c : v->str) chars.push_back(MakeStr(std::string(1, c)));
    return chars;
  }
  if (v->kind == Value::Kind::kModule && v->module && v->module->container != ContainerKind::kNone &&
      !v->module->open_children) {
    std::vector<V> out;
    for (auto& slot : v->module->children) {
      if (!slot.values.empty()) out.push_back(slot.values.back());
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace ptlint::prediction
