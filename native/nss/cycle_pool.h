// The cycle pool: native threads (not libuv's) that run SSL engine cycles off the JavaScript thread when the
// application asks for them (configThreadPool). A socket's cycles never overlap: its TypeScript side keeps
// one in flight at a time, and the engine's strand lock serialises every other call into its NSS socket.
#pragma once
#include <cstdint>
#include <functional>

namespace nss {

// Starts threads up to `threads`, or lets the ones above it end once they are idle. 0 stops the pool.
void ConfigureCyclePool(unsigned threads);
unsigned CyclePoolThreads();
// Cycles run on the pool since the process started (for tests and NODE_DEBUG).
uint64_t CyclePoolCycles();
// Queues `job` for the pool. Returns false when the pool has no threads (the job is not taken).
bool PostToCyclePool(std::function<void()> job);

}  // namespace nss
