// Statement execution: blocks, assignment, if/for/while, imports, Module.__setattr__.
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

void Interpreter::ExecBlock(Frame& f, TSNode block, int depth) {
  for (TSNode stmt : NamedChildren(block)) {
    if (f.returned) break;
    ExecStatement(f, stmt, depth);
  }
}

void Interpreter::ExecStatement(Frame& f, TSNode stmt, int depth) {
  Step();
  const char* type = ts_node_type(stmt);
  if (std::strcmp(type, "expression_statement") == 0) {
    for (TSNode e : NamedChildren(stmt)) {
      if (IsType(e, "assignment")) {
        // a = b = value: the right side may be another assignment.
        std::vector<TSNode> targets;
        TSNode cur = e;
        while (IsType(cur, "assignment")) {
          targets.push_back(Field(cur, "left"));
          TSNode right = Field(cur, "right");
          if (ts_node_is_null(right)) {  // annotation only: `x: int`
            cur = TSNode{};
            break;
          }
          cur = right;
        }
        if (ts_node_is_null(cur)) continue;
        V value = Eval(f, cur, depth + 1);
        for (TSNode t : targets) Assign(f, t, value, depth + 1);
      } else if (IsType(e, "augmented_assignment")) {
        TSNode left = Field(e, "left");
        V current = Eval(f, left, depth + 1);
        V rhs = Eval(f, Field(e, "right"), depth + 1);
        std::string op = Text(f, Field(e, "operator"));
        if (!op.empty() && op.back() == '=') op.pop_back();
        // `layers += [...]` mutates the list in place.
        if (op == "+" && current->kind == Value::Kind::kSeq && !current->is_tuple) {
          if (rhs->kind == Value::Kind::kSeq) {
            // Extended under an unknown condition or loop: the length is not known.
            if (rhs->items_open || pattern_depth_ > 0 || optional_depth_ > 0) current->items_open = true;
            for (auto& it : rhs->items) current->items.push_back(it);
          } else {
            current->items_open = true;
          }
          continue;
        }
        // `self.layers += [...]` on a ModuleList/Sequential is its __iadd__,
        // which is extend(): the container keeps its identity and its keys.
        // Any other `+=` on a module would replace it with something unknown.
        if (op == "+" && current->kind == Value::Kind::kModule && current->module &&
            (current->module->container == ContainerKind::kModuleList ||
             current->module->container == ContainerKind::kSequential ||
             current->module->container == ContainerKind::kParameterList)) {
          auto method = std::make_shared<Value>();
          method->kind = Value::Kind::kMethod;
          method->str = "extend";
          method->target = current;
          std::vector<V> args{rhs};
          std::vector<std::pair<std::string, V>> kwargs;
          CallMethod(f, method, args, kwargs, e, depth + 1);
          continue;
        }
        Assign(f, left, EvalBinary(f, op, current, rhs), depth + 1);
      } else {
        Eval(f, e, depth + 1);
      }
    }
  } else if (std::strcmp(type, "if_statement") == 0) {
    ExecIf(f, stmt, depth);
  } else if (std::strcmp(type, "for_statement") == 0) {
    ExecFor(f, stmt, depth);
  } else if (std::strcmp(type, "while_statement") == 0) {
    // Trip count unknown: one pass, names become patterns, keys optional.
    ++pattern_depth_;
    ++optional_depth_;
    ExecBlock(f, Field(stmt, "body"), depth + 1);
    --optional_depth_;
    --pattern_depth_;
    f.returned = false;
  } else if (std::strcmp(type, "with_statement") == 0) {
    ExecBlock(f, Field(stmt, "body"), depth + 1);
  } else if (std::strcmp(type, "try_statement") == 0) {
    ExecBlock(f, Field(stmt, "body"), depth + 1);
    for (TSNode c : NamedChildren(stmt)) {
      if (IsType(c, "else_clause") || IsType(c, "finally_clause")) {
        TSNode body = Field(c, "body");
        if (ts_node_is_null(body)) body = ts_node_named_child(c, ts_node_named_child_count(c) - 1);
        ExecBlock(f, body, depth + 1);
      }
    }
  } else if (std::strcmp(type, "return_statement") == 0) {
    TSNode value = ts_node_named_child(stmt, 0);
    f.return_value = ts_node_is_null(value) ? MakeNone() : Eval(f, value, depth + 1);
    if (optional_depth_ == 0) f.returned = true;
  } else if (std::strcmp(type, "raise_statement") == 0) {
    if (optional_depth_ == 0) f.returned = true;  // the path ends; nothing after it registers
  } else if (std::strcmp(type, "import_statement") == 0 || std::strcmp(type, "import_from_statement") == 0) {
    ImportInFunction(f, stmt);
  } else if (std::strcmp(type, "function_definition") == 0 || std::strcmp(type, "class_definition") == 0 ||
             std::strcmp(type, "decorated_definition") == 0) {
    TSNode def = IsType(stmt, "decorated_definition") ? Field(stmt, "definition") : stmt;
    if (IsType(def, "function_definition") && !IsType(stmt, "decorated_definition")) {
      auto v = std::make_shared<Value>();
      v->kind = Value::Kind::kClosure;
      v->closure_node = def;
      v->closure_index = f.index;
      v->closure_file = f.file;
      v->closure_env = std::make_shared<std::map<std::string, V>>(f.env);
      f.env[Text(f, Field(def, "name"))] = v;
    } else {
      f.env[Text(f, Field(def, "name"))] = MakeUnknown("local definition `" + Text(f, Field(def, "name")) + "`", true);
    }
  } else if (std::strcmp(type, "delete_statement") == 0) {
    NoteOpen(f, "", "`del` in the constructor is not followed", stmt);
  }
  // pass, assert, global, nonlocal, comments, print: no effect on the state dict.
}

