// `ptlint inspect FILE_OR_DIR... [--format text|json] [--deep]`: what a
// checkpoint holds, read statically (the JSON schema is documented in
// inspect_command.md).
#ifndef PTLINT_CLI_INSPECT_COMMAND_H_
#define PTLINT_CLI_INSPECT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace ptlint {

// Exit codes: 0 nothing wrong, 1 problems found, 2 usage or internal error.
int RunInspectCommand(const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err);

}  // namespace ptlint

#endif  // PTLINT_CLI_INSPECT_COMMAND_H_
