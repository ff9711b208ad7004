#include "harness/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace vncgate::e2e {
namespace {

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Inodes of sockets in LISTEN state (st 0A) on `port`, from /proc/net/tcp or tcp6.
std::set<std::string> listening_inodes(const char* table, std::uint16_t port) {
  std::set<std::string> inodes;
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retr, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
    if (state != "0A") continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
    inodes.insert(inode);
  }
  return inodes;
}

}  // namespace

std::uint16_t free_tcp_port() {
  // Below the kernel's ephemeral range: a port taken from that range (bind to port 0)
  // can be handed to some other test's outgoing connection before the server that was
  // meant to listen on it binds ("Address already in use").
  unsigned ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const unsigned low = 10000, high = std::max(low + 1000, ephemeral_low) - 1;
  static thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<unsigned> pick(low, high);
  for (int attempt = 0; attempt < 200; ++attempt) {
    fd_guard s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(pick(random)));
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return ntohs(addr.sin_port);
  }
  throw std::runtime_error("no free TCP port on 127.0.0.1 below the ephemeral range");
}

bool process_listens(pid_t pid, std::uint16_t port) {
  auto inodes = listening_inodes("/proc/net/tcp", port);
  inodes.merge(listening_inodes("/proc/net/tcp6", port));
  if (inodes.empty()) return false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    std::string target = std::filesystem::read_symlink(entry.path(), link_ec).string();
    if (link_ec || target.rfind("socket:[", 0) != 0) continue;
    if (inodes.count(target.substr(8, target.size() - 9))) return true;
  }
  return false;
}

int connect_loopback(std::uint16_t port, const std::string& source_host, std::uint16_t& local_port,
                     std::string& error) {
  sockaddr_in from{};
  from.sin_family = AF_INET;
  if (::inet_pton(AF_INET, source_host.c_str(), &from.sin_addr) != 1) {
    error = "bad source address " + source_host;
    return -1;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    error = "connect from " + source_host + " to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  socklen_t len = sizeof to;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&to), &len);
  local_port = ntohs(to.sin_port);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int fd_count(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = 10ms;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    if (pause < 50ms) pause += 10ms;
  }
}

display_claim::display_claim() {
  std::random_device seed;
  int start = 20 + static_cast<int>(seed() % 80);
  for (int i = 0; i < 80; ++i) {
    int n = 20 + (start - 20 + i) % 80;
    std::string x = std::to_string(n);
    if (std::filesystem::exists("/tmp/.X" + x + "-lock") || std::filesystem::exists("/tmp/.X11-unix/X" + x))
      continue;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string name = "vncgate-e2e-display-" + x;
    std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) {
      number_ = n;
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw std::runtime_error("no free X display in 20..99");
}

display_claim::~display_claim() {
  if (fd_ >= 0) ::close(fd_);
}

bool greeting_is(std::uint16_t port, std::string_view expected, std::chrono::milliseconds timeout) {
  fd_guard s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.size() < expected.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{s.fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[64];
    ssize_t n = ::read(s.fd, buf, std::min(sizeof buf, expected.size() - got.size()));
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got == expected;
}

}  // namespace vncgate::e2e
