#include "memio.h"

#include <prerror.h>

#include <cstring>
#include <mutex>

namespace nss {

namespace {

PRDescIdentity gIdentity = PR_INVALID_IO_LAYER;
PRIOMethods gMethods;

MemIOBuffers* Buffers(PRFileDesc* fd) { return reinterpret_cast<MemIOBuffers*>(fd->secret); }

PRInt32 PR_CALLBACK MemRecv(PRFileDesc* fd, void* buf, PRInt32 amount, PRIntn flags, PRIntervalTime) {
  MemIOBuffers* b = Buffers(fd);
  if (flags != 0 || amount < 0) {
    PR_SetError(PR_INVALID_ARGUMENT_ERROR, 0);
    return -1;
  }
  size_t available = b->InputAvailable();
  if (available == 0) {
    if (b->inputEOF) return 0;
    PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
    return -1;
  }
  size_t n = std::min(available, static_cast<size_t>(amount));
  std::memcpy(buf, b->input.data() + b->inputOffset, n);
  b->inputOffset += n;
  if (b->inputOffset == b->input.size()) {
    b->input.clear();
    b->inputOffset = 0;
  }
  return static_cast<PRInt32>(n);
}

PRInt32 PR_CALLBACK MemSend(PRFileDesc* fd, const void* buf, PRInt32 amount, PRIntn, PRIntervalTime) {
  if (amount < 0) {
    PR_SetError(PR_INVALID_ARGUMENT_ERROR, 0);
    return -1;
  }
  Buffers(fd)->output.append(static_cast<const char*>(buf), amount);
  return amount;
}

PRInt32 PR_CALLBACK MemRead(PRFileDesc* fd, void* buf, PRInt32 amount) {
  return MemRecv(fd, buf, amount, 0, PR_INTERVAL_NO_TIMEOUT);
}

PRInt32 PR_CALLBACK MemWrite(PRFileDesc* fd, const void* buf, PRInt32 amount) {
  return MemSend(fd, buf, amount, 0, PR_INTERVAL_NO_TIMEOUT);
}

PRInt32 PR_CALLBACK MemAvailable(PRFileDesc* fd) { return static_cast<PRInt32>(Buffers(fd)->InputAvailable()); }

PRStatus PR_CALLBACK MemGetPeerName(PRFileDesc* fd, PRNetAddr* addr) {
  MemIOBuffers* b = Buffers(fd);
  if (!b->hasPeer) {
    PR_SetError(PR_NOT_CONNECTED_ERROR, 0);
    return PR_FAILURE;
  }
  *addr = b->peer;
  return PR_SUCCESS;
}

PRStatus PR_CALLBACK MemGetSockName(PRFileDesc*, PRNetAddr* addr) {
  PR_InitializeNetAddr(PR_IpAddrLoopback, 0, addr);
  return PR_SUCCESS;
}

PRStatus PR_CALLBACK MemGetSocketOption(PRFileDesc*, PRSocketOptionData* data) {
  // NSS asks on every call whether the socket blocks; it never does.
  if (data->option == PR_SockOpt_Nonblocking) data->value.non_blocking = PR_TRUE;
  return PR_SUCCESS;
}

PRStatus PR_CALLBACK MemSetSocketOption(PRFileDesc*, const PRSocketOptionData*) { return PR_SUCCESS; }

PRStatus PR_CALLBACK MemShutdown(PRFileDesc*, PRIntn) { return PR_SUCCESS; }

PRStatus PR_CALLBACK MemClose(PRFileDesc* fd) {
  fd->secret = nullptr;
  fd->dtor(fd);
  return PR_SUCCESS;
}

PRInt16 PR_CALLBACK MemPoll(PRFileDesc*, PRInt16 inFlags, PRInt16* outFlags) {
  *outFlags = 0;
  return inFlags;
}

PRStatus PR_CALLBACK MemConnect(PRFileDesc*, const PRNetAddr*, PRIntervalTime) {
  PR_SetError(PR_NOT_IMPLEMENTED_ERROR, 0);
  return PR_FAILURE;
}

void InitLayer() {
  gIdentity = PR_GetUniqueIdentity("node-nss memio");
  gMethods = *PR_GetDefaultIOMethods();
  gMethods.file_type = PR_DESC_LAYERED;
  gMethods.close = MemClose;
  gMethods.read = MemRead;
  gMethods.write = MemWrite;
  gMethods.available = MemAvailable;
  gMethods.recv = MemRecv;
  gMethods.send = MemSend;
  gMethods.getpeername = MemGetPeerName;
  gMethods.getsockname = MemGetSockName;
  gMethods.getsocketoption = MemGetSocketOption;
  gMethods.setsocketoption = MemSetSocketOption;
  gMethods.shutdown = MemShutdown;
  gMethods.poll = MemPoll;
  gMethods.connect = MemConnect;
}

}  // namespace

void MemIOBuffers::AppendInput(const char* data, size_t length) {
  if (inputOffset > 0 && inputOffset == input.size()) {
    input.clear();
    inputOffset = 0;
  }
  input.append(data, length);
}

PRFileDesc* NewMemIOLayer(MemIOBuffers* buffers) {
  static std::once_flag once;
  std::call_once(once, InitLayer);
  PRFileDesc* fd = PR_CreateIOLayerStub(gIdentity, &gMethods);
  if (fd != nullptr) fd->secret = reinterpret_cast<PRFilePrivate*>(buffers);
  return fd;
}

}  // namespace nss
