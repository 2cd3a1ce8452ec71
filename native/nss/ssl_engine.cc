#include "ssl_engine.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>

#include <cert.h>
#include <prerror.h>
#include <secerr.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#include "certificate.h"
#include "errors.h"
#include "ocsp.h"
#include "private_key.h"
#include "cycle_pool.h"
#include "ssl_cycle.h"

namespace nss {

// The socket's pin arguments as NSS's pin arg (SSL_SetPKCS11PinArg) for the length of one call into NSS, so
// that a token login asked for by the handshake reaches the password callback with them.
class SocketPinArg {
 public:
  SocketPinArg(Napi::Env env, PRFileDesc* fd, Napi::Value args) : pin(env, args), fd_(fd) {
    SSL_SetPKCS11PinArg(fd_, pin.wincx());
  }
  ~SocketPinArg() { SSL_SetPKCS11PinArg(fd_, nullptr); }
  SocketPinArg(const SocketPinArg&) = delete;
  SocketPinArg& operator=(const SocketPinArg&) = delete;

  PinArg pin;

 private:
  PRFileDesc* fd_;
};

namespace {

// Set on a pool thread while it runs a cycle: a hook that would call JavaScript refuses instead.
thread_local bool tlsInPoolCycle = false;

Napi::Buffer<char> OwnedBuffer(Napi::Env env, std::string* data) {
  return Napi::Buffer<char>::New(env, data->data(), data->size(),
                                 [](Napi::Env, char*, std::string* owned) { delete owned; }, data);
}

// Up to this size a cycle's output is copied into a Buffer Node allocates, above it handed over without a
// copy. A Buffer over our memory needs a finalizer, which N-API keeps as a weak reference the garbage
// collector must visit: for a record or two that cost more than the copy (measured on a 1 KiB round trip).
constexpr size_t kCopyOutputMax = 16 * 1024;
// What the ciphertext queue keeps of its memory between cycles: a small record's worth, so that an idle
// connection holds no more than that (idle memory per connection is already NSS's weak point).
constexpr size_t kKeepOutputCapacity = 4 * 1024;

}  // namespace

void SSLEngine::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(
      env, "NativeSSLEngine",
      {
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::OptionSet>>("optionSet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::OptionGet>>("optionGet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::VersionRangeSet>>("versionRangeSet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::VersionRangeGet>>("versionRangeGet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::CipherPrefSet>>("cipherPrefSet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::CipherPrefGet>>("cipherPrefGet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::NamedGroupConfig>>("namedGroupConfig"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SignatureSchemePrefSet>>("signatureSchemePrefSet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SignatureSchemePrefGet>>("signatureSchemePrefGet"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetURL>>("setURL"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::GetURL>>("getURL"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetSockPeerID>>("setSockPeerID"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetALPN>>("setALPN"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ConfigServerCert>>("configServerCert"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetSNIDecision>>("setSNIDecision"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::PeerStapledOCSPResponses>>("peerStapledOCSPResponses"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetPeerAddress>>("setPeerAddress"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ResetHandshake>>("resetHandshake"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetHandlers>>("setHandlers"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetPinArgs>>("setPinArgs"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetServerSessionContext>>("setServerSessionContext"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::Cycle>>("cycle"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::CycleAsync>>("cycleAsync"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetCycleState>>("setCycleState"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::CycleExtras>>("cycleExtras"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::DefaultAuth>>("defaultAuth"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::AuthComplete>>("authComplete"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::DefaultClientAuth>>("defaultClientAuth"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ClientAuthComplete>>("clientAuthComplete"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ShutdownSend>>("shutdownSend"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::Close>>("close"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ReHandshake>>("reHandshake"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::KeyUpdate>>("keyUpdate"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SendCertificateRequest>>("sendCertificateRequest"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::InvalidateSession>>("invalidateSession"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::DataPending>>("dataPending"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SecurityStatus>>("securityStatus"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ChannelInfo>>("channelInfo"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::PeerCertificate>>("peerCertificate"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::PeerCertificateChain>>("peerCertificateChain"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::PeerChainDER>>("peerChainDER"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::CheckPeerName>>("checkPeerName"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::LocalCertificate>>("localCertificate"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::NegotiatedHost>>("negotiatedHost"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SessionID>>("sessionID"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ALPN>>("alpn"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::ExportKeyingMaterial>>("exportKeyingMaterial"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::WatchSessions>>("watchSessions"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::WatchSecrets>>("watchSecrets"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::SetSession>>("setSession"),
          InstanceMethod<&SSLEngine::Serialized<&SSLEngine::OwnTicketOffered>>("ownTicketOffered"),
      });
  AddonData* data = AddonData::Get(env);
  data->sslEngineClass = Napi::Persistent(cls);
  Napi::Object keys = Napi::Object::New(env);
  keys.Set("handlers", Napi::Symbol::New(env, "handlers"));
  keys.Set("pinArgs", Napi::Symbol::New(env, "pinArgs"));
  data->sslEngineKeys = Napi::Persistent(keys);
  exports.Set("NativeSSLEngine", cls);
}

Napi::Value SSLEngine::Own(Napi::Env env, const char* key) const {
  Napi::Object self = Value();
  if (self.IsEmpty()) return env.Undefined();
  return self.Get(AddonData::Get(env)->sslEngineKeys.Get(key));
}

Napi::Value SSLEngine::Handler(Napi::Env env, const char* name) const {
  Napi::Value handlers = Own(env, "handlers");
  return handlers.IsObject() ? handlers.As<Napi::Object>().Get(name) : env.Undefined();
}

SSLEngine* SSLEngine::FromValue(Napi::Value value, const char* argName) {
  Napi::Env env = value.Env();
  if (value.IsObject() && value.As<Napi::Object>().InstanceOf(AddonData::Get(env)->sslEngineClass.Value())) {
    return Napi::ObjectWrap<SSLEngine>::Unwrap(value.As<Napi::Object>());
  }
  throw Napi::TypeError::New(env, std::string("The \"") + argName + "\" argument must be a native SSL engine");
}

// new NativeSSLEngine(model | null): a socket over memory, inheriting the model's configuration.
SSLEngine::SSLEngine(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SSLEngine>(info), strand_(std::make_shared<EngineStrand>()), env_(info.Env()) {
  Napi::Env env = info.Env();
  RequireInit(env);
  strand_->engine = this;
  PRFileDesc* model = nullptr;
  SSLEngine* modelEngine = nullptr;
  if (info.Length() > 0 && info[0].IsObject()) {
    modelEngine = FromValue(info[0], "model");
    model = modelEngine->Fd(env);
  }
  PRFileDesc* bottom = NewMemIOLayer(&io_);
  if (bottom == nullptr) ThrowLastError(env, "creating the memory transport");
  fd_ = SSL_ImportFD(model, bottom);
  if (fd_ == nullptr) {
    PRErrorCode error = PR_GetError();
    PR_Close(bottom);
    throw MakeNSPRError(env, error, "SSL_ImportFD");
  }
  if (modelEngine != nullptr) {
    // What NSS's model copy cannot carry: the model's server session context.
    sessionContext_ = modelEngine->sessionContext_;
    sendTickets_ = modelEngine->sendTickets_;
  }
  InstallHooks();
  Track(env);
}

SSLEngine::~SSLEngine() {
  Untrack();
  Release();
  // A pool cycle still queued finds no engine and does nothing.
  std::lock_guard<std::recursive_mutex> lock(strand_->mutex);
  strand_->engine = nullptr;
}

void SSLEngine::Release() {
  // Waits for a pool cycle that runs on this socket (shutdown() and environment teardown come here).
  std::lock_guard<std::recursive_mutex> lock(strand_->mutex);
  // Asked from inside a cycle (a JavaScript hook releasing every handle): PR_Close there would wait for the
  // lock the cycle's PR_Read holds. The cycle closes the socket when it returns.
  if (cycling_) {
    releaseAfterCycle_ = true;
    return;
  }
  if (fd_ != nullptr) {
    SSL_SetPKCS11PinArg(fd_, nullptr);
    PR_Close(fd_);
  }
  fd_ = nullptr;
  ClearSNIDecision();
  // The handlers and pin args stay on the JS object: they hold nothing the garbage collector cannot free.
  hasServerAuth_ = hasSNI_ = hasPinArgs_ = false;
}

PRFileDesc* SSLEngine::Fd(Napi::Env env) const {
  if (fd_ == nullptr && closed_)
    throw MakeCodedError(env, "PR_BAD_DESCRIPTOR_ERROR", PR_BAD_DESCRIPTOR_ERROR, "the SSL socket is closed");
  if (fd_ == nullptr)
    throw MakeCodedError(env, "NSS_SHUT_DOWN", SEC_ERROR_NOT_INITIALIZED, "NSS was shut down; the SSL socket is closed");
  return fd_;
}

void SSLEngine::ThrowIfFailed(Napi::Env env, SECStatus status, const char* what) const {
  if (status != SECSuccess) ThrowLastError(env, what);
}

// The model's hooks come along with SSL_ImportFD, but with the model's `arg`: point them at this engine.
void SSLEngine::InstallHooks() {
  // Every hook and callback argument a model can carry is replaced: SSL_ImportFD copies them with the
  // model's `arg`, and a copied one would write into the model's engine (freed with the model).
  SSL_SetPKCS11PinArg(fd_, nullptr);
  // Experimental API: fails (harmlessly) where the NSS build lacks it; the model then had none either.
  SSL_SetResumptionTokenCallback(fd_, nullptr, nullptr);
  SSL_SecretCallback(fd_, nullptr, nullptr);
  SSL_AuthCertificateHook(fd_, AuthCertificateHook, this);
  SSL_HandshakeCallback(fd_, HandshakeCallback, this);
  SSL_AlertReceivedCallback(fd_, AlertReceived, this);
  SSL_AlertSentCallback(fd_, nullptr, nullptr);  // a model's would point into the model's engine
  SSL_SNISocketConfigHook(fd_, SNIHook, this);
  SSL_GetClientAuthDataHook(fd_, ClientAuthDataHook, this);
  // Experimental API, servers only: installed by ResetHandshake(true) when there is a session context.
  SSL_HelloRetryRequestCallback(fd_, nullptr, nullptr);
}

SECStatus SSLEngine::AuthCertificateHook(void* arg, PRFileDesc* fd, PRBool checkSig, PRBool isServer) {
  SSLEngine* self = static_cast<SSLEngine*>(arg);
  if (!isServer) {
    self->KeepTicketlessSessionInCache(fd);
    self->authPending_ = true;
    self->authCheckSig_ = checkSig;
    return SECWouldBlock;
  }
  self->serverAuthCalls_++;
  if (!self->hasServerAuth_) {
    // NSS's OCSP settings have no lock of their own (ocsp.h); on a pool thread this check may run while
    // the JavaScript thread changes them.
    OCSPStateReader ocspState;
    return SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, checkSig, isServer);
  }
  if (tlsInPoolCycle) {  // never JavaScript off its thread (CycleAsync prevents it)
    PORT_SetError(SSL_ERROR_BAD_CERTIFICATE);
    return SECFailure;
  }
  // Server role: NSS needs the answer now. The handler returns 0 to accept or an NSS error number.
  Napi::Env env = self->env_;
  Napi::HandleScope scope(env);
  try {
    Napi::Value handler = self->Handler(env, "serverAuth");
    if (!handler.IsFunction()) return SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, checkSig, isServer);
    Napi::Value verdict = handler.As<Napi::Function>().Call({Napi::Boolean::New(env, checkSig)});
    int32_t error = verdict.IsNumber() ? verdict.As<Napi::Number>().Int32Value() : SSL_ERROR_BAD_CERTIFICATE;
    if (error == 0) return SECSuccess;
    PORT_SetError(error);
  } catch (const Napi::Error& err) {
    self->pendingError_ = err;
    self->hasPendingError_ = true;
    PORT_SetError(SSL_ERROR_BAD_CERTIFICATE);
  }
  return SECFailure;
}

SECStatus SSLEngine::ClientAuthDataHook(void* arg, PRFileDesc*, CERTDistNames* caNames, CERTCertificate**,
                                        SECKEYPrivateKey**) {
  SSLEngine* self = static_cast<SSLEngine*>(arg);
  if (!self->clientAuthHook_) return SECFailure;  // no callback: send no certificate
  self->caNames_.clear();
  for (int i = 0; caNames != nullptr && i < caNames->nnames; i++) {
    self->caNames_.emplace_back(reinterpret_cast<const char*>(caNames->names[i].data), caNames->names[i].len);
  }
  self->clientAuthPending_ = true;
  return SECWouldBlock;
}

void SSLEngine::HandshakeCallback(PRFileDesc*, void* arg) {
  SSLEngine* self = static_cast<SSLEngine*>(arg);
  self->handshakes_++;
  if (self->sendTickets_ && !self->sessionContext_.empty()) self->ticketDue_ = true;
}

// Server, TLS 1.3, each ClientHello. NSS decrypts a resumption ticket with process-wide keys and remembers
// nothing of the server that issued it but the kind of certificate (tls13_CanResume), so any SSLServer in
// this process would resume any other's session. Tickets from here carry this server's context as their app
// token, which NSS hands to this callback when a ClientHello offers one (firstHello; after a
// HelloRetryRequest the token is the retry token instead). NSS offers no way to decline a ticket and make a
// full handshake from here (only fail or go on), so a ticket of another server fails the handshake, as NSS
// itself does when a ticket's server name differs from the negotiated one.
SSLHelloRetryRequestAction SSLEngine::HelloRetryHook(PRBool firstHello, const PRUint8* token, unsigned int tokenLength,
                                                     PRUint8*, unsigned int*, unsigned int, void* arg) {
  SSLEngine* self = static_cast<SSLEngine*>(arg);
  if (!firstHello || tokenLength == 0) return ssl_hello_retry_accept;
  const std::string& own = self->sessionContext_;
  if (tokenLength != own.size() || memcmp(token, own.data(), tokenLength) != 0) return ssl_hello_retry_fail;
  self->ownTicketOffered_ = true;
  return ssl_hello_retry_accept;
}

// After a TLS 1.3 server handshake: a ticket tagged with this server's context (NSS's own automatic ticket is
// off on these servers, see HelloRetryHook). Not sent for older versions, nor where NSS refuses (an external
// PSK); a missing ticket costs only the next resumption.
void SSLEngine::SendTaggedTicket() {
  SSLChannelInfo ci;
  if (SSL_GetChannelInfo(fd_, &ci, sizeof ci) != SECSuccess || ci.protocolVersion < SSL_LIBRARY_VERSION_TLS_1_3)
    return;
  SSL_SendSessionTicket(fd_, reinterpret_cast<const PRUint8*>(sessionContext_.data()),
                        static_cast<unsigned int>(sessionContext_.size()));
}

void SSLEngine::AlertReceived(const PRFileDesc*, void* arg, const SSLAlert* alert) {
  SSLEngine* self = static_cast<SSLEngine*>(arg);
  if (alert->description == 0 /* close_notify */) self->closeNotifyReceived_ = true;
}


namespace {

// SSL_ConfigServerCert, with `ocspResponse` (a Buffer: a DER OCSPResponse) stapled to the certificate for
// clients that ask (status_request) through SSLExtraServerCertData; NSS copies it.
SECStatus ConfigureServerCert(PRFileDesc* fd, CERTCertificate* cert, SECKEYPrivateKey* key, SECItem* ocspResponse) {
  if (ocspResponse == nullptr) return SSL_ConfigServerCert(fd, cert, key, nullptr, 0);
  SECItemArray responses = {ocspResponse, 1};
  SSLExtraServerCertData extra;
  std::memset(&extra, 0, sizeof extra);
  extra.authType = ssl_auth_null;
  extra.stapledOCSPResponses = &responses;
  return SSL_ConfigServerCert(fd, cert, key, &extra, sizeof extra);
}

SECStatus ConfigureServerCert(PRFileDesc* fd, CERTCertificate* cert, SECKEYPrivateKey* key, Napi::Value ocspResponse) {
  if (!ocspResponse.IsBuffer()) return ConfigureServerCert(fd, cert, key, static_cast<SECItem*>(nullptr));
  SECItem response = BufferItem(ocspResponse);
  return ConfigureServerCert(fd, cert, key, &response);
}

}  // namespace

// Server SNI: the handler gets the name and returns undefined (keep the configuration) or
// { cert, key, ocspResponse? } to serve for this connection. Answering with the name's index (0) rather than
// SSL_SNI_CURRENT_CONFIG_IS_USED makes NSS record the name for SSL_GetNegotiatedHostInfo.
PRInt32 SSLEngine::SNIHook(PRFileDesc* fd, const SECItem* names, PRUint32 count, void* arg) {
  SSLEngine* self = static_cast<SSLEngine*>(arg);
  if (count == 0) return SSL_SNI_CURRENT_CONFIG_IS_USED;
  if (self->sniDecided_ && self->sniName_.size() == names[0].len &&
      memcmp(self->sniName_.data(), names[0].data, names[0].len) == 0) {
    // Decided before NSS read the ClientHello (setSNIDecision): answered here, without JavaScript.
    if (self->sniCert_ == nullptr) return 0;
    SECItem ocsp = {siBuffer, reinterpret_cast<unsigned char*>(self->sniOCSP_.data()),
                    static_cast<unsigned int>(self->sniOCSP_.size())};
    SECStatus status = ConfigureServerCert(fd, self->sniCert_, self->sniKey_, self->hasSNIOCSP_ ? &ocsp : nullptr);
    return status == SECSuccess ? 0 : SSL_SNI_SEND_ALERT;
  }
  if (!self->hasSNI_) return 0;
  if (tlsInPoolCycle) return SSL_SNI_SEND_ALERT;  // never JavaScript off its thread (CycleAsync prevents it)
  Napi::Env env = self->env_;
  Napi::HandleScope scope(env);
  try {
    Napi::Value handler = self->Handler(env, "sni");
    if (!handler.IsFunction()) return 0;
    std::string name(reinterpret_cast<const char*>(names[0].data), names[0].len);
    Napi::Value answer = handler.As<Napi::Function>().Call({Napi::String::New(env, name)});
    if (!answer.IsObject()) return 0;
    Napi::Object pair = answer.As<Napi::Object>();
    CERTCertificate* cert = Certificate::FromValue(pair.Get("cert"), "cert");
    SECKEYPrivateKey* key = PrivateKey::FromValue(pair.Get("key"), "key");
    if (ConfigureServerCert(fd, cert, key, pair.Get("ocspResponse")) != SECSuccess) return SSL_SNI_SEND_ALERT;
    return 0;
  } catch (const Napi::Error& err) {
    self->pendingError_ = err;
    self->hasPendingError_ = true;
    return SSL_SNI_SEND_ALERT;
  }
}

Napi::Value SSLEngine::OptionSet(const Napi::CallbackInfo& info) {
  PRFileDesc* fd = Fd(info.Env());
  ThrowIfFailed(info.Env(),
                SSL_OptionSet(fd, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value()),
                "SSL_OptionSet");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::OptionGet(const Napi::CallbackInfo& info) {
  PRIntn value = 0;
  ThrowIfFailed(info.Env(), SSL_OptionGet(Fd(info.Env()), info[0].As<Napi::Number>().Int32Value(), &value),
                "SSL_OptionGet");
  return Napi::Number::New(info.Env(), value);
}

Napi::Value SSLEngine::VersionRangeSet(const Napi::CallbackInfo& info) {
  SSLVersionRange range = {static_cast<PRUint16>(info[0].As<Napi::Number>().Uint32Value()),
                           static_cast<PRUint16>(info[1].As<Napi::Number>().Uint32Value())};
  ThrowIfFailed(info.Env(), SSL_VersionRangeSet(Fd(info.Env()), &range), "SSL_VersionRangeSet");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::VersionRangeGet(const Napi::CallbackInfo& info) {
  SSLVersionRange range;
  ThrowIfFailed(info.Env(), SSL_VersionRangeGet(Fd(info.Env()), &range), "SSL_VersionRangeGet");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, range.min);
  out.Set(1u, range.max);
  return out;
}

Napi::Value SSLEngine::CipherPrefSet(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(),
                SSL_CipherPrefSet(Fd(info.Env()), info[0].As<Napi::Number>().Int32Value(),
                                  info[1].ToBoolean() ? PR_TRUE : PR_FALSE),
                "SSL_CipherPrefSet");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::CipherPrefGet(const Napi::CallbackInfo& info) {
  PRBool enabled = PR_FALSE;
  ThrowIfFailed(info.Env(), SSL_CipherPrefGet(Fd(info.Env()), info[0].As<Napi::Number>().Int32Value(), &enabled),
                "SSL_CipherPrefGet");
  return Napi::Boolean::New(info.Env(), enabled);
}

// namedGroupConfig(groups: number[]): exactly these key-exchange groups, in this order.
Napi::Value SSLEngine::NamedGroupConfig(const Napi::CallbackInfo& info) {
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<SSLNamedGroup> groups;
  for (uint32_t i = 0; i < list.Length(); i++) {
    groups.push_back(static_cast<SSLNamedGroup>(list.Get(i).As<Napi::Number>().Uint32Value()));
  }
  ThrowIfFailed(info.Env(),
                SSL_NamedGroupConfig(Fd(info.Env()), groups.data(), static_cast<unsigned int>(groups.size())),
                "SSL_NamedGroupConfig");
  return info.Env().Undefined();
}

// signatureSchemePrefSet(schemes: number[]): the signature schemes offered and accepted, in this order.
Napi::Value SSLEngine::SignatureSchemePrefSet(const Napi::CallbackInfo& info) {
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<SSLSignatureScheme> schemes;
  for (uint32_t i = 0; i < list.Length(); i++) {
    schemes.push_back(static_cast<SSLSignatureScheme>(list.Get(i).As<Napi::Number>().Uint32Value()));
  }
  ThrowIfFailed(info.Env(),
                SSL_SignatureSchemePrefSet(Fd(info.Env()), schemes.data(), static_cast<unsigned int>(schemes.size())),
                "SSL_SignatureSchemePrefSet");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::SignatureSchemePrefGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<SSLSignatureScheme> schemes(SSL_SignatureMaxCount());
  unsigned int count = 0;
  ThrowIfFailed(env,
                SSL_SignatureSchemePrefGet(Fd(env), schemes.data(), &count, static_cast<unsigned int>(schemes.size())),
                "SSL_SignatureSchemePrefGet");
  Napi::Array out = Napi::Array::New(env, count);
  for (unsigned int i = 0; i < count; i++) out.Set(i, static_cast<double>(schemes[i]));
  return out;
}

Napi::Value SSLEngine::SetURL(const Napi::CallbackInfo& info) {
  std::string url = info[0].As<Napi::String>().Utf8Value();
  ThrowIfFailed(info.Env(), SSL_SetURL(Fd(info.Env()), url.c_str()), "SSL_SetURL");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::GetURL(const Napi::CallbackInfo& info) {
  // libssl keeps the URL private; SSL_RevealURL hands out a copy.
  char* url = SSL_RevealURL(Fd(info.Env()));
  if (url == nullptr) return info.Env().Null();
  Napi::String out = Napi::String::New(info.Env(), url);
  PORT_Free(url);
  return out;
}

Napi::Value SSLEngine::SetSockPeerID(const Napi::CallbackInfo& info) {
  std::string id = info[0].As<Napi::String>().Utf8Value();
  ThrowIfFailed(info.Env(), SSL_SetSockPeerID(Fd(info.Env()), id.c_str()), "SSL_SetSockPeerID");
  return info.Env().Undefined();
}

// setALPN(wire): protocols in ALPN wire format, already ordered for NSS (see src/ssl-socket.ts).
Napi::Value SSLEngine::SetALPN(const Napi::CallbackInfo& info) {
  Napi::Buffer<uint8_t> wire = info[0].As<Napi::Buffer<uint8_t>>();
  ThrowIfFailed(info.Env(),
                SSL_SetNextProtoNego(Fd(info.Env()), wire.Data(), static_cast<unsigned int>(wire.Length())),
                "SSL_SetNextProtoNego");
  return info.Env().Undefined();
}

// configServerCert(cert, key, ocspResponse | null): see ConfigureServerCert.
Napi::Value SSLEngine::ConfigServerCert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Certificate::FromValue(info[0], "cert");
  SECKEYPrivateKey* key = PrivateKey::FromValue(info[1], "key");
  SECStatus status = ConfigureServerCert(Fd(env), cert, key, info.Length() > 2 ? info[2] : env.Null());
  ThrowIfFailed(env, status, "SSL_ConfigServerCert");
  return env.Undefined();
}

// setSNIDecision(name | null, answer?: { cert, key, ocspResponse? }): what the SNI callback decided for the
// name of a ClientHello read ahead, for NSS's SNI hook to apply without calling JavaScript (no answer: keep
// the configuration). null forgets the decision.
Napi::Value SSLEngine::SetSNIDecision(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Fd(env);
  ClearSNIDecision();
  if (!info[0].IsString()) return env.Undefined();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object pair = info[1].As<Napi::Object>();
    CERTCertificate* cert = Certificate::FromValue(pair.Get("cert"), "answer.cert");
    SECKEYPrivateKey* key = PrivateKey::FromValue(pair.Get("key"), "answer.key");
    Napi::Value ocsp = pair.Get("ocspResponse");
    sniCert_ = CERT_DupCertificate(cert);
    sniKey_ = SECKEY_CopyPrivateKey(key);
    if (sniKey_ == nullptr) {
      ClearSNIDecision();
      ThrowLastError(env, "SECKEY_CopyPrivateKey");
    }
    if (ocsp.IsBuffer()) {
      Napi::Buffer<char> bytes = ocsp.As<Napi::Buffer<char>>();
      sniOCSP_.assign(bytes.Data(), bytes.Length());
      hasSNIOCSP_ = true;
    }
  }
  sniName_ = std::move(name);
  sniDecided_ = true;
  return env.Undefined();
}

void SSLEngine::ClearSNIDecision() {
  if (sniCert_ != nullptr) CERT_DestroyCertificate(sniCert_);
  if (sniKey_ != nullptr) SECKEY_DestroyPrivateKey(sniKey_);
  sniCert_ = nullptr;
  sniKey_ = nullptr;
  sniDecided_ = hasSNIOCSP_ = false;
  sniName_.clear();
  sniOCSP_.clear();
}

// peerStapledOCSPResponses() → the DER OCSP responses the server stapled (SSL_ENABLE_OCSP_STAPLING), in the
// auth-certificate step or after; [] when there were none.
Napi::Value SSLEngine::PeerStapledOCSPResponses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const SECItemArray* responses = SSL_PeerStapledOCSPResponses(Fd(env));
  Napi::Array out = Napi::Array::New(env);
  for (unsigned int i = 0; responses != nullptr && i < responses->len; i++) {
    out.Set(i, Napi::Buffer<uint8_t>::Copy(env, responses->items[i].data, responses->items[i].len));
  }
  return out;
}

// setPeerAddress(ip, port): what getpeername reports; NSS's session caches key on it. IPv4, IPv6 and
// IPv4-mapped IPv6 text all parse; NSS itself maps IPv4 to ::ffff:a.b.c.d for its cache keys. The port is
// set in the family's own field: PR_InitializeNetAddr(PR_IpAddrNull, …) would also force AF_INET, which
// turned every IPv6 peer into 0.0.0.0 (measured: a ticket from [::1]:p offered to 127.0.0.1:p).
Napi::Value SSLEngine::SetPeerAddress(const Napi::CallbackInfo& info) {
  std::string ip = info[0].As<Napi::String>().Utf8Value();
  uint32_t port = info[1].As<Napi::Number>().Uint32Value();
  PRNetAddr addr;
  if (PR_StringToNetAddr(ip.c_str(), &addr) != PR_SUCCESS) ThrowLastError(info.Env(), "PR_StringToNetAddr");
  if (PR_NetAddrFamily(&addr) == PR_AF_INET6) {
    addr.ipv6.port = PR_htons(static_cast<PRUint16>(port));
  } else {
    addr.inet.port = PR_htons(static_cast<PRUint16>(port));
  }
  io_.peer = addr;
  io_.hasPeer = true;
  return info.Env().Undefined();
}

Napi::Value SSLEngine::ResetHandshake(const Napi::CallbackInfo& info) {
  ClearSNIDecision();
  PRFileDesc* fd = Fd(info.Env());
  bool asServer = info[0].ToBoolean();
  ThrowIfFailed(info.Env(), SSL_ResetHandshake(fd, asServer ? PR_TRUE : PR_FALSE), "SSL_ResetHandshake");
  asServer_ = asServer;
  ownTicketOffered_ = false;
  ticketDue_ = false;
  if (asServer && !sessionContext_.empty()) {
    // Experimental API: without it no offered ticket could be checked, so none is handed out.
    if (SSL_HelloRetryRequestCallback(fd, HelloRetryHook, this) != SECSuccess) sendTickets_ = false;
  } else {
    SSL_HelloRetryRequestCallback(fd, nullptr, nullptr);
  }
  return info.Env().Undefined();
}

// setServerSessionContext(context, sendTickets): see HelloRetryHook. Inherited by engines made from this one.
// At most 255 bytes (NSS's limit for a retry token, and plenty for a tag).
Napi::Value SSLEngine::SetServerSessionContext(const Napi::CallbackInfo& info) {
  Napi::Buffer<char> context = info[0].As<Napi::Buffer<char>>();
  sessionContext_.assign(context.Data(), context.Length());
  sendTickets_ = info[1].ToBoolean();
  return info.Env().Undefined();
}

// ownTicketOffered() → whether this handshake's first ClientHello offered a ticket with this server's context.
Napi::Value SSLEngine::OwnTicketOffered(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ownTicketOffered_);
}

// setHandlers({ serverAuth?, sni?, clientAuth: boolean }). The object is kept on this engine's JS object
// (reachable only from the socket that owns the engine) and its functions are looked up when NSS calls.
Napi::Value SSLEngine::SetHandlers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object handlers = info[0].As<Napi::Object>();
  info.This().As<Napi::Object>().Set(AddonData::Get(env)->sslEngineKeys.Get("handlers"), handlers);
  hasServerAuth_ = handlers.Get("serverAuth").IsFunction();
  hasSNI_ = handlers.Get("sni").IsFunction();
  clientAuthHook_ = handlers.Get("clientAuth").ToBoolean();
  return env.Undefined();
}

// setPinArgs(args): kept on this engine's JS object, as the handlers are.
Napi::Value SSLEngine::SetPinArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().Set(AddonData::Get(env)->sslEngineKeys.Get("pinArgs"), info[0]);
  hasPinArgs_ = true;
  return env.Undefined();
}

