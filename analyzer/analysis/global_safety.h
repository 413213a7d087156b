// GlobalSafety: how dangerous is it to let an unpickler resolve one global?
//
// Classification is allowlist-first. A global is safe only when something
// vouches for it: torch's own `weights_only` allowlist for the target torch
// version, the project's own classes (a predicate from the source model), the
// `safe-globals` of the project config, or a short list of pure data
// constructors (stdlib-safe). The blocklist tiers (code execution, network,
// file system, gadget) only *explain* why a global is dangerous; anything no
// list knows is reported as unknown, never silently accepted.
//
// A name is resolved the way pickle's find_class resolves it: import the
// module, then one getattr per dotted component (protocol 4+). A dotted name
// is an attribute chain and is judged by where it ends: every step is
// checked against the blocklist, re-exports are replaced by what they are
// (global_safety.reexports.inc, generated from the libraries), and `*`
// allowlist entries vouch only for single names a module defines, never for
// what a chain reaches through it.
//
// Names are normalised the way CPython's unpickler and torch's weights-only
// unpickler resolve them (Python-2 names: `__builtin__` -> `builtins`,
// `copy_reg` -> `copyreg`, `exceptions.X` -> `builtins.X`, ...), so a payload
// cannot hide `eval` behind its Python-2 spelling.
#ifndef PTLINT_ANALYZER_ANALYSIS_GLOBAL_SAFETY_H_
#define PTLINT_ANALYZER_ANALYSIS_GLOBAL_SAFETY_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ptlint {

// The torch releases whose `torch.load` behaviour ptlint predicts.
enum class TorchVersion {
  k1_13,     // weights_only opt-in; oldest restricted unpickler ("Unsupported class")
  k2_4,      // add_safe_globals, blocked modules; weights_only still opt-in
  k2_6,      // weights_only=True by default; TorchScript / legacy tar refused
  kCurrent,  // 2.10, the newest release the research covers
};
const char* TorchVersionName(TorchVersion version);  // "1.13", "2.4", "2.6", "2.10"
// Accepts "1.13", "2.4", "2.6", "2.10", "current", "latest" and maps other
// releases to the nearest predicted one at or below them ("2.5" -> 2.4,
// "2.8.1" -> 2.6, "2.11" -> current). Empty for text that is not a version.
std::optional<TorchVersion> ParseTorchVersion(std::string_view text);
// Whether `torch.load` defaults to weights_only=True in that release.
bool WeightsOnlyIsDefault(TorchVersion version);
inline constexpr TorchVersion kAllTorchVersions[] = {
    TorchVersion::k1_13, TorchVersion::k2_4, TorchVersion::k2_6, TorchVersion::kCurrent};

enum class SafetyTier {
  kTorchAllowlist,  // in torch's weights_only allowlist for the version
  kProjectOwn,      // a class defined in the project's own source
  kConfigSafe,      // listed in the config's safe-globals
  kStdlibSafe,      // pure data constructor (set, datetime, numpy array rebuild, ...)
  kCodeExecution,   // runs code or commands: os.system, builtins.eval, torch.hub.load, ...
  kNetwork,         // opens connections: socket, smtplib, urllib, ... (SSRF, exfiltration)
  kFileSystem,      // reads/writes/deletes files: shutil, io.open, logging.FileHandler, ...
  kGadget,          // harmless alone, a building block for payloads (getattr chains,
                    // functools.partial, __subclasses__ introspection, ...)
  kUnknown,         // outside every allowlist and every blocklist
};
const char* SafetyTierName(SafetyTier tier);  // "torch-allowlist", "code-execution", ...
bool IsSafeTier(SafetyTier tier);             // the first four
bool IsDangerousTier(SafetyTier tier);        // code execution, network, file system, gadget

// The project's own classes, as the source model knows them. `module` is the
// normalised module ("models.yolo"), `name` the qualified name ("Detect").
using ProjectClassPredicate = std::function<bool(std::string_view module, std::string_view name)>;

struct SafetyContext {
  TorchVersion torch_version = TorchVersion::kCurrent;
  ProjectClassPredicate project_class;   // empty: no source model
  // From the config: qualified names ("argparse.Namespace") or whole modules
  // ending in ".*" ("omegaconf.*"). A config entry never downgrades a global
  // the blocklist knows as code execution, network or file system access:
  // torch itself refuses to allowlist os/sys/posix/nt.
  std::set<std::string> safe_globals;
};

struct QualifiedGlobal {
  std::string module;
  std::string name;
  std::string qualified() const { return module.empty() ? name : module + "." + name; }
};

// Applies CPython's Python-2 compatibility mapping (`_compat_pickle`), which
// both `pickle` (protocol < 3) and torch's weights-only unpickler use, plus
// torch's own `torch.tensor` -> `torch._tensor` rename.
QualifiedGlobal NormalizeGlobal(std::string_view module, std::string_view name);

struct GlobalClassification {
  SafetyTier tier = SafetyTier::kUnknown;
  QualifiedGlobal normalized;
  std::string matched;  // the list entry that decided it: "os.*", "builtins.eval", ...
  std::string why;      // one line: why it is safe or dangerous
  // Set when an allowlist (project or config) claimed a global that the
  // blocklist knows as dangerous; the dangerous tier wins and this says who
  // vouched for it, so the user can fix the config.
  std::string overridden_allowlist;
  // Set when nobody can say what the name reaches: an attribute chain (or a
  // name the module only imports) that leaves what an allowlist vouches for,
  // or a chain too long to follow. Fail closed: PTL604, never "unknown".
  bool unresolvable = false;
};

// What the security rules treat as able to run code: a dangerous tier, or a
// name nobody can resolve.
bool CanRunCode(const GlobalClassification& classification);

GlobalClassification ClassifyGlobal(std::string_view module, std::string_view name,
                                    const SafetyContext& context);

// torch's built-in weights_only allowlist (`_get_allowed_globals`), by
// qualified name after normalisation ("torch._utils._rebuild_tensor_v2").
bool InTorchWeightsOnlyAllowlist(std::string_view qualified, TorchVersion version);
std::vector<std::string> TorchWeightsOnlyAllowlist(TorchVersion version);  // sorted

// What a module attribute really is when the module only imports it
// ("torch._import_dotted_name" -> "torch._utils._import_dotted_name",
// "tokenize._builtin_open" -> "io.open"), from global_safety.reexports.inc;
// empty when the table does not list it.
std::string ReexportOrigin(std::string_view qualified);

// Modules torch >= 2.4 refuses even when the user allowlists them.
bool IsTorchBlockedModule(std::string_view module);

// Attribute names that turn an allowlisted object into a route to arbitrary
// code (`__subclasses__`, `__globals__`, `__builtins__`, ...). Empty if
// `attribute` is harmless; otherwise a one-line reason.
std::string_view IntrospectionAttributeReason(std::string_view attribute);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_GLOBAL_SAFETY_H_
