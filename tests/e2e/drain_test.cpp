// drain_test.cpp — the gateway's life cycle under a service manager: SIGTERM makes
// /readyz unready at once and closes the listeners (new connections are refused), lets
// a live session go on for shutdown_grace, then ends it with a reason the client reads,
// and the process exits 0; a second SIGTERM cuts the grace period short; the sd_notify
// messages (READY, RELOADING, STOPPING) reach a NOTIFY_SOCKET bound by the test, as
// systemd's would be.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <thread>

#include "harness/http_get.hpp"
#include "harness/loopback.hpp"
#include "scenario.hpp"
#include "told_session.hpp"

using namespace vncgate::e2e;

namespace {

// A datagram socket where the gateway's sd_notify messages arrive (what systemd binds).
class notify_socket {
 public:
  explicit notify_socket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.string().size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~notify_socket() { ::close(fd_); }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // The next datagram, or "" when none comes within `timeout`.
  std::string next(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return {};
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// The workers close their listening sockets as soon as they see the drain (a post to
// each): a connection may still slip in just before. True once one is refused.
bool port_refuses(std::uint16_t port) {
  for (auto until = std::chrono::steady_clock::now() + 2s; std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(20ms)) {
    std::uint16_t local = 0;
    std::string error;
    int fd = connect_loopback(port, "127.0.0.1", local, error);
    if (fd < 0) return true;
    ::close(fd);
  }
  return false;
}

int readyz(const gateway& gw) { return http_get(gw.metrics_port(), "/readyz").status; }

}  // namespace

TEST_CASE("drain: SIGTERM refuses new connections, lets a session run out its grace, then tells it why",
          "[e2e][drain]") {
  small_desk_setup s;
  notify_socket systemd(s.dir.path() / "notify.sock");
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
              .top_lines = {"shutdown_grace: 3s"}, .env = {{"NOTIFY_SOCKET", systemd.path().string()}}});
  CHECK(systemd.next().starts_with("READY=1\nSTATUS=serving 1 listener(s)"));
  CHECK(readyz(gw) == 200);

  // A reload says RELOADING, then READY again.
  REQUIRE(gw.reload(gw.options()));
  auto reloading = systemd.next();
  CHECK(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="));
  CHECK(systemd.next() == "READY=1");

  auto live = start_session(gw, s.tls, alice.name, alice.password, {{encoding_raw, encoding_desktop_name}});
  const auto signalled = std::chrono::steady_clock::now();
  gw.signal(SIGTERM);
  CHECK(systemd.next() == "STOPPING=1\nSTATUS=draining 1 session(s)");
  // Unready at once, and the listener is closed: the kernel refuses new connections.
  CHECK(readyz(gw) == 503);
  CHECK(http_get(gw.metrics_port(), "/healthz").status == 200);
  CHECK(port_refuses(gw.port()));

  // The session goes on during the grace period: a request is answered.
  REQUIRE(send_update_request(*live.client, false, 320, 240));
  live.read(2s, 1);
  CHECK(live.stream.messages.size() == 2);
  CHECK(live.stream.desktop_names().empty());

  // Then it is ended and told why.
  live.read(12s);
  check_told(live.stream, ended_prefix + "the gateway is shutting down", 320, 240);
  const auto ended_after = std::chrono::steady_clock::now() - signalled;
  CHECK(ended_after >= 3s + 3s - 300ms);  // the grace period, then the 3 s reading time
  CHECK(ended_after <= 3s + 3s + 4s);

  auto status = gw.wait_for_exit(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  auto end = check_session_outcome(gw, live.client->source(), "shutdown");
  CHECK(text_of(end, "reason") == "the gateway is shutting down");
  auto stopping = events_named(gw, "gateway_stopping");
  REQUIRE(stopping.size() == 1);
  CHECK(text_of(stopping[0], "cause") == "SIGTERM");
  CHECK(number_of(stopping[0], "sessions") == 1);
  CHECK(number_of(stopping[0], "grace_ms") == 3000);
  auto stopped = events_named(gw, "gateway_stopped");
  REQUIRE(stopped.size() == 1);
  CHECK(flag_of(stopped[0], "clean") == true);
  CHECK(gw.stderr_text().find("drained: every session has ended") != std::string::npos);
}

TEST_CASE("drain: a session that ends by itself during the grace period lets the gateway exit at once",
          "[e2e][drain]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}, .top_lines = {"shutdown_grace: 30s"}});
  auto live = start_session(gw, s.tls, alice.name, alice.password, {{encoding_raw}});
  raw_client late(gw.port());
  REQUIRE(gw.audit().session_of(late.source()));  // accepted before the signal
  gw.signal(SIGINT);
  for (auto until = std::chrono::steady_clock::now() + 2s; readyz(gw) != 503 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(20ms);
  CHECK(readyz(gw) == 503);
  // A connection still in its handshake may finish it, but starts no session.
  auto refused = vencrypt_login(late, alice.name, alice.password, s.tls.certificate);
  CHECK_FALSE(refused.ok());
  CHECK(refused.reason == "the gateway is shutting down; try again in a moment");
  check_session_outcome(gw, late.source(), "shutdown");
  const auto closed_at = std::chrono::steady_clock::now();
  live.client->close();
  auto status = gw.wait_for_exit(5s);
  REQUIRE(status);
  CHECK(std::chrono::steady_clock::now() - closed_at < 3s);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  check_session_outcome(gw, live.client->source(), "ok");
  CHECK(text_of(events_named(gw, "gateway_stopping").at(0), "cause") == "SIGINT");
}

TEST_CASE("drain: a second SIGTERM ends the grace period at once", "[e2e][drain]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}, .top_lines = {"shutdown_grace: 60s"}});
  auto live = start_session(gw, s.tls, alice.name, alice.password, {{encoding_raw}});
  gw.signal(SIGTERM);
  for (auto until = std::chrono::steady_clock::now() + 2s; readyz(gw) != 503 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(20ms);
  const auto second = std::chrono::steady_clock::now();
  gw.signal(SIGTERM);
  live.read(5s);
  CHECK(live.stream.state == stream_state::closed);
  CHECK(live.stream.desktop_names().empty());  // it did not take DesktopName: closed without a word
  auto status = gw.wait_for_exit(5s);
  REQUIRE(status);
  CHECK(std::chrono::steady_clock::now() - second < 4s);
  CHECK(WEXITSTATUS(*status) == 0);
  auto end = check_session_outcome(gw, live.client->source(), "shutdown");
  CHECK(gw.stderr_text().find("SIGTERM while draining: ending every session now") != std::string::npos);
}
