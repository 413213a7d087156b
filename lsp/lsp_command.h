// `ptlint lsp`: the language server on stdin/stdout (lsp/PROTOCOL.md).
#ifndef PTLINT_LSP_LSP_COMMAND_H_
#define PTLINT_LSP_LSP_COMMAND_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace ptlint {

// Serves LSP over `in`/`out` until `exit`; logs to `err`. Returns the exit
// code (0 after shutdown + exit, 1 on exit without shutdown or EOF, 2 for
// bad arguments).
int RunLspCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err);

}  // namespace ptlint

#endif  // PTLINT_LSP_LSP_COMMAND_H_
