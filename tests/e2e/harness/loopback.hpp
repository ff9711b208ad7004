// loopback.hpp — picking free TCP ports and X displays so tests can run side by side
// (ctest -j), and polling helpers.
//
// Ports: bind 127.0.0.1:0, read the port, close. Another process could take it before
// the server binds it; servers that fail to bind are caught by their start-up checks.
// Displays: a display is claimed by binding an abstract unix socket named after it,
// which the kernel releases when the claim (or the whole test process) goes away, so a
// crashed test never leaves a stale claim. Existing /tmp/.X<N>-lock files and
// /tmp/.X11-unix/X<N> sockets are skipped. All calls may block briefly; any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vncgate::e2e {

using namespace std::chrono_literals;

// A port on 127.0.0.1 that is free now, below the kernel's ephemeral port range, so
// no outgoing connection takes it before the server that asked for it listens.
std::uint16_t free_tcp_port();

// True when `pid` owns a socket listening on 127.0.0.1:`port` (or the IPv4/IPv6 any
// address), read from /proc/net/tcp{,6} and /proc/PID/fd: no connection is made, so
// waiting for a gateway this way leaves no probe session in its audit trail.
bool process_listens(pid_t pid, std::uint16_t port);

// A TCP connection from `source_host` (any 127.x.y.z: binding first picks the source
// address, the kernel the port) to 127.0.0.1:`port`, with TCP_NODELAY. Returns the
// blocking, close-on-exec fd and sets `local_port`; -1 with `error` set on failure.
int connect_loopback(std::uint16_t port, const std::string& source_host, std::uint16_t& local_port,
                     std::string& error);

// Number of open file descriptors of `pid`; -1 when it cannot be read.
int fd_count(pid_t pid);

// Polls `condition` every 10-50 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

class display_claim {
 public:
  display_claim();  // throws std::runtime_error when no display in 20..99 is free
  ~display_claim();
  display_claim(const display_claim&) = delete;
  display_claim& operator=(const display_claim&) = delete;

  int number() const noexcept { return number_; }

 private:
  int number_ = -1;
  int fd_ = -1;
};

// Connects to 127.0.0.1:`port` and reads exactly `expected.size()` bytes within `timeout`;
// true when they equal `expected`.
bool greeting_is(std::uint16_t port, std::string_view expected, std::chrono::milliseconds timeout);

}  // namespace vncgate::e2e
