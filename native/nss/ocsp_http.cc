#include "ocsp_http.h"

#include <ocsp.h>
#include <ocspt.h>
#include <prerror.h>
#include <prio.h>
#include <prnetdb.h>
#include <secerr.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nss {

namespace {

// Measured on NSS 3.87: without a registered client, NSS's own fetchers ignore CERT_SetOCSPTimeout — the
// classic one waits 30 s (ocsp.c, ocsp_ConnectToHost and ocsp_GetEncodedResponse hard-code it), libpkix 60 s
// (PKIX_DEFAULT_COMM_TIMEOUT_SECONDS) — so a responder that accepts and never answers held a verification
// for a minute. This client takes the shorter of NSS's timeout and node-nss's.
std::atomic<PRUint32> fetchTimeoutSeconds{10};

// A response larger than this is no OCSP response (NSS itself stops at 64 KiB, MAX_WANTED_OCSP_RESPONSE_LEN).
constexpr size_t kMaxResponse = 1 << 20;

struct Session {
  std::string host;
  PRUint16 port;
};

struct Request {
  Session* session;
  std::string path;
  std::string method;
  PRIntervalTime timeout;
  std::string body;
  std::string contentType;
  std::string headers;  // extra request headers, "Name: value\r\n" each
  // The response, valid until FreeRequest.
  std::string responseContentType;
  std::string responseHeaders;
  std::string responseData;
};

SECStatus Fail(PRErrorCode error) {
  PORT_SetError(error);
  return SECFailure;
}

SECStatus CreateSession(const char* host, PRUint16 port, SEC_HTTP_SERVER_SESSION* out) {
  if (host == nullptr || out == nullptr) return Fail(SEC_ERROR_INVALID_ARGS);
  *out = new Session{host, port};
  return SECSuccess;
}

SECStatus KeepAliveSession(SEC_HTTP_SERVER_SESSION, PRPollDesc** pollDesc) {
  if (pollDesc != nullptr) *pollDesc = nullptr;
  return SECSuccess;
}

SECStatus FreeSession(SEC_HTTP_SERVER_SESSION session) {
  delete static_cast<Session*>(session);
  return SECSuccess;
}

SECStatus CreateRequest(SEC_HTTP_SERVER_SESSION session, const char* protocol, const char* path, const char* method,
                        const PRIntervalTime timeout, SEC_HTTP_REQUEST_SESSION* out) {
  if (session == nullptr || path == nullptr || method == nullptr || out == nullptr) return Fail(SEC_ERROR_INVALID_ARGS);
  // The path comes from a certificate's AIA URL or the default responder: no byte of it may end the request
  // line early (ocsp_ParseURL stops only at spaces, tabs and NUL).
  for (const char* c = path; *c != '\0'; c++) {
    if (static_cast<unsigned char>(*c) < 0x21 || static_cast<unsigned char>(*c) == 0x7f) {
      return Fail(SEC_ERROR_BAD_HTTP_RESPONSE);
    }
  }
  // OCSP over plain HTTP only (RFC 6960 A.1; a TLS fetch inside a verification would need a verification).
  if (protocol == nullptr || std::strcmp(protocol, "http") != 0) return Fail(SEC_ERROR_BAD_HTTP_RESPONSE);
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "POST") != 0) return Fail(SEC_ERROR_INVALID_ARGS);
  PRIntervalTime ours = PR_SecondsToInterval(fetchTimeoutSeconds.load());
  PRIntervalTime effective = timeout == PR_INTERVAL_NO_TIMEOUT || timeout == PR_INTERVAL_NO_WAIT ? ours
                                                                                                : std::min(timeout, ours);
  *out = new Request{static_cast<Session*>(session), path, method, effective, "", "", "", "", "", ""};
  return SECSuccess;
}

SECStatus SetPostData(SEC_HTTP_REQUEST_SESSION request, const char* data, const PRUint32 length,
                      const char* contentType) {
  Request* r = static_cast<Request*>(request);
  if (r == nullptr || (data == nullptr && length != 0)) return Fail(SEC_ERROR_INVALID_ARGS);
  r->body.assign(data != nullptr ? data : "", length);
  r->contentType = contentType != nullptr ? contentType : "application/ocsp-request";
  return SECSuccess;
}

SECStatus AddHeader(SEC_HTTP_REQUEST_SESSION request, const char* name, const char* value) {
  Request* r = static_cast<Request*>(request);
  if (r == nullptr || name == nullptr || value == nullptr) return Fail(SEC_ERROR_INVALID_ARGS);
  // No header may carry a line break into the request.
  if (std::strpbrk(name, "\r\n:") != nullptr || std::strpbrk(value, "\r\n") != nullptr) return Fail(SEC_ERROR_INVALID_ARGS);
  r->headers += std::string(name) + ": " + value + "\r\n";
  return SECSuccess;
}

