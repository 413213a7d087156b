#include "rules/loading/ptl303_weights_only_rejects.h"

#include "analyzer/analysis/weights_only_simulation.h"
#include <set>

#include "rules/core/quick_fix.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& WeightsOnlyRejectsRule::info() const {
  static const RuleInfo kInfo{"PTL303", "weights-only-rejects", Severity::kError,
                              "torch.load(weights_only=True) will refuse this checkpoint"};
  return kInfo;
}

void WeightsOnlyRejectsRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  // Which loads will run with weights_only=True: those that say so, and those
  // that say nothing under a torch whose default it is (2.6+).
  bool by_default = WeightsOnlyIsDefault(ctx.torch_version);
  std::vector<const CallSite*> affected;
  bool any_site = false;
  std::set<std::string> user_allowed;
  for (const CallSite& s : ctx.project.call_sites) {
    if (s.kind == CallKind::kAddSafeGlobals) user_allowed.insert(s.safe_globals.begin(), s.safe_globals.end());
  }
  for (int i : ctx.analyzed.load_sites) {
    const CallSite& s = ctx.project.call_sites[static_cast<size_t>(i)];
    if (s.kind != CallKind::kTorchLoad) continue;
    any_site = true;
    if (s.weights_only.value_or(by_default)) affected.push_back(&s);
  }
  if (any_site && affected.empty()) return;        // every load opts out explicitly
  if (!any_site && !by_default) return;             // nothing loads it with weights_only
  WeightsOnlyOptions options;
  options.user_allowed = user_allowed;
  const ProjectAnalysis& project = ctx.project;
  options.defined_as = [&project](const std::string& module, const std::string& name)
      -> std::optional<std::pair<std::string, std::string>> {
    const ClassInfo* c = project.FindProjectClass(module, name);
    if (c == nullptr || c->nested) return std::nullopt;
    return std::make_pair(c->module, c->name);
  };
  WeightsOnlyPrediction p = SimulateWeightsOnly(ctx.checkpoint, ctx.torch_version, options);
  if (!p.applicable || p.loads) return;

  Diagnostic d = CheckpointDiagnostic(info(), ctx);
  std::string version = TorchVersionName(ctx.torch_version);
  std::vector<std::string> offenders;
  bool dangerous = false, blocked = false;
  for (const WeightsOnlyOffender& o : p.offenders) {
    offenders.push_back(o.qualified + (o.object_path.empty() ? "" : " at " + o.object_path));
    dangerous |= o.can_run_code;
    blocked |= o.blocked;
  }
  d.message = "torch " + version + " `torch.load(..., weights_only=True)`" +
              (by_default ? " (the default since 2.6)" : "") + " refuses " + ctx.display_path;
  if (!offenders.empty()) d.message += ": it needs " + QuotedList(offenders, 4);
  d.torch_error = StripAnsi(p.message);
  // A file the security scan says can run code gets no allowlist advice at
  // all, whichever global weights_only happens to stop at first.
  bool file_can_run_code = ctx.safety_report != nullptr && ctx.safety_report->can_execute_code;
  if (dangerous || blocked) {
    d.fix = "Do not allowlist these globals: they can run code (see PTL601/PTL602/PTL604). Re-save "
            "the weights alone from a trusted environment: `torch.save(model.state_dict(), path)`.";
  } else if (file_can_run_code) {
    d.fix = "Do not allowlist anything for this file: the security scan found globals or pickle "
            "tricks that can run code (see PTL601/PTL602/PTL604). Re-save the weights alone from a "
            "trusted environment: `torch.save(model.state_dict(), path)`.";
  } else if (!p.add_safe_globals.empty()) {
    d.fix = "If you trust the file: ";
    for (const std::string& imp : p.imports) d.fix += imp + "; ";
    d.fix += p.add_safe_globals + " before torch.load";
    if (!p.defined_elsewhere.empty()) {
      // torch's own hint names the bare class, which it keys by the class's
      // own module: that would not cover the name in the file.
      d.fix += " (the file names " + QuotedList(p.defined_elsewhere, 3) +
               ": the bare class would be allowlisted under its own module, not that name)";
    }
    d.fix += ". Better: re-save it as a plain state dict "
             "(`torch.save(model.state_dict(), path)`), which loads under weights_only with no allowlist.";
  } else if (!p.defined_elsewhere.empty()) {
    d.fix = "torch " + version + "'s add_safe_globals keys classes by their own module, and the file names " +
            QuotedList(p.defined_elsewhere, 3) + ": no allowlist reaches that name before torch 2.6, whose "
            "add_safe_globals takes (class, \"name in the file\"). Re-save it as a plain state dict "
            "(`torch.save(model.state_dict(), path)`), or load it with weights_only=False only if you trust its source.";
  } else {
    d.fix = "Re-save it as a plain state dict (`torch.save(model.state_dict(), path)`), or load it with "
            "weights_only=False only if you trust its source.";
  }
  d.byte_offset = p.offset;
  if (!affected.empty()) {
    d.location = CallRange(*affected.front());
    d.related.push_back({CheckpointRange(ctx), "the checkpoint holding these globals"});
    // The fix (never for globals that can run code): allowlist them before the load.
    if (!dangerous && !blocked && !file_can_run_code && !p.add_safe_globals.empty()) {
      std::vector<std::string> lines = p.imports;
      lines.push_back(p.add_safe_globals);
      if (auto edit = InsertLinesBefore(ctx.project, affected.front()->path,
                                        static_cast<int>(affected.front()->start.line), lines)) {
        d.edits.push_back(std::move(*edit));
      }
    }
  } else {
    d.severity = Severity::kWarning;  // no call site seen: a prediction for whoever loads it
  }
  out.push_back(std::move(d));
}

}  // namespace ptlint
