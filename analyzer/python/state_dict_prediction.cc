#include "analyzer/python/state_dict_prediction.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "analyzer/python/layer_catalog.h"
#include "analyzer/python/prediction_interpreter.h"
#include "analyzer/python/symbolic_expr.h"

namespace ptlint {

// ---------------------------------------------------------------------------
// Public helpers

bool PredictedShape::Concrete() const {
  if (!rank_known) return false;
  for (const auto& d : dims) {
    if (!d.value) return false;
  }
  return true;
}

std::string PredictedShape::ToString() const {
  if (!rank_known) return "?";
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    if (dims[i].value) s += std::to_string(*dims[i].value);
    else s += dims[i].expr.empty() ? "?" : dims[i].expr;
  }
  if (dims.size() == 1) s += ",";
  return s + ")";
}

const char* KeyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kParameter: return "parameter";
    case KeyKind::kBuffer: return "buffer";
    case KeyKind::kExtraState: return "extra_state";
  }
  return "?";
}

const char* ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kExact: return "exact";
    case Confidence::kPartial: return "partial";
    case Confidence::kOpen: return "open";
  }
  return "?";
}

namespace {

using namespace prediction;  // NOLINT: the interpreter's internal types

// ---------------------------------------------------------------------------
// Flattening an instance into state-dict keys.

PredictedShape ToShape(const V& tensor) {
  PredictedShape shape;
  if (!tensor || tensor->kind != Value::Kind::kTensor || !tensor->rank_known) return shape;
  shape.rank_known = true;
  for (auto& d : tensor->shape) {
    PredictedDim dim;
    if (d->kind() == SymExpr::Kind::kConst) {
      // Most dimensions: a number, which names no argument.
      dim.expr = d->ToString();
      auto v = d->Evaluate();
      if (v && v->IsIntegral()) dim.value = v->i;
      shape.dims.push_back(std::move(dim));
      continue;
    }
    dim.expr = d->ToString();
    std::set<std::string> args;
    d->CollectArgs(&args);
    dim.args.assign(args.begin(), args.end());
    auto v = d->Evaluate();
    if (v && v->IsIntegral() && !d->HasUnknown()) dim.value = v->i;
    shape.dims.push_back(std::move(dim));
  }
  return shape;
}

bool SameShape(const PredictedShape& a, const PredictedShape& b) {
  if (a.rank_known != b.rank_known) return false;
  if (!a.rank_known) return true;
  if (a.dims.size() != b.dims.size()) return false;
  for (size_t i = 0; i < a.dims.size(); ++i) {
    if (a.dims[i].value != b.dims[i].value || (!a.dims[i].value && a.dims[i].expr != b.dims[i].expr)) return false;
  }
  return true;
}

struct Flattener {
  ExpectedStateDict* out;
  std::vector<const Instance*> active;  // cycle guard (self.me = self): the modules being flattened, outermost first
  // Where the catalogue's layers are "built" (their stub file): compared as
  // one interned pointer.
  const InternedPath stub_path{"<ptlint builtin layers>"};

