#include "rules/references/ptl104_pickled_attribute_drift.h"

#include <algorithm>
#include <set>

#include "analyzer/checkpoint/global_origin.h"
#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& PickledAttributeDriftRule::info() const {
  static const RuleInfo kInfo{"PTL104", "pickled-attribute-drift", Severity::kError,
                              "A pickled module's attributes differ from what today's __init__ sets"};
  return kInfo;
}

namespace {

// Attributes torch 1.13's own layers set in `__init__` and read in
// `forward` without a `__setstate__` default: a pickle from an older torch
// that lacks one fails at forward(). Generated from torch 1.13 by
// rules/ptl104_torch_layer_attributes.py (instance __dict__ minus Module's
// own, read as `self.X` in forward, not defaulted by __setstate__).
struct TorchLayerAttributes {
  const char* name;
  const char* module;
  std::vector<const char*> attributes;
};
const std::vector<TorchLayerAttributes>& TorchLayerTable() {
  static const std::vector<TorchLayerAttributes> kTable = {
      {"Upsample", "torch.nn.modules.upsampling", {"size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"}},
      {"Conv1d", "torch.nn.modules.conv", {"stride", "dilation", "groups", "_reversed_padding_repeated_twice"}},
      {"Conv2d", "torch.nn.modules.conv", {"stride", "dilation", "groups", "_reversed_padding_repeated_twice"}},
      {"Conv3d", "torch.nn.modules.conv", {"stride", "dilation", "groups", "_reversed_padding_repeated_twice"}},
      {"ConvTranspose2d", "torch.nn.modules.conv", {"kernel_size", "stride", "dilation", "groups"}},
      {"BatchNorm1d", "torch.nn.modules.batchnorm", {"eps", "momentum", "track_running_stats"}},
      {"BatchNorm2d", "torch.nn.modules.batchnorm", {"eps", "momentum", "track_running_stats"}},
      {"LayerNorm", "torch.nn.modules.normalization", {"normalized_shape", "eps"}},
      {"GroupNorm", "torch.nn.modules.normalization", {"num_groups", "eps"}},
      {"Embedding", "torch.nn.modules.sparse", {"padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse"}},
      {"Dropout", "torch.nn.modules.dropout", {"p", "inplace"}},
      {"GELU", "torch.nn.modules.activation", {"approximate"}},
      {"SiLU", "torch.nn.modules.activation", {"inplace"}},
      {"Hardswish", "torch.nn.modules.activation", {"inplace"}},
      {"ReLU", "torch.nn.modules.activation", {"inplace"}},
      {"LeakyReLU", "torch.nn.modules.activation", {"negative_slope", "inplace"}},
      {"MaxPool2d", "torch.nn.modules.pooling", {"kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"}},
      {"AvgPool2d", "torch.nn.modules.pooling", {"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"}},
      {"AdaptiveAvgPool2d", "torch.nn.modules.pooling", {"output_size"}},
      {"MultiheadAttention", "torch.nn.modules.activation", {"num_heads", "dropout", "batch_first", "bias_k", "bias_v", "add_zero_attn"}},
      {"Flatten", "torch.nn.modules.flatten", {"start_dim", "end_dim"}},
      {"Mish", "torch.nn.modules.activation", {"inplace"}},
      {"Hardsigmoid", "torch.nn.modules.activation", {"inplace"}},
  };
  return kTable;
}

const TorchLayerAttributes* FindTorchLayer(const std::string& module, const std::string& name) {
  for (const TorchLayerAttributes& t : TorchLayerTable()) {
    if (name == t.name && module == t.module) return &t;
  }
  return nullptr;
}

bool IsTorchModuleBase(const std::string& base) {
  return base == "torch.nn.Module" || base == "torch.nn.modules.module.Module";
}

class AttributeCollector {
 public:
  AttributeCollector(const ModuleIndex& index, ClassAttributeFacts& facts) : index_(index), facts_(facts) {}

