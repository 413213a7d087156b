// `ptlint inspect FILE_OR_DIR... [--format text|json] [--deep]`: what a
// checkpoint holds, read statically (the JSON schema is documented in
// inspect_command.md).
#ifndef PTLINT_ANALYZER_INSPECT_COMMAND_H_
#define PTLINT_ANALYZER_INSPECT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace ptlint {

// Exit codes: 0 nothing wrong, 1 problems found, 2 usage or internal error.
// `process_exits_after`: the caller exits as soon as this returns (the
// `ptlint` executable), so the last checkpoint read is left to the OS
// instead of being freed node by node (what clang's -disable-free does; it
// was ~5% of inspecting a 20,000-tensor file). Library and test callers
// keep the default.
int RunInspectCommand(const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err, bool process_exits_after = false);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_INSPECT_COMMAND_H_
