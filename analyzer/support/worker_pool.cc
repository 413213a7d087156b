#include "analyzer/support/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace ptlint {
namespace {

// One parallel section: the copies not yet taken are [next, copies).
struct Section {
  const std::function<void(size_t)>* work = nullptr;
  size_t next = 1;
  size_t copies = 0;
  size_t running = 0;          // copies taken by workers and not yet returned
  std::exception_ptr failure;  // the first copy's exception, wherever it ran
};

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers) {
    for (size_t i = 0; i < workers; ++i) std::thread([this] { Loop(); }).detach();
  }

  void Run(size_t copies, const std::function<void(size_t)>& work) {
    Section section;
    section.work = &work;
    section.copies = copies;
    {
      std::lock_guard<std::mutex> held(lock_);
      queue_.push_back(&section);
    }
    wake_.notify_all();
    std::exception_ptr failure;
    try {
      work(0);
    } catch (...) {
      failure = std::current_exception();
    }
    std::unique_lock<std::mutex> held(lock_);
    if (failure && !section.failure) section.failure = failure;
    // What no worker has taken, the caller runs: it never waits for a worker to become free.
    while (section.next < section.copies) {
      const size_t i = section.next++;
      if (section.next == section.copies) Unqueue(&section);
      held.unlock();
      try {
        work(i);
        held.lock();
      } catch (...) {
        held.lock();
        if (!section.failure) section.failure = std::current_exception();
      }
    }
    Unqueue(&section);
    done_.wait(held, [&] { return section.running == 0; });
    held.unlock();
    if (section.failure) std::rethrow_exception(section.failure);
  }

 private:
  // Under the lock: a section leaves the queue when its last copy is taken.
  void Unqueue(const Section* section) {
    queue_.erase(std::remove(queue_.begin(), queue_.end(), section), queue_.end());
  }

  void Loop() {
    std::unique_lock<std::mutex> held(lock_);
    for (;;) {
      wake_.wait(held, [&] { return !queue_.empty(); });
      Section* section = queue_.front();
      const size_t i = section->next++;
      if (section->next >= section->copies) queue_.pop_front();
      ++section->running;
      held.unlock();
      std::exception_ptr failure;
      try {
        (*section->work)(i);
      } catch (...) {
        failure = std::current_exception();
      }
      held.lock();
      if (failure && !section->failure) section->failure = failure;
      // The caller may destroy the section as soon as the lock is released.
      if (--section->running == 0) done_.notify_all();
    }
  }

  std::mutex lock_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<Section*> queue_;  // sections with copies no one has taken
};

size_t Workers() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores > 1 ? cores - 1 : 1, 1, 7);
}

WorkerPool& Shared() {
  // Never destroyed: the workers wait on it until the process ends (a pool
  // joined at exit would give each worker's heap back for nothing).
  static WorkerPool* pool = new WorkerPool(Workers());
  return *pool;
}

}  // namespace

size_t WorkerCount() { return Workers(); }

void RunOnWorkers(size_t copies, const std::function<void(size_t)>& work) {
  if (copies == 0) return;
  if (copies == 1) {
    work(0);
    return;
  }
  Shared().Run(copies, work);
}

void ForEachOnWorkers(size_t n, const std::function<void(size_t)>& each) {
  std::atomic<size_t> next{0};
  RunOnWorkers(std::min(n, WorkerCount() + 1), [&](size_t) {
    for (size_t i = next++; i < n; i = next++) each(i);
  });
}

}  // namespace ptlint