  void CollectClass(const ClassInfo& cls, int depth) {
    if (depth > 8 || !visited_.insert(cls.qualified_name).second) return;
    const IndexedFile* file = index_.FindFile(cls.path);
    if (file == nullptr || ts_node_is_null(cls.node)) {
      facts_.complete = false;
      return;
    }
    file_ = file;
    cls_name_ = cls.name;
    TSNode body = Field(cls.node, "body");
    uint32_t n = ts_node_named_child_count(body);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode stmt = ts_node_named_child(body, i);
      if (IsType(stmt, "decorated_definition")) stmt = Field(stmt, "definition");
      if (IsType(stmt, "function_definition")) {
        std::string name(file->parsed.Text(Field(stmt, "name")));
        if (name == "__setstate__" || name == "__getattr__" || name == "__getattribute__") {
          facts_.custom_state = true;
        }
        method_ = name;
        Walk(Field(stmt, "body"), name == "__init__", false);
      } else if (IsType(stmt, "expression_statement")) {
        TSNode e = ts_node_named_child(stmt, 0);
        if (IsType(e, "assignment")) {
          TSNode left = Field(e, "left");
          if (IsType(left, "identifier")) facts_.class_level.emplace_back(file->parsed.Text(left));
        }
      }
    }
    // Project bases contribute their attributes; anything else but
    // nn.Module leaves the picture incomplete.
    for (const std::string& text : cls.base_texts) {
      if (text == "object") continue;
      Symbol base = index_.Resolve(cls.module, text);
      if (base.kind == Symbol::Kind::kClass && base.cls != nullptr) {
        CollectClass(*base.cls, depth + 1);
        continue;
      }
      // nn.Module itself sets nothing a subclass must list; a torch layer
      // (nn.Linear, ...) or an unknown base registers things we cannot see.
      if (!IsTorchModuleBase(base.qualified_name)) facts_.complete = false;
    }
  }

 private:
  std::string Text(TSNode n) const { return std::string(file_->parsed.Text(n)); }

  // `self.X` -> "X", else "".
  std::string SelfAttribute(TSNode n) const {
    if (!IsType(n, "attribute")) return {};
    TSNode obj = Field(n, "object");
    if (!IsType(obj, "identifier") || Text(obj) != "self") return {};
    return Text(Field(n, "attribute"));
  }

  void RecordSet(const std::string& name, TSNode at, bool in_init, bool conditional) {
    if (name.empty()) return;
    auto [it, fresh] = facts_.sets.try_emplace(name);
    ClassAttributeFacts::Set& s = it->second;
    bool better = fresh || (in_init && !s.in_init) || (in_init && !conditional && !s.unconditional);
    if (better) {
      s.at = PositionOf(at);
      s.path = file_->info.path;
      s.in_init = in_init;
      s.unconditional = in_init && !conditional;
    }
  }

  void RecordTargets(TSNode left, bool in_init, bool conditional) {
    if (IsType(left, "attribute")) {
      RecordSet(SelfAttribute(left), left, in_init, conditional);
      return;
    }
    if (IsType(left, "pattern_list") || IsType(left, "tuple_pattern") || IsType(left, "list_pattern")) {
      uint32_t n = ts_node_named_child_count(left);
      for (uint32_t i = 0; i < n; ++i) RecordTargets(ts_node_named_child(left, i), in_init, conditional);
    }
  }

  void Walk(TSNode n, bool in_init, bool conditional) {
    if (ts_node_is_null(n)) return;
    const char* type = ts_node_type(n);
    std::string_view t(type);
    if (t == "function_definition" || t == "class_definition" || t == "lambda") return;
    if (t == "if_statement" || t == "for_statement" || t == "while_statement" ||
        t == "try_statement" || t == "match_statement" || t == "conditional_expression") {
      conditional = true;
    }
    if (t == "assignment") {
      RecordTargets(Field(n, "left"), in_init, conditional);
      Walk(Field(n, "right"), in_init, conditional);
      Walk(Field(n, "type"), in_init, conditional);
      return;
    }
    if (t == "call") {
      TSNode fn = Field(n, "function");
      TSNode args = Field(n, "arguments");
      std::string callee = Text(fn);
      if (callee == "setattr" || callee == "self.__dict__.update") facts_.dynamic = true;
      if (callee == "self.register_buffer" || callee == "self.register_parameter" ||
          callee == "self.add_module" || callee == "self.register_module") {
        TSNode first = ts_node_named_child(args, 0);
        std::string literal;
        if (!ts_node_is_null(first) && IsType(first, "string") &&
            StringLiteralValue(file_->parsed, first, &literal)) {
          RecordSet(literal, n, in_init, conditional);
        } else {
          facts_.dynamic = true;
        }
      }
    }
    if (t == "attribute") {
      std::string name = SelfAttribute(n);
      if (name == "__dict__") facts_.dynamic = true;
      if (!name.empty() && !in_init && !facts_.reads.count(name)) {
        facts_.reads[name] = PositionOf(n);
        facts_.read_in[name] = cls_name_ + "." + method_ + " (" + DisplayPath(file_->info.path) + ":" +
                               std::to_string(PositionOf(n).line) + ")";
      }
    }
    uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < count; ++i) Walk(ts_node_named_child(n, i), in_init, conditional);
  }

  const ModuleIndex& index_;
  ClassAttributeFacts& facts_;
  const IndexedFile* file_ = nullptr;
  std::string cls_name_;
  std::string method_;
  std::set<std::string> visited_;
};

