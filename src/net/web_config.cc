#include "adminara/obs/web_config.h"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <sstream>

#include "adminara/obs/options.h"

namespace adminara::obs::net {
namespace {

// Messages name keys and, for enumerations, the offending value, but never a secret. A value is
// quoted only through quote_word(), which is used for enumeration-like values alone.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view key, std::string_view problem) {
    std::string msg = "web config " + source_;
    if (!mark.is_null()) {
      msg += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
    }
    msg += ": ";
    if (!key.empty()) {
      msg.append(key);
      msg += ": ";
    }
    msg.append(problem);
    throw ConfigError(msg);
  }

  // The map's entries, keys checked against `allowed` (unknown and duplicate keys are errors, as
  // exporter-toolkit's yaml.UnmarshalStrict makes them). A null node is an empty map.
  std::vector<std::pair<std::string, YAML::Node>> entries(
      const YAML::Node& map, std::string_view path, std::span<const std::string_view> allowed) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (!map.IsDefined() || map.IsNull()) return out;
    if (!map.IsMap()) fail(map.Mark(), path.empty() ? "top level" : path, "must be a mapping");
    std::set<std::string, std::less<>> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      if (!key_node.IsScalar()) fail(key_node.Mark(), path, "keys must be plain words");
      const std::string key = key_node.Scalar();
      const std::string full = path.empty() ? key : std::string(path) + '.' + key;
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string accepted = "unknown key; accepted: ";
        for (std::size_t i = 0; i < allowed.size(); ++i) {
          if (i > 0) accepted += ", ";
          accepted.append(allowed[i]);
        }
        fail(key_node.Mark(), quote_key(full), accepted);
      }
      if (!seen.insert(key).second) fail(key_node.Mark(), quote_key(full), "duplicate key");
      out.emplace_back(key, it->second);
    }
    return out;
  }

  std::string string(const YAML::Node& node, std::string_view key) {
    if (node.IsNull()) return {};
    if (!node.IsScalar()) fail(node.Mark(), key, "must be a string");
    return node.Scalar();
  }

  bool boolean(const YAML::Node& node, std::string_view key) {
    if (node.IsScalar()) {
      // YAML 1.1 booleans as Go's yaml.v2 reads them (yaml-cpp's as<bool> agrees).
      bool value = false;
      if (YAML::convert<bool>::decode(node, value)) return value;
    }
    fail(node.Mark(), key, "must be true or false");
  }

  std::vector<std::string> string_list(const YAML::Node& node, std::string_view key) {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (!node.IsSequence()) fail(node.Mark(), key, "must be a list of strings");
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) fail(item.Mark(), key, "must be a list of strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

  // A key as given by the user, cut and with control characters escaped: it may be a typo of
  // anything, but it is a key, not a value.
  static std::string quote_key(std::string_view key) { return quote_word(key); }

  static std::string quote_word(std::string_view word) {
    constexpr std::size_t kMax = 64;
    std::string out = "\"";
    for (std::size_t i = 0; i < word.size() && i < kMax; ++i) {
      const unsigned char c = static_cast<unsigned char>(word[i]);
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    if (word.size() > kMax) out += "...";
    out += '"';
    return out;
  }

 private:
  std::string source_;
};

constexpr std::array<std::string_view, 4> kTopKeys = {"tls_server_config", "http_server_config",
                                                      "basic_auth_users", "rate_limit"};
constexpr std::array<std::string_view, 13> kTlsKeys = {"cert_file",
                                                       "key_file",
                                                       "client_ca_file",
                                                       "cert",
                                                       "key",
                                                       "client_ca",
                                                       "client_auth_type",
                                                       "min_version",
                                                       "max_version",
                                                       "cipher_suites",
                                                       "curve_preferences",
                                                       "prefer_server_cipher_suites",
                                                       "client_allowed_sans"};
constexpr std::array<std::string_view, 2> kHttpKeys = {"headers", "http2"};

struct NamedClientAuth {
  std::string_view name;
  ClientAuth value;
};
constexpr NamedClientAuth kClientAuths[] = {
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},  // exporter-toolkit's alias
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
};

struct NamedVersion {
  std::string_view name;
  TlsVersion value;
};
constexpr NamedVersion kVersions[] = {{"TLS10", TlsVersion::kTls10},
                                      {"TLS11", TlsVersion::kTls11},
                                      {"TLS12", TlsVersion::kTls12},
                                      {"TLS13", TlsVersion::kTls13}};

constexpr std::string_view kCurves[] = {"CurveP256", "CurveP384", "CurveP521", "X25519"};

// exporter-toolkit's extraHTTPHeaders: the configurable headers and, where the value is an
// enumeration, its accepted values (names and values compared exactly, as the toolkit does).
struct AllowedHeader {
  std::string_view name;
  std::array<std::string_view, 2> values;  // empty strings: any value
};
constexpr AllowedHeader kHeaders[] = {
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff", {}}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
};

