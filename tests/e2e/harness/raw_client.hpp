// raw_client.hpp — a byte-level RFB peer for handshake tests: plain TCP to 127.0.0.1
// from a chosen loopback source address (127.0.0.1 unless told), optionally upgraded to TLS (OpenSSL, verifying the gateway's certificate) on the same
// socket, as VeNCrypt does after the subtype is accepted.
//
// Every read is bounded by the I/O timeout given at construction (or the one passed);
// a read that times out, hits EOF or fails returns nullopt rather than throwing, so a
// test can assert exactly which bytes came back and when the gateway hung up.
// Writes never raise SIGPIPE. Blocking; one thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vncgate::e2e {

using namespace std::chrono_literals;

class raw_client {
 public:
  // Throws std::runtime_error when 127.0.0.1:port refuses the connection or
  // `source_host` cannot be bound.
  explicit raw_client(std::uint16_t port, std::chrono::milliseconds io_timeout = 5s,
                      const std::string& source_host = "127.0.0.1");
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  std::uint16_t local_port() const noexcept { return local_port_; }
  std::string source() const { return source_host_ + ":" + std::to_string(local_port_); }
  bool tls() const noexcept { return ssl_ != nullptr; }

  bool send(std::string_view bytes);
  bool send_u8(std::uint8_t v);
  bool send_u32(std::uint32_t v);  // big endian, as RFB
  bool send_plain_credentials(std::string_view user, std::string_view password);  // VeNCrypt Plain

  std::optional<std::string> read_exact(std::size_t n);
  std::optional<std::string> read_exact(std::size_t n, std::chrono::milliseconds timeout);
  std::optional<std::uint8_t> read_u8();
  std::optional<std::uint32_t> read_u32();
  // RFB failure text: u32 length then that many bytes (refused above 1 MiB).
  std::optional<std::string> read_string32();

  // True when the peer closes (EOF or reset) within `within`; bytes that arrive
  // meanwhile are appended to `drained` when given.
  bool wait_closed(std::chrono::milliseconds within, std::string* drained = nullptr);

  // TLS client handshake on the current socket; verifies the certificate against
  // `ca_file` and `host_name`, and presents `client_cert` (PEM, key in `client_key`)
  // when given. False (see last_error()) when it fails.
  bool start_tls(const std::filesystem::path& ca_file, const std::string& host_name = "localhost",
                 const std::filesystem::path& client_cert = {}, const std::filesystem::path& client_key = {});
  const std::string& last_error() const noexcept { return error_; }
  // After start_tls: the SHA-256 fingerprint of the certificate the server presented
  // (certificate_sha256 in certs.hpp); empty before.
  std::string peer_certificate_sha256() const;

  // Closes at once: with `reset`, SO_LINGER 0 so the peer sees ECONNRESET.
  void close(bool reset = false);
  // Done sending: close_notify on TLS, then a TCP FIN; reading goes on.
  void shutdown_send();

 private:
  long read_some(char* buffer, std::size_t size, std::chrono::steady_clock::time_point deadline, bool& closed);

  int fd_ = -1;
  std::string source_host_;
  std::uint16_t local_port_ = 0;
  std::chrono::milliseconds io_timeout_;
  struct ssl_ctx_free {
    void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
  };
  struct ssl_free {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };
  std::unique_ptr<SSL_CTX, ssl_ctx_free> ctx_;
  std::unique_ptr<SSL, ssl_free> ssl_;
  std::string error_;
};

// The VeNCrypt handshake up to the subtype list, as a client: version 3.8, type 19,
// VeNCrypt 0.2. Returns the offered subtypes, or nullopt when any step differs from
// what a conforming server sends (details in `why`).
std::optional<std::vector<std::uint32_t>> vencrypt_subtypes(raw_client& client, std::string* why = nullptr);

}  // namespace vncgate::e2e
