// PKCS#12 decoding without N-API: what importPKCS12 and importPKCS12Async run, shared with the libFuzzer
// harness fuzz/pkcs12_der.cc.
#pragma once
#include <cert.h>
#include <pk11pub.h>
#include <prerror.h>
#include <seccomon.h>

#include <string>

namespace nss {

// How a PKCS#12 run ended: the NSS error and the step it failed in.
struct PKCS12Outcome {
  PRErrorCode error = 0;
  std::string step;
  bool ok() const { return step.empty(); }
  void Fail(const char* what) {
    error = PR_GetError();
    step = what;
  }
};


// Once per process: the UCS-2 hook, and every PKCS#12 cipher so that files from older tools decode.
void PreparePKCS12();

// Decodes `data` and imports its bags into `slot`, which is logged in. `wincx` is null on a worker.
// Returns the certificates imported, or null with `outcome` saying why.
CERTCertList* DecodePKCS12(PK11SlotInfo* slot, SECItem* data, SECItem* password, void* wincx,
                           PKCS12Outcome* outcome);

}  // namespace nss
