// What Certificate.info() reads out of a certificate, without N-API: shared with the libFuzzer harness
// fuzz/pkcs12_der.cc, so that the decoding fuzzed is the addon's.
#pragma once
#include <cert.h>

#include <string>
#include <vector>

namespace nss {

// Dotted form of an OID ("2.5.29.17").
std::string OidToString(const SECItem* oid);

// The subjectAltName entries as "DNS:…", "email:…", "URI:…", "IP:…", "DirName:…" (other types skipped).
std::vector<std::string> AltNameStrings(CERTCertificate* cert);

// The extendedKeyUsage OIDs; false when the certificate has no such extension.
bool ExtKeyUsageOids(CERTCertificate* cert, std::vector<std::string>* out);

}  // namespace nss
