// Certificates made at run time for TLS tests (OpenSSL): no key material in the repository and
// nothing that expires.
#pragma once

#include <string>

namespace adminara::obs::testing {

/// Writes a self-signed certificate for IP 127.0.0.1 (CN and subjectAltName; CA:TRUE, so it can
/// also be trusted as its own CA) and its P-256 key as PEM files. False when OpenSSL or a file
/// fails.
bool make_certificate(const std::string& cert_path, const std::string& key_path);

}  // namespace adminara::obs::testing
