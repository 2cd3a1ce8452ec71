#include "pkcs12.h"

#include <p12.h>
#include <p12plcy.h>
#include <secerr.h>
#include <secport.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace nss {

namespace {

// PKCS#12 passwords and friendly names are UCS-2; NSS converts through a process-wide hook that the
// application must provide. Text on our side is UTF-8. `swapBytes` means the UCS-2 side is little-endian.
PRBool ConvertUCS2(PRBool toUnicode, unsigned char* in, unsigned int inLength, unsigned char* out,
                   unsigned int maxOutLength, unsigned int* outLength, PRBool swapBytes) {
  if (toUnicode || !swapBytes) {
    return PORT_UCS2_UTF8Conversion(toUnicode, in, inLength, out, maxOutLength, outLength);
  }
  if (inLength % 2 != 0) return PR_FALSE;
  std::vector<unsigned char> bigEndian(in, in + inLength);
  for (size_t i = 0; i + 1 < bigEndian.size(); i += 2) std::swap(bigEndian[i], bigEndian[i + 1]);
  return PORT_UCS2_UTF8Conversion(PR_FALSE, bigEndian.data(), inLength, out, maxOutLength, outLength);
}

}  // namespace

void PreparePKCS12() {
  static std::once_flag once;
  std::call_once(once, [] {
    PORT_SetUCS2_ASCIIConversionFunction(ConvertUCS2);
    for (long cipher : {PKCS12_RC4_40, PKCS12_RC4_128, PKCS12_RC2_CBC_40, PKCS12_RC2_CBC_128, PKCS12_DES_56,
                        PKCS12_DES_EDE3_168, PKCS12_AES_CBC_128, PKCS12_AES_CBC_192, PKCS12_AES_CBC_256}) {
      SEC_PKCS12EnableCipher(cipher, 1);
    }
    SEC_PKCS12SetPreferredCipher(PKCS12_AES_CBC_256, 1);
  });
}

namespace {

// NSS calls this for bags without a usable nickname (e.g. a CA certificate that has no friendly name).
SECItem* PKCS12Nickname(SECItem* oldNickname, PRBool* cancel, void* arg) {
  CERTCertificate* cert = static_cast<CERTCertificate*>(arg);
  if (cancel == nullptr || cert == nullptr) return nullptr;
  char* nickname = CERT_MakeCANickname(cert);
  if (nickname == nullptr) return nullptr;
  size_t length = PORT_Strlen(nickname);
  if (oldNickname != nullptr && oldNickname->len == length &&
      PORT_Memcmp(oldNickname->data, nickname, length) == 0) {
    PORT_Free(nickname);  // the same name again would collide again
    PORT_SetError(SEC_ERROR_PKCS12_DUPLICATE_DATA);
    return nullptr;
  }
  SECItem* out = PORT_ZNew(SECItem);
  if (out == nullptr) {
    PORT_Free(nickname);
    return nullptr;
  }
  out->type = siAsciiString;
  out->data = reinterpret_cast<unsigned char*>(nickname);
  out->len = static_cast<unsigned int>(length);
  return out;
}

}  // namespace

CERTCertList* DecodePKCS12(PK11SlotInfo* slot, SECItem* data, SECItem* password, void* wincx,
                           PKCS12Outcome* outcome) {
  SEC_PKCS12DecoderContext* decoder =
      SEC_PKCS12DecoderStart(password, slot, wincx, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (decoder == nullptr) {
    outcome->Fail("starting the PKCS#12 decoder");
    return nullptr;
  }
  CERTCertList* certs = nullptr;
  if (SEC_PKCS12DecoderUpdate(decoder, data->data, data->len) != SECSuccess) {
    outcome->Fail("decoding PKCS#12 data");
  } else if (SEC_PKCS12DecoderVerify(decoder) != SECSuccess) {
    outcome->Fail("verifying PKCS#12 integrity (wrong password?)");
  } else if (SEC_PKCS12DecoderValidateBags(decoder, PKCS12Nickname) != SECSuccess) {
    outcome->Fail("validating PKCS#12 contents");
  } else if (SEC_PKCS12DecoderImportBags(decoder) != SECSuccess) {
    outcome->Fail("importing PKCS#12 contents");
  } else {
    certs = SEC_PKCS12DecoderGetCerts(decoder);
  }
  SEC_PKCS12DecoderFinish(decoder);
  return certs;
}

bool ReadPKCS12Certificates(PK11SlotInfo* slot, SECItem* data, SECItem* password, void* wincx,
                            std::vector<PKCS12Certificate>* certificates, size_t* keyBags, PKCS12Outcome* outcome) {
  SEC_PKCS12DecoderContext* decoder =
      SEC_PKCS12DecoderStart(password, slot, wincx, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (decoder == nullptr) {
    outcome->Fail("starting the PKCS#12 decoder");
    return false;
  }
  if (SEC_PKCS12DecoderUpdate(decoder, data->data, data->len) != SECSuccess) {
    outcome->Fail("decoding PKCS#12 data");
  } else if (SEC_PKCS12DecoderVerify(decoder) != SECSuccess) {
    outcome->Fail("verifying PKCS#12 integrity (wrong password?)");
  } else if (SEC_PKCS12DecoderIterateInit(decoder) != SECSuccess) {
    outcome->Fail("reading PKCS#12 contents");
  } else {
    const SEC_PKCS12DecoderItem* item = nullptr;
    while (SEC_PKCS12DecoderIterateNext(decoder, &item) == SECSuccess) {
      if (item->type == SEC_OID_PKCS12_V1_KEY_BAG_ID || item->type == SEC_OID_PKCS12_V1_PKCS8_SHROUDED_KEY_BAG_ID) {
        ++*keyBags;
        continue;
      }
      if (item->type != SEC_OID_PKCS12_V1_CERT_BAG_ID || item->der == nullptr) continue;
      certificates->push_back({std::string(reinterpret_cast<const char*>(item->der->data), item->der->len),
                               item->hasKey == PR_TRUE});
    }
    // The end of the list is a failure with no error set.
    if (PR_GetError() != 0) outcome->Fail("reading PKCS#12 contents");
  }
  SEC_PKCS12DecoderFinish(decoder);
  return outcome->ok();
}

}  // namespace nss