Napi::Value SSLEngine::PinArgs(Napi::Env env) const { return hasPinArgs_ ? Own(env, "pinArgs") : env.Undefined(); }

Napi::Value SSLEngine::TakeOutput(Napi::Env env) {
  if (io_.output.empty()) return env.Null();
  if (io_.output.size() <= kCopyOutputMax) {
    Napi::Buffer<char> copy = Napi::Buffer<char>::Copy(env, io_.output.data(), io_.output.size());
    io_.output.clear();  // its memory stays for the next small records
    if (io_.output.capacity() > kKeepOutputCapacity) std::string().swap(io_.output);
    return copy;
  }
  std::string* out = new std::string();
  out->swap(io_.output);
  return OwnedBuffer(env, out);
}

// cycle(input | null, eof, writes: Buffer[]) → { cleartext, ciphertext, written, handshakes, authPending,
//   clientAuthPending, caNames, closeNotify, eof, error, alertReceived, alertSent }
Napi::Value SSLEngine::Cycle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PRFileDesc* fd = Fd(env);
  struct CycleScope {
    SSLEngine* self;
    explicit CycleScope(SSLEngine* engine) : self(engine) { self->cycling_ = true; }
    ~CycleScope() {
      self->cycling_ = false;
      if (self->releaseAfterCycle_) {
        self->releaseAfterCycle_ = false;
        self->Release();
      }
    }
  } cycleScope(this);
  // Events recorded since the last cycle (completing a decision can finish a handshake between cycles).
  SocketPinArg socketPin(env, fd, PinArgs(env));

  const char* input = nullptr;
  size_t inputLength = 0;
  if (info[0].IsBuffer()) {
    Napi::Buffer<char> buffer = info[0].As<Napi::Buffer<char>>();
    input = buffer.Data();
    inputLength = buffer.Length();
  }
  // The Buffers stay alive in the caller's array for the length of the call.
  CycleWrites writes;
  bool hasWrites = info[2].IsArray();
  if (hasWrites) {
    Napi::Array list = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Buffer<char> chunk = list.Get(i).As<Napi::Buffer<char>>();
      writes.emplace_back(chunk.Data(), chunk.Length());
    }
  }
  // Owned here until the Buffer takes it, so an exception on the way (a failing Set) frees it.
  std::unique_ptr<std::string> cleartext(new std::string());
  CycleIO io = RunCycle(fd, &io_, input, inputLength, info[1].ToBoolean(), hasWrites ? &writes : nullptr,
                        cleartext.get());
  SendTicketIfDue(io);
  return FinishCycle(env, std::move(cleartext), io, &socketPin.pin);
}