std::string join_dir(const std::string& dir, const std::string& path) {
  if (path.empty() || dir.empty() || path.front() == '/') return path;
  return (std::filesystem::path(dir) / path).lexically_normal().string();
}

void parse_tls(Reader& r, const YAML::Node& node, const std::string& base_dir, WebConfig& out) {
  TlsServerConfig tls;
  bool client_auth_set = false;
  YAML::Mark ca_mark;
  for (const auto& [key, value] : r.entries(node, "tls_server_config", kTlsKeys)) {
    const std::string path = "tls_server_config." + key;
    if (key == "cert_file") {
      tls.cert_file = join_dir(base_dir, r.string(value, path));
    } else if (key == "key_file") {
      tls.key_file = join_dir(base_dir, r.string(value, path));
    } else if (key == "client_ca_file") {
      tls.client_ca_file = join_dir(base_dir, r.string(value, path));
      ca_mark = value.Mark();
    } else if (key == "cert") {
      tls.cert = r.string(value, path);
    } else if (key == "key") {
      tls.key = r.string(value, path);
    } else if (key == "client_ca") {
      tls.client_ca = r.string(value, path);
      ca_mark = value.Mark();
    } else if (key == "client_auth_type") {
      const std::string name = r.string(value, path);
      client_auth_set = !name.empty();
      if (name.empty()) {
        tls.client_auth = ClientAuth::kNoClientCert;
      } else {
        const auto* found = std::find_if(std::begin(kClientAuths), std::end(kClientAuths),
                                         [&](const auto& c) { return c.name == name; });
        if (found == std::end(kClientAuths)) {
          r.fail(value.Mark(), path,
                 Reader::quote_word(name) +
                     " is not accepted; accepted: NoClientCert, RequestClientCert, "
                     "RequireAnyClientCert (or RequireClientCert), VerifyClientCertIfGiven, "
                     "RequireAndVerifyClientCert");
        }
        tls.client_auth = found->value;
      }
    } else if (key == "min_version" || key == "max_version") {
      const std::string name = r.string(value, path);
      const auto* found = std::find_if(std::begin(kVersions), std::end(kVersions),
                                       [&](const auto& v) { return v.name == name; });
      if (found == std::end(kVersions)) {
        r.fail(value.Mark(), path,
               Reader::quote_word(name) + " is not accepted; accepted: TLS10, TLS11, TLS12, TLS13");
      }
      (key == "min_version" ? tls.min_version : tls.max_version) = found->value;
    } else if (key == "cipher_suites") {
      tls.cipher_suites = r.string_list(value, path);
      for (const std::string& suite : tls.cipher_suites) {
        // IANA names (Go's) map to OpenSSL's own names (pitfall: they differ).
        if (std::string_view(OPENSSL_cipher_name(suite.c_str())) == "(NONE)") {
          r.fail(value.Mark(), path,
                 Reader::quote_word(suite) +
                     " is not accepted; accepted: IANA cipher suite names such as "
                     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        }
      }
    } else if (key == "curve_preferences") {
      tls.curve_preferences = r.string_list(value, path);
      for (const std::string& curve : tls.curve_preferences) {
        if (std::find(std::begin(kCurves), std::end(kCurves), curve) == std::end(kCurves)) {
          r.fail(value.Mark(), path,
                 Reader::quote_word(curve) +
                     " is not accepted; accepted: CurveP256, CurveP384, CurveP521, X25519");
        }
      }
    } else if (key == "prefer_server_cipher_suites") {
      tls.prefer_server_cipher_suites = r.boolean(value, path);
    } else if (key == "client_allowed_sans") {
      r.fail(value.Mark(), path,
             "is not supported by this server; accepted keys: cert_file, key_file, "
             "client_ca_file, cert, key, client_ca, client_auth_type, min_version, "
             "max_version, cipher_suites, curve_preferences, prefer_server_cipher_suites");
    }
  }
  // As exporter-toolkit (TLSConfig.IsEnabled): TLS is on when a certificate, key, client CA or
  // client_auth_type is set, and then needs both a certificate and a key; versions or suites
  // alone leave plain HTTP. A client CA needs a client_auth_type that asks for certificates.
  const bool has_cert = !tls.cert_file.empty() || !tls.cert.empty();
  const bool has_key = !tls.key_file.empty() || !tls.key.empty();
  const bool has_ca = !tls.client_ca_file.empty() || !tls.client_ca.empty();
  if (!has_cert && !has_key && !has_ca && !client_auth_set) return;
  if (!has_cert) r.fail(node.Mark(), "tls_server_config", "missing one of cert or cert_file");
  if (!has_key) r.fail(node.Mark(), "tls_server_config", "missing one of key or key_file");
  if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
    r.fail(ca_mark,
           tls.client_ca_file.empty() ? "tls_server_config.client_ca"
                                      : "tls_server_config.client_ca_file",
           "a client CA needs tls_server_config.client_auth_type; accepted: RequestClientCert, "
           "RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert");
  }
  if (tls.min_version > tls.max_version) {
    r.fail(node.Mark(), "tls_server_config.min_version", "is above max_version");
  }
  out.tls = std::move(tls);
}

