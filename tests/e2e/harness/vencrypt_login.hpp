// vencrypt_login.hpp — a VeNCrypt X509Plain login done byte by byte over raw_client, up
// to the SecurityResult, and the ClientInit/ServerInit that follow a success.
//
// libvncclient is serialised by a global mutex and cannot run inside while_connected;
// this one can: many logins in parallel threads (brute force), a second session while
// a libvncclient session is open (session caps), and it times exactly the gateway's
// answer to the credentials (the tarpit), excluding the TLS handshake before it.
// Never throws for what the server sends; blocking, bounded by the raw_client timeout;
// any thread, one raw_client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "harness/raw_client.hpp"

namespace vncgate::e2e {

struct login_attempt {
  bool answered = false;               // a SecurityResult arrived
  std::uint32_t result = 0xffffffff;   // 0 ok, 1 failed
  std::string reason{};                // the 3.8 failure reason after result 1
  std::string source{};                // "127.0.0.x:port", the audit "source"
  std::chrono::milliseconds took{};    // credentials sent -> SecurityResult read
  std::string error{};                 // why nothing was answered

  bool ok() const noexcept { return answered && result == 0; }
  bool refused() const noexcept { return answered && result == 1; }
};

// Version 3.8, type 19, VeNCrypt 0.2, subtype X509Plain (262), TLS verified against
// `ca_file`, then `user`/`password`; reads the SecurityResult (and reason). Where only
// Plain (256) is offered (a plain listener), Plain without TLS.
login_attempt vencrypt_login(raw_client& client, const std::string& user, const std::string& password,
                             const std::filesystem::path& ca_file);

// The same on a fresh connection from `source_host`; the connection is closed afterwards.
login_attempt vencrypt_login(std::uint16_t port, const std::string& user, const std::string& password,
                             const std::filesystem::path& ca_file, const std::string& source_host = "127.0.0.1");

// After a successful login: ClientInit(shared) and the ServerInit header; returns the
// framebuffer size, or nullopt when the server does not send a well-formed ServerInit.
std::optional<std::pair<int, int>> client_init(raw_client& client, bool shared = true);

// The 3.8 refusal the gateway sends at accept with greet_refused: true — the greeting,
// our version, then an empty security-type list (u8 0) and a reason. Nullopt when
// anything else (or nothing) arrives; `why` says what.
std::optional<std::string> greeting_refusal(raw_client& client, std::string* why = nullptr);

}  // namespace vncgate::e2e
