#include "lsp/server.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "analyzer/analysis/project_analysis.h"
#include "lsp/code_actions.h"
#include "lsp/hover.h"
#include "lsp/protocol.h"
#include "lsp/workspace.h"
#include "analyzer/checkpoint/checkpoint_discovery.h"

namespace ptlint::lsp {
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// One of the server's two copies of the Workspace, with how many entries of
// the input log (Server::Impl::inputs_) it has applied. Ownership moves, it
// is never shared: the main loop holds a replica, or lends it to the
// analysis worker for one job and gets it back in a kAnalysisDone event.
struct Replica {
  Workspace workspace;
  uint64_t applied = 0;  // input log entries [0, applied) are in `workspace`
};

// One change to the workspace's input (an edit, a checkpoint read, a
// reload...), recorded once by the main loop and applied to each replica in
// order, so both go through the same states. `apply` only reads what it
// captured (copies, or shared data that is never modified).
struct Input {
  enum Kind { kEdit, kLoad, kOther } kind = kOther;
  std::function<std::string(Workspace&)> apply;  // returns an error to log, or ""
};

// What a load told the main loop (config files and checkpoints to watch).
struct LoadInfo {
  std::vector<std::string> config_files;
  std::set<std::string> checkpoint_paths;
  size_t python_files = 0;
  std::string error;
};

struct Event {
  enum Kind { kMessage, kBadFrame, kEof, kCheckpointRead, kAnalysisDone } kind = kMessage;
  json message;
  std::string text;  // kBadFrame: why; kCheckpointRead: the path; kAnalysisDone: a failure
  FileStamp stamp;
  std::shared_ptr<AnalyzedCheckpoint> checkpoint;
  // kAnalysisDone: the replica coming back, whether its analysis ran to the
  // end, and what a load in the job found.
  std::shared_ptr<Replica> replica;
  bool completed = false;
  std::optional<LoadInfo> loaded;
  double ms = 0;
};

class EventQueue {
 public:
  void Push(Event e) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  // The next event, or nullopt at `deadline`.
  std::optional<Event> Pop(std::optional<Clock::time_point> deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (deadline) {
      cv_.wait_until(lock, *deadline, [&] { return !events_.empty(); });
    } else {
      cv_.wait(lock, [&] { return !events_.empty(); });
    }
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  // Does a queued event satisfy `match`?
  bool Any(const std::function<bool(const Event&)>& match) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Event& e : events_) {
      if (match(e)) return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

// Reads checkpoints one at a time; shared with its thread so that a read
// still running at exit can be left behind safely.
struct CheckpointWorker {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::string> jobs;
  bool stop = false;
  std::shared_ptr<EventQueue> events;

  void Loop() {
    while (true) {
      std::string path;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return stop || !jobs.empty(); });
        if (stop) return;
        path = std::move(jobs.front());
        jobs.pop_front();
      }
      Event e;
      e.kind = Event::kCheckpointRead;
      e.text = path;
      auto stamp = StatFile(path);
      if (stamp) {
        e.stamp = *stamp;
        e.checkpoint = std::make_shared<AnalyzedCheckpoint>(ReadAnalyzedCheckpoint(path));
      }
      events->Push(std::move(e));
    }
  }
};

// One analysis for the worker: bring `replica` up to log position `end`
// (apply `inputs`, the entries it has not seen), then analyse it.
struct AnalysisJob {
  std::shared_ptr<Replica> replica;
  std::vector<Input> inputs;
  uint64_t end = 0;
  bool analyze = true;  // false: apply the inputs only (a load, before its checkpoints are read)
  // Until then an edit newer than `end` supersedes the analysis; after it
  // the analysis runs to its end, so continuous typing cannot starve it.
  Clock::time_point edits_stop_until{};
};

// Runs analyses, one at a time, on its own thread (issue 13 §3): the parse of
// a large document, the link and the lint never hold up requests or input.
// Ownership: a job's replica belongs to the worker from Submit until the
// kAnalysisDone event hands it back to the main loop; besides it the worker
// touches only its own fields (under `mutex`, or atomic), the event queue
// (thread-safe) and what the inputs captured (copies, or immutable shared
// data). The main loop joins the thread before the server goes away.
struct AnalysisWorker {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<AnalysisJob> job;  // under `mutex`
  bool stop = false;               // under `mutex`
  std::atomic<bool> abort{false};  // exit, shutdown, end of input: stop at the next check
  // 1 + the log position of the main loop's newest edit (0: none yet).
  std::atomic<uint64_t> newest_edit{0};
  std::shared_ptr<EventQueue> events;

  void Submit(AnalysisJob j) {
    std::lock_guard<std::mutex> lock(mutex);
    job = std::move(j);
    cv.notify_all();
  }

  void Stop() {
    abort = true;
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
    cv.notify_all();
  }

  void Loop() {
    while (true) {
      AnalysisJob j;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return stop || job.has_value(); });
        if (stop) return;
        j = std::move(*job);
        job.reset();
      }
      auto t0 = Clock::now();
      Event e;
      e.kind = Event::kAnalysisDone;
      e.replica = j.replica;
      Workspace& ws = j.replica->workspace;
      try {
        for (Input& input : j.inputs) {
          ++j.replica->applied;  // before: an input that throws is not applied again
          std::string error = input.apply(ws);
          if (input.kind == Input::kLoad) {
            LoadInfo info;
            info.config_files = ws.ConfigFiles();
            info.checkpoint_paths = ws.checkpoint_paths();
            info.python_files = ws.project().python_files.size();
            info.error = error;
            e.loaded = std::move(info);
          } else if (!error.empty()) {
            e.text += (e.text.empty() ? "" : "; ") + error;
          }
        }
        if (j.analyze && !abort) {
          uint64_t end = j.end;
          Clock::time_point until = j.edits_stop_until;
          e.completed = ws.Analyze([this, end, until] {
            return abort.load() || (newest_edit.load() > end && Clock::now() < until);
          });
        }
      } catch (const std::exception& ex) {
        e.completed = false;
        e.text = std::string("analysis failed (please report it): ") + ex.what();
      }
      e.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      events->Push(std::move(e));
    }
  }
};

// Findings quote hostile checkpoints, whose strings need not be UTF-8:
// nlohmann's default dump throws on them. Invalid bytes become U+FFFD, as on
// the wire (transport.cc).
std::string SafeDump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string IdKey(const json& id) { return SafeDump(id); }

