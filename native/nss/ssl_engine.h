// SSLEngine: one NSS SSL file descriptor over an in-memory transport, driven by cycle() from the event
// loop. Hooks never run JavaScript from deep inside NSS on the client side: they record the request and
// return SECWouldBlock; TypeScript decides and calls the *Complete methods. Server-side certificate checks
// and SNI are synchronous in NSS and call their JavaScript handler inline.
#pragma once
#include <napi.h>
#include <ssl.h>
#include <sslexp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "context.h"
#include "memio.h"
#include "ssl_cycle.h"

namespace nss {

class SSLEngine;
struct CycleSink;

// What a pool cycle holds of its engine: the lock every call into the socket takes (recursive: a JavaScript
// hook inside a cycle may call the engine again), and the engine while it lives.
struct EngineStrand {
  std::recursive_mutex mutex;
  SSLEngine* engine = nullptr;
};

class SSLEngine : public Napi::ObjectWrap<SSLEngine>, public Handle {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static SSLEngine* FromValue(Napi::Value value, const char* argName);

  explicit SSLEngine(const Napi::CallbackInfo& info);
  ~SSLEngine() override;
  void Release() override;

 private:
  // Every method runs under the strand lock: the JavaScript thread waits for a pool cycle of this socket.
  template <Napi::Value (SSLEngine::*Method)(const Napi::CallbackInfo&)>
  Napi::Value Serialized(const Napi::CallbackInfo& info) {
    std::lock_guard<std::recursive_mutex> lock(strand_->mutex);
    return (this->*Method)(info);
  }
  PRFileDesc* Fd(Napi::Env env) const;
  // A value this engine keeps on its JS object under one of AddonData::sslEngineKeys ("handlers",
  // "pinArgs"); undefined once that object is gone (a hook run from the finalizer's PR_Close).
  Napi::Value Own(Napi::Env env, const char* key) const;
  Napi::Value Handler(Napi::Env env, const char* name) const;
  Napi::Value PinArgs(Napi::Env env) const;
  void InstallHooks();
  void ThrowIfFailed(Napi::Env env, SECStatus status, const char* what) const;
  Napi::Value TakeOutput(Napi::Env env);

  // NSS hooks
  static SECStatus AuthCertificateHook(void* arg, PRFileDesc* fd, PRBool checkSig, PRBool isServer);
  static SECStatus ClientAuthDataHook(void* arg, PRFileDesc* fd, CERTDistNames* caNames,
                                      CERTCertificate** cert, SECKEYPrivateKey** key);
  static void HandshakeCallback(PRFileDesc* fd, void* arg);
  static void AlertReceived(const PRFileDesc* fd, void* arg, const SSLAlert* alert);
  static PRInt32 SNIHook(PRFileDesc* fd, const SECItem* names, PRUint32 count, void* arg);
  static SSLHelloRetryRequestAction HelloRetryHook(PRBool firstHello, const PRUint8* token, unsigned int tokenLength,
                                                   PRUint8* retryToken, unsigned int* retryTokenLength,
                                                   unsigned int retryTokenMax, void* arg);
  void SendTaggedTicket();

