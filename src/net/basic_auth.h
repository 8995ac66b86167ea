// HTTP basic authentication (RFC 7617) against the bcrypt hashes of a web configuration's
// basic_auth_users, verified the way exporter-toolkit does: libxcrypt's crypt_rn, a
// constant-time comparison, a dummy hash for unknown users (no timing difference between an
// unknown user and a wrong password), and a small cache of recent results, because Prometheus
// sends the credentials with every scrape and bcrypt at cost 10 takes 50-70 ms.
//
// Ownership: the authenticator copies the users and hashes it is given. The cache holds, per
// entry, the user, the stored hash and an HMAC-SHA-256 of the password under a random key made
// at construction: never the password, and nothing that allows checking a guess without this
// process's key.
// Thread-safety: all members are safe to call concurrently. verify() runs bcrypt and takes tens
// of milliseconds at production costs: call it off any event-loop thread (the server runs it on
// a dedicated single thread, which also serializes bcrypt work as exporter-toolkit does).
// Errors: the constructor throws std::runtime_error when it cannot make its random key or dummy
// hash; nothing else throws (allocation aside).
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace adminara::obs::net {

/// The user and password of an `Authorization: Basic <base64>` header value: the scheme is
/// matched case-insensitively, the credentials must be standard base64 (with padding), and
/// they are split at the first ':'. nullopt for anything else.
struct BasicCredentials {
  std::string user;
  std::string password;
};
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value);

class BasicAuthenticator {
 public:
  /// `users`: user -> bcrypt hash, already validated (WebConfig does it at load).
  explicit BasicAuthenticator(const std::map<std::string, std::string, std::less<>>& users,
                              std::size_t cache_entries = 100);

  /// The cached result for these credentials, if any. Cheap (one HMAC): fine on an event loop.
  std::optional<bool> cached(std::string_view user, std::string_view password) const;

  /// Runs bcrypt (against the dummy hash for an unknown user), compares in constant time,
  /// caches and returns the result. Slow; see the header comment.
  bool verify(std::string_view user, std::string_view password);

  /// Number of bcrypt computations done so far (tests check the cache with it).
  std::size_t bcrypt_runs() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Key {
    std::string user;
    std::string hash;
    Digest password;
    auto operator<=>(const Key&) const = default;
  };
  Key key_for(std::string_view user, std::string_view password) const;
  const std::string& hash_for(std::string_view user) const;

  std::map<std::string, std::string, std::less<>> users_;
  std::string dummy_hash_;
  std::array<unsigned char, 32> hmac_key_{};
  std::size_t cache_entries_;
  mutable std::mutex mu_;
  std::map<Key, bool> cache_;    // guarded by mu_
  std::deque<Key> order_;        // insertion order, for eviction; guarded by mu_
  std::size_t bcrypt_runs_ = 0;  // guarded by mu_
};

}  // namespace adminara::obs::net