const json* Find(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

bool True(const json& j, std::initializer_list<const char*> path) {
  const json* v = Find(j, path);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

// Thrown by handlers for bad params; becomes -32602.
struct InvalidParams {
  std::string message;
};

std::string RequireString(const json& params, std::initializer_list<const char*> path) {
  const json* v = Find(params, path);
  if (v == nullptr || !v->is_string()) {
    std::string where;
    for (const char* p : path) where += std::string(where.empty() ? "" : ".") + p;
    throw InvalidParams{"missing or non-string " + where};
  }
  return v->get<std::string>();
}

uint32_t RequireUint(const json& params, std::initializer_list<const char*> path) {
  const json* v = Find(params, path);
  if (v == nullptr || !v->is_number_integer() || v->get<int64_t>() < 0) {
    std::string where;
    for (const char* p : path) where += std::string(where.empty() ? "" : ".") + p;
    throw InvalidParams{"missing or invalid " + where};
  }
  return static_cast<uint32_t>(std::min<int64_t>(v->get<int64_t>(), UINT32_MAX));
}

bool HasCheckpointExtension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  return ext == ".pt" || ext == ".pth" || ext == ".bin" || ext == ".ckpt" || ext == ".safetensors" ||
         ext == ".json";
}

}  // namespace

class Server::Impl {
 public:
  Impl(Transport& transport, ServerOptions options)
      : transport_(transport), options_(std::move(options)), events_(std::make_shared<EventQueue>()),
        cancelled_(std::make_shared<CancelSet>()) {}

  int Run();

 private:
  struct CancelSet {
    std::mutex mutex;
    std::set<std::string> ids;
  };
  struct Parked {
    json id;
    std::string method;
    json params;
  };

  void Log(int level, const std::string& text) {
    if (options_.log != nullptr && level <= options_.log_level) {
      std::lock_guard<std::mutex> lock(log_mutex_);  // inputs log from the analysis worker
      *options_.log << "ptlint lsp: " << text << "\n";
      options_.log->flush();
    }
  }
  void Send(const json& message) { transport_.Write(message); }
  void Reply(const json& id, json result) { Send(Response(id, std::move(result))); }
  void ReplyError(const json& id, int code, const std::string& message, const json& data = nullptr) {
    Send(ErrorResponse(id, code, message, data));
  }
  void Notify(const std::string& method, json params) { Send(Notification(method, std::move(params))); }
  void CallClient(const std::string& method, json params) {
    Send(Request("ptlint-" + std::to_string(++outgoing_id_), method, std::move(params)));
  }
  bool TakeCancelled(const json& id) {
    std::lock_guard<std::mutex> lock(cancelled_->mutex);
    return cancelled_->ids.erase(IdKey(id)) > 0;
  }

  void HandleMessage(const json& message);
  void HandleRequest(const json& id, const std::string& method, const json& params);
  void HandleNotification(const std::string& method, const json& params);

  json Initialize(const json& params);
  void Initialized();
  void LoadWorkspace(bool with_progress);
  void OnLoaded(const LoadInfo& info);
  void ScheduleReads();
  void OnCheckpointRead(Event& e);
  void MarkDirty(bool now);
  bool AnalysisReady() const;
  void Record(Input::Kind kind, std::function<std::string(Workspace&)> apply, const std::string& path = "");
  void StartAnalysis();
  void OnAnalysisDone(Event& e);
  void Publish();
  void AnswerParked(bool diagnostics);
  void AnswerRequest(const json& id, const std::string& method, const json& params);
  bool IsKnownCheckpoint(const std::string& path) const { return known_checkpoints_.count(path) > 0; }
  void Poll();
  void DidChangeWatchedFiles(const json& params);

  json PullDocument(const json& params);
  json PullWorkspace(const json& params);
  json DiagnosticsFor(const std::string& path);
  std::map<std::string, std::vector<json>> DiagnosticsByPath();
  bool IsTextTarget(const std::string& path) const;
  DiagnosticContext Context() const;
  std::string PathOf(const json& params);

  Transport& transport_;
  ServerOptions options_;
  std::shared_ptr<EventQueue> events_;
  std::shared_ptr<CancelSet> cancelled_;
  std::shared_ptr<CheckpointWorker> worker_;
  std::shared_ptr<AnalysisWorker> analysis_;

  // The two replicas of the Workspace (see Replica). `front_` is the last
  // completed analysis: requests, publishing and pulls read it, on the main
  // loop only. `back_` is the other one; it is null while lent to the worker
  // (`analysing_`). When an analysis completes the two swap, and the old
  // front catches up from the input log at its next job.
  std::shared_ptr<Replica> front_ = std::make_shared<Replica>();
  std::shared_ptr<Replica> back_ = std::make_shared<Replica>();
  const Workspace& front() const { return front_->workspace; }
  bool analysing_ = false;
  // The input log: entry i is at inputs_[i - inputs_base_]; entries both
  // replicas have applied are dropped.
  std::deque<Input> inputs_;
  uint64_t inputs_base_ = 0;
  uint64_t inputs_end() const { return inputs_base_ + inputs_.size(); }
  uint64_t newest_edit_ = 0;                       // 1 + log position of the newest edit
  std::map<std::string, uint64_t> edited_at_;      // per document: 1 + its newest edit's position
  std::mutex log_mutex_;
  // What the main loop knows without a replica: checkpoints and config
  // files (from the last load, watchers and reads).
  Clock::time_point load_started_{};
  bool load_pending_ = false;                      // a load is queued; its LoadInfo has not come back
  std::set<std::string> known_checkpoints_;
  std::map<std::string, FileStamp> read_stamps_;   // of the reads handed to the replicas
  std::vector<std::string> config_files_;

  // Lifecycle.
  bool initialize_received_ = false;
  bool initialized_ = false;
  bool loaded_ = false;
  bool shutdown_ = false;
  bool exit_ = false;
  int exit_code_ = 1;
  std::shared_ptr<std::atomic<bool>> loop_done_, shutdown_seen_;  // shared with the reader
  int outgoing_id_ = 0;

  // Client capabilities.
  PositionEncoding encoding_ = PositionEncoding::kUtf16;
  bool related_information_ = false;
  bool pull_diagnostics_ = false;
  bool refresh_support_ = false;
  bool dynamic_watchers_ = false;
  bool work_done_progress_ = false;
  std::string root_;

