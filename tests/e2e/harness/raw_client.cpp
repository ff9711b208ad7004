#include "harness/raw_client.hpp"

#include "harness/certs.hpp"
#include "harness/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace vncgate::e2e {
namespace {

std::string openssl_errors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

int millis_until(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

raw_client::raw_client(std::uint16_t port, std::chrono::milliseconds io_timeout, const std::string& source_host)
    : source_host_(source_host), io_timeout_(io_timeout) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer that hangs up must fail a write, not kill the test
  std::string error;
  fd_ = connect_loopback(port, source_host, local_port_, error);
  if (fd_ < 0) throw std::runtime_error("raw_client: " + error);
  // Bounds the blocking calls inside OpenSSL (handshake, a record split across reads).
  timeval tv{static_cast<time_t>(io_timeout.count() / 1000), static_cast<suseconds_t>(io_timeout.count() % 1000 * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

raw_client::~raw_client() { close(); }

void raw_client::shutdown_send() {
  if (ssl_) SSL_shutdown(ssl_.get());
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void raw_client::close(bool reset) {
  ssl_.reset();
  ctx_.reset();
  if (fd_ >= 0) {
    if (reset) {
      linger l{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(fd_);
  }
  fd_ = -1;
}

bool raw_client::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    long n;
    if (ssl_) {
      n = SSL_write(ssl_.get(), bytes.data() + done, static_cast<int>(bytes.size() - done));
    } else {
      n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
    }
    if (n <= 0) {
      error_ = ssl_ ? "SSL_write failed: " + openssl_errors() : std::string("send: ") + std::strerror(errno);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool raw_client::send_u8(std::uint8_t v) { return send(std::string_view(reinterpret_cast<const char*>(&v), 1)); }

bool raw_client::send_u32(std::uint32_t v) {
  std::uint32_t be = htonl(v);
  return send(std::string_view(reinterpret_cast<const char*>(&be), 4));
}

bool raw_client::send_plain_credentials(std::string_view user, std::string_view password) {
  return send_u32(static_cast<std::uint32_t>(user.size())) && send_u32(static_cast<std::uint32_t>(password.size())) &&
         send(std::string(user) + std::string(password));
}

// >0 bytes read; 0 with closed = true on EOF/reset/TLS failure; 0 with closed = false on timeout.
long raw_client::read_some(char* buffer, std::size_t size, std::chrono::steady_clock::time_point deadline,
                           bool& closed) {
  closed = false;
  if (fd_ < 0) {
    closed = true;
    return 0;
  }
  for (;;) {
    if (!(ssl_ && SSL_pending(ssl_.get()) > 0)) {
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, millis_until(deadline));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return 0;
    }
    if (ssl_) {
      int n = SSL_read(ssl_.get(), buffer, static_cast<int>(size));
      if (n > 0) return n;
      int e = SSL_get_error(ssl_.get(), n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (millis_until(deadline) == 0) return 0;
        continue;
      }
      error_ = "TLS read ended (" + std::to_string(e) + ") " + openssl_errors();
      closed = true;
      return 0;
    }
    long n = ::recv(fd_, buffer, size, 0);
    if (n > 0) return n;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      if (millis_until(deadline) == 0) return 0;
      continue;
    }
    error_ = n == 0 ? "closed by peer" : std::string("recv: ") + std::strerror(errno);
    closed = true;
    return 0;
  }
}

std::optional<std::string> raw_client::read_exact(std::size_t n) { return read_exact(n, io_timeout_); }

std::optional<std::string> raw_client::read_exact(std::size_t n, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  char buffer[4096];
  while (out.size() < n) {
    bool closed = false;
    long got = read_some(buffer, std::min(sizeof buffer, n - out.size()), deadline, closed);
    if (got <= 0) {
      if (!closed) error_ = "timed out after " + std::to_string(out.size()) + " of " + std::to_string(n) + " bytes";
      return std::nullopt;
    }
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

std::optional<std::uint8_t> raw_client::read_u8() {
  auto b = read_exact(1);
  if (!b) return std::nullopt;
  return static_cast<std::uint8_t>((*b)[0]);
}

std::optional<std::uint32_t> raw_client::read_u32() {
  auto b = read_exact(4);
  if (!b) return std::nullopt;
  std::uint32_t be;
  std::memcpy(&be, b->data(), 4);
  return ntohl(be);
}

std::optional<std::string> raw_client::read_string32() {
  auto length = read_u32();
  if (!length || *length > (1u << 20)) return std::nullopt;
  return read_exact(*length);
}

bool raw_client::wait_closed(std::chrono::milliseconds within, std::string* drained) {
  auto deadline = std::chrono::steady_clock::now() + within;
  char buffer[4096];
  for (;;) {
    bool closed = false;
    long got = read_some(buffer, sizeof buffer, deadline, closed);
    if (closed) return true;
    if (got <= 0) return false;
    if (drained) drained->append(buffer, static_cast<std::size_t>(got));
  }
}

bool raw_client::start_tls(const std::filesystem::path& ca_file, const std::string& host_name,
                           const std::filesystem::path& client_cert, const std::filesystem::path& client_key) {
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) {
    error_ = "SSL_CTX_new failed";
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx_.get(), ca_file.c_str(), nullptr) != 1) {
    error_ = "cannot load CA " + ca_file.string() + ": " + openssl_errors();
    return false;
  }
  if (!client_cert.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx_.get(), client_cert.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx_.get(), client_key.c_str(), SSL_FILETYPE_PEM) != 1)) {
    error_ = "cannot load client certificate " + client_cert.string() + ": " + openssl_errors();
    return false;
  }
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_);
  SSL_set_tlsext_host_name(ssl_.get(), host_name.c_str());
  SSL_set1_host(ssl_.get(), host_name.c_str());
  if (SSL_connect(ssl_.get()) != 1) {
    error_ = "TLS handshake failed: " + openssl_errors();
    ssl_.reset();
    return false;
  }
  return true;
}

std::string raw_client::peer_certificate_sha256() const {
  if (!ssl_) return {};
  X509* cert = SSL_get0_peer_certificate(ssl_.get());
  return cert ? certificate_sha256(cert) : std::string();
}

std::optional<std::vector<std::uint32_t>> vencrypt_subtypes(raw_client& client, std::string* why) {
  auto fail = [&](const std::string& what) -> std::optional<std::vector<std::uint32_t>> {
    if (why) *why = what + (client.last_error().empty() ? "" : " (" + client.last_error() + ")");
    return std::nullopt;
  };
  auto greeting = client.read_exact(12);
  if (!greeting || *greeting != "RFB 003.008\n") return fail("no RFB 3.8 greeting");
  if (!client.send("RFB 003.008\n")) return fail("cannot send version");
  auto count = client.read_u8();
  if (!count || *count == 0) return fail("no security type list");
  auto types = client.read_exact(*count);
  if (!types || types->find('\x13') == std::string::npos) return fail("VeNCrypt (19) not offered");
  if (!client.send_u8(19)) return fail("cannot choose 19");
  auto version = client.read_exact(2);
  if (!version || *version != std::string("\x00\x02", 2)) return fail("VeNCrypt version is not 0.2");
  if (!client.send(std::string("\x00\x02", 2))) return fail("cannot send VeNCrypt version");
  auto ack = client.read_u8();
  if (!ack || *ack != 0) return fail("VeNCrypt version not acknowledged with 0");
  auto n = client.read_u8();
  if (!n) return fail("no subtype count");
  std::vector<std::uint32_t> subtypes;
  for (int i = 0; i < *n; ++i) {
    auto subtype = client.read_u32();
    if (!subtype) return fail("subtype list cut short");
    subtypes.push_back(*subtype);
  }
  return subtypes;
}

}  // namespace vncgate::e2e
