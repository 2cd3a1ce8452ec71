// The HTTP client NSS fetches OCSP responses through (SEC_RegisterDefaultHttpClient): blocking NSPR sockets with
// one deadline per request, so that setOCSPTimeout bounds every fetch.
#pragma once
#include <prtypes.h>

namespace nss {

// Registers the client with NSS (after each NSS_InitContext that started NSS).
void RegisterOCSPHttpClient();
// The longest one OCSP fetch may take, connection, request and response together (default 10 s).
void SetOCSPFetchTimeout(PRUint32 seconds);

}  // namespace nss