  // Scheduling.
  bool dirty_ = false;
  Clock::time_point analysis_deadline_{};
  Clock::time_point dirty_since_{};  // the first change the pending analysis has not seen
  std::set<std::string> in_flight_;
  Clock::time_point reads_since_{};
  std::optional<Clock::time_point> poll_deadline_;
  std::map<std::string, FileStamp> config_stamps_;
  std::vector<Parked> parked_;
  bool analysed_once_ = false;
  std::string progress_token_;

  // What was published, per absolute path (serialised diagnostics).
  std::map<std::string, std::string> published_;
  std::map<std::string, std::vector<json>> current_;
  // Whole-checkpoint findings with no load site and no config file to show
  // them on: sent as window/logMessage when they change.
  std::vector<std::string> unplaced_;
  std::vector<std::string> logged_unplaced_;
};

Server::Server(Transport& transport, ServerOptions options)
    : impl_(std::make_unique<Impl>(transport, std::move(options))) {}
Server::~Server() = default;
int Server::Run() { return impl_->Run(); }

int Server::Impl::Run() {
  worker_ = std::make_shared<CheckpointWorker>();
  worker_->events = events_;
  std::thread worker_thread([w = worker_] { w->Loop(); });
  analysis_ = std::make_shared<AnalysisWorker>();
  analysis_->events = events_;
  std::thread analysis_thread([a = analysis_] { a->Loop(); });

  auto reader_done = std::make_shared<std::atomic<bool>>(false);
  loop_done_ = std::make_shared<std::atomic<bool>>(false);
  shutdown_seen_ = std::make_shared<std::atomic<bool>>(false);
  std::thread reader([this, events = events_, cancelled = cancelled_, reader_done, loop_done = loop_done_,
                      shutdown_seen = shutdown_seen_, analysis = analysis_] {
    std::string body;
    while (true) {
      Transport::ReadResult r = transport_.Read(&body);
      if (r == Transport::ReadResult::kEof) break;
      Event e;
      if (r == Transport::ReadResult::kBadFrame) {
        e.kind = Event::kBadFrame;
        e.text = body;
        events->Push(std::move(e));
        continue;
      }
      json message = json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded()) {
        e.kind = Event::kBadFrame;
        e.text = "parse error: the message is not JSON";
        events->Push(std::move(e));
        continue;
      }
      if (message.is_object() && message.value("method", json()) == "$/cancelRequest") {
        const json* id = Find(message, {"params", "id"});
        if (id != nullptr && (id->is_number_integer() || id->is_string())) {
          std::lock_guard<std::mutex> lock(cancelled->mutex);
          cancelled->ids.insert(IdKey(*id));
        }
      }
      e.message = std::move(message);
      events->Push(std::move(e));
    }
    *reader_done = true;
    analysis->abort = true;  // the client is gone: stop the analysis now, not after the queue
    Event eof;
    eof.kind = Event::kEof;
    events->Push(std::move(eof));
    if (options_.exit_when_input_ends) {
      // The client is gone: nothing the main loop still computes can reach
      // it. If the loop has not ended within 1 s, end the process.
      for (int i = 0; i < 100 && !*loop_done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (!*loop_done) std::_Exit(*shutdown_seen ? 0 : 1);
    }
  });

  while (!exit_) {
    std::optional<Clock::time_point> deadline;
    if (dirty_ && !analysing_ && AnalysisReady()) deadline = analysis_deadline_;
    if (dirty_ && !analysing_ && !AnalysisReady() && !load_pending_) deadline = reads_since_ + std::chrono::seconds(5);
    if (poll_deadline_ && (!deadline || *poll_deadline_ < *deadline)) deadline = poll_deadline_;
    std::optional<Event> e = events_->Pop(deadline);
    if (e) {
      switch (e->kind) {
        case Event::kEof:
          Log(1, "input closed");
          exit_ = true;
          exit_code_ = shutdown_ ? 0 : 1;
          break;
        case Event::kBadFrame:
          Log(0, e->text);
          ReplyError(nullptr, kParseError, e->text);
          break;
        case Event::kCheckpointRead:
          OnCheckpointRead(*e);
          break;
        case Event::kAnalysisDone:
          OnAnalysisDone(*e);
          break;
        case Event::kMessage:
          HandleMessage(e->message);
          break;
      }
    }
    if (exit_) break;
    Clock::time_point now = Clock::now();
    if (!analysing_ && !shutdown_ && load_pending_) {
      StartAnalysis();  // the load alone (its checkpoints are read next)
    } else if (!analysing_ && !shutdown_ && dirty_ && now >= analysis_deadline_ &&
               (AnalysisReady() || now >= reads_since_ + std::chrono::seconds(5))) {
      StartAnalysis();
    }
    if (poll_deadline_ && now >= *poll_deadline_) {
      Poll();
      poll_deadline_ = Clock::now() + std::chrono::milliseconds(options_.poll_interval_ms);
    }
  }

  // The analysis stops at its next check (between documents, files and
  // steps); its replica and inputs are its own until then.
  analysis_->Stop();
  analysis_thread.join();
  *loop_done_ = true;
  {
    std::lock_guard<std::mutex> lock(worker_->mutex);
    worker_->stop = true;
    worker_->cv.notify_all();
  }
  // A read in progress finishes on its own (bounded by the reader's limits);
  // it owns its state, so it is not waited for.
  worker_thread.detach();
  transport_.Close();
  if (*reader_done) {
    reader.join();
  } else {
    // Blocked on stdin: the process ends around it.
    reader.detach();
  }
  return exit_code_;
}

void Server::Impl::HandleMessage(const json& message) {
  if (!message.is_object()) {
    ReplyError(nullptr, kInvalidRequest, "a JSON-RPC message must be an object");
    return;
  }
  auto method_it = message.find("method");
  auto id_it = message.find("id");
  bool has_id = id_it != message.end() && (id_it->is_number_integer() || id_it->is_string());
  if (method_it == message.end()) {
    // A response to one of our requests (registerCapability, progress, refresh): nothing to do.
    if (message.contains("result") || message.contains("error")) {
      if (message.contains("error")) Log(1, "client error: " + SafeDump(message["error"]));
      return;
    }
    ReplyError(has_id ? *id_it : json(nullptr), kInvalidRequest, "neither a request nor a response");
    return;
  }
  if (!method_it->is_string()) {
    ReplyError(has_id ? *id_it : json(nullptr), kInvalidRequest, "method must be a string");
    return;
  }
  std::string method = method_it->get<std::string>();
  json params = message.contains("params") ? message["params"] : json::object();
  if (id_it != message.end() && !has_id) {
    ReplyError(nullptr, kInvalidRequest, "id must be a number or a string");
    return;
  }
  Log(2, (has_id ? "request " : "notification ") + method);
  try {
    if (has_id) {
      HandleRequest(*id_it, method, params);
    } else {
      HandleNotification(method, params);
    }
  } catch (const InvalidParams& e) {
    if (has_id) ReplyError(*id_it, kInvalidParams, method + ": " + e.message);
    else Log(0, method + ": " + e.message);
  } catch (const json::exception& e) {
    if (has_id) ReplyError(*id_it, kInvalidParams, method + ": " + e.what());
    else Log(0, method + ": " + e.what());
  } catch (const std::exception& e) {
    if (has_id) ReplyError(*id_it, kInternalError, method + ": " + e.what());
    else Log(0, method + ": " + e.what());
  }
}

