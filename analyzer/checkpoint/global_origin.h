// Who owns the module a pickled global lives in: torch, Python's standard
// library, a known third-party package, or (by elimination) the project.
// This is ownership, not safety: `os.system` is standard library and
// dangerous; global_safety.h decides danger.
#ifndef PTLINT_ANALYZER_CHECKPOINT_GLOBAL_ORIGIN_H_
#define PTLINT_ANALYZER_CHECKPOINT_GLOBAL_ORIGIN_H_

#include <string>
#include <string_view>

namespace ptlint {

enum class GlobalOrigin { kTorch, kStandardLibrary, kThirdParty, kProject };

// `module` as written in the pickle ("torch._utils", "__builtin__", "models.yolo").
// Python-2 names (__builtin__, copy_reg) count as standard library; "__main__"
// and unknown roots count as project.
GlobalOrigin ClassifyGlobalOrigin(std::string_view module);
const char* GlobalOriginName(GlobalOrigin origin);  // "torch-owned", "standard library", ...

// The first dotted component: "torch.nn.modules.linear" -> "torch".
std::string_view ModuleRoot(std::string_view module);

bool IsStandardLibraryModule(std::string_view module);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_GLOBAL_ORIGIN_H_
