// NSS's multi-process server session cache (sslsnce.c) and what worker processes need to share it: the cache
// lives in shared memory that NSS maps from an unlinked file, its locks are pipes (sslmutex.c on Linux), and
// SSL_ConfigMPServerSIDCache describes both in the SSL_INHERITANCE environment variable by file descriptor
// number. NSS opens them without FD_CLOEXEC, so a child started with exec (cluster.fork) finds them at the
// same numbers; every descriptor Node and libuv open themselves is close-on-exec.
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <keyhi.h>
#include <secerr.h>
#include <napi.h>
#include <ssl.h>

#include "context.h"
#include "errors.h"
#include "private_key.h"
#include "server_session_cache.h"

namespace nss {

namespace {

// configMPServerSIDCache(maxEntries, timeoutSeconds, directory | null): the value of SSL_INHERITANCE that
// workers pass to inheritMPServerSIDCache (NSS also puts it into this process's environment).
Napi::Value ConfigMPServerSIDCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int maxEntries = info[0].As<Napi::Number>().Int32Value();
  PRUint32 timeout = info[1].As<Napi::Number>().Uint32Value();
  std::string directory = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : std::string("/tmp");
  if (SSL_ConfigMPServerSIDCache(maxEntries, timeout, timeout, directory.c_str()) != SECSuccess) {
    ThrowLastError(env, "SSL_ConfigMPServerSIDCache");
  }
  const char* value = getenv("SSL_INHERITANCE");
  if (value == nullptr) {
    PORT_SetError(SEC_ERROR_LIBRARY_FAILURE);
    ThrowLastError(env, "SSL_ConfigMPServerSIDCache");
  }
  return Napi::String::New(env, value);
}

// inheritMPServerSIDCache(inheritance): SSL_InheritMPServerSIDCache with the primary's SSL_INHERITANCE.
Napi::Value InheritMPServerSIDCache(const Napi::CallbackInfo& info) {
  std::string inheritance = info[0].As<Napi::String>().Utf8Value();
  if (SSL_InheritMPServerSIDCache(inheritance.c_str()) != SECSuccess) {
    ThrowLastError(info.Env(), "SSL_InheritMPServerSIDCache");
  }
  return info.Env().Undefined();
}

// setSessionTicketKeyPair(rsaKey): the RSA key pair that wraps the ticket keys NSS keeps in the shared cache,
// so that every process with the same pair decrypts the others' tickets. Without it NSS takes the key of the
// last RSA server certificate configured, and a server with only an EC certificate keeps its ticket keys to
// itself.
Napi::Value SetSessionTicketKeyPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECKEYPrivateKey* key = PrivateKey::FromValue(info[0], "key");
  SECKEYPublicKey* pub = SECKEY_ConvertToPublicKey(key);
  if (pub == nullptr) ThrowLastError(env, "SECKEY_ConvertToPublicKey");
  SECStatus rv = SSL_SetSessionTicketKeyPair(pub, key);
  SECKEY_DestroyPublicKey(pub);
  if (rv != SECSuccess) ThrowLastError(env, "SSL_SetSessionTicketKeyPair");
  return env.Undefined();
}

[[noreturn]] void ThrowErrno(Napi::Env env, const char* what) {
  std::string message = std::string(what) + ": " + strerror(errno);
  throw Napi::Error::New(env, message);
}

// inheritableSecret(bytes): a descriptor, inherited across exec as NSS's own are, of an anonymous file that
// holds `bytes` (memfd, or an unlinked file in /tmp elsewhere); the secret never appears in the environment.
Napi::Value InheritableSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> bytes = info[0].As<Napi::Buffer<uint8_t>>();
#if defined(__linux__)
  int fd = memfd_create("node-nss-server-sessions", 0);
#else
  char path[] = "/tmp/node-nss-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) unlink(path);
#endif
  if (fd < 0) ThrowErrno(env, "memfd_create");
  size_t written = 0;
  while (written < bytes.Length()) {
    ssize_t n = write(fd, bytes.Data() + written, bytes.Length() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      ThrowErrno(env, "write");
    }
    written += static_cast<size_t>(n);
  }
  return Napi::Number::New(env, fd);
}

// readInheritedSecret(fd, maxLength): what inheritableSecret wrote, read from its start; the descriptor is
// closed, so that the worker's own children do not inherit it.
Napi::Value ReadInheritedSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t maxLength = info[1].As<Napi::Number>().Uint32Value();
  std::string out(maxLength, '\0');
  size_t got = 0;
  while (got < maxLength) {
    ssize_t n = pread(fd, &out[got], maxLength - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno(env, "pread");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  return Napi::Buffer<char>::Copy(env, out.data(), got);
}

}  // namespace

void InitServerSessionCache(Napi::Env env, Napi::Object exports) {
  exports.Set("configMPServerSIDCache", Napi::Function::New(env, ConfigMPServerSIDCache));
  exports.Set("inheritMPServerSIDCache", Napi::Function::New(env, InheritMPServerSIDCache));
  exports.Set("setSessionTicketKeyPair", Napi::Function::New(env, SetSessionTicketKeyPair));
  exports.Set("inheritableSecret", Napi::Function::New(env, InheritableSecret));
  exports.Set("readInheritedSecret", Napi::Function::New(env, ReadInheritedSecret));
}

}  // namespace nss
