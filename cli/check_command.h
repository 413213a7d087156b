// `ptlint [check] PATH...`: runs every selected rule over the checkpoints
// (and, as the source model lands, the sources) under PATH and reports in
// the chosen output format. `ptlint rule CODE` prints a rule's documentation.
#ifndef PTLINT_CLI_CHECK_COMMAND_H_
#define PTLINT_CLI_CHECK_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace ptlint {

// Exit codes: 0 clean, 1 findings, 2 usage or internal error. With
// `exit_when_done` (the ptlint binary), a run that gets to its report ends
// the process with its exit code instead of returning, without freeing
// what the analysis built.
int RunCheckCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                    bool exit_when_done = false);
int RunRuleCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ptlint

#endif  // PTLINT_CLI_CHECK_COMMAND_H_
