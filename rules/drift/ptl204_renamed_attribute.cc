#include "rules/drift/ptl204_renamed_attribute.h"

#include <cctype>
#include <map>
#include <set>

#include "analyzer/python/load_key_rewrite.h"
#include "rules/core/quick_fix.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& RenamedAttributeRule::info() const {
  static const RuleInfo kInfo{"PTL204", "renamed-attribute", Severity::kError,
                              "A submodule or parameter was renamed since the checkpoint was saved"};
  return kInfo;
}

namespace {

bool IsIndex(const std::string& segment) {
  return !segment.empty() && segment.size() < 10 &&
         segment.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::string> Segments(const std::string& dotted) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    out.push_back(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

// One rename as an instance of a repeated block: "layers.3.attn." ->
// "layers.3.attention." is "layers.N.attn." -> "layers.N.attention." in
// instance "layers.3". Indexed only when both sides carry the same indices
// in the same order (the block moved, not renumbered).
struct RenameShape {
  std::string old_pattern, new_pattern;  // prefixes with N for each index, no trailing dot
  std::string instance;                  // old prefix up to its last index ("layers.3"); "" unindexed
  std::string old_attribute, new_attribute;  // the last segments ("attn", "attention")
};

RenameShape ShapeOf(const RenamedSubtree& r) {
  RenameShape s;
  std::vector<std::string> from = Segments(r.checkpoint_prefix.substr(0, r.checkpoint_prefix.size() - 1));
  std::vector<std::string> to = Segments(r.code_prefix.substr(0, r.code_prefix.size() - 1));
  std::vector<std::string> from_indices, to_indices;
  for (const std::string& x : from) if (IsIndex(x)) from_indices.push_back(x);
  for (const std::string& x : to) if (IsIndex(x)) to_indices.push_back(x);
  bool indexed = !from_indices.empty() && from_indices == to_indices;
  auto join = [&](const std::vector<std::string>& parts, bool abstract, size_t upto) {
    std::string out;
    for (size_t i = 0; i < upto; ++i) out += (i ? "." : "") + (abstract && IsIndex(parts[i]) ? "N" : parts[i]);
    return out;
  };
  s.old_pattern = join(from, indexed, from.size());
  s.new_pattern = join(to, indexed, to.size());
  if (indexed) {
    size_t last = 0;
    for (size_t i = 0; i < from.size(); ++i) if (IsIndex(from[i])) last = i + 1;
    s.instance = join(from, false, last);
  }
  s.old_attribute = from.empty() ? "" : from.back();
  s.new_attribute = to.empty() ? "" : to.back();
  return s;
}

// `re.sub(r"^layers\.(\d+)\.attn\.", r"layers.\g<1>.attention.", k)`'s two
// patterns for an indexed rename; nullopt when a name cannot sit in a raw
// string literal.
std::optional<std::pair<std::string, std::string>> RegexFor(const RenamedSubtree& r) {
  std::string pattern = "^", replacement;
  int group = 0;
  std::vector<std::string> from = Segments(r.checkpoint_prefix.substr(0, r.checkpoint_prefix.size() - 1));
  std::vector<std::string> to = Segments(r.code_prefix.substr(0, r.code_prefix.size() - 1));
  for (const std::string& x : from) {
    if (x.find_first_of("\"\\") != std::string::npos) return std::nullopt;
    pattern += IsIndex(x) ? std::string("(\\d+)") : PythonRegexEscape(x);
    pattern += "\\.";
  }
  for (const std::string& x : to) {
    if (x.find_first_of("\"\\") != std::string::npos) return std::nullopt;
    replacement += IsIndex(x) ? "\\g<" + std::to_string(++group) + ">" : x;
    replacement += ".";
  }
  return std::make_pair(pattern, replacement);
}

}  // namespace

void RenamedAttributeRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr) return;
  const std::string cls = ShortClassName(ctx.analyzed.binding.cls);
  // The renames of this file by shape: twelve layers' `attn` -> `attention`
  // are one shape, one cause.
  std::map<std::pair<std::string, std::string>, std::vector<const RenamedSubtree*>> by_shape;
  for (const RenamedSubtree& r : ctx.diff->renames) {
    RenameShape s = ShapeOf(r);
    by_shape[{s.old_pattern, s.new_pattern}].push_back(&r);
  }
  const Checkpoint& as_loaded = ctx.analyzed.as_loaded ? *ctx.analyzed.as_loaded : ctx.checkpoint;
  for (const RenamedSubtree& r : ctx.diff->renames) {
    const RenameShape shape = ShapeOf(r);
    const std::vector<const RenamedSubtree*>& same_cause = by_shape[{shape.old_pattern, shape.new_pattern}];
    std::string old_name = r.checkpoint_prefix.substr(0, r.checkpoint_prefix.size() - 1);
    std::string new_name = r.code_prefix.substr(0, r.code_prefix.size() - 1);
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    d.message = "`" + old_name + "` in " + ctx.display_path + " is `" + new_name + "` in " + cls + ": " +
                std::to_string(r.keys.size()) + (r.keys.size() == 1 ? " key aligns" : " keys align") +
                " by name and shape (" + QuotedList(r.keys, 3) + ")";
    // torch names every key of the cause in this file at once.
    std::vector<std::string> missing, unexpected;
    for (const RenamedSubtree* each : same_cause) {
      for (const std::string& k : each->keys) {
        missing.push_back(each->code_prefix + k);
        unexpected.push_back(each->checkpoint_prefix + k);
      }
      for (const std::string& k : each->filled_by_torch) unexpected.push_back(each->checkpoint_prefix + k);
    }
    d.torch_error = TorchLoadStateDictError(cls, missing, unexpected, {});
    // An indexed rename is fixed for every instance at once by a regular
    // expression, provided it renames nothing but this cause's keys.
    std::optional<std::pair<std::string, std::string>> regex;
    if (!shape.instance.empty()) {
      regex = RegexFor(r);
      std::optional<LoadKeyRewrite> rewrite = regex ? MakeRegexRewrite(regex->first, regex->second) : std::nullopt;
      std::set<std::string> cause_keys(unexpected.begin(), unexpected.end());
      bool only_cause = rewrite.has_value();
      for (const TensorInfo* t : StateDictTensors(as_loaded)) {
        if (!only_cause) break;
        auto renamed = rewrite->Apply(t->name);
        if (renamed && *renamed != t->name && !cause_keys.count(t->name)) only_cause = false;
      }
      if (!only_cause) regex.reset();
    }
    std::string rewrite_text;  // the key expression, with `k`
    if (regex) {
      rewrite_text = "re.sub(r\"" + regex->first + "\", r\"" + regex->second + "\", k)";
      d.fix = "Rename the keys when loading, for every instance: `sd = {" + rewrite_text +
              ": v for k, v in sd.items()}` (with `import re`), or keep the old attribute name `" +
              shape.old_attribute + "`.";
    } else {
      rewrite_text = "(\"" + r.code_prefix + "\" + k[" + std::to_string(r.checkpoint_prefix.size()) +
                     ":] if k.startswith(\"" + r.checkpoint_prefix + "\") else k)";
      d.fix = "Rename the keys when loading: `sd = {" + rewrite_text +
              ": v for k, v in sd.items()}`, or keep the old attribute name `" + old_name + "`.";
    }
    // The line to look at is where the new name is assigned: `self.encoder = ...`
    // in the class that owns the renamed attribute, its first such line (the
    // root class for a top-level rename; for a deeper one the project class
    // the prediction builds at the parent path, so `self.proj = None` before
    // `if ...: self.proj = Conv(...)` is reported like a top-level rename
    // would be). Else where the prediction builds the module of the new
    // name, or, for a container element built elsewhere and passed by name,
    // the argument that places it, since its position is the new index; else
    // the first key's line.
    const CheckpointBinding& b = ctx.analyzed.binding;
    const MetadataEntry* built =
        ctx.analyzed.expected ? PredictedModuleAt(*ctx.analyzed.expected, new_name) : nullptr;
    SourceRange assigned;  // end_line 0: no `self.<name> = ` in the owning class's text
    const size_t last_dot = new_name.rfind('.');
    if (last_dot != std::string::npos && ctx.analyzed.expected && ctx.project.has_source) {
      const MetadataEntry* parent = PredictedModuleAt(*ctx.analyzed.expected, new_name.substr(0, last_dot));
      const ClassInfo* owner = parent == nullptr || parent->type.empty() || parent->type.rfind("torch.", 0) == 0
                                   ? nullptr : ctx.project.index.FindClass(parent->type);
      if (owner != nullptr) {
        assigned = AttributeAssignmentRange(ctx.project, owner->path, owner->position.line,
                                            new_name.substr(last_dot + 1));
      }
    }
    if (new_name.find('.') == std::string::npos && !b.class_path.empty()) {
      d.location = AttributeAssignmentRange(ctx.project, b.class_path, b.class_position.line, new_name);
    } else if (assigned.end_line > 0) {
      d.location = assigned;
    } else if (built != nullptr && built->placed.line > 0) {
      d.location = RangeAt(built->placed);
    } else if (built != nullptr && built->location.line > 0) {
      d.location = RangeAt(built->location);
    } else if (r.anchor != nullptr && r.anchor->location.line > 0) {
      d.location = RangeAt(r.anchor->location);
    } else {
      d.location = BoundClassRange(ctx);
    }
    if (d.location.line > 0) {
      d.related.push_back({CheckpointRange(ctx), "the checkpoint still uses `" +
                                                     (regex ? shape.old_pattern : old_name) + "`"});
    }
    // One cause: this rename at this line of this class, in every instance
    // and every checkpoint bound to the class (GroupFindingsByCause). Only
    // when the fix covers every instance: a per-instance fix stays per instance.
    if (regex || shape.instance.empty()) {
      d.cause = "PTL204|" + b.cls + "|" + d.location.path + ":" + std::to_string(d.location.line) + "|" +
                shape.old_pattern + "->" + shape.new_pattern + (regex ? "|re" : "");
      d.instance = shape.instance;
      d.cause_message = "`" + shape.old_pattern + "` in the checkpoints is `" + shape.new_pattern + "` in " + cls +
                        ": " + std::to_string(r.keys.size()) + (regex ? " keys per instance" : " keys") +
                        " align by name and shape (" + QuotedList(r.keys, 3) + ")";
    }
    // The fix: rename the keys where the checkpoint is loaded (the code keeps
    // its new name, which forward() and other callers already use).
    if (const CallSite* site = BindingCallSite(ctx)) {
      if (auto arg = LoadStateDictArgument(ctx.project, *site)) {
        const std::string* source = IndexedSource(ctx.project, site->path);
        std::string argument = source->substr(arg->first, arg->second - arg->first);
        TextEdit edit;
        edit.range = RangeOfBytes(site->path, *source, arg->first, arg->second);
        edit.new_text = "{" + rewrite_text + ": v for k, v in " + AsOperand(argument) + ".items()}";
        d.edits.push_back(std::move(edit));
        if (regex) {
          if (auto import = ImportModuleEdit(ctx.project, site->path, "re")) d.edits.push_back(std::move(*import));
        }
      }
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
