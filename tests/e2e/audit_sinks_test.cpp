// audit_sinks_test.cpp — the audit sinks of the real gateway: a real session's records
// arrive on a syslog socket the test binds as RFC 5424 datagrams (header fields parsed,
// MSG the same JSON as the file's line); SIGUSR1 after a rename and a real logrotate run
// (postrotate sends SIGUSR1) move later records to the new file and lose none; a syslog
// socket that goes away mid-run never stops relaying, is reported on the log and in
// /metrics, and works again when it comes back.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <set>
#include <regex>
#include <sstream>
#include <thread>

#include "harness/http_get.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;
namespace fs = std::filesystem;

namespace {

// The syslog daemon's end: a unix datagram socket bound at `path`.
class syslog_socket {
 public:
  explicit syslog_socket(fs::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.native().size() < sizeof addr.sun_path);
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    ::unlink(path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~syslog_socket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  syslog_socket(const syslog_socket&) = delete;
  syslog_socket& operator=(const syslog_socket&) = delete;

  // Every datagram until one holds each of `parts` (or `timeout` passes); all kept in received().
  bool read_until(const std::vector<std::string>& parts, std::chrono::milliseconds timeout = 8s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
      std::string buf(65536, '\0');
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0) return false;
      buf.resize(static_cast<std::size_t>(n));
      received_.push_back(buf);
      if (std::all_of(parts.begin(), parts.end(), [&](const auto& p) { return buf.find(p) != std::string::npos; }))
        return true;
    }
  }
  const std::vector<std::string>& received() const noexcept { return received_; }

 private:
  fs::path path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

struct rfc5424 {
  int pri = -1;
  std::string timestamp, hostname, app_name, procid, msgid, msg;
};

// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG (RFC 5424 §6, no structured data).
std::optional<rfc5424> parse_rfc5424(const std::string& datagram) {
  static const std::regex form(R"(^<(\d{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) - (\{.*\})$)");
  std::smatch m;
  if (!std::regex_match(datagram, m, form)) return std::nullopt;
  return rfc5424{std::stoi(m[1]), m[2], m[3], m[4], m[5], m[6], m[7]};
}

std::string scrape(const gateway& gw) {
  auto reply = http_get(gw.metrics_port(), "/metrics");
  REQUIRE(reply.status == 200);
  return reply.body;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::string sink_line(const fs::path& socket, const std::string& more = "") {
  return "- { type: syslog, socket: " + socket.string() + more + " }";
}

// A session through the gateway, ended, with its id.
std::string one_session(const gateway& gw, const certs& tls) {
  auto r = require_frame(gw.port(), login_as(alice, tls), 320, 240);
  auto session = gw.audit().session_of(r.source());
  REQUIRE(session);
  REQUIRE(gw.audit().wait_session_end(*session));
  return *session;
}

std::set<std::string> sessions_in(const audit_trail& trail) {
  std::set<std::string> out;
  for (const auto& e : trail.events()) out.insert(text_of(e, "session"));
  return out;
}

}  // namespace

TEST_CASE("audit sinks: a real session reaches a syslog socket as RFC 5424 datagrams", "[e2e][audit]") {
  small_desk_setup s;
  syslog_socket daemon(s.dir / "syslog.sock");
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
              .audit_lines = {sink_line(s.dir / "syslog.sock", ", facility: local0, app_name: vncgate-e2e")}});
  auto wrong = vnc_connect(gw.port(), {"alice", "not-her-password", s.tls.certificate});
  CHECK_FALSE(wrong.connected);
  auto wrong_end = check_session_outcome(gw, wrong.source(), "auth_failed");
  const auto session = one_session(gw, s.tls);
  REQUIRE(daemon.read_until({"\"session_end\"", session}));

  // Each datagram is the file's line for the same record, under a checked header.
  std::map<std::string, audit_event> file_lines;  // by session + event
  for (const auto& e : gw.audit().settled_events()) file_lines[text_of(e, "session") + "/" + text_of(e, "event")] = e;
  std::set<std::string> seen;
  for (const auto& datagram : daemon.received()) {
    INFO(datagram);
    auto m = parse_rfc5424(datagram);
    REQUIRE(m);
    auto msg = boost::json::parse(m->msg).as_object();
    const auto event = text_of(msg, "event");
    const bool warning = event == "auth" && text_of(msg, "result") != "success";
    const bool notice = event == "session_end" && text_of(msg, "outcome") != "ok";
    CHECK(m->pri == 16 * 8 + (warning ? 4 : notice ? 5 : 6));  // local0
    CHECK(m->timestamp == text_of(msg, "time"));
    CHECK(m->app_name == "vncgate-e2e");
    CHECK(m->procid == std::to_string(gw.pid()));
    CHECK(m->msgid == event);
    const auto key = text_of(msg, "session") + "/" + event;
    REQUIRE(file_lines.count(key) == 1);
    CHECK(msg == file_lines[key]);
    seen.insert(key);
  }
  for (auto event : {"connection_accepted", "auth", "session_start", "session_end"})
    CHECK(seen.count(session + "/" + event) == 1);
  CHECK(seen.count(text_of(wrong_end, "session") + "/auth") == 1);
  check_clean_shutdown(gw, {alice.password, vnc_password, "not-her-password"});
}

