// `ptlint classes PATH... [--format text|json] [--class NAME] [--args JSON]
//                         [--exclude GLOB]... [--all]`
//
// Lists every nn.Module class under the paths with its qualified name(s),
// file:line, bases, and the state dict it predicts (keys, shapes,
// `_metadata`, confidence, open subtrees and why). `--class` restricts the
// listing to one class; `--args` binds its constructor arguments (a JSON
// object, e.g. '{"num_classes": 10}'). `--all` also lists non-module classes
// and module-level functions (the names a pickled global can resolve to).
// The JSON schema is documented in analyzer/classes_command.md.
//
// Exit codes: 0 listed, 1 nothing found, 2 usage error.
#ifndef PTLINT_CLI_CLASSES_COMMAND_H_
#define PTLINT_CLI_CLASSES_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace ptlint {

int RunClassesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ptlint

#endif  // PTLINT_CLI_CLASSES_COMMAND_H_
