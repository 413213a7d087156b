// RunOnWorkers: a parallel section on the process's worker threads.
//
// The analysis splits five phases over the cores (parsing, call sites, the
// index, structural scoring, one prediction pass per checkpoint). Each used
// to start its own std::threads and join them: one run on 18 checkpoints
// started and ended 19 threads. A thread that ends gives its allocator heap
// back (mimalloc walks every page the thread touched: 5 % of the run's
// instructions, on the joining thread's critical path), and a thread that
// starts touches fresh pages again. The workers here are started once and
// live until the process ends, so their heaps, their tree-sitter parser and
// their per-thread memos stay warm from one phase to the next.
#ifndef PTLINT_ANALYZER_SUPPORT_WORKER_POOL_H_
#define PTLINT_ANALYZER_SUPPORT_WORKER_POOL_H_

#include <cstddef>
#include <functional>

namespace ptlint {

// Runs work(0), work(1) ... work(copies - 1), each exactly once, and returns
// when all have returned. work(0) runs on the calling thread; the others are
// offered to the shared workers, and any that no worker has started by the
// time work(0) returns are run by the calling thread, one after another. So
// a section never waits for a worker that is busy elsewhere (a nested
// section, or another caller's), and work(i) may rely on nothing but its
// index: the copies may run one by one in any order after work(0), or
// concurrently. The first exception a copy throws, on whichever thread, is
// rethrown to the caller once every copy has returned (the others still run).
void RunOnWorkers(size_t copies, const std::function<void(size_t)>& work);

// each(0) ... each(n - 1), each exactly once, spread over the caller and
// up to WorkerCount() workers as they come free (items are taken in order,
// one at a time). For independent items whose results each writes to its
// own slot: a caller that then reads the slots in index order gets what a
// plain loop would have produced. `each` should catch what it throws: an
// exception ends its copy (items no copy has taken then do not run) and
// reaches the caller as in RunOnWorkers.
void ForEachOnWorkers(size_t n, const std::function<void(size_t)>& each);

// The workers' number: hardware_concurrency() - 1 (at least 1, at most 7),
// started on the first section that asks for more than one copy.
size_t WorkerCount();

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_WORKER_POOL_H_