void SSLEngine::SendTicketIfDue(const CycleIO& io) {
  if (ticketDue_) {
    ticketDue_ = false;
    if (io.error == 0) SendTaggedTicket();
  }
}

// What a cycle hands back, on the JavaScript thread: the scalars into the cycle state, the rare things into
// the extras, [cleartext, ciphertext] or null as the result. `pin` is the call's pin argument (null for a
// pool cycle, which has none: the password function answers nothing off the JavaScript thread).
Napi::Value SSLEngine::FinishCycle(Napi::Env env, std::unique_ptr<std::string> cleartext, const CycleIO& io,
                                   PinArg* pin) {
  PRErrorCode error = io.error;
  bool eof = io.eof;
  double written = io.written;

  // Scalars go into the state array the socket handed over once (setCycleState), as node's TLSWrap shares
  // its state: building a result object of a dozen named properties on every crossing cost more than the
  // rest of a small record's cycle. What is rare (CA names, sessions, a handler's exception) waits for
  // cycleExtras(), announced by a flag.
  bool extras = clientAuthPending_ || !sessionTokens_.empty() || !secrets_.empty() || hasPendingError_ ||
                (pin != nullptr && pin->hasCallbackError);
  if (extras) {
    extras_.Reset();
    Napi::Object more = Napi::Object::New(env);
    if (clientAuthPending_) {
      Napi::Array names = Napi::Array::New(env, caNames_.size());
      for (size_t i = 0; i < caNames_.size(); i++) {
        names.Set(static_cast<uint32_t>(i), Napi::Buffer<char>::Copy(env, caNames_[i].data(), caNames_[i].size()));
      }
      more.Set("caNames", names);
    }
    if (!sessionTokens_.empty()) {
      Napi::Array tokens = Napi::Array::New(env, sessionTokens_.size());
      for (size_t i = 0; i < sessionTokens_.size(); i++) {
        tokens.Set(static_cast<uint32_t>(i),
                   Napi::Buffer<char>::Copy(env, sessionTokens_[i].data(), sessionTokens_[i].size()));
      }
      more.Set("sessions", tokens);
      sessionTokens_.clear();
    }
    if (!secrets_.empty()) {
      Napi::Array list = Napi::Array::New(env, secrets_.size());
      for (size_t i = 0; i < secrets_.size(); i++) {
        Napi::Array entry = Napi::Array::New(env, 3);
        entry.Set(0u, Napi::Number::New(env, secrets_[i].epoch));
        entry.Set(1u, Napi::Boolean::New(env, secrets_[i].write));
        entry.Set(2u, Napi::Buffer<char>::Copy(env, secrets_[i].bytes.data(), secrets_[i].bytes.size()));
        list.Set(static_cast<uint32_t>(i), entry);
      }
      more.Set("secrets", list);
      secrets_.clear();
    }
    if (hasPendingError_) {
      more.Set("callbackError", pendingError_.Value());
      hasPendingError_ = false;
      pendingError_ = Napi::Error();  // a persistent reference: holding on to it would keep what it refers to
    } else if (pin != nullptr && pin->hasCallbackError) {
      more.Set("callbackError", pin->callbackError.Value());
    }
    extras_ = Napi::Persistent(more);
  }
  if (cycleState_ != nullptr) {
    cycleState_[kStateWritten] = written;
    cycleState_[kStateHandshakes] = handshakes_;
    cycleState_[kStateServerAuthCalls] = serverAuthCalls_;
    cycleState_[kStateFlags] = (authPending_ ? kFlagAuthPending : 0) | (clientAuthPending_ ? kFlagClientAuthPending : 0) |
                              (closeNotifyReceived_ ? kFlagCloseNotify : 0) | (eof ? kFlagEOF : 0) |
                              (extras ? kFlagExtras : 0);
    cycleState_[kStateError] = error;
  }
  handshakes_ = 0;
  serverAuthCalls_ = 0;
  authPending_ = false;
  clientAuthPending_ = false;
  Napi::Value ciphertext = TakeOutput(env);
  if (cleartext->empty() && ciphertext.IsNull()) return env.Null();
  Napi::Array out = Napi::Array::New(env, 2);
  Napi::Value clear = env.Null();
  if (cleartext->size() > kCopyOutputMax) clear = OwnedBuffer(env, cleartext.release());
  else if (!cleartext->empty()) clear = Napi::Buffer<char>::Copy(env, cleartext->data(), cleartext->size());
  out.Set(0u, clear);
  out.Set(1u, ciphertext);
  return out;
}