void Server::Impl::HandleRequest(const json& id, const std::string& method, const json& params) {
  if (TakeCancelled(id)) {
    ReplyError(id, kRequestCancelled, "cancelled");
    return;
  }
  if (method == "initialize") {
    if (initialize_received_) {
      ReplyError(id, kInvalidRequest, "initialize was already received");
      return;
    }
    Reply(id, Initialize(params));
    return;
  }
  if (!initialize_received_) {
    ReplyError(id, kServerNotInitialized, "the server is not initialized");
    return;
  }
  if (shutdown_) {
    ReplyError(id, kInvalidRequest, "the server is shutting down");
    return;
  }
  if (method == "shutdown") {
    shutdown_ = true;
    *shutdown_seen_ = true;
    analysis_->abort = true;  // nothing it finds can be published any more
    // Requests still waiting for an analysis get what there is (the last
    // completed one, or nothing): every request is answered before shutdown's.
    AnswerParked(/*diagnostics=*/false);
    AnswerParked(/*diagnostics=*/true);
    Reply(id, nullptr);
    return;
  }
  if (!params.is_object() && !params.is_array()) throw InvalidParams{"params must be an object"};
  if (method == "textDocument/hover" || method == "textDocument/codeAction") {
    PathOf(params);  // validate now
    if (!analysed_once_) {
      // No analysis has completed yet: nothing to answer from. Answered
      // when the first one completes.
      parked_.push_back({id, method, params});
      return;
    }
    AnswerRequest(id, method, params);
    return;
  }
  if (method == "textDocument/diagnostic" || method == "workspace/diagnostic") {
    if (method == "textDocument/diagnostic") PathOf(params);  // validate now
    if (!analysed_once_ || dirty_ || analysing_) {
      // Answered when a fresh analysis is done (debounce, checkpoint reads, the running one).
      parked_.push_back({id, method, params});
      return;
    }
    Reply(id, method == "textDocument/diagnostic" ? PullDocument(params) : PullWorkspace(params));
    return;
  }
  if (method == "workspace/executeCommand") {
    std::string command = RequireString(params, {"command"});
    if (command == "ptlint.reload") {
      LoadWorkspace(false);
      Reply(id, nullptr);
      return;
    }
    ReplyError(id, kInvalidParams, "unknown command " + command);
    return;
  }
  ReplyError(id, kMethodNotFound, "unknown method " + method);
}

// Hover and code actions answer at once from the last completed analysis
// (`front_`), never waiting for one that runs (lsp/PROTOCOL.md, "Requests
// and analysis").
void Server::Impl::AnswerRequest(const json& id, const std::string& method, const json& params) {
  std::string path = PathOf(params);
  const Workspace& ws = front();
  if (method == "textDocument/hover") {
    uint32_t line = RequireUint(params, {"position", "line"});
    uint32_t character = RequireUint(params, {"position", "character"});
    auto text = ws.LineText(path, static_cast<int>(line) + 1);
    size_t byte = ByteColumn(text ? *text : std::string(), character, encoding_);
    auto md = HoverMarkdown(ws, path, line, byte);
    if (!md) {
      Reply(id, nullptr);
      return;
    }
    Reply(id, {{"contents", {{"kind", "markdown"}, {"value", *md}}}});
    return;
  }
  uint32_t first = RequireUint(params, {"range", "start", "line"});
  uint32_t last = RequireUint(params, {"range", "end", "line"});
  // A fix computed on text the document no longer has would edit the wrong
  // place: while the document's newest edit is not analysed, no actions
  // (they come back with the next analysis).
  auto edited = edited_at_.find(path);
  if (edited != edited_at_.end() && edited->second > front_->applied) {
    Reply(id, json::array());
    return;
  }
  Reply(id, CodeActions(ws, path, first, std::max(first, last), Context()));
}

void Server::Impl::HandleNotification(const std::string& method, const json& params) {
  if (method == "exit") {
    analysis_->abort = true;
    exit_ = true;
    exit_code_ = shutdown_ ? 0 : 1;
    return;
  }
  if (method == "$/cancelRequest") {
    const json* id = Find(params, {"id"});
    if (id == nullptr) return;
    for (auto it = parked_.begin(); it != parked_.end(); ++it) {
      if (it->id == *id) {
        TakeCancelled(*id);
        ReplyError(it->id, kRequestCancelled, "cancelled");
        parked_.erase(it);
        break;
      }
    }
    return;
  }
  if (!initialize_received_ || shutdown_) return;
  if (method == "initialized") {
    Initialized();
  } else if (method == "textDocument/didOpen") {
    std::string path = PathOf(params);
    auto text = std::make_shared<const std::string>(RequireString(params, {"textDocument", "text"}));
    const json* v = Find(params, {"textDocument", "version"});
    int version = v && v->is_number_integer() ? v->get<int>() : 0;
    Record(Input::kEdit, [path, text, version](Workspace& ws) {
      ws.Open(path, *text, version);
      return std::string();
    }, path);
    if (!dynamic_watchers_) ScheduleReads();
    MarkDirty(/*now=*/true);
  } else if (method == "textDocument/didChange") {
    std::string path = PathOf(params);
    const json* found = Find(params, {"contentChanges"});
    if (found == nullptr) throw InvalidParams{"missing contentChanges"};
    auto changes = std::make_shared<const json>(*found);
    const json* v = Find(params, {"textDocument", "version"});
    int version = v && v->is_number_integer() ? v->get<int>() : 0;
    PositionEncoding encoding = encoding_;
    // Applied to each replica's copy of the text, the same way: a bad change
    // leaves both as they were (and is logged once per replica).
    Record(Input::kEdit, [path, changes, version, encoding](Workspace& ws) {
      auto r = ws.Change(path, *changes, version, encoding);
      return r.ok() ? std::string() : "didChange: " + r.error().message;
    }, path);
    MarkDirty(/*now=*/false);
  } else if (method == "textDocument/didClose") {
    std::string path = PathOf(params);
    Record(Input::kEdit, [path](Workspace& ws) {
      ws.Close(path);
      return std::string();
    }, path);
    MarkDirty(true);
  } else if (method == "textDocument/didSave") {
    if (!dynamic_watchers_) ScheduleReads();
  } else if (method == "workspace/didChangeWatchedFiles") {
    DidChangeWatchedFiles(params);
  }
  // Anything else (didChangeConfiguration, $/setTrace, ...) is ignored.
}

