#include "tests/common/test_certificate.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <string_view>

namespace adminara::obs::testing {

bool make_certificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return false;
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const char* ext : {"subjectAltName", "basicConstraints"}) {
    const char* value = std::string_view(ext) == "subjectAltName" ? "IP:127.0.0.1" : "CA:TRUE";
    X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &ctx, ext, value);
    if (e == nullptr) return false;
    X509_add_ext(cert, e, -1);
    X509_EXTENSION_free(e);
  }
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
  FILE* f = std::fopen(cert_path.c_str(), "w");
  ok = ok && f != nullptr && PEM_write_X509(f, cert) == 1;
  if (f != nullptr) std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  ok = ok && f != nullptr &&
       PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f != nullptr) std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace adminara::obs::testing