// Where pool cycles come back to their environment: one thread-safe function per environment, closed by the
// environment's teardown, after which a finished cycle is dropped on its pool thread.
struct CycleSink {
  std::mutex mutex;
  napi_threadsafe_function tsfn = nullptr;
  bool closed = false;
  size_t inFlight = 0;  // JavaScript thread only: while above 0 the event loop stays alive
};

namespace {

struct PoolCycle {
  std::shared_ptr<EngineStrand> strand;
  std::shared_ptr<CycleSink> sink;
  // The engine's JS object, the callback and the caller's Buffers, alive until the cycle is back.
  napi_ref engine = nullptr, done = nullptr, input = nullptr, writes = nullptr;
  const char* inputData = nullptr;
  size_t inputLength = 0;
  bool inputEOF = false;
  bool hasWrites = false;
  CycleWrites chunks;
  std::unique_ptr<std::string> cleartext{new std::string()};
  CycleIO io;
  bool ran = false;  // false: the socket was released before the cycle could run
};

void CloseCycleSink(void* arg) {
  auto* sink = static_cast<std::shared_ptr<CycleSink>*>(arg);
  {
    std::lock_guard<std::mutex> lock((*sink)->mutex);
    (*sink)->closed = true;
    napi_release_threadsafe_function((*sink)->tsfn, napi_tsfn_abort);
  }
  delete sink;
}

napi_ref Keep(Napi::Env env, Napi::Value value) {
  napi_ref ref = nullptr;
  if (!value.IsEmpty() && value.IsObject()) napi_create_reference(env, value, 1, &ref);
  return ref;
}

}  // namespace

