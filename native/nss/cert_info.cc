#include "cert_info.h"

#include <arpa/inet.h>
#include <certdb.h>
#include <prprf.h>
#include <secder.h>

namespace nss {

std::string OidToString(const SECItem* oid) {
  char* text = CERT_GetOidString(oid);
  if (text == nullptr) return "";
  std::string out = text;
  PR_smprintf_free(text);
  if (out.rfind("OID.", 0) == 0) out.erase(0, 4);
  return out;
}

std::vector<std::string> AltNameStrings(CERTCertificate* cert) {
  std::vector<std::string> out;
  SECItem ext = {siBuffer, nullptr, 0};
  if (CERT_FindCertExtension(cert, SEC_OID_X509_SUBJECT_ALT_NAME, &ext) != SECSuccess) return out;
  PLArenaPool* arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
  CERTGeneralName* head = arena ? CERT_DecodeAltNameExtension(arena, &ext) : nullptr;
  for (CERTGeneralName* name = head; name != nullptr;) {
    const SECItem& item = name->name.other;
    std::string text(reinterpret_cast<const char*>(item.data), item.len);
    switch (name->type) {
      case certDNSName: out.push_back("DNS:" + text); break;
      case certRFC822Name: out.push_back("email:" + text); break;
      case certURI: out.push_back("URI:" + text); break;
      case certIPAddress: {
        char buf[INET6_ADDRSTRLEN] = {0};
        int family = item.len == 4 ? AF_INET : item.len == 16 ? AF_INET6 : 0;
        if (family != 0 && inet_ntop(family, item.data, buf, sizeof buf) != nullptr) {
          out.push_back(std::string("IP:") + buf);
        }
        break;
      }
      case certDirectoryName: {
        char* dn = CERT_NameToAscii(&name->name.directoryName);
        if (dn != nullptr) {
          out.push_back(std::string("DirName:") + dn);
          PORT_Free(dn);
        }
        break;
      }
      default: break;
    }
    name = CERT_GetNextGeneralName(name);
    if (name == head) break;
  }
  if (arena) PORT_FreeArena(arena, PR_FALSE);
  SECITEM_FreeItem(&ext, PR_FALSE);
  return out;
}

bool ExtKeyUsageOids(CERTCertificate* cert, std::vector<std::string>* out) {
  SECItem ext = {siBuffer, nullptr, 0};
  if (CERT_FindCertExtension(cert, SEC_OID_X509_EXT_KEY_USAGE, &ext) != SECSuccess) return false;
  CERTOidSequence* seq = CERT_DecodeOidSequence(&ext);
  if (seq != nullptr) {
    for (SECItem** oid = seq->oids; oid != nullptr && *oid != nullptr; oid++) out->push_back(OidToString(*oid));
    CERT_DestroyOidSequence(seq);
  }
  SECITEM_FreeItem(&ext, PR_FALSE);
  return true;
}

}  // namespace nss