void Interpreter::ImportInFunction(Frame& f, TSNode stmt) {
  if (!f.file) return;
  // Re-use the index's import extraction logic on a scratch file copy.
  IndexedFile scratch;
  scratch.info = f.file->info;
  // Only the bindings matter: resolve each imported name now.
  if (IsType(stmt, "import_statement")) {
    for (TSNode c : NamedChildren(stmt)) {
      if (IsType(c, "aliased_import")) {
        f.env[Text(f, Field(c, "alias"))] = MakeExternal(Text(f, Field(c, "name")));
      } else {
        std::string dotted = Text(f, c);
        f.env[dotted.substr(0, dotted.find('.'))] = MakeExternal(dotted.substr(0, dotted.find('.')));
      }
    }
    return;
  }
  TSNode module_node = Field(stmt, "module_name");
  std::string base;
  if (IsType(module_node, "relative_import")) {
    int dots = 0;
    std::string rel;
    for (TSNode c : NamedChildren(module_node)) {
      if (IsType(c, "import_prefix")) {
        for (char ch : Text(f, c)) dots += ch == '.';
      } else {
        rel = Text(f, c);
      }
    }
    base = ResolveRelativeModule(f.file->info.module_name, f.file->info.is_package, dots, rel);
  } else {
    base = Text(f, module_node);
  }
  for (TSNode c : NamedChildren(stmt)) {
    if (ts_node_eq(c, module_node)) continue;
    std::string name, local;
    if (IsType(c, "aliased_import")) {
      name = Text(f, Field(c, "name"));
      local = Text(f, Field(c, "alias"));
    } else if (IsType(c, "dotted_name")) {
      name = local = Text(f, c);
    } else {
      continue;
    }
    const Symbol& s = ResolveAbsolute(*f.index, base + "." + name);
    f.env[local] = ResolveSymbol(*f.index, s, 0);
  }
}

