// target_session.hpp — one connection to the synthetic RFB 3.8 target (bench_target).
//
// Greets with 3.8, offers one security type (VNC Authentication when a password is
// set, else None), sends the shared ServerInit, then answers every
// FramebufferUpdateRequest, incremental or not, with the shared full-screen Raw update
// in one write. Client messages are framed by rfb::client_message_filter (no drop
// rules), so the target reads every message the gateway may forward. A session ends at
// the first error or malformed message; nothing is logged per session.
// Runs on the target's io_context; owns its socket; the screen and password outlive it.
#pragma once

#include <optional>
#include <string>

#include "bench/asio.hpp"
#include "rfb/codec.hpp"

namespace vncgate::bench {

struct target_screen {
  rfb::bytes server_init;  // bench_server_init
  rfb::bytes update;       // full_screen_raw_update
  std::optional<std::string> vnc_password;  // VNC Authentication when set
};

awaitable<void> serve_target_session(tcp::socket socket, const target_screen& screen);

}  // namespace vncgate::bench