std::shared_ptr<CycleSink> SSLEngine::Sink(Napi::Env env) {
  AddonData* data = AddonData::Get(env);
  if (data->cycleSink) return data->cycleSink;
  auto sink = std::make_shared<CycleSink>();
  Napi::String name = Napi::String::New(env, "node-nss pool cycle");
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                                       PoolCycleDone, &sink->tsfn);
  if (status != napi_ok) throw Napi::Error::New(env, "could not create the pool cycle's thread-safe function");
  napi_unref_threadsafe_function(env, sink->tsfn);
  // Cleanup hooks run in reverse order: this one before the context's, which releases the engines.
  napi_add_env_cleanup_hook(env, CloseCycleSink, new std::shared_ptr<CycleSink>(sink));
  data->cycleSink = sink;
  return sink;
}

// cycleAsync(input | null, eof, writes, done(error, output)) → boolean: the cycle of cycle(), run on the
// cycle pool; done gets what cycle() would return (the cycle state written just before). false: the pool
// has no threads, or this socket must cycle on the JavaScript thread (a JavaScript hook NSS calls inside
// the handshake, or pin arguments for a token login), and nothing was started.
Napi::Value SSLEngine::CycleAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Fd(env);
  if (inFlight_) throw Napi::Error::New(env, "a pool cycle of this socket is in flight");
  // The hooks that call JavaScript are the server's (a client's record the request and return). (Not
  // SSL_HANDSHAKE_AS_SERVER: SSL_ResetHandshake makes a server without setting that option.)
  // A server's auth-certificate handler runs only for a client certificate: one it asks for (the option, or
  // a post-handshake CertificateRequest sent).
  PRIntn requestsCertificate = PR_FALSE;
  if (asServer_ && hasServerAuth_) SSL_OptionGet(fd_, SSL_REQUEST_CERTIFICATE, &requestsCertificate);
  bool serverAuthJS = hasServerAuth_ && (requestsCertificate || certificateRequested_);
  bool needsJS = hasPinArgs_ || (asServer_ && (serverAuthJS || (hasSNI_ && !sniDecided_)));
  if (needsJS || CyclePoolThreads() == 0) return Napi::Boolean::New(env, false);
  std::shared_ptr<CycleSink> sink = Sink(env);
  auto job = std::make_unique<PoolCycle>();
  job->strand = strand_;
  job->sink = sink;
  if (info[0].IsBuffer()) {
    Napi::Buffer<char> buffer = info[0].As<Napi::Buffer<char>>();
    job->inputData = buffer.Data();
    job->inputLength = buffer.Length();
    job->input = Keep(env, info[0]);
  }
  job->inputEOF = info[1].ToBoolean();
  if (info[2].IsArray()) {
    job->hasWrites = true;
    Napi::Array list = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Buffer<char> chunk = list.Get(i).As<Napi::Buffer<char>>();
      job->chunks.emplace_back(chunk.Data(), chunk.Length());
    }
    job->writes = Keep(env, info[2]);
  }
  job->engine = Keep(env, info.This());
  job->done = Keep(env, info[3]);
  PoolCycle* posted = job.get();
  bool taken = PostToCyclePool([posted]() {
    {
      std::lock_guard<std::recursive_mutex> lock(posted->strand->mutex);
      SSLEngine* self = posted->strand->engine;
      if (self != nullptr && self->fd_ != nullptr) {
        tlsInPoolCycle = true;
        posted->io = RunCycle(self->fd_, &self->io_, posted->inputData, posted->inputLength, posted->inputEOF,
                              posted->hasWrites ? &posted->chunks : nullptr, posted->cleartext.get());
        self->SendTicketIfDue(posted->io);
        tlsInPoolCycle = false;
        posted->ran = true;
      }
    }
    // Its own reference: deleting the job may drop the sink's last one (the environment already gone), and
    // the mutex must outlive the lock held on it.
    std::shared_ptr<CycleSink> sink = posted->sink;
    std::lock_guard<std::mutex> lock(sink->mutex);
    // Closed: the environment is gone, and its references with it.
    if (sink->closed || napi_call_threadsafe_function(sink->tsfn, posted, napi_tsfn_nonblocking) != napi_ok) {
      delete posted;
    }
  });
  if (!taken) {
    for (napi_ref ref : {job->engine, job->done, job->input, job->writes}) {
      if (ref != nullptr) napi_delete_reference(env, ref);
    }
    return Napi::Boolean::New(env, false);
  }
  job.release();  // the pool thread's now, deleted when the cycle is back (or dropped)
  inFlight_ = true;
  if (sink->inFlight++ == 0) napi_ref_threadsafe_function(env, sink->tsfn);
  return Napi::Boolean::New(env, true);
}