void Interpreter::ExecIf(Frame& f, TSNode stmt, int depth) {
  // Collect (condition, body) arms: if, elif..., else.
  std::vector<std::pair<TSNode, TSNode>> arms;
  arms.push_back({Field(stmt, "condition"), Field(stmt, "consequence")});
  for (TSNode c : NamedChildren(stmt)) {
    if (IsType(c, "elif_clause")) arms.push_back({Field(c, "condition"), Field(c, "consequence")});
    if (IsType(c, "else_clause")) arms.push_back({TSNode{}, Field(c, "body")});
  }
  // Walk arms while conditions are known; from the first unknown one, every
  // remaining arm is an alternative.
  size_t i = 0;
  for (; i < arms.size(); ++i) {
    if (ts_node_is_null(arms[i].first)) {
      ExecBlock(f, arms[i].second, depth + 1);
      return;
    }
    auto truth = Truth(Eval(f, arms[i].first, depth + 1));
    if (!truth) break;
    if (*truth) {
      ExecBlock(f, arms[i].second, depth + 1);
      return;
    }
  }
  if (i == arms.size()) return;
  // Alternatives: run each on the same instance (registrations become
  // optional), restoring local variables in between and merging after.
  std::map<std::string, V> before = f.env;
  std::map<std::string, V> self_attrs_before = f.self ? f.self->attrs : std::map<std::string, V>{};
  std::vector<std::map<std::string, V>> envs, attrs;
  bool has_else = false;
  ++optional_depth_;
  for (; i < arms.size(); ++i) {
    f.env = before;
    if (f.self) f.self->attrs = self_attrs_before;
    if (ts_node_is_null(arms[i].first)) has_else = true;
    else Eval(f, arms[i].first, depth + 1);
    ExecBlock(f, arms[i].second, depth + 1);
    // Moved out: both are assigned again before they are read.
    envs.push_back(std::move(f.env));
    if (f.self) attrs.push_back(std::move(f.self->attrs));
  }
  --optional_depth_;
  if (!has_else) {
    envs.push_back(before);
    attrs.push_back(self_attrs_before);
  }
  auto merge = [](std::vector<std::map<std::string, V>>& maps) {
    std::map<std::string, V> merged;
    // The maps are sorted by name: walked together, each name of their union
    // comes up once, in order, with its entry in every map that has it.
    std::vector<std::map<std::string, V>::const_iterator> at;
    for (const auto& m : maps) at.push_back(m.begin());
    for (;;) {
      const std::string* next = nullptr;
      for (size_t k = 0; k < maps.size(); ++k) {
        if (at[k] != maps[k].end() && (next == nullptr || at[k]->first < *next))
          next = &at[k]->first;
      }
      if (next == nullptr) break;
      const std::string name = *next;
      V first;
      bool same = true;
      bool present_everywhere = true;
      for (size_t k = 0; k < maps.size(); ++k) {
        if (at[k] == maps[k].end() || at[k]->first != name) {
          present_everywhere = false;
          continue;
        }
        auto it = at[k]++;
        if (!first) first = it->second;
        else if (first != it->second) {
          // Equal constants are the same value.
          bool eq = first->kind == Value::Kind::kNum && it->second->kind == Value::Kind::kNum &&
                    first->num->Evaluate() && it->second->num->Evaluate() &&
                    first->num->Evaluate()->AsDouble() == it->second->num->Evaluate()->AsDouble();
          eq = eq || (first->kind == Value::Kind::kNone && it->second->kind == Value::Kind::kNone);
          eq = eq || (first->kind == Value::Kind::kStr && it->second->kind == Value::Kind::kStr &&
                      first->str == it->second->str && !first->str_pattern);
          if (!eq) same = false;
        }
      }
      if (same && present_everywhere)
        merged.emplace_hint(merged.end(), name, first);
      else
        merged.emplace_hint(merged.end(), name,
                            MakeUnknown("`" + name + "` differs between branches", true));
    }
    return merged;
  };
  f.env = merge(envs);
  if (f.self) f.self->attrs = merge(attrs);
  f.returned = false;
}

void Interpreter::ExecFor(Frame& f, TSNode stmt, int depth) {
  TSNode left = Field(stmt, "left");
  V iterable = Eval(f, Field(stmt, "right"), depth + 1);
  // Elements appended in the body are repeated by this loop (its header is
  // where their count is decided).
  struct LoopScope {
    std::vector<SourceLocation>& stack;
    ~LoopScope() { stack.pop_back(); }
  };
  loops_.push_back(Loc(f, stmt));
  LoopScope scope{loops_};
  auto items = Iterate(iterable);
  if (items && static_cast<int64_t>(items->size()) <= options_.max_unroll) {
    for (auto& item : *items) {
      Assign(f, left, item, depth + 1);
      ExecBlock(f, Field(stmt, "body"), depth + 1);
      if (f.returned) return;
    }
    return;
  }
  // Unknown trip count: one symbolic pass. Names built from the loop
  // variable become patterns; list appends make open lists.
  V element = MakeUnknown("loop variable of a loop whose length is unknown", true);
  if (iterable->kind == Value::Kind::kSeq && !iterable->items.empty()) element = iterable->items.front();
  Assign(f, left, element, depth + 1);
  ++pattern_depth_;
  ++optional_depth_;
  ExecBlock(f, Field(stmt, "body"), depth + 1);
  --optional_depth_;
  --pattern_depth_;
  f.returned = false;
}

