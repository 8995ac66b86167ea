// The public Redis client (adminara/obs/redis.h): a thin face on the jobs backend's pool.
#include "adminara/obs/redis.h"

#include <charconv>

#include "jobs/redis/redis_client.h"

namespace adminara::obs::jobs {

void check_redis_url(std::string_view url) {
  (void)redis::parse_redis_url(url);
}

std::string masked_redis_url(std::string_view url) {
  return redis::masked_url(url);
}

long long RedisReply::as_int() const {
  if (type == Type::kInteger) return integer;
  if (type == Type::kString) {
    long long v = 0;
    const auto [p, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
    if (ec == std::errc() && p == str.data() + str.size()) return v;
  }
  throw RedisError("redis: expected an integer reply");
}

const std::string& RedisReply::as_string() const {
  if (type == Type::kString || type == Type::kStatus) return str;
  throw RedisError("redis: expected a string reply");
}

RedisScript::RedisScript(std::string lua)
    : script_(std::make_unique<redis::Script>(std::move(lua))) {}
RedisScript::~RedisScript() = default;
const std::string& RedisScript::text() const {
  return script_->text();
}

RedisClient::RedisClient(std::string_view url, RedisClientOptions options)
    : pool_(std::make_unique<redis::Pool>(
          redis::PoolOptions{.url = redis::parse_redis_url(url),
                             .connect_timeout = options.connect_timeout,
                             .command_timeout = options.command_timeout,
                             .retry_for = options.retry_for})) {}
RedisClient::~RedisClient() = default;

RedisReply RedisClient::command(const std::vector<std::string>& argv) {
  return pool_->command(argv);
}

std::vector<RedisReply> RedisClient::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  return pool_->with_connection([&](redis::RedisConnection& c) { return c.pipeline(commands); });
}

RedisReply RedisClient::run(const RedisScript& script, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args) {
  return pool_->run(*script.script_, keys, args);
}

}  // namespace adminara::obs::jobs