// A pool cycle back on the JavaScript thread (env null: its environment is going away).
void SSLEngine::PoolCycleDone(napi_env rawEnv, napi_value, void*, void* data) {
  std::unique_ptr<PoolCycle> job(static_cast<PoolCycle*>(data));
  if (rawEnv == nullptr) return;
  Napi::Env env(rawEnv);
  Napi::HandleScope scope(env);
  CycleSink& sink = *job->sink;
  if (--sink.inFlight == 0 && !sink.closed) napi_unref_threadsafe_function(env, sink.tsfn);
  auto value = [&](napi_ref ref) -> Napi::Value {
    napi_value out = nullptr;
    if (ref == nullptr || napi_get_reference_value(env, ref, &out) != napi_ok || out == nullptr) return env.Undefined();
    return Napi::Value(env, out);
  };
  // The references go when this returns, not before: the engine's JS object must outlive FinishCycle (whose
  // allocations may collect garbage) and the callback.
  struct DropReferences {
    Napi::Env env;
    PoolCycle* job;
    ~DropReferences() {
      for (napi_ref ref : {job->engine, job->done, job->input, job->writes}) {
        if (ref != nullptr) napi_delete_reference(env, ref);
      }
    }
  } dropReferences{env, job.get()};
  Napi::Value done = value(job->done);
  Napi::Value error = env.Null();
  Napi::Value output = env.Null();
  try {
    std::lock_guard<std::recursive_mutex> lock(job->strand->mutex);
    SSLEngine* self = job->strand->engine;
    if (self == nullptr) return;  // collected meanwhile (its socket is gone too)
    self->inFlight_ = false;
    // Not run, or released since (shutdown() while the cycle ran): the reason, NSS shut down or the socket
    // closed, rather than results the socket would read from a released engine.
    if (!job->ran || self->fd_ == nullptr) self->Fd(env);
    output = self->FinishCycle(env, std::move(job->cleartext), job->io, nullptr);
  } catch (const Napi::Error& err) {
    error = err.Value();
  }
  if (!done.IsFunction()) return;
  try {
    done.As<Napi::Function>().Call({error, output});
  } catch (const Napi::Error& err) {
    err.ThrowAsJavaScriptException();  // the caller's exception, as from any callback
  }
}

// setCycleState(state: Float64Array): where cycle() writes its scalars (see Cycle).
Napi::Value SSLEngine::SetCycleState(const Napi::CallbackInfo& info) {
  Napi::Float64Array state = info[0].As<Napi::Float64Array>();
  if (state.ElementLength() < kStateLength) {
    throw Napi::RangeError::New(info.Env(), "the cycle state needs " + std::to_string(kStateLength) + " slots");
  }
  cycleStateRef_ = Napi::Persistent(state);
  cycleState_ = state.Data();
  return info.Env().Undefined();
}

// cycleExtras() → { caNames?, sessions?, callbackError? } of the last cycle that flagged extras, once.
Napi::Value SSLEngine::CycleExtras(const Napi::CallbackInfo& info) {
  if (extras_.IsEmpty()) return info.Env().Undefined();
  Napi::Value more = extras_.Value();
  extras_.Reset();
  return more;
}

// The host-name step of SSL_AuthCertificate on its own (sslauth.c: CERT_VerifyCertName against the URL,
// failing when no URL was set): 0 or SSL_ERROR_BAD_CERT_DOMAIN.
static PRErrorCode PeerNameError(PRFileDesc* fd) {
  char* url = SSL_RevealURL(fd);
  CERTCertificate* cert = SSL_PeerCertificate(fd);
  bool ok = url != nullptr && url[0] != '\0' && cert != nullptr && CERT_VerifyCertName(cert, url) == SECSuccess;
  if (url != nullptr) PORT_Free(url);
  if (cert != nullptr) CERT_DestroyCertificate(cert);
  return ok ? 0 : SSL_ERROR_BAD_CERT_DOMAIN;
}

// The peer's certificate verified by CERT_PKIXVerifyCert (certificate.h's PKIXVerify): against `anchors` only
// (node:tls's `ca`) or the database's trust, with `revocation`. The certificates the peer sent are temporary
// certificates by now, so the chain is built through them. (A client checking revocation does it off the
// JavaScript thread, with the stapled responses: Certificate's verifyPKIXAsync.)
static PRErrorCode VerifyPeerPKIX(PRFileDesc* fd, CERTCertList* anchors, bool anchorsOnly, Revocation revocation,
                                  bool isServer, void* wincx) {
  CERTCertificate* peer = SSL_PeerCertificate(fd);
  if (peer == nullptr) return SSL_ERROR_NO_CERTIFICATE;
  std::unique_ptr<CERTCertificate, void (*)(CERTCertificate*)> peerRef(peer, CERT_DestroyCertificate);
  SECCertificateUsage usage = isServer ? certificateUsageSSLClient : certificateUsageSSLServer;
  PRErrorCode error = PKIXVerify(peer, usage, PR_Now(), anchors, anchorsOnly, revocation, wincx);
  if (error != 0) return error;
  return isServer ? 0 : PeerNameError(fd);
}

// defaultAuth(checkSig, isServer, anchors | null, revocation, anchorsOnly) → 0 or the NSS error: NSS's own check
// (the chain against the database's trust, or against `anchors` only — beside the database's trust when
// anchorsOnly is false —, with revocation 0 off, 1 soft, 2 hard; then the host name on a client). Without
// anchors or revocation it is SSL_AuthCertificate itself.
Napi::Value SSLEngine::DefaultAuth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PRFileDesc* fd = Fd(env);
  SocketPinArg socketPin(env, fd, PinArgs(env));
  // isServer: this socket is the server, checking a client's certificate (client usage, no host name).
  bool isServer = info[1].ToBoolean();
  Revocation revocation = RevocationFromValue(info[3]);
  PRErrorCode error;
  if (info[2].IsArray() || revocation != Revocation::kOff) {
    CertListPtr anchors = CertListFromArray(env, info[2], "anchors");
    error = VerifyPeerPKIX(fd, anchors.get(), info[4].ToBoolean(), revocation, isServer, socketPin.pin.wincx());
  } else {
    OCSPStateReader ocspState;
    SECStatus status = SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, info[0].ToBoolean() ? PR_TRUE : PR_FALSE,
                                           isServer ? PR_TRUE : PR_FALSE);
    error = status == SECSuccess ? 0 : PR_GetError();
    if (status != SECSuccess && error == 0) error = SSL_ERROR_BAD_CERTIFICATE;
  }
  socketPin.pin.RethrowCallbackError();
  return Napi::Number::New(env, error);
}

Napi::Value SSLEngine::AuthComplete(const Napi::CallbackInfo& info) {
  PRFileDesc* fd = Fd(info.Env());
  SECStatus status = SSL_AuthCertificateComplete(fd, info[0].As<Napi::Number>().Int32Value());
  // SECFailure with PR_WOULD_BLOCK_ERROR means the handshake continues on the next cycle.
  if (status != SECSuccess && PR_GetError() != PR_WOULD_BLOCK_ERROR) ThrowLastError(info.Env(), "SSL_AuthCertificateComplete");
  return info.Env().Undefined();
}

// defaultClientAuth(nickname | null) → [cert, key] | null: NSS's own chooser over the recorded CA names.
Napi::Value SSLEngine::DefaultClientAuth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PRFileDesc* fd = Fd(env);
  std::string nickname = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  std::vector<SECItem> items;
  for (std::string& name : caNames_) {
    items.push_back({siBuffer, reinterpret_cast<unsigned char*>(&name[0]), static_cast<unsigned int>(name.size())});
  }
  CERTDistNames names = {nullptr, static_cast<int>(items.size()), items.data(), nullptr};
  CERTCertificate* cert = nullptr;
  SECKEYPrivateKey* key = nullptr;
  SECStatus status;
  {
    SocketPinArg socketPin(env, fd, PinArgs(env));
    status = NSS_GetClientAuthData(nickname.empty() ? nullptr : const_cast<char*>(nickname.c_str()), fd, &names,
                                   &cert, &key);
    socketPin.pin.RethrowCallbackError();
  }
  if (status != SECSuccess || cert == nullptr || key == nullptr) {
    if (cert) CERT_DestroyCertificate(cert);
    if (key) SECKEY_DestroyPrivateKey(key);
    return env.Null();
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, Certificate::New(env, cert));
  pair.Set(1u, PrivateKey::New(env, key));
  return pair;
}

