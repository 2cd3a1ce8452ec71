// libFuzzer harness: the fuzz input is what a TLS peer sends, fed in received chunks to one NSS SSL engine
// over the addon's memory transport (native/nss/memio.cc) and driven by the addon's own cycle
// (native/nss/ssl_cycle.cc, what NativeSSLEngine.cycle() runs). Built twice: FUZZ_SERVER=1 is an accepted
// SSLServer connection fed client bytes, FUZZ_SERVER=0 an SSLSocket client fed server bytes.
//
// Input: one flags byte, then chunks framed as [length: 2 bytes big-endian][bytes] (see common.h). Each
// chunk is one cycle's input, as one 'data' event of the transport would be.
//
// What SSLSocket does between cycles is mirrored here from src/tls/socket.ts, with callbacks that accept:
// the client's certificate check completes with 0 (an auth callback returning true), a client asked for a
// certificate answers with one, and a server socket applies its first-handshake settings.
#include <nss.h>
#include <prerror.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../native/nss/memio.h"
#include "../native/nss/ssl_cycle.h"
#include "common.h"

#ifndef FUZZ_SERVER
#error "build with -DFUZZ_SERVER=1 (server engine) or -DFUZZ_SERVER=0 (client engine)"
#endif

namespace {

// Per-input configuration from the flags byte: the options an application may set on a socket.
enum Flag : uint8_t {
  kRequestCert = 1 << 0,   // server: SSL_REQUEST_CERTIFICATE; client: a clientAuth callback with a certificate
  kRequireCert = 1 << 1,   // server: SSL_REQUIRE_CERTIFICATE always; client: watch sessions (tickets on)
  kAcceptAll = 1 << 2,     // server: an auth callback accepting any certificate; client: the check fails
  kNoLimit = 1 << 3,       // server: renegotiationLimit Infinity (no limiter); client: TLS 1.2 only
  kALPN = 1 << 4,          // both: ALPN h2, http/1.1
  kPostHandshake = 1 << 5, // both: after the first handshake, a key update (1.3) or renegotiation (1.2)
  kEOF = 1 << 6,           // the transport ends after the last chunk
  kEcho = 1 << 7,          // cleartext received is written back (an echo application)
};

fuzz::Identity gRSA, gEC;
#if FUZZ_SERVER
nss::MemIOBuffers gModelIO;
PRFileDesc* gModel = nullptr;  // the SSLServer's engine, which accepted sockets are made from
#endif

// The engine's hook state, as SSLEngine keeps it (native/nss/ssl_engine.cc).
struct Engine {
  PRFileDesc* fd = nullptr;
  nss::MemIOBuffers io;
  int handshakes = 0;
  bool authPending = false;
  bool clientAuthPending = false;
  bool clientAuthHook = false;
  bool hasServerAuth = false;
  std::vector<std::string> sessions;
};

// SSLEngine::AuthCertificateHook: the client parks the handshake; a server decides inline (NSS's check,
// or the application's callback: here one that accepts).
SECStatus AuthCertificateHook(void* arg, PRFileDesc* fd, PRBool checkSig, PRBool isServer) {
  Engine* self = static_cast<Engine*>(arg);
  if (!isServer) {
    self->authPending = true;
    return SECWouldBlock;
  }
  if (!self->hasServerAuth) return SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, checkSig, isServer);
  return SECSuccess;
}

SECStatus ClientAuthDataHook(void* arg, PRFileDesc*, CERTDistNames*, CERTCertificate**, SECKEYPrivateKey**) {
  Engine* self = static_cast<Engine*>(arg);
  if (!self->clientAuthHook) return SECFailure;
  self->clientAuthPending = true;
  return SECWouldBlock;
}

void HandshakeCallback(PRFileDesc*, void* arg) { static_cast<Engine*>(arg)->handshakes++; }
void AlertReceived(const PRFileDesc*, void*, const SSLAlert* alert) {
  fuzz::Feature(1, alert->level << 8 | alert->description);
}
void AlertSent(const PRFileDesc*, void*, const SSLAlert* alert) {
  fuzz::Feature(2, alert->level << 8 | alert->description);
}

// SSLEngine::SNIHook without an SNI callback: keep the configuration, answer with the name's index.
PRInt32 SNIHook(PRFileDesc*, const SECItem*, PRUint32 count, void*) {
  return count == 0 ? SSL_SNI_CURRENT_CONFIG_IS_USED : 0;
}

#if !FUZZ_SERVER
SECStatus OnResumptionToken(PRFileDesc*, const PRUint8* token, unsigned int len, void* ctx) {
  static_cast<Engine*>(ctx)->sessions.emplace_back(reinterpret_cast<const char*>(token), len);
  return SECSuccess;
}
#endif

