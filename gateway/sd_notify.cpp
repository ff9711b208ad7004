#include "gateway/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>

namespace vncgate::gateway {
namespace {

class socket_fd {
 public:
  explicit socket_fd(int fd) noexcept : fd_(fd) {}
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  ~socket_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// $NOTIFY_SOCKET as an AF_UNIX address and its length; 0 when it is not one. An abstract
// name ('@' → leading NUL) is exactly as long as its bytes: no terminating NUL counts.
socklen_t notify_address(std::string_view where, sockaddr_un& address) noexcept {
  address = {};
  address.sun_family = AF_UNIX;
  const bool abstract = where.size() >= 2 && where.front() == '@';
  const bool path = !where.empty() && where.front() == '/';
  if (!abstract && !path) return 0;  // "vsock:…" and relative paths: not supported
  if (where.size() > sizeof(address.sun_path) - (path ? 1 : 0)) return 0;
  std::memcpy(address.sun_path, where.data(), where.size());
  if (abstract) address.sun_path[0] = '\0';
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + where.size() + (path ? 1 : 0));
}

// A whole string of decimal digits as a positive number of type T.
template <class T>
std::optional<T> positive_decimal(const char* text) noexcept {
  if (!text) return std::nullopt;
  std::string_view s(text);
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

bool notify_systemd(std::string_view state) noexcept {
  const char* where = std::getenv("NOTIFY_SOCKET");
  if (!where || state.empty()) return false;
  sockaddr_un address;
  const socklen_t length = notify_address(where, address);
  if (length == 0) return false;
  socket_fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return false;
  const ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  return sent >= 0 && static_cast<std::size_t>(sent) == state.size();
}

std::string_view reloading_message(std::chrono::microseconds monotonic, std::span<char> out) noexcept {
  constexpr std::string_view head = "RELOADING=1\nMONOTONIC_USEC=";
  if (out.size() < head.size()) return {};
  std::memcpy(out.data(), head.data(), head.size());
  auto [end, ec] = std::to_chars(out.data() + head.size(), out.data() + out.size(), monotonic.count());
  if (ec != std::errc()) return {};
  return {out.data(), static_cast<std::size_t>(end - out.data())};
}

bool notify_systemd_reloading() noexcept {
  timespec now{};
  if (::clock_gettime(CLOCK_MONOTONIC, &now) != 0) return false;
  const auto monotonic = std::chrono::seconds(now.tv_sec) +
                         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(now.tv_nsec));
  char buffer[64];
  auto message = reloading_message(monotonic, buffer);
  return !message.empty() && notify_systemd(message);
}

std::optional<std::chrono::microseconds> watchdog_interval() noexcept {
  // chrono::microseconds holds an int64_t: larger values (systemd's "infinity" among
  // them) are not a timeout anyone can keep.
  auto usec = positive_decimal<std::int64_t>(std::getenv("WATCHDOG_USEC"));
  if (!usec) return std::nullopt;
  if (const char* pid_text = std::getenv("WATCHDOG_PID")) {
    auto pid = positive_decimal<pid_t>(pid_text);
    if (!pid || *pid != ::getpid()) return std::nullopt;
  }
  return std::chrono::microseconds(*usec);
}

}  // namespace vncgate::gateway
