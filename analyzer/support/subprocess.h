// Runs a helper program and collects its standard output. Used to reach the
// LibTorch oracle (ptlint-torch), which lives in its own process so that the
// fast path never loads LibTorch.
#ifndef PTLINT_ANALYZER_SUPPORT_SUBPROCESS_H_
#define PTLINT_ANALYZER_SUPPORT_SUBPROCESS_H_

#include <string>
#include <vector>

#include "analyzer/support/result.h"

namespace ptlint {

struct ProcessOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// argv[0] is a path (no PATH search). Output beyond `max_output` bytes is an error.
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                 size_t max_output = 64u << 20);

// Folder of the running executable (from /proc/self/exe), "" if unknown.
std::string ExecutableDirectory();

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_SUBPROCESS_H_
