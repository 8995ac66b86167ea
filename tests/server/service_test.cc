// The AdminAra domain without HTTP: the queue and call life cycle, the expiry and retention the
// maintenance jobs apply, TURN credentials (checked against RFC 2202's HMAC-SHA1 vectors and
// recomputed), secret rotation, and the metrics each step records; on the in-memory and the Redis
// state store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "export/prometheus/text_format.h"
#include "service.h"
#include "tests/common/redis_server.h"

namespace adminara::server {
namespace {

using ::testing::HasSubstr;

// Sum of the values (counters) or of count and sum (histograms) over every series of `name`.
struct Totals {
  double value = 0;
  std::uint64_t count = 0;
  double sum = 0;
};
Totals totals(obs::MeterProvider& provider, std::string_view name) {
  Totals t;
  for (const obs::MetricData& m : provider.collect()) {
    if (m.descriptor.name != name) continue;
    for (const obs::PointData& p : m.points) {
      if (auto* s = std::get_if<obs::SumPoint>(&p.value)) t.value += s->value;
      if (auto* g = std::get_if<obs::GaugePoint>(&p.value)) t.value += g->value;
      if (auto* h = std::get_if<obs::HistogramPoint>(&p.value)) {
        t.count += h->count;
        t.sum += h->sum;
      }
    }
  }
  return t;
}

int api_status(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ApiError& e) {
    return e.status();
  }
  return 0;
}

// Each test runs on the in-memory store and on the Redis store (a private redis-server per test
// process; a key prefix per store).
class ServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  ServiceTest() { make_service(ServerConfig{}); }

  void make_service(ServerConfig config) {
    service.reset();
    static int stores = 0;
    store = GetParam() == "redis"
                ? make_redis_state_store(obs::testing::shared_redis_server().url(),
                                         "svc" + std::to_string(++stores))
                : make_memory_state_store();
    service = std::make_unique<AdminAraService>(std::move(config), *store,
                                                provider.get_meter("test"), [this] { return now; });
  }

  std::int64_t now = 1'700'000'000'000;
  obs::MeterProvider provider;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<AdminAraService> service;
};

INSTANTIATE_TEST_SUITE_P(Stores, ServiceTest, ::testing::Values("memory", "redis"),
                         [](const auto& p) { return std::string(p.param); });

TEST_P(ServiceTest, CustomersWaitInOrderAndAdminsTakeTheLongestWaiting) {
  auto a = service->join("alice");
  now += 1000;
  auto b = service->join("bob");
  EXPECT_EQ(a.position, 1u);
  EXPECT_EQ(b.position, 2u);
  EXPECT_EQ(a.ticket.state, TicketState::kWaiting);
  EXPECT_NE(a.ticket.id, b.ticket.id);
  EXPECT_EQ(service->status(b.ticket.id).second, 2u);

  now += 4000;
  auto first = service->next("ann");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, a.ticket.id);
  EXPECT_EQ(first->admin, "ann");
  EXPECT_EQ(first->assigned_ms - first->created_ms, 5000);
  EXPECT_EQ(service->status(b.ticket.id).second, 1u);  // bob moved up
  EXPECT_EQ(service->status(a.ticket.id).first.state, TicketState::kAssigned);
  EXPECT_EQ(service->status(a.ticket.id).second, 0u);

  now += 1000;
  auto second = service->next("ann");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, b.ticket.id);
  EXPECT_FALSE(service->next("ann"));  // nobody waits

  const Totals waits = totals(provider, "queue_wait_time");
  EXPECT_EQ(waits.count, 2u);
  EXPECT_DOUBLE_EQ(waits.sum, 5000 + 5000);
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.tickets.created").value, 2);
}

TEST_P(ServiceTest, CallLifeCycleAndItsConflicts) {
  auto t = service->join("carol").ticket;
  EXPECT_EQ(api_status([&] { service->connected(t.id, 100); }), 409);  // still waiting
  EXPECT_EQ(api_status([&] { service->ended(t.id); }), 409);
  service->next("ann");
  EXPECT_EQ(api_status([&] { service->connected(t.id, -1); }), 400);
  EXPECT_EQ(api_status([&] { service->connected(t.id, 600001); }), 400);
  EXPECT_EQ(api_status([&] { service->connected(t.id, std::nan("")); }), 400);
  Ticket c = service->connected(t.id, 234.5);
  EXPECT_EQ(c.state, TicketState::kConnected);
  EXPECT_EQ(api_status([&] { service->connected(t.id, 100); }), 409);  // only once
  Ticket e = service->ended(t.id);
  EXPECT_EQ(e.state, TicketState::kEnded);
  EXPECT_EQ(e.end_reason, "ended");
  EXPECT_EQ(api_status([&] { service->ended(t.id); }), 409);
  EXPECT_EQ(api_status([&] { service->ended("t-unknown"); }), 404);
  EXPECT_EQ(api_status([&] { service->status("t-unknown"); }), 404);

  const Totals connect = totals(provider, "webrtc_connection_time");
  EXPECT_EQ(connect.count, 1u);
  EXPECT_DOUBLE_EQ(connect.sum, 234.5);
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.calls.ended").value, 1);
}

