#include "analyzer/support/worker_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(WorkerPool, RunsEveryCopyExactlyOnce) {
  for (size_t copies : {0u, 1u, 2u, 3u, 8u, 64u}) {
    std::vector<std::atomic<int>> runs(copies);
    RunOnWorkers(copies, [&](size_t i) { ++runs[i]; });
    for (size_t i = 0; i < copies; ++i)
      EXPECT_EQ(runs[i].load(), 1) << "copy " << i << " of " << copies;
  }
}

TEST(WorkerPool, ForEachRunsEveryItemExactlyOnce) {
  for (size_t n : {0u, 1u, 2u, 3u, 100u, 1000u}) {
    std::vector<std::atomic<int>> runs(n);
    std::vector<size_t> squares(n, 0);
    ForEachOnWorkers(n, [&](size_t i) {
      ++runs[i];
      squares[i] = i * i;
    });
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(runs[i].load(), 1) << "item " << i << " of " << n;
      EXPECT_EQ(squares[i], i * i);
    }
  }
}

// Items are shared out as the copies come free: while one item holds its
// thread, the other items run on another.
TEST(WorkerPool, ForEachSpreadsItemsOverFreeThreads) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one core";
  std::mutex lock;
  std::condition_variable others_ran;
  std::set<std::thread::id> threads;
  size_t ran_elsewhere = 0;
  std::thread::id holder;
  ForEachOnWorkers(50, [&](size_t i) {
    std::unique_lock<std::mutex> held(lock);
    threads.insert(std::this_thread::get_id());
    if (i == 0) {
      holder = std::this_thread::get_id();
      // Held until the other 49 items have run elsewhere (or 10 s pass).
      others_ran.wait_for(held, std::chrono::seconds(10), [&] { return ran_elsewhere == 49; });
      return;
    }
    if (std::this_thread::get_id() != holder) ++ran_elsewhere;
    others_ran.notify_all();
  });
  EXPECT_EQ(ran_elsewhere, 49u);
  EXPECT_GE(threads.size(), 2u);
}

TEST(WorkerPool, CopyZeroRunsOnTheCaller) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id zero;
  RunOnWorkers(4, [&](size_t i) {
    if (i == 0) zero = std::this_thread::get_id();
  });
  EXPECT_EQ(zero, caller);
}

TEST(WorkerPool, WorkersRunCopiesConcurrentlyWithTheCaller) {
  // Copy 1 waits until copy 0 has started and copy 0 until copy 1 has: only
  // a worker running copy 1 while the caller runs copy 0 lets both finish.
  std::mutex lock;
  std::condition_variable changed;
  std::set<size_t> started;
  bool met = false;
  RunOnWorkers(2, [&](size_t i) {
    std::unique_lock<std::mutex> held(lock);
    started.insert(i);
    changed.notify_all();
    if (i == 0)
      met = changed.wait_for(held, std::chrono::seconds(30), [&] { return started.size() == 2; });
  });
  EXPECT_TRUE(met) << "no worker ran copy 1 while copy 0 ran";
}

TEST(WorkerPool, CallerRunsWhatBusyWorkersHaveNotTaken) {
  // Every worker is held inside an outer section (its copy 0 waits until the
  // workers have taken all the others, which only they can take while copy 0
  // runs); a section started meanwhile completes on its caller alone.
  const size_t workers = WorkerCount();
  std::mutex lock;
  std::condition_variable changed;
  size_t holding = 0;
  bool release = false;
  std::thread outer([&] {
    RunOnWorkers(workers + 1, [&](size_t i) {
      std::unique_lock<std::mutex> held(lock);
      if (i != 0) {
        ++holding;
        changed.notify_all();
      }
      changed.wait(held, [&] { return release; });
    });
  });
  {
    std::unique_lock<std::mutex> held(lock);
    changed.wait(held, [&] { return holding == workers; });
  }
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<int> inner_runs(16, 0);
  bool all_on_caller = true;
  RunOnWorkers(inner_runs.size(), [&](size_t i) {
    ++inner_runs[i];  // no lock: only the caller runs these copies
    if (std::this_thread::get_id() != caller) all_on_caller = false;
  });
  {
    std::lock_guard<std::mutex> held(lock);
    release = true;
  }
  changed.notify_all();
  outer.join();
  for (size_t i = 0; i < inner_runs.size(); ++i) EXPECT_EQ(inner_runs[i], 1) << i;
  EXPECT_TRUE(all_on_caller);
}

TEST(WorkerPool, NestedSectionsComplete) {
  std::atomic<int> leaves{0};
  RunOnWorkers(4, [&](size_t) {
    RunOnWorkers(4, [&](size_t) { RunOnWorkers(3, [&](size_t) { ++leaves; }); });
  });
  EXPECT_EQ(leaves.load(), 4 * 4 * 3);
}

TEST(WorkerPool, ACallerCopysExceptionArrivesAfterTheOthersReturn) {
  std::atomic<int> finished{0};
  EXPECT_THROW(RunOnWorkers(3,
                            [&](size_t i) {
                              if (i == 0) throw std::runtime_error("copy 0 failed");
                              std::this_thread::sleep_for(std::chrono::milliseconds(20));
                              ++finished;
                            }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), 2) << "the section returned before its other copies did";
}

TEST(WorkerPool, ManyCallersAtOnce) {
  std::atomic<long> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        RunOnWorkers(5, [&](size_t i) { total += static_cast<long>(i) + 1; });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 6L * 50 * (1 + 2 + 3 + 4 + 5));
}

}  // namespace
}  // namespace ptlint
