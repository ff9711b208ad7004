// load_run.hpp — what one bench_client invocation does and measures.
//
// Measuring run: `sessions` sessions log in; when all are in, each sends
// FramebufferUpdateRequests back to back (one outstanding) for `duration` seconds or
// `requests` requests, reading each update to its last byte. Throughput is the update
// bytes of all sessions over the wall time from the common start to the last session's
// end; latency is request written -> last byte of its update, per request.
// Idle run: `idle` sessions log in (at most `parallel` handshakes at once) and are held,
// reading nothing, until `hold` seconds pass or SIGTERM/SIGINT; a JSON line is printed
// as soon as all are up, so a runner can measure the peers' memory meanwhile.
// Handshake run: `handshakes` sessions one after another (never two at once), each:
// connect, log in, ServerInit, one non-incremental FramebufferUpdateRequest, the whole
// update read, close; the wall time per session is connect -> last byte of the update.
// A runner reads the server's CPU around it and divides by `handshakes`.
// Everything runs on one thread (one io_context); the result is printed as one JSON line.
#pragma once

#include <cstdint>
#include <string>

namespace vncgate::bench {

enum class client_mode { direct, vencrypt, tls };

struct client_options {
  client_mode mode = client_mode::direct;
  std::string mode_name = "direct";
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string user = "bench";
  std::string password;  // from --password-file; wiped at exit
  std::string ca_file;   // vencrypt and tls modes
  std::string label;     // echoed in the JSON line, for the runner
  unsigned sessions = 1;
  double duration = 0;         // seconds; 0: --requests decides
  std::uint64_t requests = 0;  // per session; 0: --duration decides
  bool incremental = false;
  unsigned idle = 0;           // > 0: idle run
  double hold = 0;             // idle: seconds to hold after all are up; 0: until a signal
  unsigned parallel = 32;      // idle: handshakes in flight
  std::uint64_t handshakes = 0;  // > 0: handshake run, this many sessions in sequence
};

// Runs and prints the JSON line. Returns the exit status: 0 when every session logged
// in and (measuring, handshakes) at least one update arrived, else 1 (the line says why).
int run_load(const client_options& options);

}  // namespace vncgate::bench
