// The server in-process over the fake transport (no files: lifecycle and errors).
#include "lsp/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lsp/code_actions.h"
#include "lsp/protocol.h"
#include "lsp/transport.h"

namespace ptlint::lsp {
namespace {

using json = nlohmann::json;

struct Running {
  FakeTransport transport;
  std::unique_ptr<Server> server;
  std::thread thread;
  int exit_code = -1;
  Running() {
    ServerOptions o;
    o.chdir_to_root = false;
    o.poll_interval_ms = 0;
    server = std::make_unique<Server>(transport, o);
    thread = std::thread([this] { exit_code = server->Run(); });
  }
  ~Running() {
    transport.Close();
    if (thread.joinable()) thread.join();
  }
};

TEST(Server, LifecycleAndErrors) {
  std::filesystem::path root = std::filesystem::temp_directory_path() / "ptlint_lsp_server_test";
  std::filesystem::create_directories(root);
  std::ofstream(root / "m.py") << "import torch\n\nclass A(torch.nn.Module):\n    pass\n";
  Running r;
  r.transport.Send(Request(1, "textDocument/hover", json::object()));
  EXPECT_EQ(r.transport.WaitForResponse(1)["error"]["code"], kServerNotInitialized);
  r.transport.Send(Request(2, "initialize",
                           {{"rootUri", UriFromPath(root.string())},
                            {"capabilities", {{"general", {{"positionEncodings", {"utf-8"}}}}}}}));
  json init = r.transport.WaitForResponse(2);
  EXPECT_EQ(init["result"]["capabilities"]["positionEncoding"], "utf-8");
  r.transport.Send(Notification("initialized", json::object()));
  r.transport.SendRaw("{not json");
  json parse_error = r.transport.WaitFor([](const json& m) { return m.contains("error") && m["id"].is_null(); });
  EXPECT_EQ(parse_error["error"]["code"], kParseError);
  r.transport.Send(Request(3, "no/such", json::object()));
  EXPECT_EQ(r.transport.WaitForResponse(3)["error"]["code"], kMethodNotFound);
  r.transport.Send(Request(4, "textDocument/hover", {{"textDocument", {{"uri", 5}}}}));
  EXPECT_EQ(r.transport.WaitForResponse(4)["error"]["code"], kInvalidParams);
  std::string uri = UriFromPath((root / "m.py").string());
  r.transport.Send(Notification("textDocument/didOpen",
                                {{"textDocument", {{"uri", uri}, {"version", 1}, {"text", "import torch\n\nclass A(torch.nn.Module):\n    pass\n"}}}}));
  r.transport.Send(Request(5, "textDocument/hover",
                           {{"textDocument", {{"uri", uri}}}, {"position", {{"line", 2}, {"character", 6}}}}));
  json hover = r.transport.WaitForResponse(5);
  ASSERT_TRUE(hover["result"].is_object()) << hover.dump();
  EXPECT_NE(hover["result"]["contents"]["value"].get<std::string>().find("m.A"), std::string::npos);
  r.transport.Send(Request(6, "shutdown", nullptr));
  EXPECT_TRUE(r.transport.WaitForResponse(6).contains("result"));
  r.transport.Send(Request(7, "textDocument/hover", json::object()));
  EXPECT_EQ(r.transport.WaitForResponse(7)["error"]["code"], kInvalidRequest);
  r.transport.Send(Notification("exit", nullptr));
  r.thread.join();
  EXPECT_EQ(r.exit_code, 0);
  std::filesystem::remove_all(root);
}

TEST(Server, EofWithoutShutdownIsExitCodeOne) {
  Running r;
  r.transport.Close();
  r.thread.join();
  EXPECT_EQ(r.exit_code, 1);
}

// The peer security corpus as a workspace: 301 hostile files (payloads,
// invalid UTF-8 in every string, truncated pickles, ...). The server must
// publish their findings and keep answering — a throw anywhere kills this
// process, and a stall times the waits out.
TEST(Server, HostileWorkspaceNeitherCrashesNorStalls) {
  std::error_code ec;
  std::filesystem::path corpus = std::filesystem::canonical(PTLINT_CORPUS_DIR, ec);
  ASSERT_FALSE(ec) << "the peer corpus is missing: " << PTLINT_CORPUS_DIR;
  Running r;
  r.transport.Send(Request(1, "initialize", {{"rootUri", UriFromPath(corpus.string())}, {"capabilities", json::object()}}));
  ASSERT_TRUE(r.transport.WaitForResponse(1).contains("result"));
  r.transport.Send(Notification("initialized", json::object()));
  // No sources, no config: the findings about whole checkpoints have no
  // text place, so they go to the log (never to the binary files).
  json published = r.transport.WaitFor(
      [](const json& m) {
        return m.value("method", "") == "window/logMessage" &&
               m["params"]["message"].get<std::string>().find("PTL6") != std::string::npos;
      },
      std::chrono::seconds(60));
  ASSERT_FALSE(published.is_null()) << "no findings for the corpus within 60 s";
  for (const json& m : r.transport.Written()) {
    EXPECT_NE(m.value("method", ""), "textDocument/publishDiagnostics") << m.dump().substr(0, 300);
  }
  r.transport.Send(Request(2, "shutdown", nullptr));
  EXPECT_TRUE(r.transport.WaitForResponse(2, std::chrono::seconds(60)).contains("result"));
  r.transport.Send(Notification("exit", nullptr));
  r.thread.join();
  EXPECT_EQ(r.exit_code, 0);
}

// A project with a small module (class A) and a large one (about `bytes`
// of nn.Module classes named `prefix`N), for the tests of analysis on the
// worker thread.
struct LargeProject {
  std::filesystem::path root;
  std::string big_path, small_path, big_text;
  LargeProject(const std::string& name, size_t bytes) {
    root = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    small_path = (root / "m.py").string();
    big_path = (root / "big.py").string();
    std::ofstream(small_path) << "import torch\n\nclass A(torch.nn.Module):\n    pass\n";
    big_text = Text("Block", bytes);
    std::ofstream(big_path) << big_text;
  }
  ~LargeProject() { std::filesystem::remove_all(root); }
  static std::string Text(const std::string& prefix, size_t bytes) {
    std::string text = "import torch\nfrom torch import nn\n";
    for (int i = 0; text.size() < bytes; ++i) {
      std::string n = prefix + std::to_string(i);
      text += "\n\nclass " + n + "(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n";
    }
    return text;
  }
};

bool IsDiagnosticsFor(const json& m, const std::string& uri, int version) {
  return m.value("method", "") == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri &&
         m["params"].value("version", -1) == version;
}

// Starts a session on `p` with `options` and opens the large document
// (version 1); returns once its diagnostics are published.
void OpenLarge(Running& r, const LargeProject& p, json options) {
  options["pollInterval"] = 0;
  options["maxDocumentBytes"] = 64 << 20;
  r.transport.Send(Request(1, "initialize", {{"rootUri", UriFromPath(p.root.string())},
                                             {"capabilities", json::object()},
                                             {"initializationOptions", options}}));
  ASSERT_TRUE(r.transport.WaitForResponse(1).contains("result"));
  r.transport.Send(Notification("initialized", json::object()));
  std::string uri = UriFromPath(p.big_path);
  r.transport.Send(Notification("textDocument/didOpen",
                                {{"textDocument", {{"uri", uri}, {"version", 1}, {"text", p.big_text}}}}));
  ASSERT_FALSE(r.transport.WaitFor([&](const json& m) { return IsDiagnosticsFor(m, uri, 1); },
                                   std::chrono::seconds(120)).is_null());
}

// Issue 13 §3: a hover sent while a ~2 MiB document is analysed is answered
// from the last completed analysis, before that analysis publishes. (The
// old server first finished the pending analysis, so its diagnostics came
// first.) Order, not milliseconds: no timing threshold.
TEST(Server, HoverDuringAnalysisAnswersFromTheLastOne) {
  LargeProject p("ptlint_lsp_hover_during_analysis", 2u << 20);
  Running r;
  OpenLarge(r, p, {{"debounce", 0}});
  std::string uri = UriFromPath(p.big_path);
  // A whole new text (every class renamed): a full parse, link and lint.
  r.transport.Send(Notification("textDocument/didChange",
                                {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                 {"contentChanges", json::array({{{"text", LargeProject::Text("Layer", 2u << 20)}}})}}));
  r.transport.Send(Request(2, "textDocument/hover", {{"textDocument", {{"uri", UriFromPath(p.small_path)}}},
                                                     {"position", {{"line", 2}, {"character", 6}}}}));
  // Both stay in the transport's outbox in the order written.
  std::vector<json> written;
  for (int i = 0; i < 1200; ++i) {
    written = r.transport.Written();
    bool diag = std::any_of(written.begin(), written.end(), [&](const json& m) { return IsDiagnosticsFor(m, uri, 2); });
    if (diag) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto hover = std::find_if(written.begin(), written.end(), [](const json& m) { return m.value("id", json()) == 2; });
  auto diag = std::find_if(written.begin(), written.end(), [&](const json& m) { return IsDiagnosticsFor(m, uri, 2); });
  ASSERT_NE(diag, written.end()) << "version 2 was never published";
  ASSERT_NE(hover, written.end()) << "the hover was never answered";
  EXPECT_LT(hover - written.begin(), diag - written.begin())
      << "the hover waited for the analysis of version 2";
  ASSERT_TRUE((*hover)["result"].is_object()) << hover->dump();
  EXPECT_NE((*hover)["result"]["contents"]["value"].get<std::string>().find("m.A"), std::string::npos);
  r.transport.Send(Request(3, "shutdown", nullptr));
  EXPECT_TRUE(r.transport.WaitForResponse(3).contains("result"));
  r.transport.Send(Notification("exit", nullptr));
  r.thread.join();
  EXPECT_EQ(r.exit_code, 0);
}

// Issue 13 §3: 12 quick edits of a large document publish diagnostics for
// the last version only; a result for a version the client has already
// replaced is never sent. (The old server, once its 2 × max-wait window
// had passed, ran an analysis to its end with newer edits queued and
// published it.)
TEST(Server, BurstOfEditsPublishesOnlyTheLastVersion) {
  LargeProject p("ptlint_lsp_burst_of_edits", 2u << 20);
  Running r;
  OpenLarge(r, p, {{"debounce", 0}, {"debounceMaxWait", 20}});
  std::string uri = UriFromPath(p.big_path);
  for (int v = 2; v <= 13; ++v) {
    // Each edit renames every class: a full parse each time.
    r.transport.Send(Notification(
        "textDocument/didChange",
        {{"textDocument", {{"uri", uri}, {"version", v}}},
         {"contentChanges", json::array({{{"text", LargeProject::Text("V" + std::to_string(v) + "_", 2u << 20)}}})}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  ASSERT_FALSE(r.transport.WaitFor([&](const json& m) { return IsDiagnosticsFor(m, uri, 13); },
                                   std::chrono::seconds(120)).is_null());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // anything written after it
  for (const json& m : r.transport.Written()) {
    if (m.value("method", "") != "textDocument/publishDiagnostics" || m["params"]["uri"] != uri) continue;
    ADD_FAILURE() << "published version " << m["params"].value("version", -1) << " besides 13";
  }
  r.transport.Send(Request(3, "shutdown", nullptr));
  EXPECT_TRUE(r.transport.WaitForResponse(3).contains("result"));
  r.transport.Send(Notification("exit", nullptr));
  r.thread.join();
  EXPECT_EQ(r.exit_code, 0);
}

// Closing the input while a large document is analysed ends the session
// (the analysis stops at its next check; Run joins its thread).
TEST(Server, EofDuringAnalysisEndsTheSession) {
  LargeProject p("ptlint_lsp_eof_during_analysis", 2u << 20);
  Running r;
  OpenLarge(r, p, {{"debounce", 0}});
  r.transport.Send(Notification("textDocument/didChange",
                                {{"textDocument", {{"uri", UriFromPath(p.big_path)}, {"version", 2}}},
                                 {"contentChanges", json::array({{{"text", LargeProject::Text("W", 2u << 20)}}})}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  r.transport.Close();
  r.thread.join();
  EXPECT_EQ(r.exit_code, 1);
}

TEST(CodeActions, SuppressionEditAppendsOrExtends) {
  json a = SuppressionEdit("    self.x = 1  ", 3, "PTL204", PositionEncoding::kUtf16);
  EXPECT_EQ(a["newText"], "  # ptlint: ignore[PTL204]");
  EXPECT_EQ(a["range"]["start"]["character"], 14);
  json b = SuppressionEdit("x = 1  # ptlint: ignore[PTL201]", 0, "PTL204", PositionEncoding::kUtf16);
  EXPECT_EQ(b["newText"], ", PTL204");
  EXPECT_EQ(b["range"]["start"]["character"], 30);
}

}  // namespace
}  // namespace ptlint::lsp
