// vnc_client.hpp — a real VNC client (libvncclient 0.9.x, GnuTLS inside) driven in-process.
//
// vnc_connect() dials 127.0.0.1:port itself (so the test knows the client's source port
// and can find the session in the gateway's audit trail), hands the socket to
// libvncclient, answers VncAuth / VeNCrypt (Plain, X509Plain, TLSPlain) from the given
// login, waits for one complete framebuffer in raw encoding, and returns the pixels and
// everything libvncclient logged, including the failure reason a server sent
// ("VNC connection failed: <reason>").
// libvncclient logs through two global function pointers, so calls are serialised by a
// global mutex: run clients one after another (never call vnc_connect from while_connected).
// Blocking, bounded by `timeout`.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace vncgate::e2e {

using namespace std::chrono_literals;

struct vnc_login {
  std::string user{};                 // VeNCrypt Plain user name
  std::string password{};             // Plain password, or the VncAuth password
  std::filesystem::path ca_file{};    // trusted certificate for the X509 subtypes
};

struct vnc_session_result;

struct vnc_client_options {
  std::string host_name = "localhost";  // the name TLS checks the certificate against
  std::string encodings = "raw";        // raw: bytes on the wire >= the framebuffer size
  std::chrono::seconds timeout = 15s;
  // Called after the full frame arrived, while the connection is still open.
  std::function<void(const vnc_session_result&)> while_connected{};
};

struct vnc_session_result {
  bool connected = false;           // security handshake and ServerInit completed
  bool full_frame = false;          // every pixel received at least once
  int width = 0;
  int height = 0;
  std::string desktop_name{};
  int security_type = 0;            // the type libvncclient chose (19 = VeNCrypt)
  int vencrypt_subtype = 0;         // e.g. 262 X509Plain, 256 Plain
  std::uint16_t local_port = 0;     // the client's source port: the audit "source"
  std::vector<std::uint8_t> rgb{};    // width * height * 3
  std::string rgb_sha256{};           // hex
  std::vector<std::string> log{};     // rfbClientLog / rfbClientErr lines, in order

  // The reason from "VNC connection failed: <reason>" (empty if none was logged).
  std::string failure_reason() const;
  std::string log_text() const;
  std::array<std::uint8_t, 3> pixel(int x, int y) const;
  std::string source() const { return "127.0.0.1:" + std::to_string(local_port); }
};

vnc_session_result vnc_connect(std::uint16_t port, const vnc_login& login, const vnc_client_options& options = {});

// SHA-256 of `bytes`, lower-case hex.
std::string sha256_hex(const std::vector<std::uint8_t>& bytes);

}  // namespace vncgate::e2e
