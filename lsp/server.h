// Server: the LSP protocol layer of `ptlint lsp` (after clangd's
// ClangdLSPServer): lifecycle, dispatch, cancellation, debounce, file
// watching, and the threads.
//
// Threads:
//  - the reader reads framed messages from the Transport and queues them;
//    it records `$/cancelRequest` ids at once, so a queued or parked request
//    is answered with RequestCancelled;
//  - the checkpoint worker reads checkpoints (statically, with the reader's
//    limits) and queues the results, so a huge or hostile file never blocks
//    edits, hovers or code actions;
//  - the main loop (Run's thread) owns the Workspace: it applies edits at
//    once, re-lints after a debounce, answers requests, polls mtimes.
#ifndef PTLINT_LSP_SERVER_H_
#define PTLINT_LSP_SERVER_H_

#include <memory>
#include <ostream>
#include <string>

#include "lsp/transport.h"
#include "rules/lint.h"

namespace ptlint::lsp {

struct ServerOptions {
  LintOverrides overrides;     // check options from the command line
  int debounce_ms = 50;        // re-lint this long after the last edit
  int debounce_max_ms = 500;   // ... but at most this long after the first unanalysed edit
  size_t max_document_bytes = 2u << 20;  // larger open documents are not analysed
  int poll_interval_ms = 2000; // mtime polling without client watchers (0: off)
  // stdio: when input ends while the main loop is stuck in one long step
  // (a parse is not interruptible), end the process after 1 s instead of
  // waiting for it. Off for in-process tests (it would end the test).
  bool exit_when_input_ends = false;
  bool chdir_to_root = true;   // report paths relative to the workspace root, as the CLI does
  std::ostream* log = nullptr; // human log (stderr)
  int log_level = 0;           // 0 error, 1 info, 2 debug
};

class Server {
 public:
  Server(Transport& transport, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until `exit` (or EOF). Returns the process exit code: 0 after
  // shutdown + exit, 1 otherwise.
  int Run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ptlint::lsp

#endif  // PTLINT_LSP_SERVER_H_
