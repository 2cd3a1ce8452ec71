#include "cycle_pool.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace nss {

namespace {

struct Pool {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  unsigned wanted = 0;   // threads asked for
  unsigned running = 0;  // threads alive
  uint64_t cycles = 0;
};

Pool& ThePool() {
  static Pool* pool = new Pool();  // never destroyed: its threads may outlive every environment
  return *pool;
}

void Serve() {
  Pool& pool = ThePool();
  std::unique_lock<std::mutex> lock(pool.mutex);
  for (;;) {
    pool.wake.wait(lock, [&] { return !pool.jobs.empty() || pool.running > pool.wanted; });
    // Fewer threads wanted: one leaves, but only with nothing queued (a queued job is never stranded).
    if (pool.jobs.empty()) {
      pool.running--;
      return;
    }
    std::function<void()> job = std::move(pool.jobs.front());
    pool.jobs.pop_front();
    pool.cycles++;
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace

void ConfigureCyclePool(unsigned threads) {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.wanted = threads;
  while (pool.running < pool.wanted) {
    pool.running++;
    std::thread(Serve).detach();
  }
  pool.wake.notify_all();
}

unsigned CyclePoolThreads() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  return pool.wanted;
}

uint64_t CyclePoolCycles() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  return pool.cycles;
}

bool PostToCyclePool(std::function<void()> job) {
  Pool& pool = ThePool();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (pool.wanted == 0) return false;
    pool.jobs.push_back(std::move(job));
  }
  pool.wake.notify_one();
  return true;
}

}  // namespace nss
