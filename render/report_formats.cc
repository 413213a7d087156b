#include "render/report_formats.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "render/text_escape.h"
#include "rules/core/finding_groups.h"
#include "rules/registry.h"

namespace ptlint {

using ojson = nlohmann::ordered_json;

std::optional<OutputFormat> ParseOutputFormat(std::string_view t) {
  if (t == "full") return OutputFormat::kFull;
  if (t == "concise") return OutputFormat::kConcise;
  if (t == "json") return OutputFormat::kJson;
  if (t == "sarif") return OutputFormat::kSarif;
  if (t == "github") return OutputFormat::kGithub;
  if (t == "junit") return OutputFormat::kJunit;
  return std::nullopt;
}

std::string DiagnosticFingerprint(const Diagnostic& d) {
  // FNV-1a, 64 bit: deterministic everywhere, no dependency.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(d.code);
  mix(d.checkpoint);
  mix(d.location.path);
  mix(d.message);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

namespace {

std::string Where(const Diagnostic& d) {
  std::string s = d.location.path;
  if (d.location.line > 0) {
    s += ":" + std::to_string(d.location.line);
    if (d.location.column > 0) s += ":" + std::to_string(d.location.column);
  }
  return s;
}

// Source lines as the renderers read them from disk (paths relative to the
// working directory, as printed). nullopt when the file or line is not there.
class SourceLines {
 public:
  std::optional<std::string> Line(const std::string& path, int line) {
    if (line < 1) return std::nullopt;
    auto it = files_.find(path);
    if (it == files_.end()) {
      std::vector<std::string> lines;
      std::ifstream in(path, std::ios::binary);
      std::string text;
      while (in && std::getline(in, text)) {
        if (!text.empty() && text.back() == '\r') text.pop_back();
        lines.push_back(text);
      }
      it = files_.emplace(path, std::move(lines)).first;
    }
    if (static_cast<size_t>(line) > it->second.size()) return std::nullopt;
    return it->second[static_cast<size_t>(line - 1)];
  }

 private:
  std::map<std::string, std::vector<std::string>> files_;
};

// A multi-line field (torch's own error text) in the full format: a line
// after the first that would start at column 0 is indented, so a line at
// column 0 always starts a finding whatever newlines the file's bytes put into
// the text. (torch's own continuation lines start with a tab and stay as torch
// prints them.)
std::string Indented(std::string_view s, const char* indent) {
  std::string shown = DisplayText(s, /*keep_newlines=*/true);
  std::string out;
  for (size_t i = 0; i < shown.size(); ++i) {
    out += shown[i];
    if (shown[i] == '\n' && i + 1 < shown.size() && shown[i + 1] != '\n' && shown[i + 1] != '\t' &&
        shown[i + 1] != ' ') {
      out += indent;
    }
  }
  return out;
}

// Columns on the terminal: characters, counted in the line as it is shown.
int ShownColumn(std::string_view line, int byte_column) {
  size_t prefix = std::min(line.size(), static_cast<size_t>(std::max(0, byte_column - 1)));
  std::string shown = DisplayText(line.substr(0, prefix));
  int extra = byte_column - 1 > static_cast<int>(line.size()) ? byte_column - 1 - static_cast<int>(line.size()) : 0;
  return CharacterColumn(shown, static_cast<int>(shown.size()) + 1) + extra;
}

void RenderStatistics(const std::vector<Diagnostic>& ds, std::ostream& out) {
  std::map<std::string, size_t> counts;
  for (const Diagnostic& d : ds) ++counts[d.code];
  for (const auto& [code, n] : counts) {
    const Rule* r = FindRule(code);
    out << n << "\t" << code << "\t" << (r ? r->info().name : "") << "\n";
  }
}

// --explain: which class each checkpoint was compared with, how ptlint knew,
// and, where it said nothing, why (unbound, ambiguous, construction unknown).
// A silent linter must be able to say why it is silent.
void RenderBindings(const ReportSummary& summary, std::ostream& out) {
  out << "Bindings (" << summary.checkpoints.size() << " checkpoint" << (summary.checkpoints.size() == 1 ? "" : "s")
      << "):\n";
  for (const CheckpointReport& c : summary.checkpoints) {
    out << "  " << DisplayText(c.path) << ": ";
    if (!c.binding_class.empty()) {
      out << "bound to " << DisplayText(c.binding_class);
      if (!c.binding_factory.empty()) out << " built by " << DisplayText(c.binding_factory) << "()";
      out << " (" << c.binding_how;
      if (!c.binding_site.empty()) out << " at " << DisplayText(c.binding_site);
      if (c.binding_how == "structure") {
        out << ", " << std::lround(c.binding_score * 100) << " % of keys";
      }
      out << ")";
      if (!c.keys_followed) {
        out << "; keys changed on the way to load_state_dict: drift is not reported";
      } else {
        out << (c.construction_known ? "; construction known: drift is reported"
                                     : "; construction not known: drift is not reported");
      }
    } else if (c.binding_how == "ambiguous") {
      out << "ambiguous between ";
      for (size_t i = 0; i < c.candidates.size(); ++i) out << (i ? ", " : "") << DisplayText(c.candidates[i]);
      out << "; drift is not reported";
    } else {
      out << "not bound to a class; drift is not reported";
    }
    out << "\n";
    if (!c.binding_note.empty()) out << "    why: " << DisplayText(c.binding_note) << "\n";
  }
  out << "\n";
}

void RenderText(bool full, const std::vector<Diagnostic>& ds, const ReportSummary& summary,
                std::ostream& out) {
  SourceLines lines;
  for (const Diagnostic& d : ds) {
    out << DisplayText(Where(d)) << ": " << d.code << " "
        << (full ? "[" + std::string(SeverityName(d.severity)) + "] " : "") << DisplayText(d.message);
    if (!full && d.byte_offset >= 0) out << " (byte " << d.byte_offset << ")";
    out << "\n";
    if (!full) continue;
    if (d.location.line > 0) {
      std::optional<std::string> text = lines.Line(d.location.path, d.location.line);
      if (text && !text->empty()) {
        out << "   |\n" << "   | " << DisplayText(*text) << "\n   | ";
        int byte_col = std::max(1, d.location.column);
        int col = ShownColumn(*text, byte_col);
        int width = 1;
        if (d.location.end_line == d.location.line && d.location.end_column > byte_col) {
          width = std::max(1, ShownColumn(*text, d.location.end_column) - col);
        }
        out << std::string(static_cast<size_t>(col - 1), ' ');
        out << std::string(static_cast<size_t>(width), '^') << "\n";
      }
    } else if (d.byte_offset >= 0) {
      out << "  at byte " << d.byte_offset << " of " << DisplayText(d.location.path) << "\n";
    }
    if (!d.instances.empty()) out << "  instances: " << DisplayText(CompactInstances(d)) << "\n";
    if (!d.torch_error.empty()) out << "  torch.load: " << Indented(d.torch_error, "    ") << "\n";
    for (const RelatedLocation& r : d.related) {
      out << "  note: " << DisplayText(r.where.path);
      if (r.where.line > 0) out << ":" << r.where.line;
      out << ": " << DisplayText(r.message) << "\n";
    }
    if (!d.fix.empty()) out << "  fix: " << Indented(d.fix, "    ") << "\n";
    out << "\n";
  }
  size_t errors = 0, warnings = 0;
  for (const Diagnostic& d : ds) (d.severity == Severity::kError ? errors : warnings)++;
  if (summary.explain) {
    if (!full && !ds.empty()) out << "\n";
    RenderBindings(summary, out);
  }
  if (summary.statistics) RenderStatistics(ds, out);
  auto count = [](size_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  if (ds.empty()) {
    out << "All checks passed (" << count(summary.files_checked, "file") << ").\n";
  } else {
    out << "Found " << count(ds.size(), "problem") << " (" << count(errors, "error") << ", "
        << count(warnings, "warning") << ") in " << count(summary.files_checked, "file") << ".\n";
  }
}

// Every string in a machine report as valid UTF-8 (invalid bytes as `\xNN`,
// see text_escape.h). Control characters stay: JSON escapes them itself. The
// document is ours and shallow; a stack keeps the walk iterative anyway.
void MakeStringsValidUtf8(ojson& doc) {
  std::vector<ojson*> stack{&doc};
  while (!stack.empty()) {
    ojson* j = stack.back();
    stack.pop_back();
    if (j->is_string()) {
      const std::string& s = j->get_ref<const std::string&>();
      std::string valid = ValidUtf8(s);
      if (valid != s) *j = std::move(valid);
    } else if (j->is_structured()) {
      for (auto& child : *j) stack.push_back(&child);
    }
  }
}

ojson LocationJson(const SourceRange& r) {
  ojson j;
  j["path"] = r.path;
  j["line"] = r.line;
  j["column"] = r.column;
  j["end_line"] = r.end_line;
  j["end_column"] = r.end_column;
  return j;
}

void RenderJson(const std::vector<Diagnostic>& ds, const ReportSummary& summary, std::ostream& out) {
  ojson doc;
  doc["schema"] = kCheckSchema;
  doc["ptlint_version"] = PTLINT_VERSION;
  doc["files_checked"] = summary.files_checked;
  doc["checkpoints"] = ojson::array();
  for (const CheckpointReport& c : summary.checkpoints) {
    ojson cj;
    cj["path"] = c.path;
    cj["format"] = c.format;
    cj["layout"] = c.layout;
    ojson b;
    b["class"] = c.binding_class.empty() ? ojson(nullptr) : ojson(c.binding_class);
    b["how"] = c.binding_how;
    if (!c.binding_factory.empty()) b["factory"] = c.binding_factory;
    // Two decimals: stable across platforms' float printing.
    b["score"] = static_cast<double>(std::lround(c.binding_score * 100)) / 100;
    b["candidates"] = c.candidates;
    if (!c.binding_site.empty()) b["site"] = c.binding_site;
    b["construction_known"] = c.construction_known;
    if (!c.keys_followed) b["keys_followed"] = false;
    if (!c.binding_note.empty()) b["note"] = c.binding_note;
    cj["binding"] = b;
    doc["checkpoints"].push_back(std::move(cj));
  }
  doc["diagnostics"] = ojson::array();
  for (const Diagnostic& d : ds) {
    const Rule* r = FindRule(d.code);
    ojson j;
    j["code"] = d.code;
    j["name"] = r ? r->info().name : "";
    j["severity"] = SeverityName(d.severity);
    j["message"] = d.message;
    j["torch_error"] = d.torch_error;
    j["fix"] = d.fix;
    j["location"] = LocationJson(d.location);
    j["checkpoint"] = d.checkpoint;
    j["byte_offset"] = d.byte_offset;
    j["related"] = ojson::array();
    for (const RelatedLocation& rl : d.related) {
      j["related"].push_back({{"location", LocationJson(rl.where)}, {"message", rl.message}});
    }
    j["edits"] = ojson::array();
    for (const TextEdit& e : d.edits) {
      j["edits"].push_back({{"range", LocationJson(e.range)}, {"new_text", e.new_text}});
    }
    if (!d.instances.empty()) {
      // One finding standing for several (GroupFindingsByCause).
      j["instances"] = ojson::array();
      for (const FindingInstance& i : d.instances) {
        j["instances"].push_back({{"checkpoint", i.checkpoint}, {"instance", i.instance}});
      }
      j["instances_summary"] = d.instances_summary;
    }
    j["fingerprint"] = DiagnosticFingerprint(d);
    doc["diagnostics"].push_back(std::move(j));
  }
  MakeStringsValidUtf8(doc);
  out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

const char* SarifLevel(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "note";
  }
  return "warning";
}

// A path as a SARIF artifact URI. Relative paths (what ptlint prints when run
// inside the project) stay relative to %SRCROOT%, percent-encoded as RFC 3986
// requires (spaces, '%', '#', non-ASCII bytes); a path that is absolute or
// climbs out of the working directory ("../x") becomes an absolute file: URI
// without a uriBaseId, which GitHub maps back onto the checkout.
ojson SarifArtifactLocation(const std::string& path) {
  auto encode = [](std::string_view s) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string o;
    for (unsigned char c : s) {
      bool plain = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' ||
                   c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' ||
                   c == '*' || c == '+' || c == ',' || c == ';' || c == '=' || c == '@';
      if (plain && c < 0x80) {
        o += static_cast<char>(c);
      } else {
        o += '%';
        o += kHex[c >> 4];
        o += kHex[c & 15];
      }
    }
    return o;
  };
  std::filesystem::path p(path);
  std::string generic = p.lexically_normal().generic_string();
  bool outside = generic == ".." || generic.rfind("../", 0) == 0;
  if (p.is_absolute() || outside) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(p, ec).lexically_normal();
    return {{"uri", "file://" + encode(abs.generic_string())}};
  }
  // A relative path whose first segment holds ':' would read as a scheme.
  std::string uri = encode(generic.rfind("./", 0) == 0 ? generic.substr(2) : generic);
  size_t colon = uri.find(':');
  if (colon != std::string::npos && uri.find('/') > colon) uri = "./" + uri;
  return {{"uri", uri}, {"uriBaseId", "%SRCROOT%"}};
}

// GitHub code scanning needs region.startLine on every location: a finding on
// a whole file (a checkpoint) is placed on its first line. The run declares
// `columnKind: utf16CodeUnits` (what GitHub and VS Code count); diagnostics
// carry byte columns, converted here with the line's text. A column whose
// line cannot be read is left out (the region is then the whole line) rather
// than given in the wrong unit.
ojson SarifLocation(const SourceRange& r, SourceLines& lines) {
  ojson phys;
  phys["artifactLocation"] = SarifArtifactLocation(r.path);
  ojson region;
  if (r.line > 0) {
    region["startLine"] = r.line;
    int end_line = r.end_line > 0 ? r.end_line : r.line;
    std::optional<std::string> start_text = r.column > 0 ? lines.Line(r.path, r.line) : std::nullopt;
    std::optional<std::string> end_text;
    if (start_text) {
      region["startColumn"] = Utf16Column(*start_text, r.column);
      end_text = end_line == r.line ? start_text : lines.Line(r.path, end_line);
    }
    if (r.end_line > 0) region["endLine"] = r.end_line;
    if (end_text && r.end_column > 0 && (end_line > r.line || r.end_column >= r.column)) {
      region["endColumn"] = Utf16Column(*end_text, r.end_column);
    }
  } else {
    region["startLine"] = 1;
  }
  phys["region"] = region;
  return {{"physicalLocation", phys}};
}

void RenderSarif(const std::vector<Diagnostic>& ds, std::ostream& out) {
  SourceLines lines;
  ojson rules = ojson::array();
  std::map<std::string, size_t> index;
  for (const Rule* r : AllRules()) {
    const RuleInfo& info = r->info();
    std::string doc(RuleDocumentation(info.code));
    index[info.code] = rules.size();
    ojson rule;
    rule["id"] = info.code;
    rule["name"] = info.name;
    rule["shortDescription"] = {{"text", info.summary}};
    rule["fullDescription"] = {{"text", info.summary}};
    rule["help"] = {{"text", doc.empty() ? std::string(info.summary) : doc},
                    {"markdown", doc.empty() ? std::string(info.summary) : doc}};
    rule["helpUri"] = RuleDocumentationUrl(info.code);
    rule["defaultConfiguration"] = {{"level", SarifLevel(info.default_severity)}};
    rule["properties"] = {{"tags", {"pytorch", "checkpoint"}}};
    rules.push_back(std::move(rule));
  }
  ojson results = ojson::array();
  std::map<std::string, int> fingerprint_uses;
  for (const Diagnostic& d : ds) {
    ojson res;
    res["ruleId"] = d.code;
    if (index.count(d.code)) res["ruleIndex"] = index[d.code];
    res["level"] = SarifLevel(d.severity);
    std::string text = d.message;
    if (!d.instances.empty()) text += "\ninstances: " + CompactInstances(d);
    if (!d.torch_error.empty()) text += "\ntorch.load: " + d.torch_error;
    if (!d.fix.empty()) text += "\nfix: " + d.fix;
    res["message"] = {{"text", text}};
    if (!d.instances.empty()) {
      ojson instances = ojson::array();
      for (const FindingInstance& i : d.instances) {
        instances.push_back({{"checkpoint", i.checkpoint}, {"instance", i.instance}});
      }
      res["properties"] = {{"instances", instances}, {"instancesSummary", d.instances_summary}};
    }
    res["locations"] = ojson::array({SarifLocation(d.location, lines)});
    if (!d.related.empty()) {
      ojson rel = ojson::array();
      int id = 1;
      for (const RelatedLocation& r : d.related) {
        ojson l = SarifLocation(r.where, lines);
        l["id"] = id++;
        l["message"] = {{"text", r.message}};
        rel.push_back(std::move(l));
      }
      res["relatedLocations"] = rel;
    }
    // Two findings with the same rule, file and message (one per line) get
    // the same hash: the occurrence number keeps them apart, as CodeQL does.
    std::string fingerprint = DiagnosticFingerprint(d);
    int occurrence = ++fingerprint_uses[fingerprint];
    if (occurrence > 1) fingerprint += ":" + std::to_string(occurrence);
    res["partialFingerprints"] = {{"ptlint/v1", fingerprint}};
    results.push_back(std::move(res));
  }
  ojson doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  ojson driver;
  driver["name"] = "ptlint";
  driver["version"] = PTLINT_VERSION;
  driver["semanticVersion"] = PTLINT_VERSION;
  driver["informationUri"] = ToolDocumentationUrl();
  driver["rules"] = rules;
  ojson run;
  run["tool"] = {{"driver", driver}};
  run["results"] = results;
  run["columnKind"] = "utf16CodeUnits";
  doc["runs"] = ojson::array({run});
  MakeStringsValidUtf8(doc);
  out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

// GitHub workflow commands (`::error file=...::message`): the runner undoes
// only %25, %0D, %0A (data) and also %3A, %2C (properties). Other control
// characters and invalid UTF-8 would reach the log as they are, so they are
// spelled out first (DisplayText); newlines are kept and encoded, so a
// message cannot end the command and forge another.
std::string EscapeData(std::string_view s) {
  std::string o;
  for (char c : DisplayText(s, /*keep_newlines=*/true)) {
    if (c == '%') o += "%25";
    else if (c == '\r') o += "%0D";
    else if (c == '\n') o += "%0A";
    else o += c;
  }
  return o;
}

std::string EscapeProperty(std::string_view s) {
  std::string o;
  for (char c : EscapeData(s)) {
    if (c == ':') o += "%3A";
    else if (c == ',') o += "%2C";
    else o += c;
  }
  return o;
}

void RenderGithub(const std::vector<Diagnostic>& ds, std::ostream& out) {
  for (const Diagnostic& d : ds) {
    const char* kind = d.severity == Severity::kError ? "error"
                       : d.severity == Severity::kWarning ? "warning" : "notice";
    out << "::" << kind << " file=" << EscapeProperty(d.location.path);
    if (d.location.line > 0) {
      out << ",line=" << d.location.line;
      int end = d.location.end_line > 0 ? d.location.end_line : d.location.line;
      out << ",endLine=" << end;
      if (end == d.location.line && d.location.column > 0) {
        out << ",col=" << d.location.column;
        if (d.location.end_column > 0) out << ",endColumn=" << d.location.end_column;
      }
    }
    out << ",title=" << EscapeProperty("ptlint (" + d.code + ")") << "::";
    std::string body = Where(d) + ": " + d.code + " " + d.message;
    if (!d.instances.empty()) body += "\ninstances: " + CompactInstances(d);
    if (!d.torch_error.empty()) body += "\ntorch.load: " + d.torch_error;
    if (!d.fix.empty()) body += "\nfix: " + d.fix;
    out << EscapeData(body) << "\n";
  }
}

void RenderJunit(const std::vector<Diagnostic>& ds, std::ostream& out) {
  std::map<std::string, std::vector<const Diagnostic*>> by_file;
  for (const Diagnostic& d : ds) by_file[d.location.path].push_back(&d);
  auto attr = [](std::string_view s) { return XmlText(s, /*attribute=*/true); };
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"ptlint\" tests=\"" << ds.size() << "\" failures=\"" << ds.size()
      << "\">\n";
  for (const auto& [file, list] : by_file) {
    out << "  <testsuite name=\"" << attr(file) << "\" tests=\"" << list.size()
        << "\" failures=\"" << list.size() << "\">\n";
    for (const Diagnostic* d : list) {
      out << "    <testcase name=\"org.ptlint." << attr(d->code) << "\" classname=\"" << attr(file)
          << "\" file=\"" << attr(file) << "\" line=\"" << d->location.line << "\">\n";
      out << "      <failure message=\"" << attr(d->message) << "\">"
          << XmlText(Where(*d) + ": " + d->code + " " + d->message +
                         (d->fix.empty() ? "" : "\nfix: " + d->fix),
                     /*attribute=*/false)
          << "</failure>\n    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace

void RenderReport(OutputFormat format, const std::vector<Diagnostic>& ds,
                  const ReportSummary& summary, std::ostream& out) {
  switch (format) {
    case OutputFormat::kFull: RenderText(true, ds, summary, out); break;
    case OutputFormat::kConcise: RenderText(false, ds, summary, out); break;
    case OutputFormat::kJson: RenderJson(ds, summary, out); break;
    case OutputFormat::kSarif: RenderSarif(ds, out); break;
    case OutputFormat::kGithub: RenderGithub(ds, out); break;
    case OutputFormat::kJunit: RenderJunit(ds, out); break;
  }
}

}  // namespace ptlint