// What is left of the request's time, or 0 when it is up.
PRIntervalTime Remaining(PRIntervalTime start, PRIntervalTime timeout) {
  PRIntervalTime spent = static_cast<PRIntervalTime>(PR_IntervalNow() - start);
  return spent >= timeout ? 0 : timeout - spent;
}

// A connected socket to the session's host (each of its addresses in turn), or null with the NSPR error set.
PRFileDesc* Connect(const Session& session, PRIntervalTime start, PRIntervalTime timeout) {
  PRNetAddr addr;
  char buffer[PR_NETDB_BUF_SIZE];
  PRHostEnt hostEntry;
  bool literal = PR_StringToNetAddr(session.host.c_str(), &addr) == PR_SUCCESS;
  if (literal) {
    PR_NetAddrInetPort(&addr) = PR_htons(session.port);
  } else if (PR_GetHostByName(session.host.c_str(), buffer, sizeof(buffer), &hostEntry) != PR_SUCCESS) {
    return nullptr;
  }
  PRIntn index = 0;
  for (bool first = true;; first = false) {
    if (literal && !first) return nullptr;  // its error stands
    if (!literal) {
      index = PR_EnumerateHostEnt(index, &hostEntry, session.port, &addr);
      if (index <= 0) {
        if (first) PORT_SetError(PR_DIRECTORY_LOOKUP_ERROR);
        return nullptr;
      }
    }
    PRIntervalTime left = Remaining(start, timeout);
    if (left == 0) {
      PORT_SetError(PR_IO_TIMEOUT_ERROR);
      return nullptr;
    }
    PRFileDesc* sock = PR_OpenTCPSocket(addr.raw.family);
    if (sock == nullptr) return nullptr;
    if (PR_Connect(sock, &addr, left) == PR_SUCCESS) return sock;
    PRErrorCode error = PR_GetError();
    PR_Close(sock);
    PORT_SetError(error);
  }
}

// The value of a response header (matched without regard to case), trimmed, or empty.
std::string HeaderValue(const std::string& headers, const char* name) {
  size_t nameLength = std::strlen(name);
  for (size_t pos = 0; pos < headers.size();) {
    size_t end = headers.find("\r\n", pos);
    if (end == std::string::npos) end = headers.size();
    if (end - pos > nameLength && headers[pos + nameLength] == ':' &&
        strncasecmp(headers.c_str() + pos, name, nameLength) == 0) {
      size_t first = headers.find_first_not_of(" \t", pos + nameLength + 1);
      size_t last = headers.find_last_not_of(" \t", end - 1);
      return first == std::string::npos || first >= end ? "" : headers.substr(first, last - first + 1);
    }
    pos = end + 2;
  }
  return "";
}