void parse_http(Reader& r, const YAML::Node& node, WebConfig& out) {
  for (const auto& [key, value] : r.entries(node, "http_server_config", kHttpKeys)) {
    if (key == "http2") {
      out.http2 = r.boolean(value, "http_server_config.http2");
      continue;
    }
    // headers
    for (const auto& entry : r.entries(value, "http_server_config.headers", {})) {
      const std::string& name = entry.first;  // a plain reference: lambdas below capture it
      const YAML::Node& header_value = entry.second;
      const std::string path = "http_server_config.headers." + name;
      const auto* allowed = std::find_if(std::begin(kHeaders), std::end(kHeaders),
                                         [&](const auto& h) { return h.name == name; });
      if (allowed == std::end(kHeaders)) {
        r.fail(header_value.Mark(), Reader::quote_key(path),
               "this header cannot be configured; accepted: Strict-Transport-Security, "
               "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
               "Content-Security-Policy");
      }
      const std::string v = r.string(header_value, path);
      if (!allowed->values[0].empty() &&
          std::find(allowed->values.begin(), allowed->values.end(), v) == allowed->values.end()) {
        std::string accepted = "value not accepted; accepted: ";
        accepted.append(allowed->values[0]);
        if (!allowed->values[1].empty()) {
          accepted += ", ";
          accepted.append(allowed->values[1]);
        }
        r.fail(header_value.Mark(), path, accepted);
      }
      if (v.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        r.fail(header_value.Mark(), path, "value contains a line break or NUL");
      }
      out.headers.emplace_back(name, v);
    }
  }
}

void parse_users(Reader& r, const YAML::Node& node, WebConfig& out) {
  for (const auto& [user, hash_node] : r.entries(node, "basic_auth_users", {})) {
    const std::string path = "basic_auth_users." + Reader::quote_key(user);
    if (!hash_node.IsScalar()) r.fail(hash_node.Mark(), path, "must be a bcrypt hash string");
    std::string hash = hash_node.Scalar();
    if (!bcrypt_cost(hash)) {
      r.fail(hash_node.Mark(), path,
             "is not a bcrypt hash; accepted: 60 characters starting $2a$, $2b$ or $2y$ with a "
             "cost from 04 to 31 (htpasswd -nbB, or Python bcrypt.hashpw)");
    }
    if (user.find(':') != std::string::npos) {
      r.fail(hash_node.Mark(), path, "a user name cannot contain ':' (basic auth splits there)");
    }
    out.basic_auth_users.emplace(user, std::move(hash));
  }
}

}  // namespace

std::optional<int> bcrypt_cost(std::string_view hash) {
  if (hash.size() != 60) return std::nullopt;
  if (hash.substr(0, 3) != "$2a" && hash.substr(0, 3) != "$2b" && hash.substr(0, 3) != "$2y") {
    return std::nullopt;
  }
  if (hash[3] != '$' || hash[6] != '$') return std::nullopt;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return std::nullopt;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return std::nullopt;
  for (char c : hash.substr(7)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '/';
    if (!ok) return std::nullopt;
  }
  return cost;
}

WebConfig parse_web_config(std::string_view yaml, std::string base_dir, std::string source) {
  Reader r(source);
  WebConfig out;
  out.source = source;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // yaml-cpp's parser messages describe the syntax ("illegal map value"), not the content.
    r.fail(e.mark, "", "not valid YAML: " + e.msg);
  }
  try {
    for (const auto& [key, value] : r.entries(root, "", kTopKeys)) {
      if (key == "tls_server_config") {
        parse_tls(r, value, base_dir, out);
      } else if (key == "http_server_config") {
        parse_http(r, value, out);
      } else if (key == "basic_auth_users") {
        parse_users(r, value, out);
      } else if (key == "rate_limit") {
        r.fail(value.Mark(), "rate_limit",
               "is not supported by this server (limit connections and requests with the "
               "server's options instead); accepted keys: tls_server_config, http_server_config, "
               "basic_auth_users");
      }
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    r.fail(e.mark, "", "cannot be read: " + e.msg);
  } catch (const std::exception& e) {
    r.fail(YAML::Mark::null_mark(), "", std::string("cannot be read: ") + e.what());
  }
  return out;
}

WebConfig load_web_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("web config " + path + ": cannot be read: " + std::strerror(errno) +
                      "; accepted: a readable YAML file in exporter-toolkit's format");
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_web_config(text.str(), dir.empty() ? "." : dir, path);
}

}  // namespace adminara::obs::net
