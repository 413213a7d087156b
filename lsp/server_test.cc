// The server in-process over the fake transport (no files: lifecycle and errors).
#include "lsp/server.h"

#include <gtest/gtest.h>

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