TEST_P(ServiceTest, RejectedRequestsChangeNothing) {
  for (std::string bad : {std::string(), std::string(129, 'x'), std::string("a\nb"),
                          std::string("\xff\xfe"), std::string("caf\xc3")}) {
    EXPECT_EQ(api_status([&] { service->join(bad); }), 400) << bad;
    EXPECT_EQ(api_status([&] { service->next(bad); }), 400) << bad;
    EXPECT_EQ(api_status([&] { service->turn_credentials(bad); }), 400) << bad;
  }
  EXPECT_EQ(api_status([&] { service->turn_credentials("a:b"); }), 400);
  EXPECT_EQ(store->counts().waiting, 0u);
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.tickets.created").value, 0);
  EXPECT_NO_THROW(service->join("Zoë 🙂"));  // UTF-8 is fine
}

TEST_P(ServiceTest, AFullQueueRefusesWith503) {
  ServerConfig config;
  config.queue_max_length = 2;
  make_service(config);
  service->join("a");
  service->join("b");
  int status = 0;
  try {
    service->join("c");
  } catch (const ApiError& e) {
    status = e.status();
    EXPECT_THAT(e.what(), HasSubstr("the queue is full (2 customers waiting)"));
  }
  EXPECT_EQ(status, 503);
  service->next("ann");
  EXPECT_NO_THROW(service->join("c"));
}