json Server::Impl::Initialize(const json& params) {
  initialize_received_ = true;
  const json empty = json::object();
  const json& caps = params.is_object() && params.contains("capabilities") ? params["capabilities"] : empty;
  if (const json* encs = Find(caps, {"general", "positionEncodings"}); encs && encs->is_array()) {
    for (const json& e : *encs) {
      if (e == "utf-8") encoding_ = PositionEncoding::kUtf8;
    }
  }
  related_information_ = True(caps, {"textDocument", "publishDiagnostics", "relatedInformation"});
  pull_diagnostics_ = Find(caps, {"textDocument", "diagnostic"}) != nullptr;
  refresh_support_ = True(caps, {"workspace", "diagnostics", "refreshSupport"});
  dynamic_watchers_ = True(caps, {"workspace", "didChangeWatchedFiles", "dynamicRegistration"});
  work_done_progress_ = True(caps, {"window", "workDoneProgress"});

  // Root: rootUri, then the first workspace folder, then rootPath, then cwd.
  std::optional<std::string> root;
  if (const json* u = Find(params, {"rootUri"}); u && u->is_string()) root = PathFromUri(u->get<std::string>());
  if (!root) {
    if (const json* f = Find(params, {"workspaceFolders"}); f && f->is_array() && !f->empty() &&
                                                            (*f)[0].contains("uri") && (*f)[0]["uri"].is_string()) {
      root = PathFromUri((*f)[0]["uri"].get<std::string>());
    }
  }
  if (!root) {
    if (const json* p = Find(params, {"rootPath"}); p && p->is_string()) root = p->get<std::string>();
  }
  std::error_code ec;
  root_ = fs::absolute(root ? *root : fs::current_path(ec).string()).lexically_normal().string();
  if (root_.size() > 1 && root_.back() == '/') root_.pop_back();

  if (const json* opts = Find(params, {"initializationOptions"}); opts && opts->is_object()) {
    if (const json* p = Find(*opts, {"pollInterval"}); p && p->is_number_integer()) {
      options_.poll_interval_ms = std::max(0, p->get<int>());
    }
    if (const json* d = Find(*opts, {"debounce"}); d && d->is_number_integer()) {
      options_.debounce_ms = std::max(0, d->get<int>());
    }
    if (const json* d = Find(*opts, {"debounceMaxWait"}); d && d->is_number_integer()) {
      options_.debounce_max_ms = std::max(0, d->get<int>());
    }
    if (const json* d = Find(*opts, {"maxDocumentBytes"}); d && d->is_number_integer() && d->get<int64_t>() > 0) {
      options_.max_document_bytes = static_cast<size_t>(d->get<int64_t>());
    }
    if (const json* a = Find(*opts, {"args"}); a && a->is_array()) {
      std::vector<std::string> args;
      for (const json& s : *a) {
        if (s.is_string()) args.push_back(s.get<std::string>());
      }
      for (size_t i = 0; i < args.size(); ++i) {
        std::string error;
        if (!ParseLintFlag(args, i, options_.overrides, error)) Log(0, "ignoring option " + args[i]);
        if (!error.empty()) Log(0, error);
      }
    }
  }
  if (options_.chdir_to_root && ::chdir(root_.c_str()) != 0) Log(0, "cannot chdir to " + root_);
  Log(1, "root " + root_ + ", encoding " + PositionEncodingName(encoding_) +
             (pull_diagnostics_ ? ", pull diagnostics" : ", push diagnostics") +
             (dynamic_watchers_ ? ", client watchers" : ", polling"));

  json capabilities = {
      {"positionEncoding", PositionEncodingName(encoding_)},
      {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
      {"hoverProvider", true},
      {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}},
      {"executeCommandProvider", {{"commands", {"ptlint.reload"}}}},
  };
  if (pull_diagnostics_) {
    capabilities["diagnosticProvider"] = {
        {"identifier", "ptlint"}, {"interFileDependencies", true}, {"workspaceDiagnostics", true}};
  }
  return {{"capabilities", capabilities}, {"serverInfo", {{"name", "ptlint"}, {"version", PTLINT_VERSION}}}};
}

void Server::Impl::Initialized() {
  if (initialized_) return;
  initialized_ = true;
  if (dynamic_watchers_) {
    json watchers = json::array({
        {{"globPattern", "**/*.{pt,pth,bin,ckpt,safetensors}"}},
        {{"globPattern", "**/*.py"}},
        {{"globPattern", "**/{pyproject.toml,ptlint.toml}"}},
    });
    CallClient("client/registerCapability",
               {{"registrations", json::array({{{"id", "ptlint-watch-files"},
                                                {"method", "workspace/didChangeWatchedFiles"},
                                                {"registerOptions", {{"watchers", watchers}}}}})}});
  }
  LoadWorkspace(work_done_progress_);
  if (!dynamic_watchers_ && options_.poll_interval_ms > 0) {
    poll_deadline_ = Clock::now() + std::chrono::milliseconds(options_.poll_interval_ms);
  }
}

void Server::Impl::LoadWorkspace(bool with_progress) {
  if (with_progress) {
    progress_token_ = "ptlint-index-" + std::to_string(outgoing_id_ + 1);
    CallClient("window/workDoneProgress/create", {{"token", progress_token_}});
    Notify("$/progress", {{"token", progress_token_},
                          {"value", {{"kind", "begin"}, {"title", "ptlint: indexing"}, {"percentage", 0},
                                     {"cancellable", false}}}});
  }
  // The load runs on the analysis worker, once per replica; only the first
  // reports progress (Transport::Write is thread-safe). `reported` is
  // shared by the two applications, which never run at once.
  auto reported = std::make_shared<std::atomic<bool>>(!with_progress);
  std::string token = progress_token_;
  Transport* transport = &transport_;
  std::string root = root_;
  LintOverrides overrides = options_.overrides;
  size_t max_bytes = options_.max_document_bytes;
  Record(Input::kLoad, [reported, token, transport, root, overrides, max_bytes](Workspace& ws) {
    bool report = !reported->exchange(true);
    auto progress = [&](const std::string& message, int percent) {
      if (!report) return;
      transport->Write(Notification("$/progress",
                                    {{"token", token},
                                     {"value", {{"kind", "report"}, {"message", message}, {"percentage", percent}}}}));
    };
    ws.set_max_document_bytes(max_bytes);
    auto loaded = ws.Load(root, overrides, progress);
    return loaded.ok() ? std::string() : loaded.error().message;
  });
  load_pending_ = true;
  load_started_ = Clock::now();
  loaded_ = true;
}

