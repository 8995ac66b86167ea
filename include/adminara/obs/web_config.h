// The Prometheus exporter-toolkit web configuration: the YAML file node_exporter takes with
// `--web.config.file` (TLS, client certificates, bcrypt basic auth, extra response headers), as
// documented in exporter-toolkit's docs/web-configuration.md. docs/configuration.md ("HTTP
// endpoint") lists the keys this server accepts.
//
// Ownership: WebConfig is a plain value; it holds secrets (bcrypt hashes, an inline private key),
// so it is never printed or logged, and no error message made from it contains one.
// Thread-safety: the functions are pure (load_web_config reads one file) and may be called from
// any thread. Errors: every problem throws adminara::obs::ConfigError whose what() names the file,
// the key (with line:column when known) and what is accepted, and never a secret: neither a
// password hash nor a key nor a header value is quoted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adminara::obs::net {

/// tls_server_config.client_auth_type (Go's crypto/tls ClientAuthType names).
enum class ClientAuth {
  kNoClientCert,                ///< no certificate asked for (the default)
  kRequestClientCert,           ///< asked for, not required, not verified
  kRequireAnyClientCert,        ///< required, not verified (alias RequireClientCert)
  kVerifyClientCertIfGiven,     ///< not required; verified against the client CA when sent
  kRequireAndVerifyClientCert,  ///< required and verified against the client CA (mTLS)
};

/// tls_server_config.min_version / max_version.
enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

/// tls_server_config. Paths are absolute or already joined with the configuration file's
/// directory. A `*_file` wins over the inline PEM of the same name when both are set.
struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  std::string cert;       ///< inline PEM certificate (chain)
  std::string key;        ///< inline PEM private key: a secret
  std::string client_ca;  ///< inline PEM client CA bundle
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  /// TLS 1.0-1.2 cipher suites by IANA name (as Go names them); empty: OpenSSL's defaults.
  /// TLS 1.3 suites are accepted and, as in Go, not configurable (ignored).
  std::vector<std::string> cipher_suites;
  /// Key-exchange groups: CurveP256, CurveP384, CurveP521, X25519; empty: OpenSSL's defaults.
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;
};

/// A parsed web configuration. An empty one (no TLS, no users, no headers) serves plain HTTP
/// without authentication, as an empty file does for node_exporter.
struct WebConfig {
  /// Unset: plain HTTP. Set only when a certificate and a key are configured.
  std::optional<TlsServerConfig> tls;
  /// basic_auth_users: user -> bcrypt hash ($2a$/$2b$/$2y$, cost 4-31), validated at load.
  /// Empty: no authentication.
  std::map<std::string, std::string, std::less<>> basic_auth_users;
  /// http_server_config.headers: added to every response (401 included).
  std::vector<std::pair<std::string, std::string>> headers;
  /// http_server_config.http2: accepted for compatibility; this server speaks HTTP/1.1 only
  /// (it offers no ALPN, so clients use HTTP/1.1 over TLS as well).
  bool http2 = true;
  /// Where the configuration came from (a path), for messages.
  std::string source;

  /// Whether clients must prove who they are: basic_auth_users, or TLS with
  /// RequireAndVerifyClientCert.
  bool authenticates_clients() const {
    return !basic_auth_users.empty() ||
           (tls && tls->client_auth == ClientAuth::kRequireAndVerifyClientCert);
  }
};

/// Reads and validates the file at `path` (relative paths inside it are joined with the file's
/// directory). Certificates and keys are not read here; the server reads them when it starts
/// and reports a bad one as a ConfigError too.
/// Throws ConfigError.
WebConfig load_web_config(const std::string& path);

/// Parses `yaml` as a web configuration; relative paths are joined with `base_dir` (empty: left
/// as they are). `source` names the text in messages. Throws ConfigError and nothing else.
WebConfig parse_web_config(std::string_view yaml, std::string base_dir,
                           std::string source = "web config");

/// The bcrypt cost of `hash` when it is a hash the configuration accepts ($2a$, $2b$ or $2y$,
/// cost 4-31, 60 characters of the bcrypt alphabet), else nullopt.
std::optional<int> bcrypt_cost(std::string_view hash);

}  // namespace adminara::obs::net
