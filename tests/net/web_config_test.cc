// The exporter-toolkit web configuration: what it accepts, and errors that name the file, the
// key with its line and column, and what is accepted, without ever quoting a secret.
#include "adminara/obs/web_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "adminara/obs/options.h"
#include "net/tls_context.h"

namespace adminara::obs::net {
namespace {

namespace fs = std::filesystem;

// A syntactically valid bcrypt hash ("password" at cost 10, from exporter-toolkit's docs).
const std::string kHash = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";

std::string error_of(const std::string& yaml) {
  try {
    parse_web_config(yaml, "/etc/obs", "/etc/obs/web.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(WebConfig, AcceptsTheToolkitKeys) {
  const WebConfig c = parse_web_config(
      "tls_server_config:\n"
      "  cert_file: certs/server.pem\n"
      "  key_file: /abs/server.key\n"
      "  client_ca_file: ca.pem\n"
      "  client_auth_type: RequireClientCert\n"
      "  min_version: TLS13\n"
      "  max_version: TLS13\n"
      "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n"
      "  curve_preferences: [X25519, CurveP256]\n"
      "  prefer_server_cipher_suites: false\n"
      "http_server_config:\n"
      "  http2: false\n"
      "  headers:\n"
      "    X-Content-Type-Options: nosniff\n"
      "    Strict-Transport-Security: max-age=31536000\n"
      "basic_auth_users:\n"
      "  alice: " +
          kHash +
          "\n"
          "  bob: '" +
          kHash + "'\n",
      "/etc/obs");
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_EQ(c.tls->cert_file, "/etc/obs/certs/server.pem");
  EXPECT_EQ(c.tls->key_file, "/abs/server.key");
  EXPECT_EQ(c.tls->client_ca_file, "/etc/obs/ca.pem");
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kRequireAnyClientCert);
  EXPECT_EQ(c.tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(c.tls->cipher_suites.size(), 2u);
  EXPECT_EQ(c.tls->curve_preferences.size(), 2u);
  EXPECT_FALSE(c.tls->prefer_server_cipher_suites);
  EXPECT_FALSE(c.http2);
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].first, "X-Content-Type-Options");
  EXPECT_EQ(c.basic_auth_users.size(), 2u);
  EXPECT_EQ(c.basic_auth_users.at("bob"), kHash);
}

TEST(WebConfig, EmptyAndPlainConfigurations) {
  EXPECT_FALSE(parse_web_config("", "").tls.has_value());
  EXPECT_FALSE(parse_web_config("# nothing\n", "").tls.has_value());
  // Versions alone do not turn TLS on (exporter-toolkit serves plain HTTP then).
  EXPECT_FALSE(parse_web_config("tls_server_config:\n  min_version: TLS13\n", "").tls.has_value());
  // Inline PEM counts as a certificate and key.
  EXPECT_TRUE(parse_web_config("tls_server_config:\n  cert: x\n  key: y\n", "").tls.has_value());
}

TEST(WebConfig, ErrorsNameTheKeyAndWhatIsAccepted) {
  struct Case {
    std::string yaml;
    std::vector<std::string> expected;  // substrings of the message
  };
  const Case cases[] = {
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n",
       {"/etc/obs/web.yml:4:3: ", "\"tls_server_config.certfile\"", "unknown key", "cert_file"}},
      {"basic_auth_user:\n  a: b\n", {":1:1: ", "\"basic_auth_user\"", "basic_auth_users"}},
      {"tls_server_config:\n  cert_file: a\n  cert_file: b\n  key_file: c\n",
       {":3:3: ", "tls_server_config.cert_file", "duplicate key"}},
      {"basic_auth_users:\n  alice: " + kHash + "\n  alice: " + kHash + "\n",
       {":3:3: ", "duplicate key"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n",
       {":4:21: ", "client_auth_type", "\"Sometimes\"", "RequireAndVerifyClientCert"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.pem\n",
       {"client_ca_file", "client_auth_type", "RequestClientCert"}},
      {"tls_server_config:\n  cert_file: a\n", {"tls_server_config", "key or key_file"}},
      {"tls_server_config:\n  key_file: a\n", {"tls_server_config", "cert or cert_file"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
       {"min_version", "TLS10, TLS11, TLS12, TLS13"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
       "  max_version: TLS12\n",
       {"min_version", "above max_version"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_FAKE]\n",
       {"cipher_suites", "IANA"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P-256]\n",
       {"curve_preferences", "CurveP256"}},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n",
       {"client_allowed_sans", "not supported"}},
      {"tls_server_config:\n  cert_file: [a]\n", {"tls_server_config.cert_file", "string"}},
      {"http_server_config:\n  headers:\n    X-Powered-By: me\n",
       {":3:19: ", "X-Powered-By", "cannot be configured", "Content-Security-Policy"}},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       {"X-Frame-Options", "deny, sameorigin"}},
      {"http_server_config:\n  http2: maybe\n", {"http2", "true or false"}},
      {"http_server_config:\n  http3: true\n", {"http_server_config.http3", "headers, http2"}},
      {"rate_limit:\n  burst: 1\n", {"rate_limit", "not supported"}},
      {"- a\n- b\n", {"top level", "mapping"}},
      {"tls_server_config: [\n", {"/etc/obs/web.yml:", "not valid YAML"}},
      {"basic_auth_users:\n  alice: [x]\n", {"basic_auth_users.\"alice\"", "bcrypt"}},
      {"basic_auth_users:\n  alice: plain-password\n",
       {":2:10: ", "basic_auth_users.\"alice\"", "$2a$, $2b$ or $2y$", "04 to 31"}},
  };
  for (const Case& c : cases) {
    const std::string msg = error_of(c.yaml);
    EXPECT_EQ(msg.rfind("web config /etc/obs/web.yml", 0), 0u) << msg;
    for (const std::string& part : c.expected) {
      EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    }
  }
}

TEST(WebConfig, ErrorsNeverQuoteSecrets) {
  const std::string secret_hash = "$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";
  const std::string bad_hashes[] = {
      secret_hash,                                   // cost 3
      kHash.substr(0, 59),                           // too short
      "$2x$10$" + kHash.substr(7),                   // $2x$ is not accepted
      kHash.substr(0, 20) + "!" + kHash.substr(21),  // not the bcrypt alphabet
      "hunter2-plain-password"};
  for (const std::string& hash : bad_hashes) {
    const std::string msg = error_of("basic_auth_users:\n  alice: '" + hash + "'\n");
    EXPECT_NE(msg.find("basic_auth_users.\"alice\""), std::string::npos) << msg;
    EXPECT_EQ(msg.find(hash), std::string::npos) << msg;
    EXPECT_EQ(msg.find(hash.substr(7, 20)), std::string::npos) << msg;
  }
  // A good hash next to a bad key is not printed either.
  const std::string msg = error_of("basic_auth_users:\n  alice: " + kHash + "\nextra: 1\n");
  EXPECT_EQ(msg.find(kHash.substr(7)), std::string::npos) << msg;
  // Nor a header value or an inline key.
  const std::string h = error_of("http_server_config:\n  headers:\n    X-Api-Key: tok3n-value\n");
  EXPECT_EQ(h.find("tok3n"), std::string::npos) << h;
  const std::string k = error_of("tls_server_config:\n  key: PRIVATE-KEY-BYTES\n");
  EXPECT_EQ(k.find("PRIVATE-KEY-BYTES"), std::string::npos) << k;
}

TEST(WebConfig, BcryptCost) {
  EXPECT_EQ(bcrypt_cost(kHash), 10);
  EXPECT_EQ(bcrypt_cost("$2a$04$" + kHash.substr(7)), 4);
  EXPECT_EQ(bcrypt_cost("$2b$31$" + kHash.substr(7)), 31);
  EXPECT_FALSE(bcrypt_cost("$2b$32$" + kHash.substr(7)));
  EXPECT_FALSE(bcrypt_cost("$2b$1a$" + kHash.substr(7)));
  EXPECT_FALSE(bcrypt_cost(kHash + "x"));
  EXPECT_FALSE(bcrypt_cost(""));
}

TEST(WebConfig, LoadsAFileWithPathsRelativeToIt) {
  const fs::path dir = fs::temp_directory_path() / ("obs-webcfg-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "web.yml") << "tls_server_config:\n  cert_file: s.pem\n  key_file: s.key\n";
  }
  const WebConfig c = load_web_config((dir / "web.yml").string());
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_EQ(c.tls->cert_file, (dir / "s.pem").string());
  EXPECT_EQ(c.source, (dir / "web.yml").string());
  // The files do not exist: building the TLS context names the key and the file.
  try {
    make_tls_context(*c.tls, c.source);
    ADD_FAILURE() << "a missing certificate was accepted";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("tls_server_config.cert_file"), std::string::npos) << msg;
    EXPECT_NE(msg.find((dir / "s.pem").string()), std::string::npos) << msg;
  }
  fs::remove_all(dir);
  try {
    load_web_config((dir / "web.yml").string());
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("web.yml: cannot be read"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace adminara::obs::net