  // configuration
  Napi::Value OptionSet(const Napi::CallbackInfo& info);
  Napi::Value OptionGet(const Napi::CallbackInfo& info);
  Napi::Value VersionRangeSet(const Napi::CallbackInfo& info);
  Napi::Value VersionRangeGet(const Napi::CallbackInfo& info);
  Napi::Value CipherPrefSet(const Napi::CallbackInfo& info);
  Napi::Value CipherPrefGet(const Napi::CallbackInfo& info);
  Napi::Value NamedGroupConfig(const Napi::CallbackInfo& info);
  Napi::Value SignatureSchemePrefSet(const Napi::CallbackInfo& info);
  Napi::Value SignatureSchemePrefGet(const Napi::CallbackInfo& info);
  Napi::Value SetURL(const Napi::CallbackInfo& info);
  Napi::Value GetURL(const Napi::CallbackInfo& info);
  Napi::Value SetSockPeerID(const Napi::CallbackInfo& info);
  Napi::Value SetALPN(const Napi::CallbackInfo& info);
  Napi::Value ConfigServerCert(const Napi::CallbackInfo& info);
  Napi::Value SetSNIDecision(const Napi::CallbackInfo& info);
  void ClearSNIDecision();
  Napi::Value SetPeerAddress(const Napi::CallbackInfo& info);
  Napi::Value ResetHandshake(const Napi::CallbackInfo& info);
  Napi::Value SetHandlers(const Napi::CallbackInfo& info);
  Napi::Value SetPinArgs(const Napi::CallbackInfo& info);
  Napi::Value SetServerSessionContext(const Napi::CallbackInfo& info);
  // driving
  Napi::Value Cycle(const Napi::CallbackInfo& info);
  Napi::Value CycleAsync(const Napi::CallbackInfo& info);
  Napi::Value FinishCycle(Napi::Env env, std::unique_ptr<std::string> cleartext, const CycleIO& io, PinArg* pin);
  void SendTicketIfDue(const CycleIO& io);
  static std::shared_ptr<CycleSink> Sink(Napi::Env env);
  static void PoolCycleDone(napi_env env, napi_value callback, void* context, void* data);
  Napi::Value SetCycleState(const Napi::CallbackInfo& info);
  Napi::Value CycleExtras(const Napi::CallbackInfo& info);
  Napi::Value DefaultAuth(const Napi::CallbackInfo& info);
  Napi::Value AuthComplete(const Napi::CallbackInfo& info);
  Napi::Value DefaultClientAuth(const Napi::CallbackInfo& info);
  Napi::Value ClientAuthComplete(const Napi::CallbackInfo& info);
  Napi::Value ShutdownSend(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value ReHandshake(const Napi::CallbackInfo& info);
  Napi::Value KeyUpdate(const Napi::CallbackInfo& info);
  Napi::Value SendCertificateRequest(const Napi::CallbackInfo& info);
  Napi::Value InvalidateSession(const Napi::CallbackInfo& info);
  // state
  Napi::Value DataPending(const Napi::CallbackInfo& info);
  Napi::Value SecurityStatus(const Napi::CallbackInfo& info);
  Napi::Value ChannelInfo(const Napi::CallbackInfo& info);
  Napi::Value PeerCertificate(const Napi::CallbackInfo& info);
  Napi::Value PeerCertificateChain(const Napi::CallbackInfo& info);
  Napi::Value PeerChainDER(const Napi::CallbackInfo& info);
  Napi::Value CheckPeerName(const Napi::CallbackInfo& info);
  Napi::Value LocalCertificate(const Napi::CallbackInfo& info);
  Napi::Value NegotiatedHost(const Napi::CallbackInfo& info);
  Napi::Value SessionID(const Napi::CallbackInfo& info);
  Napi::Value ALPN(const Napi::CallbackInfo& info);
  Napi::Value ExportKeyingMaterial(const Napi::CallbackInfo& info);
  Napi::Value WatchSessions(const Napi::CallbackInfo& info);
  Napi::Value WatchSecrets(const Napi::CallbackInfo& info);
  Napi::Value PeerStapledOCSPResponses(const Napi::CallbackInfo& info);
  Napi::Value SetSession(const Napi::CallbackInfo& info);
  Napi::Value OwnTicketOffered(const Napi::CallbackInfo& info);
  static SECStatus OnResumptionToken(PRFileDesc* fd, const PRUint8* token, unsigned int len, void* ctx);
  void KeepTicketlessSessionInCache(PRFileDesc* fd);
  static void OnSecret(PRFileDesc* fd, PRUint16 epoch, SSLSecretDirection dir, PK11SymKey* secret, void* arg);

  // The cycle state's slots and flags (types/binding.d.ts, CycleState).
  static constexpr int kStateWritten = 0, kStateHandshakes = 1, kStateServerAuthCalls = 2, kStateFlags = 3,
                       kStateError = 4, kStateLength = 5;
  static constexpr int kFlagAuthPending = 1, kFlagClientAuthPending = 2, kFlagCloseNotify = 4, kFlagEOF = 8,
                       kFlagExtras = 16;
  Napi::Reference<Napi::Float64Array> cycleStateRef_;
  double* cycleState_ = nullptr;
  Napi::ObjectReference extras_;

  std::shared_ptr<EngineStrand> strand_;
  bool inFlight_ = false;  // a pool cycle runs or waits to come back
  bool asServer_ = false;  // the role of the last resetHandshake
  bool certificateRequested_ = false;  // a post-handshake CertificateRequest was sent (sendCertificateRequest)
  PRFileDesc* fd_ = nullptr;
  MemIOBuffers io_;
  Napi::Env env_;
  // events recorded by hooks during one cycle
  int handshakes_ = 0;
  int serverAuthCalls_ = 0;
  bool authPending_ = false;
  bool watchingSessions_ = false;  // the resumption-token callback is set
  bool authCheckSig_ = true;
  bool clientAuthPending_ = false;
  std::vector<std::string> caNames_;
  std::vector<std::string> sessionTokens_;
  struct Secret {
    PRUint16 epoch;
    bool write;
    std::string bytes;
  };
  std::vector<Secret> secrets_;  // TLS 1.3 traffic secrets NSS installed (when watched)  // resumption tokens NSS handed over (client, when watched)
  // Server: the context that tags this server's TLS 1.3 tickets (SSL_SendSessionTicket's app token) and that
  // a ticket offered to it must carry; whether to send such a ticket after each TLS 1.3 handshake; whether
  // this handshake's first ClientHello offered one with this context; a handshake finished in this cycle.
  std::string sessionContext_;
  bool sendTickets_ = false;
  bool ownTicketOffered_ = false;
  bool ticketDue_ = false;
  bool closeNotifyReceived_ = false;
  // The JavaScript handlers for NSS's synchronous hooks (server role) and the pin arguments are kept on the
  // engine's own JS object (see Own), not in persistent references: a reference is a GC root, the handlers
  // close over the JavaScript socket, and a socket dropped without destroy() was then never collected.
  // These say whether there is one to look up.
  bool hasServerAuth_ = false;
  // The SNI callback's answer for a ClientHello read ahead (setSNIDecision), applied by the hook itself.
  bool sniDecided_ = false;
  std::string sniName_;
  CERTCertificate* sniCert_ = nullptr;
  SECKEYPrivateKey* sniKey_ = nullptr;
  std::string sniOCSP_;
  bool hasSNIOCSP_ = false;
  bool hasSNI_ = false;
  bool hasPinArgs_ = false;
  bool clientAuthHook_ = false;
  Napi::Error pendingError_;
  bool hasPendingError_ = false;
  // Inside cycle(): a Release() asked by a hook waits until the cycle returns.
  bool cycling_ = false;
  // close() released the socket (rather than shutdown()): later calls say the socket is closed.
  bool closed_ = false;
  bool releaseAfterCycle_ = false;
};

Napi::Value CipherSuiteInfo(const Napi::CallbackInfo& info);
void InitSSL(Napi::Env env, Napi::Object exports);

}  // namespace nss