// A load came back from the worker (the first replica's): what to watch.
void Server::Impl::OnLoaded(const LoadInfo& info) {
  if (!load_pending_) return;  // the other replica's application of the same load
  load_pending_ = false;
  if (!info.error.empty()) {
    Log(0, info.error);
    Notify("window/showMessage", {{"type", 1}, {"message", "ptlint: " + info.error}});
  }
  config_files_ = info.config_files;
  config_stamps_.clear();
  for (const std::string& c : config_files_) {
    if (auto s = StatFile(c)) config_stamps_[c] = *s;
  }
  known_checkpoints_ = info.checkpoint_paths;
  read_stamps_.clear();
  Log(1, "indexed " + std::to_string(info.python_files) + " Python files and " +
             std::to_string(known_checkpoints_.size()) + " checkpoints in " +
             std::to_string(std::chrono::duration<double, std::milli>(Clock::now() - load_started_).count()) +
             " ms");
  if (!progress_token_.empty()) {
    Notify("$/progress", {{"token", progress_token_},
                          {"value", {{"kind", "report"}, {"message", "reading checkpoints"}, {"percentage", 80}}}});
  }
  ScheduleReads();
  MarkDirty(true);
}

void Server::Impl::ScheduleReads() {
  if (!loaded_ || load_pending_) return;
  std::vector<std::string> stale, gone;
  for (const std::string& path : known_checkpoints_) {
    auto stamp = StatFile(path);
    if (!stamp) {
      gone.push_back(path);
      continue;
    }
    auto it = read_stamps_.find(path);
    if (it == read_stamps_.end() || it->second != *stamp) stale.push_back(path);
  }
  for (const std::string& path : gone) {
    known_checkpoints_.erase(path);
    read_stamps_.erase(path);
    Record(Input::kOther, [path](Workspace& ws) {
      ws.RemoveCheckpoint(path);
      return std::string();
    });
    MarkDirty(true);
  }
  std::lock_guard<std::mutex> lock(worker_->mutex);
  for (const std::string& path : stale) {
    if (in_flight_.count(path)) continue;
    if (in_flight_.empty()) reads_since_ = Clock::now();
    in_flight_.insert(path);
    worker_->jobs.push_back(path);
  }
  worker_->cv.notify_all();
}

void Server::Impl::OnCheckpointRead(Event& e) {
  in_flight_.erase(e.text);
  std::string path = e.text;
  if (e.checkpoint) {
    Log(2, "read " + path);
    known_checkpoints_.insert(path);
    read_stamps_[path] = e.stamp;
    // Each replica gets its own copy (linking writes into it); the read
    // itself is shared and never modified.
    std::shared_ptr<const AnalyzedCheckpoint> read = std::move(e.checkpoint);
    FileStamp stamp = e.stamp;
    Record(Input::kOther, [path, stamp, read](Workspace& ws) {
      ws.PutCheckpoint(path, stamp, *read);
      return std::string();
    });
  } else {
    known_checkpoints_.erase(path);
    read_stamps_.erase(path);
    Record(Input::kOther, [path](Workspace& ws) {
      ws.RemoveCheckpoint(path);
      return std::string();
    });
  }
  MarkDirty(true);
}

bool Server::Impl::AnalysisReady() const { return loaded_ && !load_pending_ && in_flight_.empty(); }

void Server::Impl::MarkDirty(bool now) {
  if (!loaded_) return;
  Clock::time_point n = Clock::now();
  if (!dirty_) dirty_since_ = n;
  Clock::time_point t = n + std::chrono::milliseconds(now ? 0 : options_.debounce_ms);
  if (!dirty_ || !now) analysis_deadline_ = t;
  if (now && t < analysis_deadline_) analysis_deadline_ = t;
  // A trailing debounce alone never fires while keys come faster than it:
  // the analysis runs at the latest debounce_max_ms after the first change.
  Clock::time_point latest = dirty_since_ + std::chrono::milliseconds(std::max(options_.debounce_max_ms, 0));
  if (analysis_deadline_ > latest) analysis_deadline_ = latest;
  dirty_ = true;
}

// Every change to the workspace's input goes through here: into the log
// that both replicas replay. An edit also tells a running analysis that it
// is superseded.
void Server::Impl::Record(Input::Kind kind, std::function<std::string(Workspace&)> apply,
                          const std::string& path) {
  inputs_.push_back(Input{kind, std::move(apply)});
  if (kind == Input::kEdit) {
    newest_edit_ = inputs_end();
    if (!path.empty()) edited_at_[path] = newest_edit_;
    analysis_->newest_edit = newest_edit_;
  }
}

// Lends the back replica to the worker with the inputs it has not seen.
void Server::Impl::StartAnalysis() {
  AnalysisJob job;
  job.replica = std::move(back_);
  for (uint64_t i = job.replica->applied; i < inputs_end(); ++i) job.inputs.push_back(inputs_[i - inputs_base_]);
  job.end = inputs_end();
  job.analyze = !load_pending_;
  // Edits stop an analysis only while its oldest unseen change is young:
  // with keys arriving faster than one analysis, yielding every time would
  // starve the diagnostics (what the max-wait is for).
  job.edits_stop_until = dirty_since_ + std::chrono::milliseconds(2 * std::max(options_.debounce_max_ms, 1));
  if (job.analyze) dirty_ = false;  // this job covers every input so far
  analysing_ = true;
  analysis_->Submit(std::move(job));
}