TEST_CASE("audit sinks: SIGUSR1 after a rename and a logrotate run lose no record", "[e2e][audit]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  const fs::path current = gw.audit().path();
  const auto first = one_session(gw, s.tls);

  // By hand: move the file, signal, and the next records go to a new file.
  const fs::path moved = current.string() + ".moved";
  fs::rename(current, moved);
  REQUIRE(::kill(gw.pid(), SIGUSR1) == 0);
  REQUIRE(eventually([&] { return fs::exists(current); }));
  const auto second = one_session(gw, s.tls);

  // With logrotate: its postrotate sends the signal.
  const auto conf = s.dir.write("logrotate.conf", current.string() + " {\n  rotate 3\n  create 0640\n  nocompress\n"
                                                  "  postrotate\n    kill -USR1 " + std::to_string(gw.pid()) +
                                                  "\n  endscript\n}\n");
  auto rotated = run({.argv = {"logrotate", "-v", "-f", "-s", (s.dir / "logrotate.state").string(), conf.string()}},
                     s.dir.path());
  INFO("logrotate: " << rotated.out << rotated.err);
  REQUIRE(rotated.exit_code == 0);
  const fs::path rotated_file = current.string() + ".1";
  REQUIRE(fs::exists(rotated_file));
  const auto third = one_session(gw, s.tls);
  gw.stop();

  const audit_trail before(moved), middle(rotated_file), after(current);
  CHECK(sessions_in(before) == std::set<std::string>{first});
  CHECK(sessions_in(middle) == std::set<std::string>{second});
  CHECK(sessions_in(after).count(third) == 1);
  CHECK(sessions_in(after).count(second) == 0);
  std::map<std::string, int> accepted, ended;
  for (const auto* trail : {&before, &middle, &after}) {
    INFO(trail->path());
    CHECK(trail->malformed_lines().empty());
    for (const auto& e : trail->events()) {
      if (is_event(e, "connection_accepted")) ++accepted[text_of(e, "session")];
      if (is_event(e, "session_end")) ++ended[text_of(e, "session")];
    }
  }
  CHECK(accepted.size() == 3);
  for (const auto& [session, n] : accepted) {
    INFO(session);
    CHECK(n == 1);
    CHECK(ended[session] == 1);
  }
}

TEST_CASE("audit sinks: a syslog socket that goes away never stops relaying and is reported", "[e2e][audit][metrics]") {
  small_desk_setup s;
  const auto path = s.dir / "syslog.sock";
  auto daemon = std::make_unique<syslog_socket>(path);
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}, .audit_lines = {sink_line(path)}});
  const std::string sink = "{sink=\"syslog:" + path.string() + "\"}";
  const auto first = one_session(gw, s.tls);
  REQUIRE(daemon->read_until({"\"session_end\"", first}));
  CHECK(metric_value(scrape(gw), "vncgate_audit_sink_up" + sink) == 1);
  CHECK(metric_value(scrape(gw), "vncgate_audit_sink_errors_total" + sink) == 0);

  // The daemon goes away: sessions still relay, the file still gets every record.
  daemon.reset();
  const auto second = one_session(gw, s.tls);
  CHECK(eventually([&] { return gw.stderr_text().find("audit sink syslog:" + path.string() + " failed") != std::string::npos; }));
  auto down = scrape(gw);
  INFO(down);
  CHECK(metric_value(down, "vncgate_audit_sink_errors_total" + sink).value_or(0) > 0);
  CHECK(metric_value(down, "vncgate_audit_records_dropped_total" + sink).value_or(0) > 0);
  CHECK(metric_value(down, "vncgate_audit_sink_up" + sink) == 0);
  CHECK(metric_value(down, "vncgate_audit_sink_up{sink=\"file:" + gw.audit().path().string() + "\"}") == 1);

  // It comes back: the next records reach it, and the log and the gauge say so.
  daemon = std::make_unique<syslog_socket>(path);
  const auto third = one_session(gw, s.tls);
  REQUIRE(daemon->read_until({"\"session_end\"", third}));
  CHECK(eventually([&] { return gw.stderr_text().find("audit sink syslog:" + path.string() + " works again") != std::string::npos; }));
  CHECK(metric_value(scrape(gw), "vncgate_audit_sink_up" + sink) == 1);
  for (const auto& datagram : daemon->received()) CHECK(datagram.find(second) == std::string::npos);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
