// PKCS#12 decoding without N-API: what importPKCS12 and importPKCS12Async run, shared with the libFuzzer
// harness fuzz/pkcs12_der.cc.
#pragma once
#include <cert.h>
#include <pk11pub.h>
#include <prerror.h>
#include <seccomon.h>

#include <string>
#include <vector>

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

// One certificate bag of a PKCS#12 file: its DER, and whether the file pairs a key bag with it (localKeyID).
struct PKCS12Certificate {
  std::string der;
  bool hasKey;
};

// Decodes `data` and checks its integrity without importing anything: the certificates it holds, and how
// many key bags (plain or shrouded, in any safe), for credentials kept in memory (the decoder's import makes
// every key a token object: permanent). The encrypted safes are decrypted in `slot`. Returns false with
// `outcome` saying why.
bool ReadPKCS12Certificates(PK11SlotInfo* slot, SECItem* data, SECItem* password, void* wincx,
                            std::vector<PKCS12Certificate>* certificates, size_t* keyBags, PKCS12Outcome* outcome);

}  // namespace nss