// The worker is done with a replica. A completed analysis becomes the front
// (what requests answer from); it is published only when no edit came in
// since its input was taken: diagnostics for a document version the client
// has already replaced are never sent.
void Server::Impl::OnAnalysisDone(Event& e) {
  analysing_ = false;
  if (!e.text.empty()) Log(0, e.text);
  if (e.loaded) OnLoaded(*e.loaded);
  std::shared_ptr<Replica> replica = std::move(e.replica);
  if (!e.completed) {
    back_ = std::move(replica);
    // A failed analysis costs one round of diagnostics, never the session:
    // pulls waiting for it get the previous one.
    if (!e.text.empty() && !dirty_) AnswerParked(/*diagnostics=*/true);
    if (e.loaded) return;
    Log(1, "analysis superseded by newer input after " + std::to_string(e.ms) + " ms");
    return;  // dirty again (the edit that superseded it): the loop starts the next one
  }
  back_ = std::move(front_);
  front_ = std::move(replica);
  // Inputs both replicas have applied are no longer needed.
  uint64_t both = std::min(front_->applied, back_->applied);
  while (inputs_base_ < both && !inputs_.empty()) {
    inputs_.pop_front();
    ++inputs_base_;
  }
  bool first = !analysed_once_;
  analysed_once_ = true;
  AnswerParked(/*diagnostics=*/false);  // hovers and code actions that came before the first analysis
  const AnalyzeTimings& t = front().timings();
  bool fresh = newest_edit_ <= front_->applied;
  Log(1, std::string(fresh ? "analysed" : "analysed (stale: not published)") + " in " + std::to_string(e.ms) +
             " ms (call sites " + std::to_string(t.call_sites_ms) + ", link " + std::to_string(t.link_ms) +
             ", lint " + std::to_string(t.lint_ms) + "): " + std::to_string(front().diagnostics().size()) +
             " diagnostics");
  if (!fresh) return;  // the next analysis (already due: an edit made it dirty) publishes
  Publish();
  AnswerParked(/*diagnostics=*/true);
  if (first && !progress_token_.empty()) {
    Notify("$/progress", {{"token", progress_token_}, {"value", {{"kind", "end"}, {"message", "done"}}}});
    progress_token_.clear();
  }
}

DiagnosticContext Server::Impl::Context() const {
  DiagnosticContext ctx;
  ctx.encoding = encoding_;
  ctx.related_information = related_information_ || pull_diagnostics_;
  ctx.absolute = [this](const std::string& p) { return front().Absolute(p); };
  ctx.line_text = [this](const std::string& p, int line) { return front().LineText(p, line); };
  return ctx;
}

