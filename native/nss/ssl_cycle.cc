#include "ssl_cycle.h"

namespace nss {

namespace {

constexpr size_t kReadChunk = 16 * 1024 + 64;

}  // namespace

CycleIO RunCycle(PRFileDesc* fd, MemIOBuffers* io, const char* input, size_t inputLength, bool inputEOF,
                 const CycleWrites* writes, std::string* cleartext) {
  if (input != nullptr) io->AppendInput(input, inputLength);
  if (inputEOF) io->inputEOF = true;
  CycleIO out;
  auto readAll = [&]() {
    while (out.error == 0 && !out.eof) {
      size_t start = cleartext->size();
      cleartext->resize(start + kReadChunk);
      PRInt32 n = PR_Read(fd, &(*cleartext)[start], static_cast<PRInt32>(kReadChunk));
      cleartext->resize(start + (n > 0 ? n : 0));
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
