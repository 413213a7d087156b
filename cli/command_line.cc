#include "cli/command_line.h"

#include <algorithm>

#include "rules/registry.h"

namespace ptlint {

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// "--output-formats" -> "--output-format": the closest long option within
// a third of its length, or "".
std::string ClosestOption(const CLI::App& app, std::string given) {
  if (size_t eq = given.find('='); eq != std::string::npos) given.resize(eq);
  std::string best;
  size_t best_distance = 0;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      std::string full = "--" + name;
      size_t d = EditDistance(given, full);
      if (best.empty() || d < best_distance) {
        best = full;
        best_distance = d;
      }
    }
  }
  return best_distance <= std::max<size_t>(2, best.size() / 3) ? best : "";
}

std::string CommandName(const CLI::App& app) { return app.get_name().empty() ? "ptlint" : app.get_name(); }

// Comma-separated codes, each a known code or prefix.
CLI::Validator RuleSelectorValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        for (const std::string& code : SplitCodes(value)) {
          std::string why = RuleSelectorError(code);
          if (!why.empty()) return why;
        }
        return "";
      },
      "CODES");
}

}  // namespace

void ConfigureApp(CLI::App& app, const std::string& footer) {
  app.footer(footer);
  app.get_formatter()->column_width(30);
  // Options after paths (`ptlint src/ --select PTL2`) as well as before.
  app.positionals_at_end(false);
}

std::optional<int> ParseCommandLine(CLI::App& app, const std::vector<std::string>& args,
                                    std::ostream& out, std::ostream& err) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    err << CommandName(app) << ": " << e.what() << "\n";
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      for (const std::string& a : args) {
        if (a.size() < 3 || a.rfind("--", 0) != 0) continue;
        std::string name = a.substr(0, a.find('='));
        bool known = false;
        for (const CLI::Option* opt : app.get_options()) known |= opt->check_lname(name.substr(2));
        if (known) continue;
        std::string closest = ClosestOption(app, name);
        if (!closest.empty()) err << CommandName(app) << ": did you mean " << closest << "?\n";
      }
    }
    err << "Run `" << CommandName(app) << " --help` for the options.\n";
    return 2;
  }
  return std::nullopt;
}

void AddLintOptions(CLI::App& app, LintOverrides& o) {
  // One value per occurrence: `--select PTL2 src/` must not swallow `src/`.
  app.add_option_function<std::vector<std::string>>(
         "--select",
         [&o](const std::vector<std::string>& values) {
           for (const std::string& v : values) {
             for (std::string& c : SplitCodes(v)) o.select.push_back(std::move(c));
           }
           o.select_given = true;
         },
         "rule codes or prefixes to run, comma-separated (PTL5, PTL503, ALL)")
      ->option_text("CODES")
      ->allow_extra_args(false)
      ->check(RuleSelectorValidator());
  app.add_option_function<std::vector<std::string>>(
         "--ignore",
         [&o](const std::vector<std::string>& values) {
           for (const std::string& v : values) {
             for (std::string& c : SplitCodes(v)) o.ignore.push_back(std::move(c));
           }
           o.ignore_given = true;
         },
         "rule codes or prefixes to drop")
      ->option_text("CODES")
      ->allow_extra_args(false)
      ->check(RuleSelectorValidator());
  app.add_option("--torch-version", o.torch_version,
                 "the torch the project loads with, X.Y (else the config, else the pins)")
      ->option_text("X.Y");
  app.add_option_function<std::vector<std::string>>(
         "--bind",
         [&o](const std::vector<std::string>& values) {
           for (const std::string& v : values) {
             size_t eq = v.find('=');
             o.bind[v.substr(0, eq)] = v.substr(eq + 1);
           }
         },
         "the class a checkpoint belongs to (else call sites, structure)")
      ->option_text("CKPT=pkg.mod.Class")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            size_t eq = v.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
              return "takes CKPT=pkg.module.Class, got '" + v + "'";
            }
            return "";
          },
          "CKPT=pkg.mod.Class"));
  app.add_flag("--strict", o.strict, "unknown globals are errors");
  app.add_flag("--force-exclude", o.force_exclude,
               "apply the config's `exclude` to paths named on the command line too");
}

CLI::Option* AddFormatOption(CLI::App& app, std::string& format, const std::vector<std::string>& allowed) {
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : "|") + a;
  return app.add_option("--output-format,--format", format, "output format (default " + format + ")")
      ->option_text(list)
      ->check(CLI::IsMember(allowed));
}

}  // namespace ptlint
