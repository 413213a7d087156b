#include "rules/drift/ptl202_unexpected_keys.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& UnexpectedKeysRule::info() const {
  static const RuleInfo kInfo{"PTL202", "unexpected-keys", Severity::kError,
                              "The checkpoint holds keys the code no longer registers"};
  return kInfo;
}

namespace {

// Where an unexpected key belongs: the class of its deepest parent module that
// still exists ("encoder.layers.0" for "encoder.layers.0.final_layer_norm.weight",
// an EncoderLayer), told by a predicted sibling key registered in that class's
// `__init__`, and the attribute under it that the class no longer creates.
struct Owner {
  const ClassInfo* cls = nullptr;
  std::string attribute;   // "final_layer_norm"
  std::string parent;      // "encoder.layers.0"
  // Or a torch layer that still exists but no longer creates the key
  // (`fc.bias` after `nn.Linear(..., bias=False)`, `norm.weight` after
  // `self.norm = nn.Identity()`): where it is built.
  SourceLocation layer;
  // Or the key is still registered, as a buffer with persistent=False:
  // state_dict() no longer holds it. Where it is registered.
  SourceLocation non_persistent;
};

Owner FindOwner(const CheckpointContext& ctx, const std::string& key) {
  Owner owner;
  const auto& expected = ctx.analyzed.expected;
  if (!expected || !ctx.project.has_source) return owner;
  const ModuleIndex& index = ctx.project.index;
  for (const PredictedKey& k : expected->keys) {
    if (!k.is_pattern && !k.persistent && k.key == key && k.location.line > 0) {
      owner.non_persistent = k.location;
      return owner;
    }
  }
  // The deepest parent the prediction still builds, by the module the
  // prediction records at that path: a project class no longer creates the
  // attribute; a torch layer built in project code no longer creates the key.
  for (size_t dot = key.rfind('.'); dot != std::string::npos && dot > 0; dot = key.rfind('.', dot - 1)) {
    std::string parent = key.substr(0, dot);
    const MetadataEntry* m = PredictedModuleAt(*expected, parent);
    if (m == nullptr || m->type.empty()) continue;
    std::string tail = key.substr(dot + 1);
    const ClassInfo* c = m->type.rfind("torch.", 0) == 0 ? nullptr : index.FindClass(m->type);
    if (c != nullptr) {
      owner.cls = c;
      owner.attribute = tail.substr(0, tail.find('.'));
      owner.parent = parent;
      return owner;
    }
    if (tail.find('.') == std::string::npos && m->location.line > 0 &&
        m->type.rfind("torch.nn.", 0) == 0 && m->type.find("Sequential") == std::string::npos &&
        m->type.find("Module") == std::string::npos && m->type.find("Parameter") == std::string::npos) {
      owner.layer = m->location;
      owner.parent = parent;
      return owner;
    }
    break;  // a container: which element went is the sibling search's to tell
  }
  for (size_t dot = key.rfind('.'); dot != std::string::npos && dot > 0; dot = key.rfind('.', dot - 1)) {
    std::string parent = key.substr(0, dot);
    const std::string head = parent + ".";
    for (const PredictedKey& k : expected->keys) {
      if (k.is_pattern || k.key.size() <= head.size() || k.key.compare(0, head.size(), head) != 0) continue;
      std::string rest = k.key.substr(head.size());
      size_t depth = static_cast<size_t>(std::count(rest.begin(), rest.end(), '.'));
      const ClassInfo* found = nullptr;
      if (depth == 0) {
        // `parent.p`: a parameter or buffer the parent's own (project) class registers.
        const ClassInfo* c = index.FindClass(k.owner_class);
        if (c != nullptr && c->path == k.location.path) {
          found = c;
        } else if (c == nullptr && k.location.line > 0) {
          // A sibling parameter of a layer the project does not define (a
          // torch layer): that layer, built on k's line, is the cause.
          owner.layer = k.location;
          owner.parent = parent;
          return owner;
        }
      } else if (depth == 1 && k.location.line > 0) {
        // `parent.attr.weight` of a torch layer: registered where `self.attr = nn.X(...)`
        // is assigned, in the parent's class: the nearest class above that line.
        for (const ClassInfo* c : index.AllClasses()) {
          if (c->path != k.location.path || c->position.line > k.location.line) continue;
          if (found == nullptr || c->position.line > found->position.line) found = c;
        }
      }
      if (found == nullptr) continue;
      owner.cls = found;
      std::string tail = key.substr(dot + 1);
      owner.attribute = tail.substr(0, tail.find('.'));
      owner.parent = parent;
      return owner;
    }
  }
  return owner;
}

// "\"fc.bias\", \"fc.x\"," : a Python tuple's items.
std::string QuotedPythonStrings(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += "\"" + k + "\", ";
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace

void UnexpectedKeysRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr) return;
  const std::string cls = ctx.analyzed.binding.cls;
  if (!ctx.diff->unexpected_entries.empty()) {
    // Non-tensor entries saved beside the weights (`sd["epoch"] = 3`): torch
    // checks every key of the dict it is given, tensors or not.
    const std::vector<std::string>& entries = ctx.diff->unexpected_entries;
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    d.message = ctx.display_path + " holds " + QuotedList(entries) + " beside the tensors of its state dict; " +
                ShortClassName(cls) + " has no such keys";
    const CallSite* site = BindingCallSite(ctx);
    if (site != nullptr && site->strict_false) {
      d.severity = Severity::kWarning;
      d.message += "; load_state_dict(strict=False) drops them silently";
    } else {
      d.torch_error = TorchLoadStateDictError(ShortClassName(cls), {}, entries, {});
    }
    d.fix = "Save the extra values beside the state dict, not in it (`torch.save({\"model\": model.state_dict(), "
            "\"epoch\": epoch}, path)`), or drop them before loading (`sd = {k: v for k, v in sd.items() if "
            "isinstance(v, torch.Tensor)}`).";
    d.location = BoundClassRange(ctx);
    d.related.push_back({CheckpointRange(ctx), "the checkpoint with the extra entries"});
    out.push_back(std::move(d));
  }
  if (ctx.diff->unexpected.empty()) return;
  const CallSite* site = BindingCallSite(ctx);
  bool lenient = site != nullptr && site->strict_false;
  std::vector<std::string> all;
  for (const TensorInfo* t : ctx.diff->unexpected) all.push_back(t->name);
  // One finding per attribute a class no longer creates ("final_layer_norm"
  // of EncoderLayer, under every layer), on that class; keys with no parent
  // left in the model are grouped by their top-level subtree ("head.*"), on
  // the bound class.
  struct Group {
    std::vector<std::string> keys;
    std::set<std::string> parents;
    Owner owner;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  for (const std::string& name : all) {
    std::string k = name;
    const StateDictDiff& diff = *ctx.diff;
    if (!diff.extra_prefix.empty() && k.rfind(diff.extra_prefix, 0) == 0) k = k.substr(diff.extra_prefix.size());
    if (!diff.missing_prefix.empty()) k = diff.missing_prefix + k;
    Owner owner = FindOwner(ctx, k);
    // A buffer made non-persistent in a repeated block: one finding on its line.
    std::string id = owner.non_persistent.line > 0
                         ? "buffer\n" + owner.non_persistent.path + ":" + std::to_string(owner.non_persistent.line)
                     : owner.cls != nullptr         ? owner.cls->qualified_name + "\n" + owner.attribute
                     : owner.layer.line > 0         ? "layer\n" + owner.parent
                                                    : "\n" + name.substr(0, name.find('.'));
    if (!groups.count(id)) order.push_back(id);
    Group& g = groups[id];
    g.keys.push_back(name);
    g.owner = owner;
    if (owner.cls != nullptr) g.parents.insert(owner.parent);
  }
  for (const std::string& id : order) {
    const Group& g = groups[id];
    const auto& keys = g.keys;
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    d.message = ctx.display_path + " holds " + QuotedList(keys) + ", which " + ShortClassName(cls) +
                " no longer registers";
    if (g.owner.cls != nullptr && g.owner.cls->qualified_name != cls) {
      d.message += " (under `self." + g.owner.attribute + "` of " + ShortClassName(g.owner.cls->qualified_name) + ")";
    }
    if (lenient) {
      d.severity = Severity::kWarning;
      d.message += "; load_state_dict(strict=False) drops them silently";
    } else {
      d.torch_error = TorchLoadStateDictError(ShortClassName(cls), {}, all, {});
    }
    std::string drop;
    if (g.owner.cls != nullptr && g.parents.size() > 1) {
      drop = "\"." + g.owner.attribute + ".\" not in \".\" + k";
    } else {
      std::string prefix = g.owner.cls != nullptr
                               ? (g.parents.begin()->empty() ? "" : *g.parents.begin() + ".") + g.owner.attribute
                               : keys.front().substr(0, keys.front().find('.'));
      drop = "not k.startswith(\"" + prefix + ".\")";
    }
    d.fix = "If the layer was removed on purpose, drop the keys before loading "
            "(`sd = {k: v for k, v in sd.items() if " + drop + "}`) or load with "
            "strict=False; if it was renamed, restore the old attribute name or rename the keys.";
    d.location = g.owner.cls != nullptr ? RangeAt(g.owner.cls->path, g.owner.cls->position) : BoundClassRange(ctx);
    if (g.owner.cls == nullptr && g.owner.layer.line > 0) {
      d.message += " (the layer `" + g.owner.parent + "` built here no longer creates " +
                   (keys.size() == 1 ? "it" : "them") + ")";
      d.fix = "Build `" + g.owner.parent + "` as it was when the checkpoint was saved (for a dropped bias, " +
              "`bias=True`), or drop the keys before loading (`sd = {k: v for k, v in sd.items() if k not in " +
              "(" + QuotedPythonStrings(keys) + ")}`) or load with strict=False.";
      d.location = RangeAt(g.owner.layer);
    }
    if (g.owner.non_persistent.line > 0) {
      d.message += " (registered here with persistent=False, so its state_dict() leaves it out)";
      d.fix = "Register the buffer as it was when the checkpoint was saved (persistent=True), or drop the key "
              "before loading (`sd = {k: v for k, v in sd.items() if k not in (" + QuotedPythonStrings(keys) +
              ")}`) or load with strict=False.";
      d.location = RangeAt(g.owner.non_persistent);
    }
    d.related.push_back({CheckpointRange(ctx), "the checkpoint with the extra keys"});
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
