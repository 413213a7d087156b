#include "render/report_formats.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

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

std::string SourceLine(const std::string& path, int line) {
  std::ifstream in(path);
  std::string text;
  for (int i = 1; i <= line && std::getline(in, text); ++i) {
    if (i == line) return text;
  }
  return {};
}

void RenderStatistics(const std::vector<Diagnostic>& ds, std::ostream& out) {
  std::map<std::string, size_t> counts;
  for (const Diagnostic& d : ds) ++counts[d.code];
  for (const auto& [code, n] : counts) {
    const Rule* r = FindRule(code);
    out << n << "\t" << code << "\t" << (r ? r->info().name : "") << "\n";
  }
}

void RenderText(bool full, const std::vector<Diagnostic>& ds, const ReportSummary& summary,
                std::ostream& out) {
  for (const Diagnostic& d : ds) {
    out << Where(d) << ": " << d.code << " " << (full ? "[" + std::string(SeverityName(d.severity)) + "] " : "")
        << d.message;
    if (!full && d.byte_offset >= 0) out << " (byte " << d.byte_offset << ")";
    out << "\n";
    if (!full) continue;
    if (d.location.line > 0) {
      std::string text = SourceLine(d.location.path, d.location.line);
      if (!text.empty()) {
        out << "   |\n" << "   | " << text << "\n   | ";
        int col = std::max(1, d.location.column);
        out << std::string(static_cast<size_t>(col - 1), ' ');
        int width = (d.location.end_line == d.location.line && d.location.end_column > col)
                        ? d.location.end_column - col : 1;
        out << std::string(static_cast<size_t>(width), '^') << "\n";
      }
    } else if (d.byte_offset >= 0) {
      out << "  at byte " << d.byte_offset << " of " << d.location.path << "\n";
    }
    if (!d.torch_error.empty()) out << "  torch.load: " << d.torch_error << "\n";
    for (const RelatedLocation& r : d.related) {
      out << "  note: " << r.where.path;
      if (r.where.line > 0) out << ":" << r.where.line;
      out << ": " << r.message << "\n";
    }
    if (!d.fix.empty()) out << "  fix: " << d.fix << "\n";
    out << "\n";
  }
  size_t errors = 0, warnings = 0;
  for (const Diagnostic& d : ds) (d.severity == Severity::kError ? errors : warnings)++;
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
    b["score"] = static_cast<double>(static_cast<int64_t>(c.binding_score * 100 + 0.5)) / 100;
    b["candidates"] = c.candidates;
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
    j["fingerprint"] = DiagnosticFingerprint(d);
    doc["diagnostics"].push_back(std::move(j));
  }
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
// a whole file (a checkpoint) is placed on its first line.
ojson SarifLocation(const SourceRange& r) {
  ojson phys;
  phys["artifactLocation"] = SarifArtifactLocation(r.path);
  ojson region;
  if (r.line > 0) {
    region["startLine"] = r.line;
    if (r.column > 0) region["startColumn"] = r.column;
    if (r.end_line > 0) region["endLine"] = r.end_line;
    if (r.end_column > 0 && (r.end_line > r.line || r.end_column >= r.column)) {
      region["endColumn"] = r.end_column;
    }
  } else {
    region["startLine"] = 1;
  }
  phys["region"] = region;
  return {{"physicalLocation", phys}};
}

void RenderSarif(const std::vector<Diagnostic>& ds, std::ostream& out) {
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
    if (!d.torch_error.empty()) text += "\ntorch.load: " + d.torch_error;
    if (!d.fix.empty()) text += "\nfix: " + d.fix;
    res["message"] = {{"text", text}};
    res["locations"] = ojson::array({SarifLocation(d.location)});
    if (!d.related.empty()) {
      ojson rel = ojson::array();
      int id = 1;
      for (const RelatedLocation& r : d.related) {
        ojson l = SarifLocation(r.where);
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
  driver["informationUri"] = "https://ptlint.invalid";
  driver["rules"] = rules;
  ojson run;
  run["tool"] = {{"driver", driver}};
  run["results"] = results;
  run["columnKind"] = "utf16CodeUnits";
  doc["runs"] = ojson::array({run});
  out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

std::string EscapeData(std::string_view s) {
  std::string o;
  for (char c : s) {
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
    if (!d.torch_error.empty()) body += "\ntorch.load: " + d.torch_error;
    if (!d.fix.empty()) body += "\nfix: " + d.fix;
    out << EscapeData(body) << "\n";
  }
}

std::string XmlEscape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') o += ' ';
        else o += c;
    }
  }
  return o;
}

void RenderJunit(const std::vector<Diagnostic>& ds, std::ostream& out) {
  std::map<std::string, std::vector<const Diagnostic*>> by_file;
  for (const Diagnostic& d : ds) by_file[d.location.path].push_back(&d);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"ptlint\" tests=\"" << ds.size() << "\" failures=\"" << ds.size()
      << "\">\n";
  for (const auto& [file, list] : by_file) {
    out << "  <testsuite name=\"" << XmlEscape(file) << "\" tests=\"" << list.size()
        << "\" failures=\"" << list.size() << "\">\n";
    for (const Diagnostic* d : list) {
      out << "    <testcase name=\"org.ptlint." << d->code << "\" classname=\"" << XmlEscape(file)
          << "\" file=\"" << XmlEscape(file) << "\" line=\"" << d->location.line << "\">\n";
      out << "      <failure message=\"" << XmlEscape(d->message) << "\">"
          << XmlEscape(Where(*d) + ": " + d->code + " " + d->message +
                       (d->fix.empty() ? "" : "\nfix: " + d->fix))
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
