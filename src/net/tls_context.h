// The OpenSSL server context for a web configuration's tls_server_config. Private to net/: it
// pulls in Boost.Asio's SSL headers.
//
// Ownership: the returned context is shared by every connection of one server. It is built once
// (certificate, key and client CAs are read when the server is constructed, not per handshake
// as exporter-toolkit does: replacing a certificate needs a restart). Thread-safety: building is
// a pure function; a built context is only read by connections. Errors: a file that cannot be
// read, a key that does not match the certificate, a version or suite OpenSSL refuses: a
// ConfigError naming the key and the file (never the key's contents).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "adminara/obs/web_config.h"

namespace adminara::obs::net {

/// Builds a TLS server context: versions exactly min_version..max_version (set explicitly:
/// `tls_server` alone allows TLS 1.0), client verification per client_auth_type, no
/// compression, no renegotiation. `source` names the configuration in messages.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsServerConfig& config,
                                                            const std::string& source);

}  // namespace adminara::obs::net