void Interpreter::Assign(Frame& f, TSNode target, const V& value, int depth) {
  Step();
  const char* type = ts_node_type(target);
  if (std::strcmp(type, "identifier") == 0) {
    AssignName(f, Text(f, target), value);
  } else if (std::strcmp(type, "pattern_list") == 0 || std::strcmp(type, "tuple_pattern") == 0 ||
             std::strcmp(type, "list_pattern") == 0 || std::strcmp(type, "tuple") == 0 ||
             std::strcmp(type, "list") == 0) {
    std::vector<TSNode> targets = NamedChildren(target);
    auto items = Iterate(value);
    for (size_t i = 0; i < targets.size(); ++i) {
      TSNode t = targets[i];
      if (items && items->size() == targets.size()) Assign(f, t, (*items)[i], depth);
      else Assign(f, t, MakeUnknown("unpacking of an unknown value", value->kind == Value::Kind::kUnknown), depth);
    }
  } else if (std::strcmp(type, "attribute") == 0) {
    TSNode object = Field(target, "object");
    std::string attr = Text(f, Field(target, "attribute"));
    V obj = Eval(f, object, depth);
    if (obj->kind == Value::Kind::kModule && obj->module) {
      SetModuleAttr(f, *obj->module, attr, value, target, false);
    } else if (obj->kind == Value::Kind::kObject && obj->module) {
      // A config object's field. Under an unknown condition the other branch
      // may keep the old value: the field is then not known.
      auto& attrs = obj->module->attrs;
      auto it = attrs.find(attr);
      if (optional_depth_ > 0 && (it == attrs.end() || it->second != value)) {
        attrs[attr] = MakeUnknown("`" + attr + "` set under a condition that is not known", true);
      } else {
        attrs[attr] = value;
      }
    }
  } else if (std::strcmp(type, "subscript") == 0) {
    V obj = Eval(f, Field(target, "value"), depth);
    V key = Eval(f, Field(target, "subscript"), depth);
    if (obj->kind == Value::Kind::kDict) {
      if (key->kind == Value::Kind::kStr && !key->str_pattern) {
        // Inside a branch whose condition is unknown the dict object is shared
        // by both alternatives: the entry becomes unknown, not overwritten.
        const bool uncertain = optional_depth_ > 0;
        for (auto& kv : obj->dict) {
          if (kv.first == key->str) {
            kv.second = uncertain && kv.second != value ? MakeUnknown("`" + key->str + "` set in a branch", true) : value;
            return;
          }
        }
        obj->dict.push_back({key->str, uncertain ? MakeUnknown("`" + key->str + "` set in a branch", true) : value});
        if (uncertain) obj->dict_keys_uncertain = true;
      } else {
        obj->dict_open = true;
      }
    } else if (obj->kind == Value::Kind::kModule && obj->module &&
               obj->module->container == ContainerKind::kModuleDict) {
      if (key->kind == Value::Kind::kStr) SetModuleAttr(f, *obj->module, key->str, value, target, key->str_pattern);
      else NoteOpen(f, "", "ModuleDict entry with a key that is not known", target);
    } else if (obj->kind == Value::Kind::kSeq) {
      auto idx = AsInt(key);
      if (idx && !obj->items_open) {
        int64_t i = *idx < 0 ? *idx + static_cast<int64_t>(obj->items.size()) : *idx;
        if (i >= 0 && i < static_cast<int64_t>(obj->items.size())) obj->items[i] = value;
      } else {
        obj->items_open = true;
      }
    }
  }
}

void Interpreter::AssignName(Frame& f, const std::string& name, const V& value) { f.env[name] = value; }

