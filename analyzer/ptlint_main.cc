// ptlint: the command-line entry point. Dispatches to the sub-commands.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
    std::printf("ptlint %s\n", PTLINT_VERSION);
    return 0;
  }
  std::fprintf(stderr, "usage: ptlint inspect FILE_OR_DIR... [--format text|json]\n");
  return 2;
}
