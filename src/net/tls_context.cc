#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>

#include "adminara/obs/options.h"

namespace adminara::obs::net {
namespace {

namespace ssl = boost::asio::ssl;

int openssl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      break;
  }
  return TLS1_3_VERSION;
}

[[noreturn]] void fail(const std::string& source, const std::string& key, const std::string& what) {
  throw ConfigError("web config " + source + ": tls_server_config." + key + ": " + what);
}

// Loads one item, turning Asio's exception (OpenSSL's reason) into a ConfigError for `key`.
template <class Fn>
void load(const std::string& source, const std::string& key, const std::string& file, Fn fn) {
  try {
    fn();
  } catch (const boost::system::system_error& e) {
    fail(source, key,
         (file.empty() ? std::string("cannot be used: ") : "cannot load " + file + ": ") +
             e.code().message() + "; accepted: PEM");
  }
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsServerConfig& c,
                                               const std::string& source) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (c.prefer_server_cipher_suites) SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, openssl_version(c.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(native, openssl_version(c.max_version)) != 1) {
    fail(source, "min_version", "OpenSSL refuses the version range");
  }

  if (!c.cert_file.empty()) {
    load(source, "cert_file", c.cert_file, [&] { ctx->use_certificate_chain_file(c.cert_file); });
  } else {
    load(source, "cert", "",
         [&] { ctx->use_certificate_chain(boost::asio::buffer(c.cert.data(), c.cert.size())); });
  }
  if (!c.key_file.empty()) {
    load(source, "key_file", c.key_file,
         [&] { ctx->use_private_key_file(c.key_file, ssl::context::pem); });
  } else {
    load(source, "key", "", [&] {
      ctx->use_private_key(boost::asio::buffer(c.key.data(), c.key.size()), ssl::context::pem);
    });
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    fail(source, c.key_file.empty() ? "key" : "key_file", "does not match the certificate");
  }

  if (!c.client_ca_file.empty()) {
    load(source, "client_ca_file", c.client_ca_file, [&] {
      ctx->load_verify_file(c.client_ca_file);
      // The CA names the server sends in its CertificateRequest, so clients pick a fitting cert.
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str())) {
        SSL_CTX_set_client_CA_list(native, names);
      }
    });
  } else if (!c.client_ca.empty()) {
    load(source, "client_ca", "", [&] {
      ctx->add_certificate_authority(boost::asio::buffer(c.client_ca.data(), c.client_ca.size()));
    });
  }

  // Go's ClientAuthType in OpenSSL terms. The "any" modes ask for (or require) a certificate
  // but accept it whoever signed it.
  const auto accept_any = [](bool, ssl::verify_context&) { return true; };
  switch (c.client_auth) {
    case ClientAuth::kNoClientCert:
      ctx->set_verify_mode(ssl::verify_none);
      break;
    case ClientAuth::kRequestClientCert:
      ctx->set_verify_mode(ssl::verify_peer);
      ctx->set_verify_callback(accept_any);
      break;
    case ClientAuth::kRequireAnyClientCert:
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      ctx->set_verify_callback(accept_any);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      ctx->set_verify_mode(ssl::verify_peer);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      break;
  }

  // TLS 1.0-1.2 suites by IANA name, in OpenSSL's names; TLS 1.3 suites are not configurable
  // in Go and are ignored here as well.
  std::string suites;
  for (const std::string& name : c.cipher_suites) {
    if (name.find("_WITH_") == std::string::npos) continue;  // a TLS 1.3 suite
    const char* openssl_name = OPENSSL_cipher_name(name.c_str());
    if (std::string_view(openssl_name) == "(NONE)") fail(source, "cipher_suites", "unknown suite");
    if (!suites.empty()) suites += ':';
    suites += openssl_name;
  }
  if (!suites.empty() && SSL_CTX_set_cipher_list(native, suites.c_str()) != 1) {
    ERR_clear_error();
    fail(source, "cipher_suites", "OpenSSL supports none of the listed suites");
  }
  std::string groups;
  for (const std::string& curve : c.curve_preferences) {
    if (!groups.empty()) groups += ':';
    groups += curve == "CurveP256"   ? "P-256"
              : curve == "CurveP384" ? "P-384"
              : curve == "CurveP521" ? "P-521"
                                     : "X25519";
  }
  if (!groups.empty() && SSL_CTX_set1_groups_list(native, groups.c_str()) != 1) {
    ERR_clear_error();
    fail(source, "curve_preferences", "OpenSSL supports none of the listed curves");
  }
  return ctx;
}

}  // namespace adminara::obs::net
