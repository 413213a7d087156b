// `ptlint lsp`'s command line, checked with CLI11 like every other command
// before the language server starts: an unknown option, a malformed
// `--poll-interval` or an unknown rule code in `--select` is a usage error
// (exit 2, with a message) here, not a server that starts with defaults.
#ifndef PTLINT_CLI_LSP_COMMAND_LINE_H_
#define PTLINT_CLI_LSP_COMMAND_LINE_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace ptlint {

int RunLspCommandLine(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);

}  // namespace ptlint

#endif  // PTLINT_CLI_LSP_COMMAND_LINE_H_