  // `creation`: where this module was created in project code; keys that a
  // built-in layer registers are reported there (the stub's line means
  // nothing to a user).
  Confidence Flatten(const Instance& inst, const std::string& prefix, bool optional, bool pattern, int depth,
                     const SourceLocation& creation = {}, const SourceLocation& repeated_by = {},
                     const SourceLocation& placed = {}) {
    Confidence conf = Confidence::kExact;
    auto worsen = [&](Confidence c) {
      if (static_cast<int>(c) > static_cast<int>(conf)) conf = c;
    };
    MetadataEntry meta;
    meta.path = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
    meta.version = inst.version;
    meta.type = inst.type_name;
    meta.is_pattern = pattern;
    meta.optional = optional;
    if (creation.path != stub_path) meta.location = creation;
    if (repeated_by.path != stub_path) meta.repeated_by = repeated_by;
    if (placed.path != stub_path) meta.placed = placed;
    size_t meta_index = out->metadata.size();
    out->metadata.push_back(meta);
    if (depth > 64 || std::find(active.begin(), active.end(), &inst) != active.end()) {
      out->open.push_back({prefix, "module graph too deep or cyclic", {}});
      out->metadata[meta_index].confidence = Confidence::kOpen;
      return Confidence::kOpen;
    }
    active.push_back(&inst);
    auto emit_slots = [&](const std::vector<Slot>& slots, KeyKind kind) {
      for (const auto& slot : slots) {
        // Alternatives: None means "no key" in that branch.
        std::vector<PredictedShape> shapes;
        bool some_none = false, some_tensor = false;
        for (const auto& v : slot.values) {
          if (!v || v->kind == Value::Kind::kNone) some_none = true;
          else {
            some_tensor = true;
            shapes.push_back(ToShape(v));
          }
        }
        if (!some_tensor) continue;
        PredictedKey key;
        key.key = prefix + slot.name;
        key.is_pattern = pattern || slot.pattern;
        key.kind = kind;
        key.persistent = slot.persistent;
        key.optional = optional || slot.optional || some_none;
        key.shape = shapes.front();
        for (size_t i = 1; i < shapes.size(); ++i) {
          if (!SameShape(shapes[i], key.shape)) key.shape = PredictedShape{};
        }
        key.owner_class = slot.owner.rfind("ptlint_builtin_layers.", 0) == 0
                              ? "torch.nn." + slot.owner.substr(22) : slot.owner;
        key.attribute = slot.name;
        key.location = slot.location.path == stub_path ? creation : slot.location;
        if (key.optional || !key.shape.Concrete()) worsen(Confidence::kPartial);
        out->keys.push_back(std::move(key));
      }
    };
    emit_slots(inst.params, KeyKind::kParameter);
    emit_slots(inst.buffers, KeyKind::kBuffer);
    if (inst.extra_state) {
      PredictedKey key;
      key.key = prefix + "_extra_state";
      key.is_pattern = pattern;
      key.kind = KeyKind::kExtraState;
      key.optional = optional;
      key.owner_class = inst.type_name;
      key.attribute = "_extra_state";
      out->keys.push_back(std::move(key));
    }
    for (const auto& o : inst.opens) {
      out->open.push_back({prefix + o.prefix, o.reason, o.location.path == stub_path ? creation : o.location});
      worsen(Confidence::kOpen);
    }
    for (const auto& slot : inst.children) {
      // A container element that is `A() if c else B()` with `c` unknown:
      // each alternative, optionally. Any other element not understood (a
      // module passed in, a factory not followed) opens its subtree.
      std::vector<V> values;
      bool alternatives = false;
      for (const auto& v : slot.values) {
        if (v && v->kind == Value::Kind::kUnknown && !v->alternatives.empty()) {
          values.insert(values.end(), v->alternatives.begin(), v->alternatives.end());
          alternatives = true;
        } else if (v && v->kind == Value::Kind::kUnknown && v->maybe_module) {
          out->open.push_back({prefix + slot.name, v->reason, slot.location.path == stub_path ? creation : slot.location});
          worsen(Confidence::kOpen);
        } else {
          values.push_back(v);
        }
      }
      for (const auto& v : values) {
        if (!v || v->kind != Value::Kind::kModule || !v->module) continue;
        bool child_optional = optional || slot.optional || values.size() > 1 || alternatives;
        for (const auto& other : values) {
          if (!other || other->kind == Value::Kind::kNone) child_optional = true;
        }
        worsen(Flatten(*v->module, prefix + slot.name + ".", child_optional, pattern || slot.pattern, depth + 1,
                       slot.location.path == stub_path ? creation : slot.location, slot.repeated_by,
                       slot.placed));
        if (child_optional) worsen(Confidence::kPartial);
      }
    }
    active.pop_back();
    out->metadata[meta_index].confidence = conf;
    return conf;
  }
};

// Several alternatives under one name (the elements of a repeated block that
// differ, `a if c else b`) flatten to the same key more than once: one key,
// required if any alternative requires it, its shape only where all agree.
void MergeDuplicateKeys(ExpectedStateDict* out) {
  // Views into `keys`, which never reallocates (reserved for every key).
  std::unordered_map<std::string_view, size_t> first;
  first.reserve(out->keys.size());
  std::vector<PredictedKey> keys;
  keys.reserve(out->keys.size());
  for (auto& k : out->keys) {
    auto found = first.find(k.key);
    if (found == first.end()) {
      keys.push_back(std::move(k));
      first.emplace(keys.back().key, keys.size() - 1);
      continue;
    }
    auto it = found;
    PredictedKey& kept = keys[it->second];
    if (!SameShape(kept.shape, k.shape)) kept.shape = PredictedShape{};
    kept.optional = kept.optional && k.optional;
    kept.persistent = kept.persistent || k.persistent;
  }
  out->keys = std::move(keys);
  std::map<std::string, size_t> seen;
  std::vector<MetadataEntry> metadata;
  for (auto& m : out->metadata) {
    auto [it, inserted] = seen.emplace(m.path, metadata.size());
    if (inserted) {
      metadata.push_back(std::move(m));
      continue;
    }
    MetadataEntry& kept = metadata[it->second];
    if (kept.version != m.version || kept.type != m.type) {
      // Alternatives of different classes: neither is certain.
      if (kept.type != m.type) kept.type.clear();
      if (static_cast<int>(kept.confidence) < static_cast<int>(Confidence::kPartial)) kept.confidence = Confidence::kPartial;
    }
    if (static_cast<int>(m.confidence) > static_cast<int>(kept.confidence)) kept.confidence = m.confidence;
    kept.optional = kept.optional && m.optional;
  }
  out->metadata = std::move(metadata);
}

}  // namespace