SECStatus TrySendAndReceive(SEC_HTTP_REQUEST_SESSION request, PRPollDesc** pollDesc, PRUint16* status,
                            const char** contentType, const char** headers, const char** data, PRUint32* length) {
  Request* r = static_cast<Request*>(request);
  if (r == nullptr) return Fail(SEC_ERROR_INVALID_ARGS);
  // On input, the most the caller takes (0: no limit); on output, the body's length (0 on failure, ocspt.h).
  PRUint32 wanted = length != nullptr ? *length : 0;
  if (length != nullptr) *length = 0;
  if (pollDesc != nullptr) *pollDesc = nullptr;  // always blocking: this runs on a worker thread
  PRIntervalTime start = PR_IntervalNow();
  PRFileDesc* sock = Connect(*r->session, start, r->timeout);
  if (sock == nullptr) return SECFailure;
  // HTTP/1.0: the responder closes the connection after its answer and sends no chunked body.
  std::string out = r->method + " " + r->path + " HTTP/1.0\r\nHost: " + r->session->host + ":" +
                    std::to_string(r->session->port) + "\r\n" + r->headers;
  if (r->method == "POST") {
    out += "Content-Type: " + r->contentType + "\r\nContent-Length: " + std::to_string(r->body.size()) + "\r\n";
  }
  out += "\r\n" + r->body;
  SECStatus result = SECFailure;
  std::string in;
  for (size_t sent = 0; sent < out.size();) {
    PRIntervalTime left = Remaining(start, r->timeout);
    PRInt32 n = left == 0 ? -1 : PR_Send(sock, out.data() + sent, static_cast<PRInt32>(out.size() - sent), 0, left);
    if (n <= 0) {
      if (left == 0) PORT_SetError(PR_IO_TIMEOUT_ERROR);
      goto done;
    }
    sent += static_cast<size_t>(n);
  }
  {
    size_t limit = wanted != 0 ? std::min<size_t>(wanted, kMaxResponse) : kMaxResponse;
    char chunk[4096];
    for (;;) {
      PRIntervalTime left = Remaining(start, r->timeout);
      if (left == 0) {
        PORT_SetError(PR_IO_TIMEOUT_ERROR);
        goto done;
      }
      PRInt32 n = PR_Recv(sock, chunk, sizeof(chunk), 0, left);
      if (n < 0) goto done;
      if (n == 0) break;
      in.append(chunk, static_cast<size_t>(n));
      // A responder that keeps the connection open after a complete answer (HTTP/1.0 notwithstanding) is
      // done when Content-Length says so.
      size_t headerEnd = in.find("\r\n\r\n");
      if (headerEnd != std::string::npos) {
        std::string declared = HeaderValue(in.substr(0, headerEnd + 2), "content-length");
        char* end = nullptr;
        unsigned long long bodyLength = declared.empty() ? 0 : std::strtoull(declared.c_str(), &end, 10);
        if (!declared.empty() && end != nullptr && *end == '\0' && bodyLength <= limit &&
            in.size() - headerEnd - 4 >= bodyLength) {
          in.resize(headerEnd + 4 + bodyLength);
          break;
        }
      }
      if (in.size() > limit + 16384) {
        PORT_SetError(SEC_ERROR_BAD_HTTP_RESPONSE);
        goto done;
      }
    }
  }
  {
    size_t headerEnd = in.find("\r\n\r\n");
    size_t firstLineEnd = in.find("\r\n");
    // "HTTP/1.x NNN ...": three digits after the version.
    if (headerEnd == std::string::npos || in.compare(0, 5, "HTTP/") != 0) {
      PORT_SetError(SEC_ERROR_BAD_HTTP_RESPONSE);
      goto done;
    }
    size_t space = in.find(' ');
    if (space == std::string::npos || space + 4 > firstLineEnd || !std::isdigit(static_cast<unsigned char>(in[space + 1])) ||
        !std::isdigit(static_cast<unsigned char>(in[space + 2])) || !std::isdigit(static_cast<unsigned char>(in[space + 3]))) {
      PORT_SetError(SEC_ERROR_BAD_HTTP_RESPONSE);
      goto done;
    }
    int code = (in[space + 1] - '0') * 100 + (in[space + 2] - '0') * 10 + (in[space + 3] - '0');
    // The header lines between the status line and the blank line (none when they are the same line end).
    r->responseHeaders = headerEnd > firstLineEnd ? in.substr(firstLineEnd + 2, headerEnd - firstLineEnd - 2) : "";
    r->responseData = in.substr(headerEnd + 4);
    r->responseContentType = HeaderValue(r->responseHeaders + "\r\n", "content-type");
    if (wanted != 0 && r->responseData.size() > wanted) {
      PORT_SetError(SEC_ERROR_BAD_HTTP_RESPONSE);
      goto done;
    }
    if (status != nullptr) *status = static_cast<PRUint16>(code);
    if (contentType != nullptr) *contentType = r->responseContentType.c_str();
    if (headers != nullptr) *headers = r->responseHeaders.c_str();
    if (data != nullptr) *data = r->responseData.data();
    if (length != nullptr) *length = static_cast<PRUint32>(r->responseData.size());
    result = SECSuccess;
  }
done:
  PRErrorCode error = result == SECSuccess ? 0 : PR_GetError();
  PR_Close(sock);
  if (error != 0) PORT_SetError(error);
  return result;
}

SECStatus Cancel(SEC_HTTP_REQUEST_SESSION) { return SECSuccess; }

SECStatus FreeRequest(SEC_HTTP_REQUEST_SESSION request) {
  delete static_cast<Request*>(request);
  return SECSuccess;
}

const SEC_HttpClientFcn kClient = {
    1,
    {{CreateSession, KeepAliveSession, FreeSession, CreateRequest, SetPostData, AddHeader, TrySendAndReceive, Cancel,
      FreeRequest}},
};

}  // namespace

void RegisterOCSPHttpClient() { SEC_RegisterDefaultHttpClient(&kClient); }

void SetOCSPFetchTimeout(PRUint32 seconds) { fetchTimeoutSeconds = seconds; }

}  // namespace nss
