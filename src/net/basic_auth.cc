#include "net/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "adminara/obs/web_config.h"

namespace adminara::obs::net {
namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Standard base64 with padding (RFC 4648 section 4), strictly: the length is a multiple of 4 and
// '=' appears only as the final one or two characters. Decoded with OpenSSL's EVP_DecodeBlock.
std::optional<std::string> decode_base64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
  for (std::size_t i = 0; i < in.size() - pad; ++i) {
    if (!is_base64_char(in[i])) return std::nullopt;
  }
  std::string out(in.size() / 4 * 3, '\0');
  if (in.empty()) return out;
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
           };
           return lower(x) == lower(y);
         });
}

// crypt_rn with a private crypt_data (about 32 KiB: on the heap, zeroed as crypt_rn wants), so
// concurrent callers never share one. Returns the computed hash, or "" when the setting is
// rejected or the password contains NUL (a C string would silently cut it there).
std::string bcrypt_hash(std::string_view password, const std::string& setting) {
  if (password.find('\0') != std::string_view::npos) return {};
  auto data = std::make_unique<crypt_data>();  // value-initialized: all zero
  const std::string phrase(password);
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  std::string result = out != nullptr && out[0] != '*' ? std::string(out) : std::string();
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));  // it held the passphrase
  return result;
}

}  // namespace

std::optional<BasicCredentials> parse_basic_authorization(std::string_view value) {
  constexpr std::string_view kScheme = "Basic ";
  if (value.size() < kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::optional<std::string> decoded = decode_base64(value.substr(kScheme.size()));
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  BasicCredentials creds{decoded->substr(0, colon), decoded->substr(colon + 1)};
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return creds;
}

BasicAuthenticator::BasicAuthenticator(const std::map<std::string, std::string, std::less<>>& users,
                                       std::size_t cache_entries)
    : users_(users), cache_entries_(cache_entries) {
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    throw std::runtime_error("basic auth: cannot get random bytes for the cache key");
  }
  // Unknown users are checked against a hash of the highest configured cost, so they take as
  // long as a real user's check (exporter-toolkit does the same).
  int cost = 4;
  for (const auto& [user, hash] : users_) cost = std::max(cost, bcrypt_cost(hash).value_or(4));
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr) {
    throw std::runtime_error("basic auth: crypt_gensalt_rn cannot make a bcrypt salt");
  }
  dummy_hash_ = bcrypt_hash("adminara-obs dummy password", setting);
  if (dummy_hash_.empty()) throw std::runtime_error("basic auth: libcrypt has no bcrypt");
}

const std::string& BasicAuthenticator::hash_for(std::string_view user) const {
  auto it = users_.find(user);
  return it == users_.end() ? dummy_hash_ : it->second;
}

BasicAuthenticator::Key BasicAuthenticator::key_for(std::string_view user,
                                                    std::string_view password) const {
  Key key{std::string(user), hash_for(user), {}};
  unsigned int len = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(password.data()), password.size(),
       key.password.data(), &len);
  return key;
}

std::optional<bool> BasicAuthenticator::cached(std::string_view user,
                                               std::string_view password) const {
  const Key key = key_for(user, password);
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

bool BasicAuthenticator::verify(std::string_view user, std::string_view password) {
  Key key = key_for(user, password);
  const bool known = users_.find(user) != users_.end();
  const std::string& stored = key.hash;
  const std::string computed = bcrypt_hash(password, stored);
  // Constant time over the whole hash; lengths are public (60 for every bcrypt hash).
  const bool match = computed.size() == stored.size() &&
                     CRYPTO_memcmp(computed.data(), stored.data(), stored.size()) == 0;
  const bool ok = known && match;
  std::lock_guard lock(mu_);
  ++bcrypt_runs_;
  if (cache_entries_ > 0 && cache_.emplace(key, ok).second) {
    order_.push_back(std::move(key));
    while (order_.size() > cache_entries_) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
  }
  return ok;
}

std::size_t BasicAuthenticator::bcrypt_runs() const {
  std::lock_guard lock(mu_);
  return bcrypt_runs_;
}

}  // namespace adminara::obs::net
