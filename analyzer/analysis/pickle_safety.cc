#include "analyzer/analysis/pickle_safety.h"


#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "analyzer/checkpoint/reader_problem_codes.h"

namespace ptlint {
namespace {

constexpr size_t kMaxChainDepth = 5;
constexpr size_t kMaxReprChars = 60;
constexpr int kMaxReprDepth = 3;

enum class Role : uint8_t { kCallee, kArgs, kKwargs, kItem, kBuildState, kAppended, kSetItem, kPid };

struct Edge {
  NodeId parent;
  Role role;
};

// Parent edges of every node: who consumes it. Built once per pickle that
// has something to report.
class ReverseGraph {
 public:
  explicit ReverseGraph(const PickleGraph& g) : parents_(g.nodes.size()) {
    for (NodeId id = 0; id < g.nodes.size(); ++id) {
      const PickleNode& n = g.nodes[id];
      auto add = [&](NodeId child, Role role) {
        if (child != kNoNode && child < parents_.size() && parents_[child].size() < 8) {
          parents_[child].push_back({id, role});
        }
      };
      if (n.kind == PickleKind::kCall || n.kind == PickleKind::kNewObj) {
        add(n.callee, Role::kCallee);
        add(n.args, Role::kArgs);
        add(n.kwargs, Role::kKwargs);
      } else if (n.kind == PickleKind::kPersistentId) {
        add(n.args, Role::kPid);
      }
      for (NodeId item : n.items) add(item, Role::kItem);
      for (NodeId b : n.builds) add(b, Role::kBuildState);
      for (NodeId a : n.appended) add(a, Role::kAppended);
      for (NodeId s : n.set_items) add(s, Role::kSetItem);
    }
  }
  const std::vector<Edge>& parents(NodeId id) const {
    static const std::vector<Edge> kNone;
    return id < parents_.size() ? parents_[id] : kNone;
  }