std::string StripNone(const std::string& p) {
  size_t eq = p.find('=');
  return eq == std::string::npos ? p : p.substr(0, eq);
}

std::string PathsText(const std::vector<std::string>& paths) {
  std::string s;
  for (size_t i = 0; i < paths.size() && i < 3; ++i) {
    s += (i ? ", `" : "`") + (paths[i].empty() ? std::string("<root>") : paths[i]) + "`";
  }
  if (paths.size() > 3) s += " and " + std::to_string(paths.size() - 3) + " more";
  return s;
}

}  // namespace

ClassAttributeFacts CollectClassAttributeFacts(const ModuleIndex& index, const ClassInfo& cls) {
  ClassAttributeFacts facts;
  AttributeCollector(index, facts).CollectClass(cls, 0);
  return facts;
}

void PickledAttributeDriftRule::CheckCheckpoint(const CheckpointContext& ctx,
                                                std::vector<Diagnostic>& out) const {
  const Checkpoint& cp = ctx.checkpoint;
  if (cp.modules.empty()) return;
  const ModuleIndex& index = ctx.project.index;

  // One finding per (class, attribute), naming every submodule path it hits.
  struct Finding {
    std::vector<std::string> paths;
    uint64_t offset = 0;
  };
  std::map<std::pair<std::string, std::string>, Finding> missing, stale;
  std::vector<std::pair<std::string, std::string>> missing_order, stale_order;
  std::map<std::string, const ClassInfo*> classes;
  std::map<std::string, ClassAttributeFacts> facts_by_class;
  std::map<std::pair<std::string, std::string>, std::string> stale_kind;

  for (const ModuleNode& node : cp.modules) {
    if (node.name.empty()) continue;
    std::set<std::string> pickled(node.attributes.begin(), node.attributes.end());
    for (const std::string& c : node.children) pickled.insert(c);
    for (const std::string& p : node.parameters) pickled.insert(StripNone(p));
    for (const std::string& b : node.buffers) pickled.insert(b);
    // An empty __dict__ means the reader could not see the instance state.
    if (node.attributes.empty()) continue;
    const std::string qualified = node.module + "." + node.name;

    if (const TorchLayerAttributes* layer = FindTorchLayer(node.module, node.name)) {
      for (const char* attr : layer->attributes) {
        if (pickled.count(attr)) continue;
        auto key = std::make_pair(qualified, std::string(attr));
        auto [it, fresh] = missing.try_emplace(key);
        if (fresh) {
          it->second.offset = node.offset;
          missing_order.push_back(key);
        }
        it->second.paths.push_back(node.path);
      }
      continue;
    }
    if (!ctx.project.has_source || ClassifyGlobalOrigin(node.module) != GlobalOrigin::kProject) continue;
    const ClassInfo* cls = index.FindClass(qualified);
    if (cls == nullptr) continue;  // PTL101 / PTL102 / PTL103
    classes[qualified] = cls;
    auto fit = facts_by_class.find(qualified);
    if (fit == facts_by_class.end()) {
      fit = facts_by_class.emplace(qualified, CollectClassAttributeFacts(index, *cls)).first;
    }
    const ClassAttributeFacts& facts = fit->second;

    // Set unconditionally by today's __init__, absent from the pickle.
    if (!facts.custom_state) {
      for (const auto& [name, set] : facts.sets) {
        if (!set.unconditional || pickled.count(name)) continue;
        if (std::find(facts.class_level.begin(), facts.class_level.end(), name) != facts.class_level.end()) {
          continue;  // a class attribute supplies the default
        }
        auto key = std::make_pair(qualified, name);
        auto [it, fresh] = missing.try_emplace(key);
        if (fresh) {
          it->second.offset = node.offset;
          missing_order.push_back(key);
        }
        it->second.paths.push_back(node.path);
      }
    }
    // Registered in the pickle, registered nowhere in today's class.
    if (facts.complete && !facts.dynamic) {
      auto check = [&](const std::vector<std::string>& names, const char* kind) {
        for (const std::string& raw : names) {
          std::string name = StripNone(raw);
          if (facts.sets.count(name)) continue;
          auto key = std::make_pair(qualified, name);
          auto [it, fresh] = stale.try_emplace(key);
          if (fresh) {
            it->second.offset = node.offset;
            stale_order.push_back(key);
            stale_kind[key] = kind;
          }
          it->second.paths.push_back(node.path);
        }
      };
      check(node.children, "submodule");
      check(node.parameters, "parameter");
      check(node.buffers, "buffer");
    }
  }

  for (const auto& key : missing_order) {
    const auto& [qualified, attr] = key;
    const Finding& f = missing[key];
    const std::string simple = SimpleName(qualified);
    Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(f.offset));
    d.torch_error = "AttributeError: '" + simple + "' object has no attribute '" + attr + "'";
    auto cls_it = classes.find(qualified);
    if (cls_it == classes.end()) {
      // A torch layer pickled by an older torch.
      d.message = "the pickled `" + simple + "` at " + PathsText(f.paths) + " has no `" + attr +
                  "` attribute, which torch 1.13's `" + simple + "` sets in __init__ and reads in "
                  "forward(): the object was pickled by an older torch";
      d.fix = "Load it once and re-save `model.state_dict()`, then build the model from code. To "
              "run this pickle as is, set the attribute after loading (e.g. `for m in "
              "model.modules(): if isinstance(m, nn." + simple + "): m." + attr + " = None`).";
      out.push_back(std::move(d));
      continue;
    }
    const ClassInfo& cls = *cls_it->second;
    const ClassAttributeFacts& facts = facts_by_class[qualified];
    const ClassAttributeFacts::Set& set = facts.sets.at(attr);
    bool read = facts.reads.count(attr) > 0;
    d.severity = read ? Severity::kError : Severity::kWarning;
    d.message = "today's `" + simple + ".__init__` sets `self." + attr + "`, but the pickled `" +
                simple + "` at " + PathsText(f.paths) + " has no such attribute";
    if (read) d.message += "; " + facts.read_in.at(attr) + " reads it";
    if (!read) d.torch_error.clear();  // nothing reads it today: no error to predict
    d.fix = "Re-save the checkpoint as a state dict (`torch.save(model.state_dict(), ...)`) and "
            "rebuild the model from code; to load this pickle, give `" + simple + "` a class-level "
            "default (`" + attr + " = ...`) or a `__setstate__` that sets it.";
    PlaceOnSource(d, RangeAt(set.path, set.at), "the pickled `" + simple + "` lacks `" + attr + "`");
    if (read) {
      RelatedLocation rel;
      rel.where = RangeAt(cls.path, facts.reads.at(attr));
      rel.message = "`self." + attr + "` is read here";
      d.related.push_back(std::move(rel));
    }
    out.push_back(std::move(d));
  }

  for (const auto& key : stale_order) {
    const auto& [qualified, name] = key;
    const Finding& f = stale[key];
    const ClassInfo& cls = *classes.at(qualified);
    const std::string simple = SimpleName(qualified);
    const std::string& kind = stale_kind[key];
    Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(f.offset));
    d.severity = Severity::kWarning;
    d.message = "the pickled `" + simple + "` at " + PathsText(f.paths) + " has " + kind + " `" + name +
                "`, which today's `" + simple + "` no longer creates: the loaded object is the old "
                "model, not today's";
    d.fix = "Load the state dict into a model built from today's code instead (`m = " + simple +
            "(...); m.load_state_dict(old.state_dict(), strict=False)` and review the missing and "
            "unexpected keys), then save `m.state_dict()`.";
    PlaceOnSource(d, RangeAt(cls.path, cls.position),
                  "the pickled `" + simple + "` has " + kind + " `" + name + "`");
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
