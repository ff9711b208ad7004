// sd_notify without libsystemd: the exact datagram systemd receives on a path socket and
// an abstract one, the no-op without $NOTIFY_SOCKET, unreachable or malformed addresses,
// the reload announcement, and $WATCHDOG_USEC / $WATCHDOG_PID.
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "gateway/sd_notify.hpp"

using namespace vncgate::gateway;
using namespace std::chrono_literals;

namespace {

// Sets (or unsets, with nullopt) an environment variable for one test; restores it after.
class scoped_env {
 public:
  scoped_env(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The systemd side: a bound AF_UNIX datagram socket, at a path or an abstract name.
class notify_listener {
 public:
  explicit notify_listener(const std::string& notify_socket) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(notify_socket.size() < sizeof(address.sun_path));
    std::memcpy(address.sun_path, notify_socket.data(), notify_socket.size());
    socklen_t length = offsetof(sockaddr_un, sun_path) + notify_socket.size();
    if (notify_socket.front() == '@')
      address.sun_path[0] = '\0';  // abstract: the name is exactly its bytes
    else
      length += 1;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
  }
  notify_listener(const notify_listener&) = delete;
  notify_listener& operator=(const notify_listener&) = delete;
  ~notify_listener() { ::close(fd_); }

  // The next datagram, or nullopt when none is waiting (the send is synchronous).
  std::optional<std::string> receive() const {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_;
};

std::string temp_socket_path() {
  return (std::filesystem::temp_directory_path() / ("vncgate-notify-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

std::chrono::microseconds monotonic_now() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_nsec / 1000);
}

}  // namespace

TEST_CASE("sd_notify: the state arrives as one datagram at a path socket", "[gateway][sd_notify]") {
  const auto path = temp_socket_path();
  std::filesystem::remove(path);
  {
    notify_listener systemd(path);
    scoped_env env("NOTIFY_SOCKET", path);
    CHECK(notify_systemd("READY=1\nSTATUS=serving 2 listeners"));
    CHECK(systemd.receive() == "READY=1\nSTATUS=serving 2 listeners");
    // The variable stays, so the server can notify again (reload, stop).
    REQUIRE(std::getenv("NOTIFY_SOCKET") != nullptr);
    CHECK(notify_systemd("STOPPING=1"));
    CHECK(systemd.receive() == "STOPPING=1");
    CHECK_FALSE(systemd.receive());
  }
  std::filesystem::remove(path);
}

TEST_CASE("sd_notify: an '@' address is an abstract socket, without a trailing NUL", "[gateway][sd_notify]") {
  const std::string name = "@vncgate-notify-test-" + std::to_string(::getpid());
  notify_listener systemd(name);
  scoped_env env("NOTIFY_SOCKET", name);
  CHECK(notify_systemd("READY=1"));
  CHECK(systemd.receive() == "READY=1");
}

TEST_CASE("sd_notify: without NOTIFY_SOCKET nothing is sent", "[gateway][sd_notify]") {
  scoped_env env("NOTIFY_SOCKET", std::nullopt);
  CHECK_FALSE(notify_systemd("READY=1"));
  CHECK_FALSE(notify_systemd_reloading());
}

TEST_CASE("sd_notify: an address nobody listens on, or no AF_UNIX address, is false", "[gateway][sd_notify]") {
  const std::string where = GENERATE(std::string("/nonexistent/vncgate/notify.sock"), std::string("@"),
                                     std::string("relative/notify.sock"), std::string("vsock:2:1234"),
                                     std::string(""), "/" + std::string(200, 'a'), "@" + std::string(200, 'a'));
  scoped_env env("NOTIFY_SOCKET", where);
  CHECK_FALSE(notify_systemd("READY=1"));
}

TEST_CASE("sd_notify: an empty state is not sent", "[gateway][sd_notify]") {
  const std::string name = "@vncgate-notify-empty-" + std::to_string(::getpid());
  notify_listener systemd(name);
  scoped_env env("NOTIFY_SOCKET", name);
  CHECK_FALSE(notify_systemd(""));
  CHECK_FALSE(systemd.receive());
}

TEST_CASE("sd_notify: the reload announcement carries CLOCK_MONOTONIC in microseconds", "[gateway][sd_notify]") {
  char buffer[64];
  CHECK(reloading_message(1234567us, buffer) == "RELOADING=1\nMONOTONIC_USEC=1234567");
  char small[30];  // room for the head, not for the number
  CHECK(reloading_message(1234567us, small).empty());
  char tiny[4];
  CHECK(reloading_message(1us, tiny).empty());

  const std::string name = "@vncgate-notify-reload-" + std::to_string(::getpid());
  notify_listener systemd(name);
  scoped_env env("NOTIFY_SOCKET", name);
  const auto before = monotonic_now();
  CHECK(notify_systemd_reloading());
  const auto after = monotonic_now();
  auto message = systemd.receive();
  REQUIRE(message);
  const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
  REQUIRE(message->starts_with(head));
  const auto digits = message->substr(head.size());
  REQUIRE(!digits.empty());
  REQUIRE(digits.find_first_not_of("0123456789") == std::string::npos);
  const auto sent = std::chrono::microseconds(std::stoll(digits));
  CHECK(sent >= before);
  CHECK(sent <= after);
}

TEST_CASE("sd_notify: WATCHDOG_USEC is the watchdog timeout for this process", "[gateway][sd_notify]") {
  SECTION("unset: no watchdog") {
    scoped_env usec("WATCHDOG_USEC", std::nullopt);
    scoped_env pid("WATCHDOG_PID", std::nullopt);
    CHECK_FALSE(watchdog_interval());
  }
  SECTION("set, no WATCHDOG_PID") {
    scoped_env usec("WATCHDOG_USEC", "30000000");
    scoped_env pid("WATCHDOG_PID", std::nullopt);
    CHECK(watchdog_interval() == 30s);
  }
  SECTION("WATCHDOG_PID names this process") {
    scoped_env usec("WATCHDOG_USEC", "1500");
    scoped_env pid("WATCHDOG_PID", std::to_string(::getpid()));
    CHECK(watchdog_interval() == 1500us);
  }
  SECTION("WATCHDOG_PID names another process, or is not a pid") {
    const std::string other = GENERATE(std::string("1"), std::string("x"), std::string(""), std::string("-1"),
                                       std::to_string(::getpid()) + "0");
    scoped_env usec("WATCHDOG_USEC", "30000000");
    scoped_env pid("WATCHDOG_PID", other);
    CHECK_FALSE(watchdog_interval());
  }
  SECTION("malformed WATCHDOG_USEC") {
    const std::string bad = GENERATE(as<std::string>{}, "", "0", "-5", "abc", "12x", " 12", "12 ", "+12", "1.5",
                                     "18446744073709551615", "99999999999999999999999");
    scoped_env usec("WATCHDOG_USEC", bad);
    scoped_env pid("WATCHDOG_PID", std::nullopt);
    CHECK_FALSE(watchdog_interval());
  }
}
