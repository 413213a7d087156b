#include "lsp/lsp_command.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "lsp/server.h"
#include "lsp/transport.h"
#include "rules/lint.h"

namespace ptlint {

namespace {

const char kUsage[] =
    "usage: ptlint lsp [--stdio] [--log-level error|info|debug] [--poll-interval MS]\n"
    "                  [--select CODES] [--ignore CODES] [--torch-version X.Y]\n"
    "                  [--bind CKPT=pkg.mod.Class] [--strict]\n"
    "The language server: JSON-RPC over stdin/stdout (see lsp/PROTOCOL.md).\n";

}  // namespace

int RunLspCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err) {
  lsp::ServerOptions options;
  options.log = &err;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string error;
    if (ParseLintFlag(args, i, options.overrides, error)) {
      if (!error.empty()) {
        err << "ptlint lsp: " << error << "\n";
        return 2;
      }
      continue;
    }
    auto value = [&](const std::string& name, std::string* v) {
      if (a == name && i + 1 < args.size()) {
        *v = args[++i];
        return true;
      }
      if (a.rfind(name + "=", 0) == 0) {
        *v = a.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    std::string v;
    if (a == "--stdio") continue;
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    }
    if (value("--log-level", &v)) {
      if (v == "error") options.log_level = 0;
      else if (v == "info") options.log_level = 1;
      else if (v == "debug") options.log_level = 2;
      else {
        err << "ptlint lsp: --log-level is error, info or debug\n";
        return 2;
      }
      continue;
    }
    if (value("--poll-interval", &v)) {
      options.poll_interval_ms = std::atoi(v.c_str());
      continue;
    }
    err << "ptlint lsp: unknown option " << a << "\n" << kUsage;
    return 2;
  }
  if (&in == &std::cin && &out == &std::cout) {
    // The process's stdio: raw descriptors. Through iostreams, std::cin is
    // tied to std::cout, so each read on the reader thread flushed cout
    // outside the write lock, racing the main thread's flush: a response
    // could go out twice. A client that closes its end must not kill us
    // with SIGPIPE mid-write: EOF on stdin ends the session instead.
    std::cin.tie(nullptr);
    out.flush();
    ::signal(SIGPIPE, SIG_IGN);
    options.exit_when_input_ends = true;
    lsp::FdTransport transport(STDIN_FILENO, STDOUT_FILENO);
    lsp::Server server(transport, options);
    int code = server.Run();
    // Run may leave the reader thread blocked in read(2) on stdin (nothing
    // can interrupt it); a client typically sends `exit` and then closes
    // stdin, which wakes that thread while `transport` and `server` are
    // being destroyed here. End the process before they are: the messages
    // went out through write(2) already, the log is flushed now.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
  }
  lsp::StreamTransport transport(in, out);
  lsp::Server server(transport, options);
  return server.Run();
}

}  // namespace ptlint
