// gateway_client_stream_support.hpp — fixtures for gateway_client_stream_test.cpp: a loopback
// TCP pair, a peer thread with a blocking OpenSSL client, bounded runs of the server end
// on an io_context, and the coroutines the cases drive client_stream with.
#pragma once

#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>
#include "config_test_support.hpp"
#include "gateway/client_stream.hpp"
#include "gateway/kernel_tls.hpp"
#include "gateway/tls_context.hpp"

namespace vncgate::gateway::tests {

using namespace std::chrono_literals;


inline constexpr std::size_t transfer_size = 4 * 1024 * 1024;
// How long one run of the server side may take before it counts as hung.
inline constexpr auto run_limit = 20s;
// How long a wait_readable that should complete at once may take.
inline constexpr auto wait_limit = 2s;

using bytes = std::vector<std::uint8_t>;

// A counter modulo a prime, so a lost, repeated or reordered chunk of any power-of-two
// size shows; `salt` tells the two directions apart.
inline bytes pattern(std::size_t size, std::uint8_t salt) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>((i + salt) % 251);
  return out;
}

// "" when equal; otherwise where they part (printing 4 MiB vectors helps nobody).
inline std::string difference(const bytes& got, const bytes& want) {
  if (got == want) return "";
  std::size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  return "got " + std::to_string(got.size()) + " bytes, want " + std::to_string(want.size()) +
         "; first difference at offset " + std::to_string(at);
}

inline std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += buf;
    out += "; ";
  }
  return out;
}

// The server's TLS contexts, built as the gateway builds them, from config_test_support's
// self-signed P-256 certificate.
inline tls_contexts server_contexts(bool kernel_tls) {
  tests::config_dir dir;
  config cfg;
  cfg.tls.certificate = dir.path("cert.pem");
  cfg.tls.private_key = dir.path("key.pem");
  cfg.tls.kernel_tls = kernel_tls;
  auto made = make_tls_contexts(cfg);
  if (!made) FAIL(made.error());
  return std::move(*made);
}

