#include "analyzer/analysis/weights_only_simulation.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "analyzer/formats/pickle_opcodes.h"

namespace ptlint {
namespace {

// The texts torch.load wraps errors in, per release.
const char* kUnsafe26 =
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source.";
const char* kUnsafe24 =
    "Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source.";
const char* kUnsafe113 =
    "Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution.Do it only if you get the file "
    "from a trusted source. WeightsUnpickler error: ";
const char* kDocs =
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.";

std::string Unsafe(TorchVersion version) {
  return version == TorchVersion::k2_4 ? kUnsafe24 : kUnsafe26;
}

std::string PythonExceptionName(const std::string& exception) {
  if (exception == "UnpicklingError") return "_pickle.UnpicklingError";
  return exception;
}

std::string ShortName(const std::string& name) {
  size_t dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(0, dot);  // Outer.Inner imports Outer
}

}  // namespace

std::string TorchLoadErrorMessage(const WeightsOnlyPickleRun& run, TorchVersion version) {
  if (run.ok) return {};
  if (!run.wrapped_by_torch) {
    std::string name = PythonExceptionName(run.exception);
    return run.inner_message.empty() ? name : name + ": " + run.inner_message;
  }
  const std::string& message = run.inner_message;
  if (version == TorchVersion::k1_13) {
    return "_pickle.UnpicklingError: " + std::string(kUnsafe113) + message;
  }
  bool unsafe_global = message.find("was not an allowed global by default.") != std::string::npos &&
                       message.find("GLOBAL ") != std::string::npos;
  std::string out = "_pickle.UnpicklingError: ";
  if (version == TorchVersion::k2_4) {
    if (unsafe_global) {
      out += "Weights only load failed. This file can still be loaded, to do so you have two "
             "options \n\t(1) " + Unsafe(version) +
             "\n\t(2) Alternatively, to load with `weights_only=True` please check the "
             "recommended steps in the following error message.\n\tWeightsUnpickler error: " +
             message;
    } else {
      out += "Weights only load failed. " + Unsafe(version) +
             "\n Please file an issue with the following so that we can make `weights_only=True` "
             "compatible with your use case: WeightsUnpickler error: " + message;
    }
    return out + kDocs;
  }
  bool blocked = message.find(" is blocked") != std::string::npos &&
                 message.find("whose module ") != std::string::npos;
  bool import_needed = message.find(" must be imported to load") != std::string::npos;
  if (unsafe_global) {
    out += "Weights only load failed. This file can still be loaded, to do so you have two options, "
           "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. \n\t(1) " +
           Unsafe(version) +
           "\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended "
           "steps in the following error message.\n\tWeightsUnpickler error: " + message;
  } else if (import_needed) {
    return out + "Weights only load failed. " + message;
  } else {
    out += "Weights only load failed. " + Unsafe(version) + "\n";
    if (!blocked) {
      out += "Please file an issue with the following so that we can make `weights_only=True` "
             "compatible with your use case: WeightsUnpickler error: ";
    }
    out += message;
  }
  return out + kDocs;
}

std::vector<int> PicklesTorchLoadReads(const Checkpoint& checkpoint) {
  std::vector<int> out;
  for (size_t i = 0; i < checkpoint.pickles.size(); ++i) {
    const PickleStream& p = checkpoint.pickles[i];
    switch (checkpoint.format) {
      case ContainerFormat::kTorchZip: {
        const std::string& r = p.record;
        bool data_pkl = r == "data.pkl" ||
                        (r.size() > 9 && r.compare(r.size() - 9, 9, "/data.pkl") == 0);
        // Only the top-level <archive>/data.pkl, not a nested one.
        if (data_pkl && std::count(r.begin(), r.end(), '/') <= 1) out.push_back(static_cast<int>(i));
        break;
      }
      case ContainerFormat::kLegacy:
      case ContainerFormat::kLegacyTar:
      case ContainerFormat::kRawPickle:
      case ContainerFormat::kUnknown:
        out.push_back(static_cast<int>(i));
        break;
      default:
        break;
    }
  }
  return out;
}

namespace {

// Without the bytes: the first failure the graph can show (a node made by an
// opcode outside the accepted set, or a global outside the allowlist),
// whichever comes first. Protocol >= 4 pickles start with FRAME.
WeightsOnlyPickleRun ApproximateFromGraph(const PickleGraph& g, TorchVersion version,
                                          const std::set<std::string>& user_allowed) {
  WeightsOnlyPickleRun run;
  run.exact = false;
  auto fail = [&](uint64_t offset, uint8_t op, std::string message, std::string global = {}) {
    run.ok = false;
    run.exception = version == TorchVersion::k1_13 ? "RuntimeError" : "UnpicklingError";
    run.wrapped_by_torch = true;
    run.offset = offset;
    run.opcode = op;
    run.inner_message = std::move(message);
    run.global = std::move(global);
    return run;
  };
  if (g.protocol >= 4) return fail(g.start_offset + 2, pickle_op::FRAME, "Unsupported operand 149");
  uint64_t best = UINT64_MAX;
  uint8_t best_op = 0;
  for (const PickleNode& n : g.nodes) {
    if (!WeightsOnlyAcceptsOpcode(n.opcode, version) && n.offset < best) {
      best = n.offset;
      best_op = n.opcode;
    }
  }
  for (const GlobalRef& ref : g.globals) {
    if (ref.offset >= best) break;
    if (ref.opcode != pickle_op::GLOBAL) {
      if (ref.offset < best) { best = ref.offset; best_op = ref.opcode; }
      break;
    }
    QualifiedGlobal q = WeightsOnlyMapGlobal(ref.module, ref.name, version, g.protocol);
    std::string full = q.qualified();
    bool allowed = InTorchWeightsOnlyAllowlist(full, version) ||
                   (version != TorchVersion::k1_13 && user_allowed.count(full));
    if (version != TorchVersion::k1_13 && IsTorchBlockedModule(q.module)) {
      return fail(ref.offset, pickle_op::GLOBAL, "Trying to load unsupported GLOBAL " + full + " whose module " +
                                        q.module + " is blocked.", full);
    }
    if (!allowed) {
      // Let the exact walker produce the message text from a synthetic GLOBAL.
      std::string synthetic = "c" + ref.module + "\n" + ref.name + "\n";
      WeightsOnlyPickleRun one = RunWeightsOnlyUnpickler(synthetic, ref.offset, version, user_allowed);
      one.exact = false;
      return one;
    }
  }
  if (best != UINT64_MAX) return fail(best, best_op, "Unsupported operand " + std::to_string(best_op));
  if (g.error) {
    run.ok = false;
    run.exception = "UnpicklingError";
    run.wrapped_by_torch = false;
    run.inner_message = g.error->message;
    run.offset = g.error->offset < 0 ? g.end_offset : static_cast<uint64_t>(g.error->offset);
    return run;
  }
  run.ok = true;
  return run;
}

}  // namespace

WeightsOnlyPrediction SimulateWeightsOnly(const Checkpoint& checkpoint, TorchVersion version,
                                          const WeightsOnlyOptions& options) {
  WeightsOnlyPrediction out;
  out.version = version;
  out.default_weights_only = WeightsOnlyIsDefault(version);

  switch (checkpoint.format) {
    case ContainerFormat::kSafetensors:
    case ContainerFormat::kShardedIndex:
    case ContainerFormat::kDistributedCheckpoint:
    case ContainerFormat::kNotACheckpoint:
      out.applicable = false;
      out.note = std::string("torch.load does not read ") + ContainerFormatName(checkpoint.format) +
                 " files; weights_only does not apply";
      return out;
    default:
      break;
  }

  bool modern = version == TorchVersion::k2_6 || version == TorchVersion::kCurrent;
  if (checkpoint.format == ContainerFormat::kTorchScript) {
    if (modern) {
      out.message = "RuntimeError: Cannot use ``weights_only=True`` with TorchScript archives passed "
                    "to ``torch.load``. " + std::string(kUnsafe26);
      out.inner_message = out.message.substr(14);
      return out;
    }
    out.loads = true;
    out.note = "torch.load dispatches TorchScript archives to torch.jit.load and ignores "
               "weights_only: the archive's code runs; load it only with torch.jit.load from a "
               "trusted source";
    return out;
  }
  if (checkpoint.format == ContainerFormat::kLegacyTar && modern) {
    out.message = "RuntimeError: Cannot use ``weights_only=True`` with files saved in the legacy "
                  ".tar format. " + std::string(kUnsafe26);
    out.inner_message = out.message.substr(14);
    return out;
  }

  std::vector<int> order = PicklesTorchLoadReads(checkpoint);
  // The bytes the reader kept (PickleStream::bytes), or the test seam's;
  // without them the run is approximated from the graph.
  std::vector<std::optional<std::string>> owned(order.size());
  std::vector<std::optional<std::string_view>> bytes(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const PickleStream& stream = checkpoint.pickles[order[k]];
    if (options.pickle_bytes) {
      owned[k] = options.pickle_bytes(checkpoint, stream);
      if (owned[k]) bytes[k] = *owned[k];
    } else if (!stream.bytes.empty()) {
      bytes[k] = stream.bytes;
    }
  }

  auto run_all = [&](const std::set<std::string>& allowed, int* failed_pickle) {
    for (size_t k = 0; k < order.size(); ++k) {
      const PickleStream& stream = checkpoint.pickles[order[k]];
      WeightsOnlyPickleRun run =
          bytes[k] ? RunWeightsOnlyUnpickler(*bytes[k], stream.graph.start_offset, version, allowed)
                   : ApproximateFromGraph(stream.graph, version, allowed);
      if (!run.ok) {
        *failed_pickle = order[k];
        return run;
      }
    }
    WeightsOnlyPickleRun ok;
    ok.ok = true;
    return ok;
  };

  int failed = -1;
  WeightsOnlyPickleRun first = run_all(options.user_allowed, &failed);
  for (const auto& b : bytes) out.exact = out.exact && b.has_value();
  out.exact = out.exact && first.exact;
  if (first.ok) {
    out.loads = true;
  } else {
    out.message = TorchLoadErrorMessage(first, version);
    out.inner_message = first.inner_message;
    out.pickle = checkpoint.pickles[failed].index;
    out.record = checkpoint.pickles[failed].record;
    out.offset = static_cast<int64_t>(first.offset);
  }

  // Every global torch would reject, not just the first: the user fixes them
  // all at once.
  std::map<std::pair<int, uint64_t>, const GlobalUse*> uses;
  for (const GlobalUse& use : checkpoint.globals) uses[{use.pickle, use.offset}] = &use;
  std::set<std::string> seen;
  SafetyContext context;
  context.torch_version = version;
  for (int index : order) {
    const PickleStream& stream = checkpoint.pickles[index];
    for (const GlobalRef& ref : stream.graph.globals) {
      QualifiedGlobal q = WeightsOnlyMapGlobal(ref.module, ref.name, version, stream.graph.protocol);
      std::string full = q.qualified();
      if (InTorchWeightsOnlyAllowlist(full, version)) continue;
      if (version != TorchVersion::k1_13 && options.user_allowed.count(full) &&
          !IsTorchBlockedModule(q.module)) {
        continue;
      }
      if (!seen.insert(full).second) continue;
      WeightsOnlyOffender offender;
      offender.module = q.module;
      offender.name = q.name;
      offender.qualified = full;
      offender.blocked = version != TorchVersion::k1_13 && IsTorchBlockedModule(q.module);
      offender.pickle = stream.index;
      offender.offset = ref.offset;
      auto it = uses.find({stream.index, ref.offset});
      if (it != uses.end()) offender.object_path = it->second->object_path;
      GlobalClassification c = ClassifyGlobal(ref.module, ref.name, context);
      offender.tier = c.tier;
      offender.why = c.why;
      offender.can_run_code = CanRunCode(c) || ref.dynamic || ref.truncated;
      out.offenders.push_back(std::move(offender));
    }
  }

  if (version == TorchVersion::k1_13 || out.offenders.empty()) {
    out.loads_after_allowlisting = out.loads;
    if (!out.loads) out.message_after_allowlisting = out.message;
    return out;
  }

  // The minimal add_safe_globals line: every offender that may be
  // allowlisted. Blocked modules cannot be, and dangerous globals should not
  // be; they stay out of the line (the offender list says why).
  std::set<std::string> allow = options.user_allowed;
  std::map<std::string, int> short_names;
  std::vector<const WeightsOnlyOffender*> listed;
  // A project class the file names by another path than its definition's:
  // only the (class, "name in the file") form (torch >= 2.6) allowlists it.
  std::map<const WeightsOnlyOffender*, std::pair<std::string, std::string>> renamed;
  for (const WeightsOnlyOffender& o : out.offenders) {
    if (o.blocked || o.can_run_code) continue;
    if (options.defined_as) {
      if (auto home = options.defined_as(o.module, o.name); home && home->first + "." + home->second != o.qualified) {
        out.defined_elsewhere.push_back(o.qualified + " (defined as " + home->first + "." + home->second + ")");
        if (version == TorchVersion::k2_4) continue;  // 2.4/2.5 take classes only: cannot be allowlisted
        renamed[&o] = *home;
      }
    }
    allow.insert(o.qualified);
    listed.push_back(&o);
    ++short_names[ShortName(renamed.count(&o) ? renamed[&o].second : o.name)];
  }
  std::vector<std::string> args;
  std::set<std::string> imports;
  for (const WeightsOnlyOffender* o : listed) {
    if (auto it = renamed.find(o); it != renamed.end()) {
      const auto& [module, name] = it->second;
      std::string head = ShortName(name);
      std::string ref = name;
      if (short_names[head] > 1) {
        imports.insert("import " + module);
        ref = module + "." + name;
      } else {
        imports.insert("from " + module + " import " + head);
      }
      args.push_back("(" + ref + ", \"" + o->qualified + "\")");
      continue;
    }
    std::string head = ShortName(o->name);
    if (o->module == "builtins") {
      args.push_back(o->name);
    } else if (short_names[head] > 1) {
      imports.insert("import " + o->module);
      args.push_back(o->qualified);
    } else {
      imports.insert("from " + o->module + " import " + head);
      args.push_back(o->name);
    }
  }
  out.imports.assign(imports.begin(), imports.end());
  if (!args.empty()) {
    std::string line = "torch.serialization.add_safe_globals([";
    for (size_t i = 0; i < args.size(); ++i) line += (i ? ", " : "") + args[i];
    out.add_safe_globals = line + "])";
  }
  int failed_after = -1;
  WeightsOnlyPickleRun after = run_all(allow, &failed_after);
  out.loads_after_allowlisting = after.ok;
  if (!after.ok) out.message_after_allowlisting = TorchLoadErrorMessage(after, version);
  return out;
}

}  // namespace ptlint
