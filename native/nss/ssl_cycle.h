// One engine cycle without N-API: the part of SSLEngine::cycle() that talks to NSS. Shared by the addon
// and the libFuzzer harnesses (fuzz/), so that what is fuzzed is the cycle the addon runs.
#pragma once
#include <prio.h>
#include <prerror.h>

#include <string>
#include <utility>
#include <vector>

#include "memio.h"

namespace nss {

struct CycleIO {
  double written = 0;   // cleartext bytes of `writes` NSS took
  PRErrorCode error = 0;  // the first error other than PR_WOULD_BLOCK_ERROR, or 0
  bool eof = false;       // PR_Read returned 0: the peer's direction ended
};

// Appends `input` (may be null) to the transport, marks its end when `inputEOF`, then reads every cleartext
// byte NSS releases into `cleartext` (which drives the handshake), writes `writes` in order while NSS takes
// them, and reads again (a write can finish a handshake step that makes more input readable). `writes` null:
// no write step and no second read (cycle() called without an array; the TypeScript side always passes one).
using CycleWrites = std::vector<std::pair<const char*, size_t>>;
CycleIO RunCycle(PRFileDesc* fd, MemIOBuffers* io, const char* input, size_t inputLength, bool inputEOF,
                 const CycleWrites* writes, std::string* cleartext);

}  // namespace nss
