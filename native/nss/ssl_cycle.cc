#include "ssl_cycle.h"

#include <memory>

namespace nss {

namespace {

constexpr size_t kReadChunk = 16 * 1024 + 64;

// Where PR_Read writes, one per thread (cycles on a thread never overlap): growing the cleartext string by a
// chunk for every read zero-filled 16 KiB each time, twice a cycle (measured: memset was the largest libc
// cost of a 1 KiB round trip); only the bytes read are appended now.
char* ReadScratch() {
  thread_local std::unique_ptr<char[]> scratch(new char[kReadChunk]);
  return scratch.get();
}

}  // namespace

CycleIO RunCycle(PRFileDesc* fd, MemIOBuffers* io, const char* input, size_t inputLength, bool inputEOF,
                 const CycleWrites* writes, std::string* cleartext) {
  if (input != nullptr) io->AppendInput(input, inputLength);
  if (inputEOF) io->inputEOF = true;
  CycleIO out;
  auto readAll = [&]() {
    char* scratch = ReadScratch();
    while (out.error == 0 && !out.eof) {
      PRInt32 n = PR_Read(fd, scratch, static_cast<PRInt32>(kReadChunk));
      if (n > 0) cleartext->append(scratch, static_cast<size_t>(n));
      if (n == 0) out.eof = true;
      if (n < 0) {
        PRErrorCode e = PR_GetError();
        if (e != PR_WOULD_BLOCK_ERROR) out.error = e;
        break;
      }
    }
  };
  readAll();
  if (out.error == 0 && writes != nullptr) {
    for (size_t i = 0; i < writes->size() && out.error == 0; i++) {
      const char* data = (*writes)[i].first;
      size_t length = (*writes)[i].second;
      size_t offset = 0;
      while (offset < length) {
        PRInt32 n = PR_Write(fd, data + offset, static_cast<PRInt32>(length - offset));
        if (n < 0) {
          PRErrorCode e = PR_GetError();
          if (e != PR_WOULD_BLOCK_ERROR) out.error = e;
          break;
        }
        offset += n;
      }
      out.written += offset;
      if (offset < length) break;
    }
    if (out.error == 0) readAll();
  }
  return out;
}

}  // namespace nss