PredictionMemo::PredictionMemo() : impl_(std::make_unique<Impl>()) {}
PredictionMemo::PredictionMemo(PredictionMemo& builds_of) : impl_(std::make_unique<Impl>()) {
  impl_->builds = builds_of.impl_->builds;
}
PredictionMemo::~PredictionMemo() = default;

Result<ExpectedStateDict> PredictStateDict(const ModuleIndex& index, const std::string& class_name,
                                           const PredictOptions& options) {
  const LayerCatalog& catalog = LayerCatalog::Get();
  ClassRef ref;
  const ClassInfo* cls = index.FindClass(class_name);
  std::string builtin = BuiltinModuleName(class_name);
  if (cls && (builtin.empty() || !options.prefer_catalog)) {
    ref = {&index, cls};
    ModuleClassification kind = index.Classify(*cls);
    if (kind.kind == ModuleKind::kNotModule) {
      return MakeError("predict.not-a-module", class_name + " is not an nn.Module subclass",
                       "only nn.Module classes have a state dict");
    }
  } else if (!builtin.empty()) {
    const ClassInfo* stub = catalog.FindStub(builtin);
    if (!stub) {
      ExpectedStateDict empty;
      empty.class_name = "torch.nn." + builtin;
      empty.metadata.push_back({"", 1, empty.class_name, false, false, Confidence::kExact});
      if (!catalog.IsParameterless(builtin) && !LayerCatalog::IsContainer(builtin)) {
        empty.confidence = Confidence::kOpen;
        empty.open.push_back({"", "torch.nn." + builtin + " is not in ptlint's layer catalogue", {}});
      }
      return empty;
    }
    ref = {&catalog.stubs(), stub};
  } else if (const FunctionInfo* fn = index.FindFunction(class_name)) {
    // A factory: interpret its body with the given arguments.
    ExpectedStateDict out;
    out.class_name = fn->qualified_name + "()";
    Interpreter interpreter(index, options);
    V made;
    try {
      made = interpreter.CallRootFunction(*fn);
    } catch (const BudgetExceeded&) {
      out.budget_exhausted = true;
      out.confidence = Confidence::kOpen;
      out.open.push_back({"", "evaluation budget exhausted", {}});
      return out;
    }
    if (!made || made->kind != Value::Kind::kModule || !made->module) {
      return MakeError("predict.factory-not-followed",
                       fn->qualified_name + "() does not evidently return a module" +
                           (made && made->kind == Value::Kind::kUnknown ? ": " + made->reason : std::string()),
                       "predict the class it builds, with its constructor arguments");
    }
    out.class_name = made->module->type_name;
    Flattener flattener{&out, {}};
    out.confidence = flattener.Flatten(*made->module, "", false, false, 0);
    MergeDuplicateKeys(&out);
    return out;
  } else {
    return MakeError("predict.unknown-class", "no class named " + class_name + " in the index",
                     "check the dotted name (ptlint classes lists them)");
  }
  ExpectedStateDict out;
  out.class_name = ref.index == &catalog.stubs() ? "torch.nn." + ref.cls->name : ref.cls->qualified_name;
  Interpreter interpreter(index, options);
  V root;
  try {
    root = interpreter.InstantiateRoot(ref, &out);
  } catch (const BudgetExceeded&) {
    out.budget_exhausted = true;
    out.confidence = Confidence::kOpen;
    out.open.push_back({"", "evaluation budget exhausted (" + std::to_string(options.max_steps) + " steps)", {}});
    return out;
  }
  if (!root || root->kind != Value::Kind::kModule || !root->module) {
    return MakeError("predict.internal", "the constructor did not produce a module");
  }
  Flattener flattener{&out, {}};
  out.confidence = flattener.Flatten(*root->module, "", false, false, 0);
  MergeDuplicateKeys(&out);
  // Advisory flags, through the MRO of project classes.
  for (const ClassInfo* c = ref.cls; c != nullptr;) {
    if (c->overrides_load_from_state_dict) out.advisories.push_back(c->qualified_name + " overrides _load_from_state_dict");
    if (c->registers_load_pre_hook) out.advisories.push_back(c->qualified_name + " registers a load_state_dict pre-hook");
    if (c->overrides_get_extra_state) out.advisories.push_back(c->qualified_name + " overrides get_extra_state");
    if (c->overrides_state_dict) out.advisories.push_back(c->qualified_name + " overrides state_dict/_save_to_state_dict");
    if (c->version) out.advisories.push_back(c->qualified_name + " sets _version = " + std::to_string(*c->version));
    // Follow the first project base only (advisories are informational).
    const ClassInfo* next = nullptr;
    const IndexedFile* file = ref.index->FindFile(c->path);
    for (const auto& b : c->base_texts) {
      Symbol s = file ? ref.index->Resolve(file->info.module_name, b) : ref.index->ResolveAbsolute(b);
      if (s.kind == Symbol::Kind::kClass && s.cls != c && BuiltinModuleName(s.qualified_name).empty()) {
        next = s.cls;
        break;
      }
    }
    if (ref.index == &catalog.stubs()) break;
    c = next;
    if (out.advisories.size() > 32) break;
  }
  return out;
}