class owned_fd {
 public:
  explicit owned_fd(int fd = -1) noexcept : fd_(fd) {}
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// One loopback TCP connection: the server's end as a client_stream on `io`, the peer's end
// a blocking descriptor with send and receive timeouts, so that a peer thread never hangs
// the test when the server side fails.
struct loopback {
  asio::io_context io;
  owned_fd peer{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  std::optional<client_stream> server;

  loopback() {
    REQUIRE(peer.get() >= 0);
    const timeval limit{10, 0};
    REQUIRE(::setsockopt(peer.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0);
    REQUIRE(::setsockopt(peer.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == 0);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(acceptor.local_endpoint().port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(peer.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
    tcp::socket accepted(io);
    error_code ec;
    acceptor.accept(accepted, ec);
    REQUIRE_FALSE(ec);
    server.emplace(std::move(accepted));
  }
};

// The peer's side of a test, on its own thread. Catch2 v2 is not thread-safe, so the
// script says what went wrong by returning it ("" when nothing did), and finish() hands
// that to the test thread. When the script ends its socket is shut down both ways, so a
// server call that wrongly blocks the test thread ends too (10 s at most, the socket
// timeouts) and fails the test instead of hanging it.
class peer_thread {
 public:
  peer_thread(int fd, std::function<std::string()> script) : fd_(fd), result_(promise_.get_future()) {
    thread_ = std::thread([this, script = std::move(script)] {
      std::string outcome;
      try {
        outcome = script();
      } catch (...) {
        outcome = "the peer script threw";
      }
      ::shutdown(fd_, SHUT_RDWR);
      promise_.set_value(std::move(outcome));
    });
  }
  peer_thread(const peer_thread&) = delete;
  peer_thread& operator=(const peer_thread&) = delete;
  ~peer_thread() { cut_off(); }

  // The script's outcome; one still running after `limit` is cut off and reported.
  std::string finish(std::chrono::seconds limit = run_limit) {
    if (result_.wait_for(limit) != std::future_status::ready) {
      cut_off();
      return "the peer did not finish in time";
    }
    thread_.join();
    return result_.get();
  }

 private:
  // Shutting the socket down wakes a peer blocked on it.
  void cut_off() noexcept {
    if (!thread_.joinable()) return;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
  }

  int fd_;
  std::promise<std::string> promise_;
  std::future<std::string> result_;
  std::thread thread_;
};

// A blocking OpenSSL client on the peer's descriptor. It does not check the server's
// certificate: the tests are about the server's I/O, not about trust.
class tls_client {
 public:
  explicit tls_client(int fd) : ctx_(SSL_CTX_new(TLS_client_method())) {
    if (ctx_) ssl_.reset(SSL_new(ctx_.get()));
    if (ssl_ && SSL_set_fd(ssl_.get(), fd) != 1) ssl_.reset();
  }
  SSL* get() noexcept { return ssl_.get(); }
  std::string connect() {
    if (!ssl_) return "no SSL object: " + openssl_errors();
    if (SSL_connect(ssl_.get()) != 1) return "handshake failed: " + openssl_errors();
    return "";
  }
  bool write(std::span<const std::uint8_t> data) {
    std::size_t n = 0;
    return SSL_write_ex(ssl_.get(), data.data(), data.size(), &n) == 1 && n == data.size();
  }
  bool write(std::string_view text) {
    return write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  bool read_exactly(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_.get(), out.data() + done, out.size() - done, &n) != 1) return false;
      done += n;
    }
    return true;
  }

 private:
  struct ctx_free {
    void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
  };
  struct ssl_free {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };
  std::unique_ptr<SSL_CTX, ctx_free> ctx_;
  std::unique_ptr<SSL, ssl_free> ssl_;
};

inline bool send_all(int fd, std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

inline bool send_all(int fd, std::string_view text) {
  return send_all(fd, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

inline bool recv_exactly(int fd, std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const ssize_t n = ::recv(fd, out.data(), out.size(), 0);
    if (n <= 0) return false;
    out = out.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until the server closes (0) or the receive timeout; true for a clean close.
inline bool recv_until_closed(int fd) {
  char sink[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

// Runs `task` on `io` until it ends; false when it has not ended after `limit`. A Catch2
// REQUIRE that failed inside the task fails the test here.
inline bool run(asio::io_context& io, awaitable<void> task, std::chrono::steady_clock::duration limit = run_limit) {
  struct state {
    bool ended = false;
    std::exception_ptr failure;
  };
  auto s = std::make_shared<state>();
  asio::co_spawn(io, std::move(task), [s, &io](std::exception_ptr e) {
    s->ended = true;
    s->failure = e;
    io.stop();
  });
  io.restart();
  io.run_for(limit);
  if (s->failure) std::rethrow_exception(s->failure);
  return s->ended;
}

// The server-side coroutines. Plain functions taking references, not capturing lambdas:
// the references outlive each run.

inline awaitable<void> handshake(client_stream& s, asio::ssl::context& ctx, error_code& result) {
  result = co_await s.start_tls(ctx);
}

// The server's TLS handshake on `link`, which must succeed (the peer script connects).
inline void require_tls_handshake(loopback& link, asio::ssl::context& ctx) {
  error_code result;
  REQUIRE(run(link.io, handshake(*link.server, ctx, result)));
  REQUIRE(result.message() == error_code{}.message());
}

// `size` bytes (or what came before an ending) with read_some, into buffers of 1 KiB to
// 64 KiB, a different size each call.
inline awaitable<void> read_in_pieces(client_stream& s, std::size_t size, bytes& out, error_code& ending) {
  static constexpr std::size_t sizes[] = {1024, 65536, 4099, 16384, 1500, 40000, 16385, 2048};
  bytes buffer(65536);
  for (std::size_t call = 0; out.size() < size; ++call) {
    auto [ec, n] = co_await s.read_some(asio::buffer(buffer.data(), sizes[call % std::size(sizes)]));
    if (ec) {
      ending = ec;
      co_return;
    }
    REQUIRE(n > 0);
    out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

// read_some until the stream ends: the bytes before, and the ending.
inline awaitable<void> read_to_end(client_stream& s, std::string& out, error_code& ending) {
  for (;;) {
    char buffer[64];
    auto [ec, n] = co_await s.read_some(asio::buffer(buffer));
    if (ec) {
      ending = ec;
      co_return;
    }
    out.append(buffer, n);
  }
}

inline awaitable<void> write_all(client_stream& s, std::span<const std::uint8_t> data, error_code& result,
                          std::size_t& written) {
  auto [ec, n] = co_await s.write(asio::buffer(data.data(), data.size()));
  result = ec;
  written = n;
}

inline awaitable<void> write_text(client_stream& s, std::string_view text, error_code& result) {
  auto [ec, n] = co_await s.write(asio::buffer(text.data(), text.size()));
  result = ec;
  if (!ec) CHECK(n == text.size());
}

// `size` bytes one at a time with wait_readable and read_now; each wait must complete
// within wait_limit, otherwise `hung` is set (the peer sends nothing more until answered).
inline awaitable<void> read_bytewise(client_stream& s, std::size_t size, std::string& out, error_code& ending, bool& hung) {
  while (out.size() < size) {
    auto ready = co_await (s.wait_readable() || after(wait_limit));
    if (ready.index() == 1) {
      hung = true;
      co_return;
    }
    if (const error_code waited = std::get<0>(ready)) {
      ending = waited;
      co_return;
    }
    char byte = 0;
    auto [ec, n] = s.read_now(asio::buffer(&byte, 1));
    if (ec == asio::error::would_block) continue;  // a partial record: wait again
    if (ec) {
      ending = ec;
      co_return;
    }
    out.append(&byte, n);
  }
}

// Whether wait_readable completes within `limit`, and with what.
inline awaitable<void> wait_readable_within(client_stream& s, std::chrono::milliseconds limit, bool& completed,
                                     error_code& result) {
  auto ready = co_await (s.wait_readable() || after(limit));
  completed = ready.index() == 0;
  if (completed) result = std::get<0>(ready);
}

inline awaitable<void> shutdown_send(client_stream& s) { co_await s.shutdown_send(); }

inline std::string ulp_list() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// 4 MiB from the peer, read with read_some in pieces, then 4 MiB back, both checked byte
// by byte. The peer must already be connected with `client`.
inline std::string peer_transfer(tls_client& client) {
  if (!client.write(pattern(transfer_size, 0))) return "sending 4 MiB failed: " + openssl_errors();
  bytes got(transfer_size);
  if (!client.read_exactly(got)) return "receiving 4 MiB failed: " + openssl_errors();
  return difference(got, pattern(transfer_size, 100));
}

// The server's half of a transfer's answer: `transfer_size` bytes of pattern 100, all written.
inline void server_send_pattern(loopback& link) {
  const bytes sent = pattern(transfer_size, 100);
  error_code result;
  std::size_t written = 0;
  REQUIRE(run(link.io, write_all(*link.server, sent, result, written)));
  CHECK(result.message() == error_code{}.message());
  CHECK(written == transfer_size);
}

inline void server_transfer(loopback& link) {
  bytes received;
  error_code ending;
  REQUIRE(run(link.io, read_in_pieces(*link.server, transfer_size, received, ending)));
  CHECK(ending.message() == error_code{}.message());
  CHECK(difference(received, pattern(transfer_size, 0)) == "");
  server_send_pattern(link);
}

// A peer script that connects with TLS and waits for `release` (at most 10 s) before it ends.
inline std::function<std::string()> connect_and_wait(int fd, std::shared_future<void> release) {
  return [fd, release] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    release.wait_for(10s);
    return std::string();
  };
}


}  // namespace vncgate::gateway::tests