// Where each finding is shown (lsp/PROTOCOL.md, "Diagnostics"). Never on a
// checkpoint: a client converts positions by reading the document, and for
// a file it has not opened Neovim reads all of it (a 377 MB state dict froze
// the editor on every publish). A finding about a checkpoint as a whole goes
// to the torch.load sites that read it, else to the project config file,
// else to the log (window/logMessage) only.
std::map<std::string, std::vector<json>> Server::Impl::DiagnosticsByPath() {
  std::map<std::string, std::vector<json>> by_path;
  std::set<std::string> seen;  // path + serialised diagnostic: one copy per place
  unplaced_.clear();
  DiagnosticContext ctx = Context();
  auto add = [&](const std::string& path, const Diagnostic& d) {
    json lsp = ToLspDiagnostic(d, ctx);
    if (seen.insert(path + "\n" + SafeDump(lsp)).second) by_path[path].push_back(std::move(lsp));
  };
  const auto& skipped = front().skipped_documents();
  const ProjectAnalysis& project = front().project();
  std::string config;
  for (const std::string& c : front().ConfigFiles()) {
    if (config.empty() && fs::exists(c)) config = c;
  }
  for (const Diagnostic& d : front().diagnostics()) {
    std::string path = front().Absolute(d.location.path);
    // An open document ptlint does not analyse shows why, not findings for
    // a text it did not read.
    if (skipped.count(path)) continue;
    if (!IsTextTarget(path)) {
      // A finding about the checkpoint as a whole.
      std::string shown = d.location.path.empty() ? d.checkpoint : d.location.path;
      Diagnostic moved = d;
      moved.message = shown + ": " + d.message;
      moved.related.insert(moved.related.begin(),
                           RelatedLocation{SourceRange{d.location.path, 0, 0, 0, 0}, "the checkpoint"});
      bool placed = false;
      if (const AnalyzedCheckpoint* ac = front().FindCheckpoint(path)) {
        for (int s : ac->load_sites) {
          if (s < 0 || static_cast<size_t>(s) >= project.call_sites.size()) continue;
          const CallSite& site = project.call_sites[static_cast<size_t>(s)];
          std::string site_path = front().Absolute(site.path);
          if (skipped.count(site_path) || !IsTextTarget(site_path)) continue;
          moved.location = SourceRange{site.path, static_cast<int>(site.start.line),
                                       static_cast<int>(site.start.column),
                                       static_cast<int>(site.end.line),
                                       static_cast<int>(site.end.column)};
          add(site_path, moved);
          placed = true;
        }
      }
      if (!placed && !config.empty()) {
        moved.location = SourceRange{config, 1, 1, 0, 0};
        moved.message += " (no torch.load in the sources reads this file)";
        add(config, moved);
        placed = true;
      }
      if (!placed) unplaced_.push_back(d.code + " " + shown + ": " + d.message);
      continue;
    }
    // On a source line: there (the checkpoint is in its related information).
    add(path, d);
  }
  for (const auto& [path, why] : skipped) {
    json info = {{"range", {{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}},
                 {"severity", 3},
                 {"source", "ptlint"},
                 {"message", why}};
    by_path[path].push_back(std::move(info));
  }
  return by_path;
}

// May a diagnostic be published on `path`? Text the client can open cheaply:
// an open document, an indexed Python file, the config, a small text file.
bool Server::Impl::IsTextTarget(const std::string& path) const {
  if (front().IsCheckpoint(path)) return false;
  if (front().FindDocument(path) != nullptr) return true;
  std::string ext = fs::path(path).extension().string();
  return ext == ".py" || ext == ".pyi" || ext == ".toml" || ext == ".cfg" || ext == ".txt" || ext == ".ini";
}

void Server::Impl::Publish() {
  current_ = DiagnosticsByPath();
  if (unplaced_ != logged_unplaced_) {
    for (const std::string& text : unplaced_) {
      Notify("window/logMessage", {{"type", 2}, {"message", "ptlint: " + text}});
    }
    logged_unplaced_ = unplaced_;
  }
  if (pull_diagnostics_) {
    if (refresh_support_) CallClient("workspace/diagnostic/refresh", nullptr);
    return;
  }
  std::map<std::string, std::string> now;
  for (const auto& [path, list] : current_) now[path] = SafeDump(json(list));
  auto publish = [&](const std::string& path, const json& list) {
    json params = {{"uri", UriFromPath(path)}, {"diagnostics", list}};
    if (const Document* d = front().FindDocument(path)) params["version"] = d->version;
    Notify("textDocument/publishDiagnostics", std::move(params));
  };
  for (const auto& [path, text] : now) {
    auto it = published_.find(path);
    if (it == published_.end() || it->second != text) publish(path, current_[path]);
  }
  for (const auto& [path, text] : published_) {
    if (!now.count(path)) publish(path, json::array());
  }
  // Open documents without findings get an (empty) list once, so clients
  // know they were checked.
  for (const auto& [path, doc] : front().documents()) {
    if (!now.count(path) && !published_.count(path)) {
      publish(path, json::array());
      now[path] = "[]";
    }
  }
  published_ = std::move(now);
}

json Server::Impl::DiagnosticsFor(const std::string& path) {
  auto it = current_.find(path);
  return it == current_.end() ? json::array() : json(it->second);
}

json Server::Impl::PullDocument(const json& params) {
  std::string path = PathOf(params);
  json items = DiagnosticsFor(path);
  std::string result_id = std::to_string(std::hash<std::string>()(SafeDump(items)));
  const json* prev = Find(params, {"previousResultId"});
  if (prev && prev->is_string() && prev->get<std::string>() == result_id) {
    return {{"kind", "unchanged"}, {"resultId", result_id}};
  }
  return {{"kind", "full"}, {"resultId", result_id}, {"items", items}};
}

json Server::Impl::PullWorkspace(const json& params) {
  std::map<std::string, std::string> previous;
  if (const json* p = Find(params, {"previousResultIds"}); p && p->is_array()) {
    for (const json& e : *p) {
      if (e.contains("uri") && e.contains("value") && e["uri"].is_string() && e["value"].is_string()) {
        previous[e["uri"].get<std::string>()] = e["value"].get<std::string>();
      }
    }
  }
  json items = json::array();
  std::set<std::string> paths;
  for (const auto& [path, list] : current_) paths.insert(path);
  for (const auto& [path, doc] : front().documents()) paths.insert(path);
  for (const std::string& path : paths) {
    json list = DiagnosticsFor(path);
    std::string uri = UriFromPath(path);
    std::string result_id = std::to_string(std::hash<std::string>()(SafeDump(list)));
    json report = {{"uri", uri}, {"resultId", result_id}};
    if (const Document* d = front().FindDocument(path)) {
      report["version"] = d->version;
    } else {
      report["version"] = nullptr;
    }
    auto prev = previous.find(uri);
    if (prev != previous.end() && prev->second == result_id) {
      report["kind"] = "unchanged";
    } else {
      report["kind"] = "full";
      report["items"] = list;
    }
    items.push_back(std::move(report));
  }
  return {{"items", items}};
}

// Requests that waited for an analysis: pulls (`diagnostics`) for a fresh
// one, hovers and code actions for the first one.
void Server::Impl::AnswerParked(bool diagnostics) {
  std::vector<Parked> parked;
  std::vector<Parked> keep;
  for (Parked& p : parked_) {
    bool pull = p.method == "textDocument/diagnostic" || p.method == "workspace/diagnostic";
    (pull == diagnostics ? parked : keep).push_back(std::move(p));
  }
  parked_ = std::move(keep);
  for (const Parked& p : parked) {
    if (TakeCancelled(p.id)) {
      ReplyError(p.id, kRequestCancelled, "cancelled");
      continue;
    }
    try {
      if (p.method == "textDocument/diagnostic") {
        Reply(p.id, PullDocument(p.params));
      } else if (p.method == "workspace/diagnostic") {
        Reply(p.id, PullWorkspace(p.params));
      } else {
        AnswerRequest(p.id, p.method, p.params);
      }
    } catch (const InvalidParams& e) {
      ReplyError(p.id, kInvalidParams, e.message);
    } catch (const std::exception& e) {
      ReplyError(p.id, kInternalError, e.what());
    }
  }
}

void Server::Impl::Poll() {
  if (!loaded_ || load_pending_) return;
  for (const std::string& c : config_files_) {
    auto s = StatFile(c);
    auto it = config_stamps_.find(c);
    bool changed = s ? (it == config_stamps_.end() || it->second != *s) : it != config_stamps_.end();
    if (changed) {
      Log(1, c + " changed: reloading");
      LoadWorkspace(false);
      return;
    }
  }
  ScheduleReads();
}

void Server::Impl::DidChangeWatchedFiles(const json& params) {
  const json* changes = Find(params, {"changes"});
  if (changes == nullptr || !changes->is_array()) throw InvalidParams{"missing changes"};
  bool reload = false, reads = false;
  for (const json& change : *changes) {
    std::string path = PathOf(json{{"textDocument", {{"uri", change.value("uri", "")}}}});
    int type = change.value("type", 2);
    std::string name = fs::path(path).filename().string();
    if (name == "pyproject.toml" || name == "ptlint.toml") {
      reload = reload || std::find(config_files_.begin(), config_files_.end(), path) != config_files_.end();
      continue;
    }
    if (fs::path(path).extension() == ".py") {
      Record(Input::kOther, [path](Workspace& ws) {
        ws.ReloadSource(path);
        return std::string();
      });
      MarkDirty(true);
      continue;
    }
    if (type == 3) {
      if (IsKnownCheckpoint(path)) {
        known_checkpoints_.erase(path);
        read_stamps_.erase(path);
        Record(Input::kOther, [path](Workspace& ws) {
          ws.RemoveCheckpoint(path);
          return std::string();
        });
        MarkDirty(true);
      }
      continue;
    }
    if (IsKnownCheckpoint(path) ||
        (HasCheckpointExtension(path) && !DiscoverPaths({path}).checkpoints.empty())) {
      known_checkpoints_.insert(path);  // read (and put in the replicas) by ScheduleReads
      reads = true;
    }
  }
  if (reload) {
    LoadWorkspace(false);
    return;
  }
  if (reads) ScheduleReads();
}

std::string Server::Impl::PathOf(const json& params) {
  std::string uri = RequireString(params, {"textDocument", "uri"});
  auto path = PathFromUri(uri);
  if (!path) throw InvalidParams{"not a file URI: " + uri};
  return fs::path(*path).lexically_normal().string();
}

}  // namespace ptlint::lsp
