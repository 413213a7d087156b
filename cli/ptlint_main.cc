// ptlint: the command-line entry point. Dispatches to the sub-commands.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "cli/classes_command.h"
#include "cli/inspect_command.h"
#include "cli/lsp_command_line.h"
#include "analyzer/support/large_array_allocator.h"

#ifdef PTLINT_WITH_MIMALLOC
#include <mimalloc.h>
#include <pthread.h>
#include <sys/resource.h>
#endif

namespace {

const char kUsage[] =
    "ptlint — why a PyTorch checkpoint will not load into today's code, and whether it is\n"
    "safe to load at all. Nothing in a checkpoint or a scanned source tree is executed.\n"
    "\n"
    "usage:\n"
    "  ptlint [check] PATH... [--output-format full|concise|json|sarif|github|junit] [-o FILE]\n"
    "                 [--select CODES] [--ignore CODES] [--torch-version X.Y] [--strict]\n"
    "                 [--exit-zero] [--statistics]\n"
    "  ptlint inspect FILE_OR_DIR... [--output-format text|json] [--deep]\n"
    "  ptlint classes PATH... [--output-format text|json]\n"
    "  ptlint rule CODE | --all\n"
    "  ptlint lsp [--stdio] [check options]    the language server (stdin/stdout)\n"
    "  ptlint --version\n"
    "`--format` and `--output-format` are the same option on every command;\n"
    "`ptlint COMMAND --help` lists a command's options.\n";

// Runs a one-shot command on a thread started after main set the heap's
// options. With mimalloc, a thread's heap takes its first segment when the
// thread first allocates: the main thread's predates main and keeps 4 KiB
// pages, a new thread's is committed whole and marked MADV_HUGEPAGE. On the
// machines we measure on a 4 KiB first touch costs ~10 us (a virtual
// machine's page fault), and the main thread did most of a run's first
// touches: the torchvision run on 18 checkpoints took 8.1k faults and
// ~0.1 s of kernel time; on its own thread it takes 0.5k and ~0.03 s.
// The thread's stack is the main thread's limit (at least 8 MiB; 64 MiB
// when unlimited, where a default thread would get only 2 MiB), so the move
// leaves deeply nested input as much room as before.
#ifdef PTLINT_WITH_MIMALLOC
struct FreshThreadCall {
  const std::function<int()>* command;
  int rc = 0;
};

void* RunFreshThreadCall(void* p) {
  auto* call = static_cast<FreshThreadCall*>(p);
  call->rc = (*call->command)();
  return nullptr;
}
#endif

int RunOnFreshThread(const std::function<int()>& command) {
#ifdef PTLINT_WITH_MIMALLOC
  FreshThreadCall call{&command};
  size_t stack = size_t{8} << 20;
  struct rlimit limit {};
  if (getrlimit(RLIMIT_STACK, &limit) == 0) {
    stack = limit.rlim_cur == RLIM_INFINITY
                ? size_t{64} << 20
                : std::max<size_t>(stack, static_cast<size_t>(limit.rlim_cur));
  }
  pthread_attr_t attr;
  pthread_t thread;
  bool started = false;
  if (pthread_attr_init(&attr) == 0) {
    started = pthread_attr_setstacksize(&attr, stack) == 0 &&
              pthread_create(&thread, &attr, &RunFreshThreadCall, &call) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started) return command();  // no thread to be had: the main thread's 4 KiB pages will do
  pthread_join(thread, nullptr);
  return call.rc;
#else
  return command();
#endif
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    std::cout << "ptlint " << PTLINT_VERSION << "\n";
    return 0;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command != "lsp") {
    ptlint::large_array::ConfigureHeapForOneShotRun();
#ifdef PTLINT_WITH_MIMALLOC
    // The same for mimalloc, which replaces malloc in this binary (see
    // CMakeLists.txt): each thread's memory comes in 2 MiB-aligned segments,
    // committed whole (not page by page as it is first used) and marked
    // MADV_HUGEPAGE, so a torchvision run on 18 checkpoints takes ~9.6k page
    // faults instead of ~38k (the kernel's share of its CPU time was 16 %).
    // The main thread's first segment predates main and keeps 4 KiB pages:
    // the command runs on a thread of its own (RunOnFreshThread). Not for
    // the language server, whose memory should shrink after a big file.
    mi_option_set(mi_option_large_os_pages, 1);
    mi_option_set(mi_option_eager_commit_delay, 0);
#endif
  }
  if (command == "rule") return ptlint::RunRuleCommand(rest, std::cout, std::cerr);
  if (command == "lsp") return ptlint::RunLspCommandLine(rest, std::cin, std::cout, std::cerr);
  return RunOnFreshThread([&] {
    if (command == "inspect") return ptlint::RunInspectCommand(rest, std::cout, std::cerr);
    if (command == "check") {
      return ptlint::RunCheckCommand(rest, std::cout, std::cerr, /*exit_when_done=*/true);
    }
    if (command == "classes") return ptlint::RunClassesCommand(rest, std::cout, std::cerr);
    // `ptlint src/ ckpt/` is `ptlint check src/ ckpt/`, as in ruff.
    return ptlint::RunCheckCommand(args, std::cout, std::cerr, /*exit_when_done=*/true);
  });
}