 private:
  std::vector<std::vector<Edge>> parents_;
};

// A short repr of a node. Depth-bounded: a pickle can nest calls and tuples
// a million levels deep (f()()()...), and a repr is one line of a message.
std::string Repr(const PickleGraph& g, NodeId id, int depth = 0) {
  if (id == kNoNode || id >= g.nodes.size()) return "?";
  if (depth > kMaxReprDepth) return "...";
  const PickleNode& n = g.nodes[id];
  auto clip = [](std::string s) {
    if (s.size() > kMaxReprChars) s = s.substr(0, kMaxReprChars) + "...";
    for (char& c : s) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return s;
  };
  switch (n.kind) {
    case PickleKind::kNone: return "None";
    case PickleKind::kBool: return n.int_value ? "True" : "False";
    case PickleKind::kInt: return std::to_string(n.int_value);
    case PickleKind::kFloat: return "<float>";
    case PickleKind::kStr: return "'" + clip(n.text) + "'";
    case PickleKind::kBytes: return "b'" + clip(n.text) + "'";
    case PickleKind::kGlobal: return n.dynamic ? "<dynamic global>" : n.text + "." + n.name;
    case PickleKind::kTuple: {
      if (depth > 1) return "(...)";
      std::string s = "(";
      for (size_t i = 0; i < n.items.size() && i < 4; ++i) {
        s += (i ? ", " : "") + Repr(g, n.items[i], depth + 1);
      }
      if (n.items.size() > 4) s += ", ...";
      if (n.items.size() == 1) s += ",";
      return s + ")";
    }
    case PickleKind::kCall:
    case PickleKind::kNewObj: {
      std::string callee = n.callee == kNoNode ? "?" : Repr(g, n.callee, depth + 1);
      return callee + "(...)";
    }
    default: return std::string("<") + PickleKindName(n.kind) + ">";
  }
}

std::string Clip(std::string_view s) {
  std::string out(s.substr(0, 40));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (s.size() > 40) out += "... (" + std::to_string(s.size()) + " bytes kept)";
  return out;
}

// functools.partial is a gadget: it hides a call to any callable behind a
// harmless-looking global. But torchvision stores
// `norm_layer=partial(nn.LayerNorm, eps=1e-6)` in every whole-module pickle
// of a ViT or ConvNeXt, so the partial is judged by what it wraps. A
// partial global is benign when every use of it is `partial(F, ...)`
// (REDUCE or NEWOBJ) with F a global some allowlist vouches for, and every
// BUILD state of the result is partial's own (F', args, kwargs, dict) with F'
// vouched for too (__setstate__ replaces the callee). Its arguments are data
// or globals of their own, which are judged on their own. Any other use (the
// partial class passed around, called on a computed value) keeps it a gadget.
// `partial_node(i)` gives the node of the i-th global if it is functools.partial.
template <typename PartialNode>
std::vector<bool> BenignPartials(const PickleGraph& g, size_t count, PartialNode partial_node,
                                 const std::vector<bool>& safe_global) {
  std::vector<bool> out(count, false);
  std::vector<uint8_t> state(g.nodes.size(), 0);  // 1: a partial node, 2: misused
  bool any = false;
  for (size_t i = 0; i < count; ++i) {
    NodeId id = partial_node(i);
    if (id != kNoNode && id < state.size()) {
      state[id] = 1;
      any = true;
    }
  }
  if (!any) return out;
  auto is_partial = [&](NodeId id) { return id != kNoNode && id < state.size() && state[id] != 0; };
  auto safe_callee = [&](NodeId id) {
    return id != kNoNode && id < g.nodes.size() && g.nodes[id].kind == PickleKind::kGlobal &&
           safe_global[id];
  };
  auto misuse = [&](NodeId id) {
    if (is_partial(id)) state[id] = 2;
  };
  for (const PickleNode& n : g.nodes) {
    bool constructs = (n.kind == PickleKind::kCall || n.kind == PickleKind::kNewObj) && is_partial(n.callee);
    if (constructs) {
      const PickleNode* args = n.args < g.nodes.size() ? &g.nodes[n.args] : nullptr;
      bool ok = args != nullptr && args->kind == PickleKind::kTuple && !args->items.empty() &&
                safe_callee(args->items[0]);
      for (NodeId b : n.builds) {
        const PickleNode* st = b < g.nodes.size() ? &g.nodes[b] : nullptr;
        ok = ok && st != nullptr && st->kind == PickleKind::kTuple && st->items.size() == 4 &&
             safe_callee(st->items[0]);
      }
      if (!ok) misuse(n.callee);
    } else {
      misuse(n.callee);
    }
    misuse(n.args);
    misuse(n.kwargs);
    for (NodeId id : n.items) misuse(id);
    for (NodeId id : n.builds) misuse(id);
    for (NodeId id : n.appended) misuse(id);
    for (NodeId id : n.set_items) misuse(id);
  }
  misuse(g.root);
  for (size_t i = 0; i < count; ++i) {
    NodeId id = partial_node(i);
    out[i] = id != kNoNode && id < state.size() && state[id] == 1;
  }
  return out;
}

std::string CallSite(const PickleGraph& g, NodeId call) {
  const PickleNode& n = g.nodes[call];
  return PickleOpcodeName(n.opcode) + " at offset " + std::to_string(n.offset);
}

// How a node is used, climbing parents up to kMaxChainDepth levels.
std::vector<std::string> CallChain(const PickleGraph& g, const ReverseGraph& rev, NodeId start,
                                   std::string* consumer) {
  std::vector<std::string> chain;
  std::set<NodeId> visited;
  NodeId current = start;
  bool first = true;
  if (start < g.nodes.size() && !g.nodes[start].builds.empty()) {
    chain.push_back("BUILD sets state on the imported object itself: " +
                    Repr(g, g.nodes[start].builds.front()));
    if (consumer) *consumer = "BUILD";
    first = false;
  }
  while (chain.size() < kMaxChainDepth && visited.insert(current).second) {
    const std::vector<Edge>& parents = rev.parents(current);
    if (parents.empty()) {
      if (current == g.root) chain.push_back("the result is the unpickled object (returned by STOP)");
      break;
    }
    // Prefer the edge that says the most about execution.
    const Edge* edge = &parents.front();
    for (const Edge& e : parents) {
      if (e.role == Role::kCallee) { edge = &e; break; }
    }
    const PickleNode& parent = g.nodes[edge->parent];
    std::string subject = first ? "it" : "the result";
    switch (edge->role) {
      case Role::kCallee:
        if (first && consumer) *consumer = parent.kind == PickleKind::kNewObj ? "NEWOBJ" : "REDUCE";
        chain.push_back(CallSite(g, edge->parent) + (parent.kind == PickleKind::kNewObj ? " instantiates " : " calls ") +
                        subject + " with " + Repr(g, parent.args));
        break;
      case Role::kArgs:
      case Role::kKwargs:
        chain.push_back(subject + " is passed as an argument to " + Repr(g, parent.callee) + " (" +
                        CallSite(g, edge->parent) + ")");
        break;
      case Role::kBuildState:
        if (first && consumer) *consumer = "BUILD";
        chain.push_back(subject + " becomes BUILD state of " + Repr(g, edge->parent));
        break;
      case Role::kPid:
        if (first && consumer) *consumer = "persistent-id";
        chain.push_back(subject + " is part of a persistent id (" + CallSite(g, edge->parent) + ")");
        break;
      default:
        chain.push_back(subject + " is stored in a " + PickleKindName(parent.kind) + " (" +
                        CallSite(g, edge->parent) + ")");
        break;
    }
    first = false;
    current = edge->parent;
  }
  return chain;
}

const char* RuleName(std::string_view rule) {
  if (rule == "PTL601") return "code-execution-global";
  if (rule == "PTL602") return "dangerous-global";
  if (rule == "PTL603") return "unknown-global";
  return "dynamic-import";
}

// Anomaly codes from the PickleMachine that mean "a real unpickler reads
// this differently from a naive scanner". build.on-global is a gadget and
// global.dynamic is reported per global; py2 strings are not evasion.
bool IsEvasionAnomaly(std::string_view code) {
  return code != "global.dynamic" && code != "build.on-global" && code != "string.py2-not-utf8";
}

}  // namespace

int PickleSafetyReport::count(std::string_view rule) const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [&](const SafetyFinding& f) { return f.rule == rule; }));
}