nlohmann::json ExpectedStateDictToJson(const ExpectedStateDict& e) {
  using nlohmann::json;
  auto loc = [](const SourceLocation& l) {
    json j = json::object();
    j["path"] = l.path;
    j["line"] = l.line;
    j["column"] = l.column;
    return j;
  };
  json keys = json::array();
  for (const auto& k : e.keys) {
    json dims = json::array();
    for (const auto& d : k.shape.dims) {
      json dim = {{"expr", d.expr}, {"args", d.args}};
      dim["value"] = d.value ? json(*d.value) : json(nullptr);
      dims.push_back(dim);
    }
    json key = {{"key", k.key},
                {"pattern", k.is_pattern},
                {"kind", KeyKindName(k.kind)},
                {"persistent", k.persistent},
                {"optional", k.optional},
                {"shape", k.shape.rank_known ? json(dims) : json(nullptr)},
                {"shape_text", k.shape.ToString()},
                {"owner_class", k.owner_class},
                {"attribute", k.attribute},
                {"location", loc(k.location)}};
    keys.push_back(key);
  }
  json metadata = json::array();
  for (const auto& m : e.metadata) {
    metadata.push_back({{"path", m.path},
                        {"version", m.version},
                        {"type", m.type},
                        {"pattern", m.is_pattern},
                        {"optional", m.optional},
                        {"confidence", ConfidenceName(m.confidence)}});
  }
  json open = json::array();
  for (const auto& o : e.open) open.push_back({{"prefix", o.prefix}, {"reason", o.reason}, {"location", loc(o.location)}});
  json params = json::array();
  for (const auto& p : e.params) {
    params.push_back({{"name", p.name}, {"default", p.default_text}, {"annotation", p.annotation}, {"given", p.given}});
  }
  return {{"class", e.class_name},   {"constructor", params},          {"confidence", ConfidenceName(e.confidence)},
          {"keys", keys},            {"metadata", metadata},           {"open", open},
          {"advisories", e.advisories}, {"budget_exhausted", e.budget_exhausted}};
}

}  // namespace ptlint

