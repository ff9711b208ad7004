#include "scenario.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <regex>

#include "harness/loopback.hpp"

namespace vncgate::e2e {
namespace {

std::string address(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

std::ptrdiff_t index_of(const std::vector<audit_event>& events, const std::string& name) {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (is_event(events[i], name)) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

}  // namespace

target_spec target_for(const xvnc_server& desk, std::string name, std::vector<std::string> users,
                       std::vector<std::string> groups) {
  target_spec t;
  t.name = std::move(name);
  t.port = desk.port();
  if (!desk.options().password.empty()) t.password = desk.options().password;
  t.allow_users = std::move(users);
  t.allow_groups = std::move(groups);
  return t;
}

vnc_login login_as(const user_spec& user, const certs& tls, const std::string& suffix) {
  return {user.name + suffix, user.password, tls.certificate};
}

vnc_session_result require_frame(std::uint16_t port, const vnc_login& login, int width, int height) {
  auto r = vnc_connect(port, login);
  INFO("libvncclient log:\n" << r.log_text());
  REQUIRE(r.connected);
  REQUIRE(r.full_frame);
  CHECK(r.width == width);
  CHECK(r.height == height);
  return r;
}

audit_event check_good_session(const gateway& gw, const std::string& source, std::uint16_t listener_port,
                               const std::string& user, const std::string& target, std::uint16_t target_port,
                               const std::string& method, double min_bytes_to_client) {
  auto session = gw.audit().session_of(source);
  INFO("client source " << source);
  REQUIRE(session);
  auto end = gw.audit().wait_session_end(*session);
  REQUIRE(end);
  auto events = gw.audit().events_of(*session);
  auto accepted = index_of(events, "connection_accepted");
  auto auth = index_of(events, "auth");
  auto start = index_of(events, "session_start");
  auto finish = index_of(events, "session_end");
  REQUIRE(accepted >= 0);
  REQUIRE(auth > accepted);
  REQUIRE(start > auth);
  REQUIRE(finish > start);

  CHECK(text_of(events[accepted], "listener") == address(listener_port));
  const auto& a = events[auth];
  CHECK(text_of(a, "user") == user);
  CHECK(text_of(a, "method") == method);
  CHECK(text_of(a, "result") == "success");
  CHECK_FALSE(a.contains("password"));
  const auto& s = events[start];
  CHECK(text_of(s, "user") == user);
  CHECK(text_of(s, "target") == target);
  CHECK(text_of(s, "source") == source);
  CHECK(text_of(s, "target_address") == address(target_port));
  const auto& e = events[finish];
  CHECK(text_of(e, "outcome") == "ok");
  CHECK(text_of(e, "source") == source);
  CHECK(text_of(e, "user") == user);
  CHECK(text_of(e, "target") == target);
  CHECK(number_of(e, "bytes_to_client").value_or(-1) > min_bytes_to_client);
  CHECK(number_of(e, "bytes_from_client").value_or(-1) > 0);
  // The field's name is checked once, in audit_test.cpp; here only that a duration is there.
  CHECK(number_of(e, "duration_ms").value_or(-1) >= 0);
  return e;
}

audit_event session_end_of(const gateway& gw, const std::string& source) {
  INFO("client source " << source);
  auto session = gw.audit().session_of(source);
  REQUIRE(session);
  auto end = gw.audit().wait_session_end(*session);
  REQUIRE(end);
  CHECK(text_of(*end, "source") == source);
  CHECK_FALSE(text_of(*end, "reason").empty());
  return *end;
}

audit_event check_session_outcome(const gateway& gw, const std::string& source, const std::string& outcome) {
  auto end = session_end_of(gw, source);
  INFO("client source " << source << ", reason " << text_of(end, "reason"));
  CHECK(text_of(end, "outcome") == outcome);
  return end;
}

void check_still_serves(gateway& gw, std::uint16_t port, const vnc_login& good, int width, int height) {
  REQUIRE(gw.alive());
  auto r = require_frame(port, good, width, height);
  auto session = gw.audit().session_of(r.source());
  REQUIRE(session);
  auto end = gw.audit().wait_session_end(*session);
  REQUIRE(end);
  CHECK(text_of(*end, "outcome") == "ok");
}

void check_fds_settle(const gateway& gw, int baseline) {
  int now = -1;
  bool settled = wait_until([&] { return (now = gw.fd_count()) == baseline; }, 5s);
  INFO("gateway fds: baseline " << baseline << ", now " << now);
  CHECK(settled);
}

void check_clean_shutdown(gateway& gw, const std::vector<std::string>& secrets) {
  int status = gw.stop();
  INFO("wait status " << status);
  bool exited_zero = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  bool terminated = WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
  CHECK((exited_zero || terminated));  // not KILLed after the 5 s grace, not aborted

  auto events = gw.audit().settled_events();
  CHECK(gw.audit().malformed_lines().empty());
  static const std::regex rfc3339_utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  std::map<std::string, int> accepted, ended;
  for (const auto& e : events) {
    INFO(boost::json::serialize(e));
    CHECK(std::regex_match(text_of(e, "time"), rfc3339_utc));
    CHECK_FALSE(text_of(e, "event").empty());
    if (is_event(e, "connection_accepted")) ++accepted[text_of(e, "session")];
    if (is_event(e, "session_end")) ++ended[text_of(e, "session")];
  }
  for (const auto& [session, n] : accepted) {
    INFO("session " << session);
    CHECK(n == 1);
    CHECK(ended[session] == 1);
  }
  for (const auto& [session, n] : ended) {
    INFO("session_end without connection_accepted: " << session);
    CHECK(accepted.count(session) == 1);
  }
  std::string audit_text = gw.audit().raw();
  std::string log_text = gw.stderr_text() + gw.stdout_text();
  for (const auto& secret : secrets) {
    INFO("secret " << secret);
    CHECK(audit_text.find(secret) == std::string::npos);
    CHECK(log_text.find(secret) == std::string::npos);
  }
  CHECK(log_text.find("AddressSanitizer") == std::string::npos);
  CHECK(log_text.find("LeakSanitizer") == std::string::npos);
  CHECK(log_text.find("runtime error:") == std::string::npos);
}

bool exchange_versions(raw_client& client, const std::string& version) {
  auto greeting = client.read_exact(12);
  return greeting && *greeting == "RFB 003.008\n" && client.send(version);
}

void check_closed_without_a_byte(raw_client& client) {
  INFO("client " << client.source());
  std::string drained;
  CHECK(client.wait_closed(3s, &drained));
  CHECK(drained.empty());
}

audit_event check_refused_at_accept(const gateway& gw, const std::string& source, std::uint16_t listener_port,
                                    const std::string& reason) {
  INFO("refused client " << source);
  auto refused = gw.audit().wait_for(
      [&](const audit_event& e) { return is_event(e, "connection_refused") && text_of(e, "source") == source; });
  REQUIRE(refused);
  INFO(boost::json::serialize(*refused));
  CHECK(text_of(*refused, "reason") == reason);
  CHECK(text_of(*refused, "listener") == address(listener_port));
  CHECK_FALSE(text_of(*refused, "detail").empty());
  int lines = 0;
  for (const auto& e : gw.audit().settled_events()) {
    if (text_of(e, "source") != source) continue;
    ++lines;
    CHECK(is_event(e, "connection_refused"));  // no connection_accepted, no session_end
  }
  CHECK(lines == 1);
  return *refused;
}

void check_accepted(const gateway& gw, const std::string& source) {
  INFO("client " << source);
  CHECK(gw.audit().session_of(source).has_value());
}

audit_event session_start_of(const gateway& gw, const std::string& source) {
  INFO("client source " << source);
  auto start = gw.audit().wait_for(
      [&](const audit_event& e) { return is_event(e, "session_start") && text_of(e, "source") == source; });
  REQUIRE(start);
  return *start;
}

std::vector<audit_event> events_named(const gateway& gw, const std::string& event) {
  std::vector<audit_event> out;
  for (auto& e : gw.audit().settled_events())
    if (is_event(e, event)) out.push_back(std::move(e));
  return out;
}

vnc_login with_cert(const user_spec& user, const certs& tls, const certs& client) {
  auto login = login_as(user, tls);
  login.client_cert = client.certificate;
  login.client_key = client.private_key;
  return login;
}

audit_event certificate_record(const gateway& gw, const std::string& source) {
  auto session = gw.audit().session_of(source);
  REQUIRE(session);
  REQUIRE(gw.audit().wait_session_end(*session));
  std::vector<audit_event> found;
  for (const auto& e : gw.audit().events_of(*session))
    if (is_event(e, "client_certificate")) found.push_back(e);
  INFO("session " << *session);
  REQUIRE(found.size() == 1);
  return found.front();
}

}  // namespace vncgate::e2e