std::vector<SafetyFinding> AnalyzePickleGraph(const PickleGraph& graph, int pickle_index,
                                              std::string_view record, std::string_view file,
                                              const PickleSafetyOptions& options,
                                              const std::vector<GlobalUse>* uses) {
  std::vector<SafetyFinding> out;
  auto base = [&](const char* rule) {
    SafetyFinding f;
    f.rule = rule;
    f.rule_name = RuleName(rule);
    f.severity = Severity::kError;
    f.pickle = pickle_index;
    f.record = std::string(record);
    f.file = std::string(file);
    return f;
  };
  std::map<uint64_t, const GlobalUse*> use_at;
  if (uses) {
    for (const GlobalUse& u : *uses) {
      if (u.pickle == pickle_index) use_at.emplace(u.offset, &u);
    }
  }

  // Classify first; only build the reverse graph if something is reported.
  struct Pending {
    const GlobalRef* ref;
    GlobalClassification c;
  };
  struct Classified {
    const GlobalRef* ref;
    const GlobalClassification* c;  // null for dynamic and truncated names
  };
  std::vector<Classified> classified;
  classified.reserve(graph.globals.size());
  // A pickle may name the same global a million times: classify each
  // distinct (module, name) once.
  std::map<std::pair<std::string_view, std::string_view>, GlobalClassification> cache;
  std::vector<bool> safe_global(graph.nodes.size(), false);
  for (const GlobalRef& ref : graph.globals) {
    if (ref.dynamic || ref.truncated) {
      classified.push_back({&ref, nullptr});
      continue;
    }
    auto key = std::make_pair(std::string_view(ref.module), std::string_view(ref.name));
    auto it = cache.find(key);
    if (it == cache.end()) {
      it = cache.emplace(key, ClassifyGlobal(ref.module, ref.name, options.context)).first;
    }
    if (ref.node < safe_global.size()) safe_global[ref.node] = IsSafeTier(it->second.tier);
    classified.push_back({&ref, &it->second});
  }
  std::vector<bool> benign_partial = BenignPartials(graph, classified.size(), [&](size_t i) {
    const Classified& p = classified[i];
    return p.c != nullptr && p.c->matched == "functools.partial" ? p.ref->node : kNoNode;
  }, safe_global);
  std::vector<Pending> pending;
  std::set<std::string> reported;
  for (size_t i = 0; i < classified.size(); ++i) {
    const Classified& p = classified[i];
    if (p.c == nullptr) {
      pending.push_back({p.ref, {}});
      continue;
    }
    if (IsSafeTier(p.c->tier) && !p.c->unresolvable) continue;
    if (benign_partial[i]) continue;
    // One finding per distinct global per pickle; later uses are the same risk.
    if (!reported.insert(p.c->normalized.qualified()).second) continue;
    pending.push_back({p.ref, *p.c});
  }
  bool has_getattr_calls = false;
  for (const PickleNode& n : graph.nodes) {
    if (n.kind == PickleKind::kCall && n.callee != kNoNode) {
      const PickleNode& callee = graph.nodes[n.callee];
      if (callee.kind == PickleKind::kGlobal) {
        QualifiedGlobal q = NormalizeGlobal(callee.text, callee.name);
        std::string s = q.qualified();
        if (s == "builtins.getattr" || s == "operator.attrgetter" || s == "_operator.attrgetter" ||
            s == "operator.methodcaller" || s == "_operator.methodcaller") {
          has_getattr_calls = true;
          break;
        }
      }
    }
  }
  bool has_anomalies = !graph.anomalies.empty();
  if (pending.empty() && !has_getattr_calls && !has_anomalies && !graph.error) return out;

  ReverseGraph rev(graph);

  for (Pending& p : pending) {
    const GlobalRef& ref = *p.ref;
    SafetyFinding f;
    if (ref.truncated && !ref.dynamic) {
      f = base("PTL604");
      f.module = ref.module.substr(0, 80);
      f.name = ref.name.substr(0, 80);
      f.tier = SafetyTier::kUnknown;
      f.message = std::string(PickleOpcodeName(ref.opcode)) + " names a global longer than the " +
                  "64 KiB ptlint keeps of a name (module " + Clip(ref.module) + ", name " +
                  Clip(ref.name) + "): what the whole name reaches is unknown";
      f.why = "pickle's find_class resolves the whole name, one getattr per dotted component; a "
              "name judged by its kept prefix could end anywhere, so a name that long is never "
              "vouched for";
      f.hint = "do not load this file; no honest pickler writes a name that long";
    } else if (ref.dynamic) {
      f = base("PTL604");
      f.module = ref.module;
      f.name = ref.name;
      f.tier = SafetyTier::kUnknown;
      f.message = "STACK_GLOBAL imports a name computed while loading (module " + ref.module +
                  ", name " + ref.name + "): no static scan can know what it imports";
      f.why = "a computed import is how payloads hide os.system or eval from scanners that only read "
              "constant GLOBAL operands; the real unpickler resolves it and runs whatever it names";
      f.hint = "do not load this file; if it should be a plain checkpoint, ask its author to re-save "
               "it with torch.save (protocol 2) or as safetensors";
    } else {
      const GlobalClassification& c = p.c;
      const char* rule = c.tier == SafetyTier::kCodeExecution ? "PTL601"
                         : IsDangerousTier(c.tier)           ? "PTL602"
                         : c.unresolvable                    ? "PTL604"
                                                             : "PTL603";
      f = base(rule);
      f.module = c.normalized.module;
      f.name = c.normalized.name;
      std::string raw = ref.module + "." + ref.name;
      if (raw != c.normalized.qualified()) f.raw_global = raw;
      f.tier = c.tier;
      f.why = c.why;
      if (f.rule == std::string("PTL604")) {
        f.message = "global " + c.normalized.qualified() +
                    (f.raw_global.empty() ? "" : " (written as " + f.raw_global + ")") +
                    " cannot be resolved statically: it reaches through " + c.matched +
                    " to something no allowlist names";
        f.hint = "do not load this file with weights_only=False; no checkpoint written by "
                 "torch.save names a global this way. Do not allowlist it either: an allowlist "
                 "entry vouches for a module's own names, not for what its attributes lead to";
      } else if (f.rule == std::string("PTL603")) {
        f.severity = options.strict ? Severity::kError : Severity::kWarning;
        f.message = "global " + c.normalized.qualified() +
                    " is outside torch's weights_only allowlist, the project's classes and the "
                    "config's safe-globals";
        f.hint = "if you trust it, add '" + c.normalized.qualified() +
                 "' to safe-globals in the ptlint config; otherwise re-save the checkpoint as a "
                 "plain state dict";
      } else {
        f.message = std::string(rule == std::string("PTL601") ? "code-execution" : SafetyTierName(c.tier)) +
                    " global " + c.normalized.qualified() +
                    (f.raw_global.empty() ? "" : " (written as " + f.raw_global + ")") +
                    ": loading this pickle resolves it";
        f.hint = "do not torch.load this file with weights_only=False; if you need the weights, "
                 "extract them with weights_only=True in a sandbox or ask for a safetensors copy";
        if (!c.overridden_allowlist.empty()) {
          f.hint += "; note: " + c.overridden_allowlist +
                    " vouches for this global, but ptlint keeps it dangerous: remove that entry";
        }
      }
    }
    f.offset = static_cast<int64_t>(ref.offset);
    f.opcode = PickleOpcodeName(ref.opcode);
    if (ref.node != kNoNode) f.call_chain = CallChain(graph, rev, ref.node, &f.consumer);
    auto it = use_at.find(ref.offset);
    if (it != use_at.end()) {
      f.object_path = it->second->object_path;
      if (f.consumer.empty()) f.consumer = it->second->consumer;
    }
    out.push_back(std::move(f));
  }

  // Gadget: getattr / attrgetter / methodcaller reaching introspection attributes.
  if (has_getattr_calls) {
    for (NodeId id = 0; id < graph.nodes.size(); ++id) {
      const PickleNode& n = graph.nodes[id];
      if (n.kind != PickleKind::kCall || n.callee == kNoNode || n.args == kNoNode) continue;
      const PickleNode& callee = graph.nodes[n.callee];
      if (callee.kind != PickleKind::kGlobal) continue;
      std::string fn = NormalizeGlobal(callee.text, callee.name).qualified();
      bool is_getattr = fn == "builtins.getattr";
      bool is_getter = fn == "operator.attrgetter" || fn == "_operator.attrgetter" ||
                       fn == "operator.methodcaller" || fn == "_operator.methodcaller";
      if (!is_getattr && !is_getter) continue;
      const PickleNode& args = graph.nodes[n.args];
      if (args.kind != PickleKind::kTuple) continue;
      size_t attr_index = is_getattr ? 1 : 0;
      if (args.items.size() <= attr_index) continue;
      const PickleNode& attr = graph.nodes[args.items[attr_index]];
      if (attr.kind != PickleKind::kStr) continue;
      // attrgetter accepts dotted chains: check every component.
      std::string_view why;
      std::string matched;
      size_t start = 0;
      std::string_view text = attr.text;
      while (start <= text.size() && why.empty()) {
        size_t dot = text.find('.', start);
        if (dot == std::string_view::npos) dot = text.size();
        std::string_view part = text.substr(start, dot - start);
        why = IntrospectionAttributeReason(part);
        if (!why.empty()) matched = std::string(part);
        start = dot + 1;
      }
      if (why.empty()) continue;
      SafetyFinding f = base("PTL602");
      f.module = "builtins";
      f.name = fn.substr(fn.find('.') + 1);
      f.tier = SafetyTier::kGadget;
      f.offset = static_cast<int64_t>(n.offset);
      f.opcode = PickleOpcodeName(n.opcode);
      f.consumer = "REDUCE";
      f.message = "introspection gadget: " + fn + "(" + Repr(graph, n.args).substr(1);
      if (f.message.back() != ')') f.message += ")";
      f.why = std::string(why);
      f.hint = "do not load this file: attribute introspection is how payloads climb from an "
               "allowed object to eval or os.system";
      f.call_chain = CallChain(graph, rev, id, nullptr);
      f.call_chain.insert(f.call_chain.begin(), CallSite(graph, id) + " reads attribute '" + matched + "'");
      out.push_back(std::move(f));
    }
  }

  // Stream anomalies: evasion evidence (PTL604) and BUILD-on-global gadgets (PTL602).
  for (const PickleAnomaly& a : graph.anomalies) {
    if (a.code == "build.on-global") {
      SafetyFinding f = base("PTL602");
      f.tier = SafetyTier::kGadget;
      f.offset = static_cast<int64_t>(a.offset);
      f.opcode = "BUILD";
      f.consumer = "BUILD";
      f.message = "BUILD/setattr gadget: " + a.message;
      f.why = "BUILD on an imported function or module sets attributes on it for the rest of the "
              "process (e.g. numpy.prod.a = 'os'); later opcodes read them back to build an import "
              "that scanners never see as constants";
      f.hint = "do not load this file; no checkpoint written by torch.save does this";
      out.push_back(std::move(f));
      continue;
    }
    if (!IsEvasionAnomaly(a.code)) continue;
    SafetyFinding f = base("PTL604");
    f.tier = SafetyTier::kUnknown;
    f.offset = static_cast<int64_t>(a.offset);
    f.opcode = a.code;
    f.message = a.message;
    f.why = "a real unpickler reads this stream differently from a naive scanner (" + a.code +
            "); crafted pickles use exactly these differences to hide imports";
    f.hint = "do not load this file; re-download it from its source and compare its hash, or ask "
             "for a safetensors copy";
    out.push_back(std::move(f));
  }

  // Fail closed: what the machine could not read, CPython may still run.
  if (graph.error) {
    SafetyFinding f = base("PTL604");
    f.tier = SafetyTier::kUnknown;
    f.offset = graph.error->offset >= 0 ? graph.error->offset : static_cast<int64_t>(graph.end_offset);
    f.opcode = graph.error->code;
    bool limit = graph.error->code.rfind("pickle.limit", 0) == 0;
    f.message = "the pickle could not be read to the end (" + graph.error->message +
                "), so its remaining opcodes were not checked";
    f.why = limit ? "a scan budget was exhausted: whatever follows was not inspected, and a real "
                    "unpickler would still execute it"
                  : "a stream the scanner cannot finish may still be accepted, or partially executed, "
                    "by CPython's unpickler: any global after this point is unchecked";
    f.hint = graph.error->hint.empty() ? "do not load this file until its source re-publishes it"
                                        : graph.error->hint;
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

// torch.load hands a TorchScript archive (a zip with constants.pkl) to
// torch.jit.load, whose C++ unpickler reads data.pkl, constants.pkl and the
// *.debug_pkl records. It resolves only its own names (below) and TorchScript
// classes compiled from the archive's code/; it never imports a Python
// module, so torch.jit._pickle.build_intlist there is a list constructor, not
// code execution (issue 12, section 6). A global outside that set makes
// torch.jit.load fail, yet it has no business in such an archive and a Python
// unpickler would import it: fail closed with PTL604.
bool TorchScriptResolves(std::string_view module, std::string_view name) {
  if (module == "__torch__" || module.rfind("__torch__.", 0) == 0) return true;
  if (module == "torch.jit._pickle") {
    return name == "build_tensor_from_id" || name == "build_intlist" || name == "build_tensorlist" ||
           name == "build_doublelist" || name == "build_boollist" || name == "restore_type_tag";
  }
  if (module == "__main__") {
    return name == "TensorID" || name == "IntList" || name == "TensorList" || name == "DoubleList" ||
           name == "BoolList";
  }
  if (module == "torch._utils") return name.rfind("_rebuild_", 0) == 0;
  if (module == "collections") return name == "OrderedDict";
  if (module == "builtins") return name == "complex";
  if (module == "torch") {
    return name == "device" || name == "Tensor" ||
           (name.size() > 7 && name.substr(name.size() - 7) == "Storage");
  }
  return false;
}

std::vector<SafetyFinding> AnalyzeTorchScriptPickle(const PickleStream& stream,
                                                    const std::string& file) {
  std::vector<SafetyFinding> out;
  auto base = [&]() {
    SafetyFinding f;
    f.rule = "PTL604";
    f.rule_name = RuleName("PTL604");
    f.severity = Severity::kError;
    f.tier = SafetyTier::kUnknown;
    f.pickle = stream.index;
    f.record = stream.record;
    f.file = file;
    return f;
  };
  for (const GlobalRef& g : stream.graph.globals) {
    if (TorchScriptResolves(g.module, g.name)) continue;
    SafetyFinding f = base();
    f.module = g.module;
    f.name = g.name;
    f.offset = static_cast<int64_t>(g.offset);
    f.opcode = "GLOBAL";
    f.message = "TorchScript archive pickle names the Python global " + g.module + "." + g.name +
                ", which TorchScript's unpickler cannot resolve (torch.jit.load fails on it)";
    f.why = "torch.jit.save never writes a Python global; one that is there is meant for a "
            "Python unpickler that reads the record, which would import and run it";
    f.hint = "do not load this file with anything but torch.jit.load, and re-export it from its source";
    out.push_back(std::move(f));
  }
  if (stream.graph.error) {
    SafetyFinding f = base();
    f.offset = stream.graph.error->offset;
    f.opcode = stream.graph.error->code;
    f.message = "the TorchScript pickle could not be read to the end (" + stream.graph.error->message +
                "), so its remaining opcodes were not checked";
    f.why = "whatever ptlint cannot read it cannot vouch for";
    f.hint = "do not load this file until its source re-publishes it";
    out.push_back(std::move(f));
  }
  return out;
}

// Fail closed on the reader's side (issue 12, section 3): a pickle torch
// would unpickle that the reader could not read (bad CRC it could not get
// past, a record over the inflate limit, a truncated member, a member type it
// cannot follow) is PTL604, never only a PTL503 corruption note.
void AddUnreadablePickleFindings(const Checkpoint& checkpoint, PickleSafetyReport& report) {
  for (const ReaderProblem& p : checkpoint.problems) {
    if (p.code != kUnvouchedPickleCode) continue;
    SafetyFinding f;
    f.rule = "PTL604";
    f.rule_name = RuleName("PTL604");
    f.severity = Severity::kError;
    f.tier = SafetyTier::kUnknown;
    f.record = p.record;
    f.file = checkpoint.path;
    f.offset = p.offset;
    f.opcode = "unreadable";
    f.message = "ptlint could not read a pickle that torch would unpickle: " + p.message;
    f.why = "whatever ptlint cannot read it cannot vouch for, and the loader may still read and "
            "run it";
    f.hint = p.hint.empty() ? "do not load this file until its source re-publishes it" : p.hint;
    report.findings.push_back(std::move(f));
  }
}

}  // namespace

PickleSafetyReport AnalyzePickleSafety(const Checkpoint& checkpoint,
                                       const PickleSafetyOptions& options) {
  PickleSafetyReport report;
  AddUnreadablePickleFindings(checkpoint, report);
  // First what torch.load would not read but another loader would: the
  // reader found these (Checkpoint::unread_pickles), fail closed.
  for (const PickleStream& stream : checkpoint.unread_pickles) {
    std::vector<SafetyFinding> findings = AnalyzePickleGraph(
        stream.graph, stream.index, stream.record, checkpoint.path, options);
    for (SafetyFinding& f : findings) report.findings.push_back(std::move(f));
  }
  for (const PickleStream& stream : checkpoint.pickles) {
    if (checkpoint.format == ContainerFormat::kTorchScript) {  // read by torch.jit.load
      for (SafetyFinding& f : AnalyzeTorchScriptPickle(
               stream, stream.file.empty() ? checkpoint.path : stream.file)) {
        report.findings.push_back(std::move(f));
      }
      continue;
    }
    std::vector<SafetyFinding> findings =
        AnalyzePickleGraph(stream.graph, stream.index, stream.record,
                           stream.file.empty() ? checkpoint.path : stream.file, options,
                           &checkpoint.globals);
    for (SafetyFinding& f : findings) report.findings.push_back(std::move(f));
  }
  for (const SafetyFinding& f : report.findings) {
    if (f.rule == "PTL601" || f.rule == "PTL602" || f.rule == "PTL604") report.can_execute_code = true;
  }
  return report;
}

std::string FormatSafetyFinding(const SafetyFinding& f) {
  std::string s = f.rule + " " + f.rule_name + " [" + SeverityName(f.severity) + "]";
  if (!f.module.empty() || !f.name.empty()) s += " " + f.module + "." + f.name;
  s += " at offset " + std::to_string(f.offset) + " (pickle " + std::to_string(f.pickle);
  if (!f.record.empty()) s += " " + f.record;
  s += "): " + f.message;
  if (!f.object_path.empty()) s += "; object path " + f.object_path;
  for (const std::string& step : f.call_chain) s += "\n    <- " + step;
  s += "\n    why: " + f.why;
  return s;
}

}  // namespace ptlint