// Module.__setattr__ (torch 1.13), plus the open/optional/pattern bookkeeping.
void Interpreter::SetModuleAttr(Frame& f, Instance& inst, const std::string& name, const V& value, TSNode where,
                                bool name_is_pattern) {
  SourceLocation loc = Loc(f, where);
  const bool optional = optional_depth_ > 0;
  const bool pattern = name_is_pattern || name.find('*') != std::string::npos;
  auto upsert = [&](std::vector<Slot>& slots, const V& v, bool persistent) {
    Slot* slot = FindSlot(slots, name);
    if (slot) {
      // Reassignment keeps the first position. Outside branches it replaces
      // the value; inside, it adds an alternative.
      if (optional || pattern) {
        // Alternatives (branches), or several names folded into one pattern:
        // Flatten keeps a shape only if all of them agree.
        slot->values.push_back(v);
        if (optional) slot->optional = true;
      } else {
        slot->values = {v};
        slot->location = loc;
        slot->owner = f.owner;
      }
      slot->persistent = persistent;
      return;
    }
    Slot s;
    s.name = name;
    s.values = {v};
    s.persistent = persistent;
    s.optional = optional;
    s.pattern = pattern;
    s.owner = f.owner;
    s.location = loc;
    slots.push_back(std::move(s));
  };
  auto remove_from = [&](std::vector<Slot>& slots) {
    if (optional) return;  // the other branch may keep it
    slots.erase(std::remove_if(slots.begin(), slots.end(), [&](const Slot& s) { return s.name == name; }),
                slots.end());
  };
  switch (value->kind) {
    case Value::Kind::kTensor:
      if (value->is_parameter) {
        remove_from(inst.buffers);
        remove_from(inst.children);
        inst.attrs.erase(name);
        upsert(inst.params, value, true);
        return;
      }
      if (Slot* b = FindSlot(inst.buffers, name)) {
        (void)b;
        upsert(inst.buffers, value, FindSlot(inst.buffers, name)->persistent);
        return;
      }
      if (FindSlot(inst.params, name)) {
        // torch raises TypeError: assigning a plain tensor to a parameter slot.
        NoteOpen(f, name + ".", "a plain tensor is assigned to parameter `" + name + "` (torch raises)", where);
        return;
      }
      inst.attrs[name] = value;  // a plain tensor attribute: not in the state dict
      return;
    case Value::Kind::kModule:
      remove_from(inst.params);
      remove_from(inst.buffers);
      inst.attrs.erase(name);
      upsert(inst.children, value, true);
      return;
    case Value::Kind::kNone:
      if (FindSlot(inst.params, name)) { upsert(inst.params, value, true); return; }
      if (Slot* b = FindSlot(inst.buffers, name)) { upsert(inst.buffers, value, b->persistent); return; }
      if (FindSlot(inst.children, name)) { upsert(inst.children, value, true); return; }
      inst.attrs[name] = value;  // `self.x = None` reservation: a plain attribute
      return;
    case Value::Kind::kUnknown:
      if (!value->alternatives.empty()) {
        AssignAlternatives(f, inst, name, value, where, name_is_pattern);
        return;
      }
      if (value->maybe_module) {
        // Could be a module or a Parameter: the open prefix is `name` itself
        // (the key `name`) and everything under it (`name.*`), never `name.`
        // alone, which would leave a parameter key `name` unexplained.
        inst.opens.push_back({name, value->reason.empty() ? "value not understood" : value->reason, loc});
        inst.opens.back().reason = "`self." + name + "` is assigned a value that may be a module: " + inst.opens.back().reason;
      }
      inst.attrs[name] = value;
      return;
    default:
      inst.attrs[name] = value;
      return;
  }
}


void Interpreter::AssignAlternatives(Frame& f, Instance& inst, const std::string& name, const V& value,
                                     TSNode where, bool name_is_pattern) {
  // Each alternative registers as it would alone, under an unknown condition:
  // `nn.Parameter(...) if bias else None` is an optional key, never a missing
  // or an unexpected one.
  ++optional_depth_;
  for (const V& alt : value->alternatives) SetModuleAttr(f, inst, name, alt, where, name_is_pattern);
  --optional_depth_;
  // Plain attributes the alternatives left behind are not known either.
  auto a = inst.attrs.find(name);
  if (a != inst.attrs.end() && !FindSlot(inst.params, name) && !FindSlot(inst.buffers, name) &&
      !FindSlot(inst.children, name)) {
    a->second = MakeUnknown(value->reason);
  }
}

}  // namespace ptlint::prediction