// clientAuthComplete(cert | null, key | null)
Napi::Value SSLEngine::ClientAuthComplete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PRFileDesc* fd = Fd(env);
  SECStatus status;
  if (info[0].IsObject() && info[1].IsObject()) {
    // Both arguments are checked before either reference is taken: a TypeError must not leak the first.
    CERTCertificate* certArg = Certificate::FromValue(info[0], "cert");
    SECKEYPrivateKey* keyArg = PrivateKey::FromValue(info[1], "key");
    status = SSL_ClientCertCallbackComplete(fd, SECSuccess, SECKEY_CopyPrivateKey(keyArg), CERT_DupCertificate(certArg));
  } else {
    status = SSL_ClientCertCallbackComplete(fd, SECFailure, nullptr, nullptr);
  }
  if (status != SECSuccess && PR_GetError() != PR_WOULD_BLOCK_ERROR) {
    ThrowLastError(env, "SSL_ClientCertCallbackComplete");
  }
  return env.Undefined();
}

// shutdownSend() → ciphertext holding close_notify.
Napi::Value SSLEngine::ShutdownSend(const Napi::CallbackInfo& info) {
  PRFileDesc* fd = Fd(info.Env());
  PR_Shutdown(fd, PR_SHUTDOWN_SEND);
  return TakeOutput(info.Env());
}

// close() → ciphertext NSS wrote while closing (an alert), or null. The engine is unusable afterwards.
Napi::Value SSLEngine::Close(const Napi::CallbackInfo& info) {
  // Already released by shutdown(): it stays a socket NSS was shut down under.
  if (fd_ != nullptr) closed_ = true;
  Release();
  return TakeOutput(info.Env());
}

SECStatus SSLEngine::OnResumptionToken(PRFileDesc*, const PRUint8* token, unsigned int len, void* ctx) {
  static_cast<SSLEngine*>(ctx)->sessionTokens_.emplace_back(reinterpret_cast<const char*>(token), len);
  return SECSuccess;
}

// With a token callback NSS hands each session to us instead of caching it (experimental API: fails with
// SSL_ERROR_UNSUPPORTED_EXPERIMENTAL_API where the NSS build lacks it).
// TLS 1.3 traffic secrets as NSS installs them (SSL_SecretCallback), for key logs. The bytes come out with
// PK11_ExtractKeyValue, which a FIPS-mode token refuses: there the secret is skipped.
void SSLEngine::OnSecret(PRFileDesc*, PRUint16 epoch, SSLSecretDirection dir, PK11SymKey* secret, void* arg) {
  if (PK11_ExtractKeyValue(secret) != SECSuccess) return;
  SECItem* bytes = PK11_GetKeyData(secret);
  if (bytes == nullptr || bytes->data == nullptr) return;
  static_cast<SSLEngine*>(arg)->secrets_.push_back(
      {epoch, dir == ssl_secret_write, std::string(reinterpret_cast<const char*>(bytes->data), bytes->len)});
}

// watchSecrets(on): hand TLS 1.3 traffic secrets to cycleExtras() (CycleExtras.secrets).
Napi::Value SSLEngine::WatchSecrets(const Napi::CallbackInfo& info) {
  bool on = info[0].ToBoolean();
  ThrowIfFailed(info.Env(), SSL_SecretCallback(Fd(info.Env()), on ? OnSecret : nullptr, on ? this : nullptr),
                "SSL_SecretCallback");
  return info.Env().Undefined();
}

// NSS hands a client's sessions out only as tickets (ssl_CacheExternalToken) and, with the callback set, drops
// the others (ssl_CacheSessionID). A TLS 1.2 server that sends no ticket (NSS's own servers here, or one
// without tickets) would so never resume: measured, node-nss clients never resumed TLS 1.2 with node-nss
// servers. Such a session goes to NSS's client cache instead, under this socket's peer ID (policy, identity
// and trust included), as the sessions of a client that does not watch them. Called once the ServerHello is
// in (the server's certificate comes next); a resumed handshake has no certificate and needs no new caching.
void SSLEngine::KeepTicketlessSessionInCache(PRFileDesc* fd) {
  if (!watchingSessions_) return;
  SSLPreliminaryChannelInfo info;
  if (SSL_GetPreliminaryChannelInfo(fd, &info, sizeof(info)) != SECSuccess) return;
  if ((info.valuesSet & ssl_preinfo_version) == 0 || info.protocolVersion >= SSL_LIBRARY_VERSION_TLS_1_3) return;
  PRBool ticket = PR_FALSE;
  if (SSL_HandshakeNegotiatedExtension(fd, ssl_session_ticket_xtn, &ticket) != SECSuccess || ticket) return;
  if (SSL_SetResumptionTokenCallback(fd, nullptr, nullptr) == SECSuccess) watchingSessions_ = false;
}

Napi::Value SSLEngine::WatchSessions(const Napi::CallbackInfo& info) {
  bool on = info[0].ToBoolean();
  watchingSessions_ = on;
  ThrowIfFailed(info.Env(),
                SSL_SetResumptionTokenCallback(Fd(info.Env()), on ? OnResumptionToken : nullptr, on ? this : nullptr),
                "SSL_SetResumptionTokenCallback");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::SetSession(const Napi::CallbackInfo& info) {
  Napi::Buffer<PRUint8> token = info[0].As<Napi::Buffer<PRUint8>>();
  ThrowIfFailed(info.Env(), SSL_SetResumptionToken(Fd(info.Env()), token.Data(), token.Length()),
                "SSL_SetResumptionToken");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::ReHandshake(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), SSL_ReHandshake(Fd(info.Env()), info[0].ToBoolean() ? PR_TRUE : PR_FALSE),
                "SSL_ReHandshake");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::KeyUpdate(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), SSL_KeyUpdate(Fd(info.Env()), info[0].ToBoolean() ? PR_TRUE : PR_FALSE), "SSL_KeyUpdate");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::SendCertificateRequest(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), SSL_SendCertificateRequest(Fd(info.Env())), "SSL_SendCertificateRequest");
  certificateRequested_ = true;
  return info.Env().Undefined();
}

Napi::Value SSLEngine::InvalidateSession(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), SSL_InvalidateSession(Fd(info.Env())), "SSL_InvalidateSession");
  return info.Env().Undefined();
}

Napi::Value SSLEngine::DataPending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), SSL_DataPending(Fd(info.Env())));
}

Napi::Value SSLEngine::SecurityStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int on = 0, keySize = 0, secretKeySize = 0;
  char *cipher = nullptr, *issuer = nullptr, *subject = nullptr;
  ThrowIfFailed(env, SSL_SecurityStatus(Fd(env), &on, &cipher, &keySize, &secretKeySize, &issuer, &subject),
                "SSL_SecurityStatus");
  Napi::Object out = Napi::Object::New(env);
  out.Set("on", on);
  out.Set("cipher", cipher ? cipher : "");
  out.Set("keySize", keySize);
  out.Set("secretKeySize", secretKeySize);
  out.Set("issuer", issuer ? issuer : "");
  out.Set("subject", subject ? subject : "");
  PORT_Free(cipher);
  PORT_Free(issuer);
  PORT_Free(subject);
  return out;
}

Napi::Value SSLEngine::ChannelInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SSLChannelInfo ci;
  ThrowIfFailed(env, SSL_GetChannelInfo(Fd(env), &ci, sizeof ci), "SSL_GetChannelInfo");
  Napi::Object out = Napi::Object::New(env);
  out.Set("protocolVersion", ci.protocolVersion);
  out.Set("cipherSuite", ci.cipherSuite);
  out.Set("authKeyBits", ci.authKeyBits);
  out.Set("keaKeyBits", ci.keaKeyBits);
  out.Set("creationTime", ci.creationTime);
  out.Set("lastAccessTime", ci.lastAccessTime);
  out.Set("expirationTime", ci.expirationTime);
  out.Set("sessionID", Napi::Buffer<uint8_t>::Copy(env, ci.sessionID, ci.sessionIDLength));
  out.Set("compressionMethodName", ci.compressionMethodName ? ci.compressionMethodName : "NULL");
  out.Set("extendedMasterSecretUsed", Napi::Boolean::New(env, ci.extendedMasterSecretUsed));
  out.Set("earlyDataAccepted", Napi::Boolean::New(env, ci.earlyDataAccepted));
  out.Set("keaType", static_cast<double>(ci.keaType));
  out.Set("keaGroup", static_cast<double>(ci.keaGroup));
  out.Set("symCipher", static_cast<double>(ci.symCipher));
  out.Set("macAlgorithm", static_cast<double>(ci.macAlgorithm));
  out.Set("authType", static_cast<double>(ci.authType));
  out.Set("signatureScheme", static_cast<double>(ci.signatureScheme));
  out.Set("resumed", Napi::Boolean::New(env, ci.resumed));
  return out;
}

