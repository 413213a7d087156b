// Command-line parsing for every sub-command, on CLI11 (Debian's
// libcli11-dev, header-only): one parser with one behaviour for `--x VALUE`,
// `--x=VALUE`, repeated options, `--` and typos, instead of a hand-written
// loop per command. CLI11 reports errors by exception; they are caught here
// and never leave the cli layer.
#ifndef PTLINT_CLI_COMMAND_LINE_H_
#define PTLINT_CLI_COMMAND_LINE_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rules/lint.h"

namespace ptlint {

// A CLI11 app for `ptlint <name>`, with ptlint's help formatting.
void ConfigureApp(CLI::App& app, const std::string& footer);

// Parses `args` (without the program and command names). nullopt to go on;
// else the exit code: 0 after --help (printed to `out`), 2 after a usage
// error (printed to `err` as "ptlint <command>: <what> ..." with the closest
// option when an unknown one looks like a typo).
std::optional<int> ParseCommandLine(CLI::App& app, const std::vector<std::string>& args,
                                    std::ostream& out, std::ostream& err);

// The lint options `check` and `lsp` share: --select, --ignore (codes or
// prefixes, comma-separated, repeatable; an unknown one is a usage error
// naming the closest real code), --torch-version, --bind CKPT=pkg.mod.Class
// (repeatable), --strict, --force-exclude.
void AddLintOptions(CLI::App& app, LintOverrides& overrides);

// Both spellings on every command that has formats: `--output-format`
// (ruff's) and `--format`; `allowed` lists the accepted values.
CLI::Option* AddFormatOption(CLI::App& app, std::string& format, const std::vector<std::string>& allowed);

}  // namespace ptlint

#endif  // PTLINT_CLI_COMMAND_LINE_H_
