// An in-memory NSPR bottom layer: NSS reads ciphertext from an input queue and appends to an unbounded
// output queue. The queues belong to the engine, not to the layer, so nothing written during PR_Close
// is lost.
#pragma once
#include <prio.h>
#include <prnetdb.h>

#include <string>

namespace nss {

struct MemIOBuffers {
  std::string input;
  size_t inputOffset = 0;
  bool inputEOF = false;
  std::string output;
  PRNetAddr peer;
  bool hasPeer = false;

  size_t InputAvailable() const { return input.size() - inputOffset; }
  void AppendInput(const char* data, size_t length);
};

// A new bottom-layer PRFileDesc over `buffers` (which must outlive it).
PRFileDesc* NewMemIOLayer(MemIOBuffers* buffers);

}  // namespace nss
