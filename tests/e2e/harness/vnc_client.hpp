// vnc_client.hpp — a real VNC client (libvncclient 0.9.x, GnuTLS inside) driven in-process.
//
// vnc_connect() dials 127.0.0.1:port itself, from a chosen loopback source address
// (127.0.0.2 etc. are all on lo), so the test knows the client's source address and
// port and can find the session in the gateway's audit trail; it hands the socket to
// libvncclient, answers VncAuth / VeNCrypt (Plain, X509Plain, TLSPlain) from the given
// login, waits for one complete framebuffer in raw encoding, and returns the pixels and
// everything libvncclient logged, including the failure reason a server sent
// ("VNC connection failed: <reason>").
// libvncclient logs through two global function pointers, so calls are serialised by a
// global mutex: run clients one after another (never call vnc_connect from while_connected).
// While connected, the test drives the client through vnc_live (input, cut text, and
// servicing the server's messages), so tests never touch libvncclient themselves.
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
  std::filesystem::path client_cert{};  // X509 subtypes: a client certificate (PEM) to present
  std::filesystem::path client_key{};   // and its key (PEM); both or neither
};

struct vnc_session_result;
class vnc_live;

struct vnc_client_options {
  std::string host_name = "localhost";  // the name TLS checks the certificate against
  std::string encodings = "raw";        // raw: bytes on the wire >= the framebuffer size
  std::chrono::seconds timeout = 15s;
  std::string source_host = "127.0.0.1";  // bound before dialling: the audit "source" address
  // Called after the full frame arrived, while the connection is still open. A callback
  // taking `const vnc_session_result&` works too (vnc_live converts to it).
  std::function<void(vnc_live&)> while_connected{};
};

struct vnc_session_result {
  bool connected = false;           // security handshake and ServerInit completed
  bool full_frame = false;          // every pixel received at least once
  int width = 0;
  int height = 0;
  std::string desktop_name{};
  int security_type = 0;            // the type libvncclient chose (19 = VeNCrypt)
  int vencrypt_subtype = 0;         // e.g. 262 X509Plain, 256 Plain
  std::string local_host = "127.0.0.1";  // the client's source address and port:
  std::uint16_t local_port = 0;          // together the audit "source"
  std::vector<std::uint8_t> rgb{};    // width * height * 3
  std::string rgb_sha256{};           // hex
  std::vector<std::string> log{};     // rfbClientLog / rfbClientErr lines, in order

  // The reason from "VNC connection failed: <reason>" (empty if none was logged).
  std::string failure_reason() const;
  std::string log_text() const;
  std::array<std::uint8_t, 3> pixel(int x, int y) const;
  std::string source() const { return local_host + ":" + std::to_string(local_port); }
};

// The open connection inside while_connected. Every call returns false once the
// connection is gone (the server closed it, or a write failed).
class vnc_live {
 public:
  vnc_live(const vnc_session_result& result, void* client) : result_(result), client_(client) {}
  vnc_live(const vnc_live&) = delete;
  vnc_live& operator=(const vnc_live&) = delete;

  operator const vnc_session_result&() const noexcept { return result_; }
  const vnc_session_result& result() const noexcept { return result_; }
  std::string source() const { return result_.source(); }

  // RFB PointerEvent (button mask: 1 left, 2 middle, 4 right) and KeyEvent (X keysym).
  bool pointer(int x, int y, int buttons = 0);
  bool key(std::uint32_t keysym, bool down);
  bool key_tap(std::uint32_t keysym) { return key(keysym, true) && key(keysym, false); }
  // RFB ClientCutText, Latin-1: the paste-in direction.
  bool cut_text(const std::string& latin1);
  // Reads and handles server messages for `duration` (libvncclient keeps asking for
  // updates meanwhile). False as soon as the connection is lost; closed_after() then
  // says how long into this call it went.
  bool serve(std::chrono::milliseconds duration);
  // Services the connection until the server closes it or `timeout` passes; true when closed.
  bool wait_closed(std::chrono::milliseconds timeout);
  bool open() const noexcept { return open_; }
  std::chrono::milliseconds closed_after() const noexcept { return closed_after_; }

 private:
  const vnc_session_result& result_;
  void* client_;  // rfbClient*; void so this header does not pull in rfb/rfbclient.h
  bool open_ = true;
  std::chrono::milliseconds closed_after_{0};
};

vnc_session_result vnc_connect(std::uint16_t port, const vnc_login& login, const vnc_client_options& options = {});

// SHA-256 of `bytes`, lower-case hex.
std::string sha256_hex(const std::vector<std::uint8_t>& bytes);

}  // namespace vncgate::e2e
