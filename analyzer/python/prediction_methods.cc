// Method calls: super()/Base.__init__, register_*, container and list/dict/str methods, helpers.
#include "analyzer/python/prediction_interpreter.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "analyzer/python/torch_api_tables.h"

namespace ptlint::prediction {

V Interpreter::CallMethod(Frame& f, const V& method, std::vector<V>& args,
                          std::vector<std::pair<std::string, V>>& kwargs, TSNode where, int depth) {
  const V& target = method->target;
  const std::string& name = method->str;
  auto kw = [&](const std::string& k) -> V {
    for (auto& [n, v] : kwargs) {
      if (n == k) return v;
    }
    return nullptr;
  };
  if (target->kind == Value::Kind::kSuper || target->kind == Value::Kind::kClass) {
    // super().__init__(...) / Base.__init__(self, ...) / super().method(...)
    ClassRef start = target->cls;
    if (!start.cls) return MakeUnknown("super() outside a class");
    std::shared_ptr<Instance> self = f.self;
    V self_value = f.self_value;
    std::vector<V> call_args = args;
    if (target->kind == Value::Kind::kClass) {
      // `Cls.method(...)` of a @classmethod (cls bound to the class) or a
      // @staticmethod (nothing bound): torchvision's `Weights.verify(weights)`.
      auto [m_cls, m_index] = FindMethod(start, name, false, nullptr);
      const IndexedFile* m_file = m_cls ? FileOf(*m_index, m_cls) : nullptr;
      TSNode m_def = m_file ? MethodNode(*m_file, m_cls, name) : TSNode{};
      if (!ts_node_is_null(m_def)) {
        TSNode parent = ts_node_parent(m_def);
        std::string_view decorators;
        if (IsType(parent, "decorated_definition")) {
          decorators = m_file->parsed.Text(parent).substr(0, ts_node_start_byte(m_def) - ts_node_start_byte(parent));
        }
        if (decorators.find("@classmethod") != std::string_view::npos) {
          return CallFunction(*m_index, m_def, m_file, call_args, kwargs, nullptr, target, {m_index, m_cls}, f.owner,
                              depth + 1);
        }
        if (decorators.find("@staticmethod") != std::string_view::npos) {
          return CallFunction(*m_index, m_def, m_file, call_args, kwargs, nullptr, nullptr, {m_index, m_cls}, f.owner,
                              depth + 1);
        }
      }
      // Unbound call: the first argument is self.
      if (call_args.empty() || call_args[0]->kind != Value::Kind::kModule) {
        return MakeUnknown("class attribute `" + start.cls->name + "." + name + "`", false);
      }
      self_value = call_args[0];
      self = self_value->module;
      call_args.erase(call_args.begin());
    }
    if (!self) return MakeUnknown("super() without self");
    // The method after `start` in the MRO of self's class (super), or in
    // start itself (explicit Base.method).
    ClassRef root = self->cls.cls ? self->cls : start;
    std::pair<const ClassInfo*, const ModuleIndex*> found;
    if (target->kind == Value::Kind::kSuper) found = FindMethod(root, name, false, start.cls);
    else found = FindMethod(start, name, false, nullptr);
    if (!found.first) {
      if (name == "__init__" && self_value && self_value->kind == Value::Kind::kObject) {
        // A plain object's super().__init__(...) reaching a @dataclass or
        // NamedTuple base: its generated __init__ binds the fields.
        const std::vector<ClassRef>& mro = Mro(root);
        // From `start` on for `Base.__init__(self)`, after it for super().
        bool passed = false;
        for (const ClassRef& r : mro) {
          if (!passed) {
            passed = r.cls == start.cls;
            if (!passed || target->kind == Value::Kind::kSuper) continue;
          }
          if (GeneratesInit(r)) {
            BindGeneratedInit(r, self_value, call_args, kwargs, depth + 1);
            break;
          }
        }
        return MakeNone();
      }
      if (name == "__init__") {
        // Reached a built-in base: nn.Module (nothing), or a layer/container
        // whose __init__ registers things.
        std::vector<ClassRef> mro = Mro(root);
        bool passed = target->kind == Value::Kind::kClass;
        for (const auto& r : mro) {
          if (!passed) {
            if (r.cls == start.cls) passed = true;
            if (target->kind == Value::Kind::kSuper) {
              if (r.cls != start.cls) continue;
            }
          }
          const IndexedFile* file = FileOf(*r.index, r.cls);
          for (const auto& base : r.cls->base_texts) {
            const Symbol& s = file ? Resolve(*r.index, file->info.module_name, base) : ResolveAbsolute(*r.index, base);
            std::string builtin = BuiltinModuleName(s.qualified_name);
            if (builtin.empty() || builtin == "Module") continue;
            ContainerKind kind = builtin == "Sequential" ? ContainerKind::kSequential
                                 : builtin == "ModuleList" ? ContainerKind::kModuleList
                                 : builtin == "ModuleDict" ? ContainerKind::kModuleDict
                                 : builtin == "ParameterList" ? ContainerKind::kParameterList
                                 : builtin == "ParameterDict" ? ContainerKind::kParameterDict
                                                              : ContainerKind::kNone;
            V made = kind != ContainerKind::kNone ? MakeContainer(f, kind, builtin, call_args, where)
                                                  : CallBuiltinLayer(builtin, call_args, kwargs, Loc(f, where), depth + 1);
            if (made->kind == Value::Kind::kModule && made->module) {
              // Merge the base's registrations into self, keeping self's identity.
              Instance& src = *made->module;
              for (auto& s2 : src.params) self->params.push_back(s2);
              for (auto& s2 : src.buffers) self->buffers.push_back(s2);
              for (auto& s2 : src.children) self->children.push_back(s2);
              for (auto& o : src.opens) self->opens.push_back(o);
              for (auto& [k, v] : src.attrs) self->attrs[k] = v;
              if (kind != ContainerKind::kNone) {
                self->container = kind;
                self->open_children = src.open_children;
              }
            }
            return MakeNone();
          }
          if (target->kind == Value::Kind::kSuper && r.cls == start.cls) break;
        }
        return MakeNone();
      }
      return MakeUnknown("method `" + name + "` not found in the bases", true);
    }
    const IndexedFile* file = FileOf(*found.second, found.first);
    if (!file) return MakeUnknown("method source missing", true);
    TSNode def = MethodNode(*file, found.first, name);
    if (ts_node_is_null(def)) return MakeUnknown("method not found", true);
    return CallFunction(*found.second, def, file, call_args, kwargs, self, self_value, {found.second, found.first},
                        f.owner.empty() ? found.first->qualified_name : f.owner, depth + 1);
  }
  if (target->kind == Value::Kind::kObject && target->module) {
    // A config object's method (a helper, a builder): followed like a module's.
    const ClassRef& cls_ref = target->module->cls;
    if (cls_ref.cls) {
      auto [cls, idx] = FindMethod(cls_ref, name, false, nullptr);
      const IndexedFile* file = cls ? FileOf(*idx, cls) : nullptr;
      TSNode def = file ? MethodNode(*file, cls, name) : TSNode{};
      if (!ts_node_is_null(def)) {
        TSNode parent = ts_node_parent(def);
        bool is_static = IsType(parent, "decorated_definition") &&
                         (file->parsed.Text(parent).find("@staticmethod") != std::string_view::npos);
        return CallFunction(*idx, def, file, args, kwargs, is_static ? nullptr : target->module,
                            is_static ? nullptr : target, {idx, cls}, f.owner, depth + 1);
      }
    }
    return MakeUnknown("method `" + name + "` of " + target->module->type_name + " not followed", true);
  }
  if (target->kind == Value::Kind::kModule && target->module) {
    Instance& inst = *target->module;
    SourceLocation loc = Loc(f, where);
    auto arg = [&](size_t i, const char* k) -> V {
      if (i < args.size()) return args[i];
      return kw(k);
    };
    if (name == "register_buffer") {
      V n = arg(0, "name"), t = arg(1, "tensor");
      V persistent = arg(2, "persistent");
      if (!n || !t) return MakeNone();
      bool is_persistent = true;
      bool persistent_known = true;
      if (persistent) {
        auto truth = Truth(persistent);
        if (truth) is_persistent = *truth;
        else persistent_known = false;
      }
      if (n->kind != Value::Kind::kStr) {
        inst.opens.push_back({"", "register_buffer() with a name that is not known", loc});
        return MakeNone();
      }
      V value = t;
      if (t->kind == Value::Kind::kUnknown) value = MakeTensor(false, {});
      if (t->kind != Value::Kind::kTensor && t->kind != Value::Kind::kNone && t->kind != Value::Kind::kUnknown) {
        value = MakeTensor(false, {});
      }
      const bool was_optional = optional_depth_ > 0;
      if (t->kind == Value::Kind::kUnknown || !persistent_known) ++optional_depth_;  // may be None / may be non-persistent
      inst.params.erase(std::remove_if(inst.params.begin(), inst.params.end(), [&](const Slot& s) { return s.name == n->str && !was_optional; }), inst.params.end());
      Slot* existing = FindSlot(inst.buffers, n->str);
      if (existing && optional_depth_ == 0) {
        existing->values = {value};
        existing->persistent = is_persistent;
        existing->location = loc;
      } else if (existing) {
        existing->values.push_back(value);
        existing->optional = true;
      } else {
        Slot s;
        s.name = n->str;
        s.values = {value};
        s.persistent = is_persistent;
        s.optional = optional_depth_ > 0;
        s.pattern = n->str_pattern;
        s.owner = f.owner;
        s.location = loc;
        inst.buffers.push_back(std::move(s));
      }
      if (t->kind == Value::Kind::kUnknown || !persistent_known) --optional_depth_;
      return MakeNone();
    }
    if (name == "register_parameter") {
      V n = arg(0, "name"), p = arg(1, "param");
      if (!n || !p) return MakeNone();
      if (n->kind != Value::Kind::kStr) {
        inst.opens.push_back({"", "register_parameter() with a name that is not known", loc});
        return MakeNone();
      }
      V value = p;
      if (p->kind == Value::Kind::kTensor) {
        value = std::make_shared<Value>(*p);
        value->is_parameter = true;
      } else if (p->kind != Value::Kind::kNone) {
        value = MakeTensor(false, {}, true);
        ++optional_depth_;
      }
      Slot* existing = FindSlot(inst.params, n->str);
      if (existing && optional_depth_ == 0) {
        existing->values = {value};
      } else if (existing) {
        existing->values.push_back(value);
        existing->optional = true;
      } else {
        Slot s;
        s.name = n->str;
        s.values = {value};
        s.optional = optional_depth_ > 0;
        s.pattern = n->str_pattern;
        s.owner = f.owner;
        s.location = loc;
        inst.params.push_back(std::move(s));
      }
      if (p->kind != Value::Kind::kNone && p->kind != Value::Kind::kTensor) --optional_depth_;
      return MakeNone();
    }
    if (name == "add_module" || name == "register_module") {
      V n = arg(0, "name"), m = arg(1, "module");
      if (!n || !m) return MakeNone();
      if (n->kind != Value::Kind::kStr) {
        inst.opens.push_back({"", name + "() with a name that is not known", loc});
        return MakeNone();
      }
      if (m->kind == Value::Kind::kModule || m->kind == Value::Kind::kNone) {
        SetModuleAttr(f, inst, n->str, m, where, n->str_pattern);
        if (m->kind == Value::Kind::kNone && !FindSlot(inst.children, n->str)) {
          Slot s;
          s.name = n->str;
          s.values = {m};
          s.owner = f.owner;
          s.location = loc;
          inst.children.push_back(std::move(s));
        }
      } else {
        inst.opens.push_back({n->str + ".", name + "() with a module not understood", loc});
      }
      return MakeNone();
    }
    if (inst.container == ContainerKind::kModuleList || inst.container == ContainerKind::kSequential ||
        inst.container == ContainerKind::kParameterList) {
      if (name == "append" && !args.empty()) {
        ContainerAppend(inst, args[0], loc, f.owner);
        return target;
      }
      if (name == "extend" && !args.empty()) {
        auto items = Iterate(args[0]);
        if (items) for (auto& it : *items) ContainerAppend(inst, it, loc, f.owner);
        else {
          ++pattern_depth_;
          if (args[0]->kind == Value::Kind::kSeq && !args[0]->items.empty()) ContainerAppend(inst, args[0]->items.front(), loc, f.owner);
          else inst.opens.push_back({"", "extend() with elements not known", loc});
          --pattern_depth_;
        }
        return target;
      }
      if (name == "insert" && args.size() >= 2) {
        auto at = AsInt(args[0]);
        if (!at || optional_depth_ > 0 || pattern_depth_ > 0 || inst.open_children ||
            inst.container == ContainerKind::kParameterList) {
          inst.opens.push_back({"", "insert() into a container at a position not known", loc});
          return MakeNone();
        }
        // ModuleList.insert shifts the later entries: names are re-numbered.
        int64_t size = static_cast<int64_t>(inst.children.size());
        int64_t i = *at < 0 ? std::max<int64_t>(0, *at + size) : std::min(*at, size);
        Slot s;
        s.values = {args[1]};
        s.owner = f.owner;
        s.location = loc;
        inst.children.insert(inst.children.begin() + i, std::move(s));
        for (size_t k = 0; k < inst.children.size(); ++k) inst.children[k].name = std::to_string(k);
        return MakeNone();
      }
    }
    if ((inst.container == ContainerKind::kModuleDict || inst.container == ContainerKind::kParameterDict) &&
        name == "update" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kDict) {
        for (auto& [k, v] : args[0]->dict) SetModuleAttr(f, inst, k, v, where, false);
      } else {
        inst.opens.push_back({"", "update() with entries not known", loc});
      }
      return MakeNone();
    }
    // A method of the instance's class: follow it (helpers like _make_layer).
    if (inst.cls.cls) {
      auto [cls, idx] = FindMethod(inst.cls, name, false, nullptr);
      if (cls) {
        const IndexedFile* file = FileOf(*idx, cls);
        TSNode def = file ? MethodNode(*file, cls, name) : TSNode{};
        if (!ts_node_is_null(def)) {
          // Decorated static/class methods do not take self.
          TSNode parent = ts_node_parent(def);
          bool is_static = IsType(parent, "decorated_definition") &&
                           (file->parsed.Text(parent).find("@staticmethod") != std::string_view::npos);
          return CallFunction(*idx, def, file, args, kwargs, is_static ? nullptr : target->module,
                              is_static ? nullptr : target, {idx, cls}, f.owner, depth + 1);
        }
      }
    }
    if (StateDictNeutralModuleMethods().count(name)) return MakeNone();
    if (ModuleMemberIterators().count(name)) {
      return MakeUnknown("iteration over module members", false);
    }
    return MakeUnknown("method `" + name + "` not followed", true);
  }
  if (target->kind == Value::Kind::kSeq) {
    if (name == "append" && !args.empty()) {
      if (pattern_depth_ > 0 || target->items_open) {
        // Every appended element stays a representative: the elements after
        // an open part (a final conv after the repeated stages) are as much
        // part of the pattern as the first one.
        target->items_open = true;
        if (target->items.size() < 64) target->items.push_back(args[0]);
      } else if (optional_depth_ > 0) {
        // Appended under an unknown condition: the length is not known.
        target->items_open = true;
        target->items.push_back(args[0]);
      } else {
        target->items.push_back(args[0]);
      }
      return MakeNone();
    }
    if (name == "extend" && !args.empty()) {
      auto items = Iterate(args[0]);
      if (items && pattern_depth_ == 0 && optional_depth_ == 0) target->items.insert(target->items.end(), items->begin(), items->end());
      else {
        target->items_open = true;
        if (args[0]->kind == Value::Kind::kSeq && !args[0]->items.empty()) target->items.push_back(args[0]->items.front());
      }
      return MakeNone();
    }
    if (name == "insert" || name == "pop" || name == "remove") {
      target->items_open = true;
      return MakeUnknown("list mutation", true);
    }
    if (name == "index" || name == "count") return MakeNum(SymExpr::Unknown("list." + name));
  }
  if (target->kind == Value::Kind::kDict) {
    if (name == "items" || name == "keys" || name == "values") {
      if (target->dict_open || target->dict_keys_uncertain) return MakeSeq({}, false, true);
      std::vector<V> out;
      for (auto& [k, v] : target->dict) {
        if (name == "items") out.push_back(MakeSeq({MakeStr(k), v}, true));
        else if (name == "keys") out.push_back(MakeStr(k));
        else out.push_back(v);
      }
      return MakeSeq(std::move(out), false);
    }
    if (name == "get" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kStr && !target->dict_open) {
        for (auto& [k, v] : target->dict) {
          if (k == args[0]->str) return v;
        }
        return args.size() > 1 ? args[1] : MakeNone();
      }
      return MakeUnknown("dict.get of an unknown key", true);
    }
    if (name == "pop" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kStr && !target->dict_open) {
        for (auto it = target->dict.begin(); it != target->dict.end(); ++it) {
          if (it->first == args[0]->str) {
            V v = it->second;
            target->dict.erase(it);
            return v;
          }
        }
        return args.size() > 1 ? args[1] : MakeUnknown("KeyError");
      }
    }
    if (name == "update" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kDict) for (auto& kv : args[0]->dict) target->dict.push_back(kv);
      else target->dict_open = true;
      for (auto& kv : kwargs) target->dict.push_back(kv);
      return MakeNone();
    }
  }
  if (target->kind == Value::Kind::kStr && !target->str_pattern && (name == "startswith" || name == "endswith") &&
      args.size() == 1 && kwargs.empty()) {
    // `arch.startswith("efficientnet_b")` (torchvision's _efficientnet_conf
    // picks the block list by it): exact for a known string and a known
    // prefix, or a tuple of them.
    const std::string& text = target->str;
    auto test = [&](const V& v) -> std::optional<bool> {
      if (!v || v->kind != Value::Kind::kStr || v->str_pattern) return std::nullopt;
      const std::string& part = v->str;
      if (part.size() > text.size()) return false;
      return name == "startswith" ? text.compare(0, part.size(), part) == 0
                                  : text.compare(text.size() - part.size(), part.size(), part) == 0;
    };
    std::vector<V> parts = args[0]->kind == Value::Kind::kSeq && !args[0]->items_open ? args[0]->items
                                                                                        : std::vector<V>{args[0]};
    bool any = false;
    for (const V& part : parts) {
      std::optional<bool> r = test(part);
      if (!r) return MakeUnknown("`" + name + "` of a string not known", false);
      any = any || *r;
    }
    return MakeBool(any);
  }
  if (target->kind == Value::Kind::kStr && name == "format") {
    // "weight_ih_l{}{}".format(layer, suffix): positional and indexed fields.
    std::string out;
    bool pattern = target->str_pattern;
    size_t next = 0;
    const std::string& fmt = target->str;
    for (size_t i = 0; i < fmt.size(); ++i) {
      char c = fmt[i];
      if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') { out += '{'; ++i; continue; }
      if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') { out += '}'; ++i; continue; }
      if (c != '{') { out += c; continue; }
      size_t close = fmt.find('}', i);
      if (close == std::string::npos) return MakeStr("*", true);
      std::string field = fmt.substr(i + 1, close - i - 1);
      i = close;
      V v;
      if (field.empty()) v = next < args.size() ? args[next++] : nullptr;
      else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
        size_t idx = std::strtoul(field.c_str(), nullptr, 10);
        v = idx < args.size() ? args[idx] : nullptr;
      } else {
        v = kw(field);
      }
      std::optional<int64_t> iv = v ? AsInt(v) : std::nullopt;
      if (v && v->kind == Value::Kind::kStr) {
        out += v->str;
        pattern = pattern || v->str_pattern;
      } else if (iv && v->num->Evaluate()->kind == PyNumber::Kind::kInt) {
        out += std::to_string(*iv);
      } else {
        out += '*';
        pattern = true;
      }
    }
    return MakeStr(out, pattern);
  }
  if (target->kind == Value::Kind::kTensor) {
    if (V concrete = ConcreteTensorMethod(target, name, args, kwargs)) return concrete;  // .int(), .tolist()
    // In-place init (`self.w.data.normal_()`), views: not registrations.
    if (name == "size" || name == "dim" || name == "numel") return MakeNum(SymExpr::Unknown("tensor." + name));
    return MakeTensor(false, {});
  }
  return MakeUnknown("method `" + name + "` not followed", true);
}

}  // namespace ptlint::prediction