TEST(TurnCredential, MatchesRfc2202HmacSha1Vectors) {
  // RFC 2202 test cases 1 and 2, base64 of the digests.
  EXPECT_EQ(turn_credential(std::string(20, '\x0b'), "Hi There"), "thcxhlUFcmTii8C2+zeMjvFGvgA=");
  EXPECT_EQ(turn_credential("Jefe", "what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

TEST(RandomSecret, IsBase64OfTheRightLengthAndDiffers) {
  const std::string a = random_secret_base64(32);
  const std::string b = random_secret_base64(32);
  EXPECT_EQ(a.size(), 44u);
  EXPECT_NE(a, b);
}

TEST_P(ServiceTest, CredentialsAsCoturnUseAuthSecretExpects) {
  EXPECT_EQ(api_status([&] { service->turn_credentials("u1"); }), 503);  // no secret yet
  service->ensure_turn_secret();
  const TurnSecrets secrets = store->turn_secrets();
  ASSERT_FALSE(secrets.current.empty());
  TurnCredentials c = service->turn_credentials("user-42");
  EXPECT_EQ(c.ttl_s, 86400);
  EXPECT_EQ(c.username, std::to_string(now / 1000 + 86400) + ":user-42");
  EXPECT_EQ(c.credential, turn_credential(secrets.current, c.username));
  EXPECT_EQ(c.uris, ServerConfig{}.turn_uris);
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.turn_credentials.issued").value, 1);
  service->ensure_turn_secret();  // idempotent
  EXPECT_EQ(store->turn_secrets().current, secrets.current);
}

TEST_P(ServiceTest, RotationKeepsThePreviousSecretValidForTheCredentialTtl) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("adminara-secrets-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ServerConfig config;
  config.turn_secrets_file = (dir / "turn-secrets").string();
  make_service(config);
  service->ensure_turn_secret();
  const std::string first = store->turn_secrets().current;
  const TurnCredentials issued = service->turn_credentials("u");

  const obs::jobs::Json summary = service->rotate_turn_secret();
  const TurnSecrets s = store->turn_secrets();
  EXPECT_NE(s.current, first);
  EXPECT_EQ(s.previous, first);
  EXPECT_EQ(s.previous_valid_until_ms, now + 86400 * 1000LL);
  EXPECT_EQ(s.version, 2u);
  // The credential issued before the rotation still verifies with the previous secret.
  EXPECT_EQ(issued.credential, turn_credential(s.previous, issued.username));
  // No secret in what the job returns.
  EXPECT_THAT(summary.dump(), ::testing::Not(HasSubstr(s.current)));
  EXPECT_THAT(summary.dump(), ::testing::Not(HasSubstr(first)));

  // The secrets file: current then previous, readable by the owner only.
  std::ifstream in(config.turn_secrets_file);
  std::string line1, line2;
  std::getline(in, line1);
  std::getline(in, line2);
  EXPECT_EQ(line1, s.current);
  EXPECT_EQ(line2, first);
  struct stat st {};
  ASSERT_EQ(::stat(config.turn_secrets_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Once the previous secret's validity passed, session_cleanup drops it from the file.
  EXPECT_EQ(service->cleanup_sessions()["previous_turn_secret_dropped"], false);
  now += 86400 * 1000LL;
  EXPECT_EQ(service->cleanup_sessions()["previous_turn_secret_dropped"], true);
  std::ifstream after(config.turn_secrets_file);
  std::string only, nothing;
  std::getline(after, only);
  EXPECT_EQ(only, s.current);
  EXPECT_FALSE(std::getline(after, nothing));
  EXPECT_EQ(service->cleanup_sessions()["previous_turn_secret_dropped"], false);  // once
  std::filesystem::remove_all(dir);
}

TEST_P(ServiceTest, ARotationThatCannotWriteTheSecretsFileFailsAndChangesNothing) {
  ServerConfig config;
  config.turn_secrets_file = "/nonexistent-adminara-dir/turn-secrets";
  make_service(config);
  EXPECT_THROW(service->ensure_turn_secret(), std::runtime_error);
  EXPECT_TRUE(store->turn_secrets().current.empty());
  try {
    service->rotate_turn_secret();
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot write TURN_SECRETS_FILE"));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
  EXPECT_EQ(store->turn_secrets().version, 0u);
}

TEST_P(ServiceTest, CleanupExpiresWhatIsPastItsLimitsAndRetentionDeletesOldFinished) {
  ServerConfig config;
  config.queue_max_wait = Millis(60000);
  config.call_connect_timeout = Millis(30000);
  config.call_max_duration = Millis(120000);
  config.retention_period = Millis(3600000);
  make_service(config);

  auto waiting_long = service->join("w1").ticket;
  auto assigned = service->join("a1").ticket;
  auto connected = service->join("c1").ticket;
  service->next("ann");  // w1
  service->next("ann");  // a1
  now += 1;
  ASSERT_EQ(service->next("ann")->id, connected.id);
  service->connected(connected.id, 300);
  auto fresh = service->join("f1").ticket;
  (void)waiting_long;

  now += 31000;  // a1's and w1's connect timeout passed (assigned 31 s ago)
  obs::jobs::Json r = service->cleanup_sessions();
  EXPECT_EQ(r["connect_expired"], 2);
  EXPECT_EQ(r["wait_expired"], 0);
  EXPECT_EQ(r["calls_timed_out"], 0);
  EXPECT_EQ(service->status(assigned.id).first.end_reason, "connect_timeout");

  now += 30000;  // f1 waited 61 s
  r = service->cleanup_sessions();
  EXPECT_EQ(r["wait_expired"], 1);
  EXPECT_EQ(service->status(fresh.id).first.state, TicketState::kExpired);

  now += 60000;  // c1's call lasted 121 s
  r = service->cleanup_sessions();
  EXPECT_EQ(r["calls_timed_out"], 1);
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.tickets.expired").value, 4);
  EXPECT_EQ(store->counts().finished, 4u);

  EXPECT_EQ(service->apply_retention()["deleted"], 0);  // all finished recently
  now += 3600000 + 1;
  auto live = service->join("live").ticket;
  EXPECT_EQ(service->apply_retention()["deleted"], 4);
  EXPECT_EQ(api_status([&] { service->status(assigned.id); }), 404);
  EXPECT_EQ(service->status(live.id).first.state, TicketState::kWaiting);  // unfinished stays
}

// Counters whose labels are known up front are on /metrics at 0 before their first event, so
// the dashboard's rates read 0 rather than no data.
TEST_P(ServiceTest, CountersExistAtZeroBeforeTheirFirstEvent) {
  std::string text;
  obs::prometheus::render(obs::Resource(), provider.collect(), obs::prometheus::Format::kText004,
                          {.scope_labels = false, .target_info = false}, text);
  EXPECT_THAT(text, HasSubstr("\nadminara_tickets_created_total 0\n"));
  EXPECT_THAT(text, HasSubstr("\nadminara_calls_ended_total 0\n"));
  EXPECT_THAT(text, HasSubstr("\nadminara_turn_credentials_issued_total 0\n"));
  for (const char* reason : {"wait_timeout", "connect_timeout", "call_timeout"}) {
    EXPECT_THAT(text, HasSubstr("\nadminara_tickets_expired_total{reason=\"" + std::string(reason) +
                                "\"} 0\n"));
  }
}

TEST_P(ServiceTest, GaugesReadTheStore) {
  service->join("a");
  service->join("b");
  service->next("ann");
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.queue.waiting").value, 1);
  EXPECT_DOUBLE_EQ(totals(provider, "adminara.calls.active").value, 1);
}

TEST_P(ServiceTest, ConcurrentAdminsNeverTakeTheSameCustomer) {
  constexpr int kCustomers = 2000;
  for (int i = 0; i < kCustomers; ++i) service->join("c" + std::to_string(i));
  std::atomic<int> taken{0};
  std::vector<std::thread> admins;
  std::mutex mu;
  std::set<std::string> ids;
  for (int a = 0; a < 4; ++a) {
    admins.emplace_back([&, a] {
      while (auto t = service->next("admin" + std::to_string(a))) {
        taken.fetch_add(1);
        std::lock_guard lock(mu);
        EXPECT_TRUE(ids.insert(t->id).second) << t->id;
      }
    });
  }
  for (auto& t : admins) t.join();
  EXPECT_EQ(taken.load(), kCustomers);
  EXPECT_EQ(totals(provider, "queue_wait_time").count, static_cast<std::uint64_t>(kCustomers));
}

}  // namespace
}  // namespace adminara::server