Napi::Value CipherSuiteInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SSLCipherSuiteInfo si;
  PRUint16 suite = static_cast<PRUint16>(info[0].As<Napi::Number>().Uint32Value());
  if (SSL_GetCipherSuiteInfo(suite, &si, sizeof si) != SECSuccess) ThrowLastError(env, "SSL_GetCipherSuiteInfo");
  Napi::Object out = Napi::Object::New(env);
  out.Set("cipherSuite", si.cipherSuite);
  out.Set("cipherSuiteName", si.cipherSuiteName);
  out.Set("authAlgorithmName", si.authAlgorithmName);
  out.Set("keaTypeName", si.keaTypeName);
  out.Set("symCipherName", si.symCipherName);
  out.Set("symKeyBits", si.symKeyBits);
  out.Set("symKeySpace", si.symKeySpace);
  out.Set("effectiveKeyBits", si.effectiveKeyBits);
  out.Set("macAlgorithmName", si.macAlgorithmName);
  out.Set("macBits", si.macBits);
  out.Set("isFIPS", Napi::Boolean::New(env, si.isFIPS));
  out.Set("nonStandard", Napi::Boolean::New(env, si.nonStandard));
  out.Set("authType", static_cast<double>(si.authType));
  out.Set("keaType", static_cast<double>(si.keaType));
  return out;
}

Napi::Value SSLEngine::PeerCertificate(const Napi::CallbackInfo& info) {
  CERTCertificate* cert = SSL_PeerCertificate(Fd(info.Env()));
  return cert ? Certificate::New(info.Env(), cert) : info.Env().Null();
}

Napi::Value SSLEngine::PeerCertificateChain(const Napi::CallbackInfo& info) {
  return Certificate::FromList(info.Env(), SSL_PeerCertificateChain(Fd(info.Env())));
}

// peerChainDER() → [ders, earliestNotAfter]: the certificates as the peer sent them, and the earliest end of
// validity among them (milliseconds since the epoch; Infinity when none is readable).
Napi::Value SSLEngine::PeerChainDER(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertList* list = SSL_PeerCertificateChain(Fd(env));
  Napi::Array ders = Napi::Array::New(env);
  double earliest = std::numeric_limits<double>::infinity();
  if (list != nullptr) {
    std::unique_ptr<CERTCertList, void (*)(CERTCertList*)> owned(list, CERT_DestroyCertList);
    uint32_t n = 0;
    for (CERTCertListNode* node = CERT_LIST_HEAD(list); !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
      const SECItem& der = node->cert->derCert;
      ders.Set(n++, Napi::Buffer<uint8_t>::Copy(env, der.data, der.len));
      PRTime notBefore, notAfter;
      if (CERT_GetCertTimes(node->cert, &notBefore, &notAfter) == SECSuccess) {
        earliest = std::min(earliest, static_cast<double>(notAfter / PR_USEC_PER_MSEC));
      }
    }
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, ders);
  out.Set(1u, Napi::Number::New(env, earliest));
  return out;
}

// checkPeerName() → 0 or SSL_ERROR_BAD_CERT_DOMAIN: the host-name step on its own.
Napi::Value SSLEngine::CheckPeerName(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), PeerNameError(Fd(info.Env())));
}

Napi::Value SSLEngine::LocalCertificate(const Napi::CallbackInfo& info) {
  CERTCertificate* cert = SSL_LocalCertificate(Fd(info.Env()));
  return cert ? Certificate::New(info.Env(), cert) : info.Env().Null();
}

Napi::Value SSLEngine::NegotiatedHost(const Napi::CallbackInfo& info) {
  SECItem* host = SSL_GetNegotiatedHostInfo(Fd(info.Env()));
  if (host == nullptr) return info.Env().Null();
  Napi::String out = Napi::String::New(info.Env(), reinterpret_cast<const char*>(host->data), host->len);
  SECITEM_FreeItem(host, PR_TRUE);
  return out;
}

Napi::Value SSLEngine::SessionID(const Napi::CallbackInfo& info) {
  SECItem* id = SSL_GetSessionID(Fd(info.Env()));
  if (id == nullptr) return Napi::Buffer<uint8_t>::New(info.Env(), 0);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(info.Env(), id->data, id->len);
  SECITEM_FreeItem(id, PR_TRUE);
  return out;
}

Napi::Value SSLEngine::ALPN(const Napi::CallbackInfo& info) {
  SSLNextProtoState state;
  unsigned char buf[256];
  unsigned int length = 0;
  if (SSL_GetNextProto(Fd(info.Env()), &state, buf, &length, sizeof buf) != SECSuccess ||
      (state != SSL_NEXT_PROTO_SELECTED && state != SSL_NEXT_PROTO_NEGOTIATED) || length == 0) {
    return info.Env().Null();
  }
  return Napi::String::New(info.Env(), reinterpret_cast<const char*>(buf), length);
}

// exportKeyingMaterial(length, label, context | null)
Napi::Value SSLEngine::ExportKeyingMaterial(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t length = info[0].As<Napi::Number>().Uint32Value();
  std::string label = info[1].As<Napi::String>().Utf8Value();
  bool hasContext = info[2].IsBuffer();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, length);
  const unsigned char* context = nullptr;
  unsigned int contextLength = 0;
  if (hasContext) {
    Napi::Buffer<uint8_t> ctx = info[2].As<Napi::Buffer<uint8_t>>();
    context = ctx.Data();
    contextLength = static_cast<unsigned int>(ctx.Length());
  }
  ThrowIfFailed(env,
                SSL_ExportKeyingMaterial(Fd(env), label.data(), static_cast<unsigned int>(label.size()),
                                         hasContext ? PR_TRUE : PR_FALSE, context, contextLength, out.Data(), length),
                "SSL_ExportKeyingMaterial");
  return out;
}

namespace {

Napi::Value ConfigServerSessionIDCache(const Napi::CallbackInfo& info) {
  RequireInit(info.Env());
  int maxEntries = info[0].As<Napi::Number>().Int32Value();
  PRUint32 timeout = info[1].As<Napi::Number>().Uint32Value();
  if (SSL_ConfigServerSessionIDCache(maxEntries, timeout, timeout, nullptr) != SECSuccess) {
    ThrowLastError(info.Env(), "SSL_ConfigServerSessionIDCache");
  }
  return info.Env().Undefined();
}

Napi::Value ClearSessionCache(const Napi::CallbackInfo& info) {
  SSL_ClearSessionCache();
  return info.Env().Undefined();
}

Napi::Value ImplementedCiphers(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env(), SSL_NumImplementedCiphers);
  for (PRUint16 i = 0; i < SSL_NumImplementedCiphers; i++) out.Set(i, SSL_ImplementedCiphers[i]);
  return out;
}

Napi::Value VersionRangeGetSupported(const Napi::CallbackInfo& info) {
  SSLVersionRange range;
  if (SSL_VersionRangeGetSupported(ssl_variant_stream, &range) != SECSuccess) {
    ThrowLastError(info.Env(), "SSL_VersionRangeGetSupported");
  }
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, range.min);
  out.Set(1u, range.max);
  return out;
}

}  // namespace

namespace {

// configureCyclePool(threads): the pool's size, process-wide (0 stops it).
Napi::Value ConfigureCyclePoolJS(const Napi::CallbackInfo& info) {
  ConfigureCyclePool(info[0].As<Napi::Number>().Uint32Value());
  return info.Env().Undefined();
}

// cyclePool() → { threads, cycles }
Napi::Value CyclePoolJS(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("threads", Napi::Number::New(info.Env(), CyclePoolThreads()));
  out.Set("cycles", Napi::Number::New(info.Env(), static_cast<double>(CyclePoolCycles())));
  return out;
}

}  // namespace

void InitSSL(Napi::Env env, Napi::Object exports) {
  SSLEngine::Init(env, exports);
  exports.Set("configureCyclePool", Napi::Function::New(env, ConfigureCyclePoolJS));
  exports.Set("cyclePool", Napi::Function::New(env, CyclePoolJS));
  exports.Set("cipherSuiteInfo", Napi::Function::New(env, CipherSuiteInfo));
  exports.Set("configServerSessionIDCache", Napi::Function::New(env, ConfigServerSessionIDCache));
  exports.Set("clearSessionCache", Napi::Function::New(env, ClearSessionCache));
  exports.Set("implementedCiphers", Napi::Function::New(env, ImplementedCiphers));
  exports.Set("versionRangeGetSupported", Napi::Function::New(env, VersionRangeGetSupported));
}

}  // namespace nss
