// Shared setup of the libFuzzer harnesses: NSS initialized as the addon initializes it without a database,
// the default TLS profile applied as src/tls/defaults.ts applies it, and a self-signed certificate with its
// key made in-process (so the harnesses need no database or tool at fuzz time).
#pragma once
#include <cert.h>
#include <keyhi.h>
#include <prio.h>
#include <ssl.h>

#include <cstddef>
#include <cstdint>

namespace fuzz {

struct Identity {
  CERTCertificate* cert = nullptr;
  SECKEYPrivateKey* key = nullptr;
};

// NSS_InitContext with the flags context.cc uses for an in-memory NSS, then NSS_SetDomesticPolicy. Once.
void InitNSS();

// A self-signed certificate (CN=localhost, SAN DNS:localhost) and its session key: RSA-2048 or EC P-256.
Identity MakeIdentity(bool rsa);

// applyDefaultProfile (src/tls/defaults.ts): TLS 1.2-1.3, the profile's suites only, its signature
// schemes, and SSL_REQUIRE_DH_NAMED_GROUPS on sockets (not on servers).
void ApplyDefaultProfile(PRFileDesc* fd, bool server);

// Splits fuzz input into received chunks: [flags][len16 BE][bytes]...; a length past the end takes the rest.
struct Framing {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  Framing(const uint8_t* d, size_t s) : data(d), size(s) {}
  bool Next(const uint8_t** chunk, size_t* length);
};

// NSS is the system's, not instrumented: libFuzzer's coverage sees only node-nss's code. What NSS does is
// fed back through libFuzzer's extra counters instead: each distinct (kind, value) an input produces (an
// error code, an alert, a handshake state, an output size class) counts as a feature, so that an input
// taking NSS somewhere new is kept even when it runs no new line of ours.
void Feature(uint32_t kind, uint32_t value);

// log2 size class of a byte count (0 for 0).
uint32_t SizeClass(size_t n);

}  // namespace fuzz