// SSLEngine::InstallHooks.
void InstallHooks(Engine* e) {
  SSL_SetPKCS11PinArg(e->fd, nullptr);
  SSL_SetResumptionTokenCallback(e->fd, nullptr, nullptr);
  SSL_AuthCertificateHook(e->fd, AuthCertificateHook, e);
  SSL_HandshakeCallback(e->fd, HandshakeCallback, e);
  SSL_AlertReceivedCallback(e->fd, AlertReceived, e);
  SSL_AlertSentCallback(e->fd, AlertSent, e);
  SSL_SNISocketConfigHook(e->fd, SNIHook, e);
  SSL_GetClientAuthDataHook(e->fd, ClientAuthDataHook, e);
}

const unsigned char kALPNWire[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

void SetPeerAddress(Engine* e) {
  PR_StringToNetAddr("127.0.0.1", &e->io.peer);
  e->io.peer.inet.port = PR_htons(40000);
  e->io.hasPeer = true;
}

#if FUZZ_SERVER
// The server's model: new SSLServer() with configSecureServer for an RSA and an EC certificate.
void MakeServerModel() {
  PRFileDesc* bottom = nss::NewMemIOLayer(&gModelIO);
  gModel = SSL_ImportFD(nullptr, bottom);
  if (gModel == nullptr) abort();
  fuzz::ApplyDefaultProfile(gModel, true);
  SSL_OptionSet(gModel, SSL_ENABLE_SESSION_TICKETS, PR_TRUE);
  if (SSL_ConfigServerCert(gModel, gRSA.cert, gRSA.key, nullptr, 0) != SECSuccess ||
      SSL_ConfigServerCert(gModel, gEC.cert, gEC.key, nullptr, 0) != SECSuccess) {
    abort();
  }
}
#endif

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::InitNSS();
  gRSA = fuzz::MakeIdentity(true);
  gEC = fuzz::MakeIdentity(false);
#if FUZZ_SERVER
  // configServerSessionIDCache() with its defaults, as the first SSLServer does.
  if (SSL_ConfigServerSessionIDCache(0, 0, 0, nullptr) != SECSuccess) abort();
  MakeServerModel();
#endif
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t flags = data[0];
  fuzz::Framing framing(data + 1, size - 1);
  Engine e;
  PRFileDesc* bottom = nss::NewMemIOLayer(&e.io);
#if FUZZ_SERVER
  e.fd = SSL_ImportFD(gModel, bottom);
#else
  e.fd = SSL_ImportFD(nullptr, bottom);
#endif
  if (e.fd == nullptr) abort();
  InstallHooks(&e);
#if FUZZ_SERVER
  // inherit() from the server, then the application's per-socket options.
  e.hasServerAuth = flags & kAcceptAll;
  if (flags & kRequestCert) SSL_OptionSet(e.fd, SSL_REQUEST_CERTIFICATE, PR_TRUE);
  if (flags & kRequireCert) SSL_OptionSet(e.fd, SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS);
  if (flags & kALPN) SSL_SetNextProtoNego(e.fd, kALPNWire, sizeof kALPNWire);
  SetPeerAddress(&e);
  SSL_ResetHandshake(e.fd, PR_TRUE);
#else
  fuzz::ApplyDefaultProfile(e.fd, false);
  // setSSLVersionRange('tls1.2', 'tls1.2'): a TLS 1.2 ServerHello from a server that also speaks 1.3 carries
  // the downgrade sentinel, which a client offering 1.3 refuses (measured: SSL_ERROR_RX_MALFORMED_SERVER_HELLO
  // for every recorded TLS 1.2 flight).
  if (flags & kNoLimit) {
    SSLVersionRange range = {SSL_LIBRARY_VERSION_TLS_1_2, SSL_LIBRARY_VERSION_TLS_1_2};
    SSL_VersionRangeSet(e.fd, &range);
  }
  e.clientAuthHook = flags & kRequestCert;
  if (flags & kRequireCert) {
    SSL_SetResumptionTokenCallback(e.fd, OnResumptionToken, &e);
    SSL_OptionSet(e.fd, SSL_ENABLE_SESSION_TICKETS, PR_TRUE);
  }
  if (flags & kALPN) SSL_SetNextProtoNego(e.fd, kALPNWire, sizeof kALPNWire);
  SSL_SetURL(e.fd, "localhost");
  SetPeerAddress(&e);
  SSL_ResetHandshake(e.fd, PR_FALSE);
  // #applySessionPolicy: the peer ID NSS's client cache keys on (the policy part is a digest in TS).
  SSL_SetSockPeerID(e.fd, "localhost:443:localhost:fuzz");
#endif

  bool secured = false;
  uint32_t cycles = 0;
  std::string pendingWrite;
  if (!(FUZZ_SERVER)) pendingWrite = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  auto cycle = [&](const uint8_t* input, size_t length, bool eof) -> bool {
    std::string cleartext;
    nss::CycleWrites writes;
    if (!pendingWrite.empty()) writes.emplace_back(pendingWrite.data(), pendingWrite.size());
    nss::CycleIO r = nss::RunCycle(e.fd, &e.io, reinterpret_cast<const char*>(input), length, eof, &writes,
                                   &cleartext);
    pendingWrite.erase(0, static_cast<size_t>(r.written));
    // Where NSS got to: this cycle's error and output size, and the handshake state it reports.
    uint32_t step = cycles < 15 ? cycles++ : 15;
    fuzz::Feature(3, step << 24 | (static_cast<uint32_t>(r.error) & 0xffffff));
    fuzz::Feature(4, step << 8 | fuzz::SizeClass(e.io.output.size()));
    fuzz::Feature(5, fuzz::SizeClass(cleartext.size()) << 8 | r.eof << 1 | (e.handshakes > 0));
    SSLPreliminaryChannelInfo pre;
    if (SSL_GetPreliminaryChannelInfo(e.fd, &pre, sizeof pre) == SECSuccess) {
      fuzz::Feature(6, pre.valuesSet << 16 | pre.protocolVersion);
      fuzz::Feature(7, pre.cipherSuite);
    }
    e.io.output.clear();  // the ciphertext goes nowhere
    e.sessions.clear();
    if (e.handshakes > 0) {
      if (!secured) {
        secured = true;
#if FUZZ_SERVER
        // #firstServerHandshake: no resumption in renegotiations, and the renegotiation limiter at 0.
        SSLChannelInfo info;
        if (SSL_GetChannelInfo(e.fd, &info, sizeof info) == SECSuccess &&
            info.protocolVersion < SSL_LIBRARY_VERSION_TLS_1_3) {
          SSL_OptionSet(e.fd, SSL_NO_CACHE, PR_TRUE);
          SSL_OptionSet(e.fd, SSL_ENABLE_SESSION_TICKETS, PR_FALSE);
          if (!(flags & kNoLimit)) SSL_OptionSet(e.fd, SSL_ENABLE_RENEGOTIATION, SSL_RENEGOTIATE_NEVER);
        }
#endif
        // What an application reads once secure: the peer's identity and the channel.
        CERTCertificate* peer = SSL_PeerCertificate(e.fd);
        if (peer != nullptr) CERT_DestroyCertificate(peer);
        SECItem* host = SSL_GetNegotiatedHostInfo(e.fd);
        if (host != nullptr) SECITEM_FreeItem(host, PR_TRUE);
        if (flags & kPostHandshake) {
          SSLChannelInfo info;
          if (SSL_GetChannelInfo(e.fd, &info, sizeof info) == SECSuccess) {
            if (info.protocolVersion >= SSL_LIBRARY_VERSION_TLS_1_3) {
              SSL_KeyUpdate(e.fd, PR_TRUE);
            } else {
              SSL_ReHandshake(e.fd, PR_TRUE);
            }
          }
        }
      }
      e.handshakes = 0;
    }
    if ((flags & kEcho) && !cleartext.empty()) pendingWrite += cleartext;
    if (pendingWrite.size() > 1 << 16) pendingWrite.resize(1 << 16);
    return r.error == 0 && !r.eof;
  };

  // A server socket cycles once on attach; a client's first cycle sends its ClientHello.
  bool alive = cycle(nullptr, 0, false);
  const uint8_t* chunk;
  size_t length;
  while (alive && framing.Next(&chunk, &length)) {
    bool last = framing.pos >= framing.size;
    alive = cycle(chunk, length, last && (flags & kEOF));
    // The client's decisions come back between cycles (#authenticate, #chooseClientCertificate).
    for (int i = 0; alive && i < 4 && (e.authPending || e.clientAuthPending); i++) {
      if (e.authPending) {
        e.authPending = false;
        SSL_AuthCertificateComplete(e.fd, (flags & kAcceptAll) ? SSL_ERROR_BAD_CERTIFICATE : 0);
      }
      if (e.clientAuthPending) {
        e.clientAuthPending = false;
        SSL_ClientCertCallbackComplete(e.fd, SECSuccess, SECKEY_CopyPrivateKey(gEC.key),
                                       CERT_DupCertificate(gEC.cert));
      }
      alive = cycle(nullptr, 0, false);
    }
  }
  PR_Close(e.fd);
  return 0;
}
