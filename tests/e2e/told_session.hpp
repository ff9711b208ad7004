// told_session.hpp — a raw RFB client through the gateway that is past ServerInit and
// its first full frame, and the check that the gateway told it why it ended the session:
// the desktop renamed to "vncgate: session ended…" in the last message, then close_notify.
// Shared by the tests that end sessions from the gateway's side (farewell, admin API,
// drain). Catch assertions: the test's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "harness/certs.hpp"
#include "harness/gateway.hpp"
#include "harness/raw_client.hpp"
#include "harness/rfb_session.hpp"

namespace vncgate::e2e {

inline const std::string ended_prefix = "vncgate: session ended: ";

// A raw client through the gateway, past ServerInit and the answer to its first full
// FramebufferUpdateRequest, sent after each SetEncodings of `encodings` in turn.
struct raw_session {
  std::unique_ptr<raw_client> client;
  server_init_message init{};
  server_stream stream{};

  void read(std::chrono::milliseconds within, std::size_t count = std::numeric_limits<std::size_t>::max()) {
    read_server_messages(*client, init.bits_per_pixel, stream, within, count);
  }
};

// Logs in as `login_name` and reads the first frame (REQUIREs a 320x240 desktop).
raw_session start_session(const gateway& gw, const certs& tls, const std::string& login_name,
                          const std::string& password, const std::vector<std::vector<std::int32_t>>& encodings);

// For INFO: message count, state, error and every desktop name seen.
std::string describe(const server_stream& stream);

// The stream ended with the rename to `told`, alone in the last message, then (on TLS)
// a close_notify; the target's frame came through before it; no other rename was sent.
void check_told(const server_stream& stream, const std::string& told, int width, int height, bool tls = true);

}  // namespace vncgate::e2e
