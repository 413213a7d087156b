#include "cli/lsp_command_line.h"

#include "cli/command_line.h"
#include "lsp/lsp_command.h"

namespace ptlint {

int RunLspCommandLine(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err) {
  CLI::App app("ptlint lsp: the language server, JSON-RPC over stdin/stdout (lsp/PROTOCOL.md).", "ptlint lsp");
  ConfigureApp(app, "exit: 0 after shutdown and exit, 1 on exit without shutdown or EOF, 2 usage error");
  bool stdio = false;
  std::string log_level = "error";
  int poll_interval_ms = 0;
  LintOverrides overrides;
  app.add_flag("--stdio", stdio, "talk over stdin/stdout (the only transport; accepted for clients that pass it)");
  app.add_option("--log-level", log_level, "what goes to stderr")
      ->option_text("error|info|debug")
      ->check(CLI::IsMember({"error", "info", "debug"}));
  app.add_option("--poll-interval", poll_interval_ms,
                 "re-read changed checkpoints every MS milliseconds when the client has no file "
                 "watchers (0: never)")
      ->option_text("MS")
      ->check(CLI::Range(0, 24 * 3600 * 1000));
  AddLintOptions(app, overrides);
  if (std::optional<int> rc = ParseCommandLine(app, args, out, err)) return *rc;
  // The arguments are now known to be well-formed in the forms the server's
  // own reader takes (`--x VALUE`, `--x=VALUE`, flags), so it gets them as
  // they are: lsp/ keeps building its ServerOptions in one place.
  return RunLspCommand(args, in, out, err);
}

}  // namespace ptlint
