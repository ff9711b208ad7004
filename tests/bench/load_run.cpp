// load_run.cpp — measuring, handshake and idle runs of the load client, on one io_context.
#include "bench/load_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "bench/framebuffer_update.hpp"
#include "bench/rfb_login.hpp"

namespace vncgate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t read_chunk = 256 * 1024;

// Shared by the sessions of one run; one thread, so no locking.
struct load_state {
  explicit load_state(asio::io_context& io) : gate(io, clock_type::time_point::max()), io_(io) {}
  const client_options* options = nullptr;
  SSL_CTX* tls = nullptr;
  tcp::endpoint endpoint;
  login_options login;

  asio::steady_timer gate;  // opened (cancelled) when every session has logged in or failed
  unsigned arrived = 0;
  clock_type::time_point start{};
  clock_type::time_point last_end{};
  std::uint64_t bytes = 0;
  std::uint64_t updates = 0;
  std::vector<double> latencies_us;
  std::vector<double> logins_ms;
  unsigned failed = 0;
  std::string first_error;

  unsigned next_idle = 0;
  std::vector<std::unique_ptr<bench_stream>> held;

  void fail(std::string why) {
    if (failed++ == 0) first_error = std::move(why);
  }
  asio::io_context& io_;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Connects, starts TLS when the mode is TLS-first, and logs in. Null on failure.
awaitable<std::unique_ptr<bench_stream>> open_session(load_state& st) {
  tcp::socket socket(st.io_);
  auto [ec] = co_await socket.async_connect(st.endpoint, use_tuple);
  if (ec) {
    st.fail("connect: " + ec.message());
    co_return nullptr;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto stream = std::make_unique<bench_stream>(std::move(socket));
  if (st.options->mode == client_mode::tls) {
    ec = co_await stream->start_tls(st.tls);
    if (ec) {
      st.fail("TLS: " + ec.message());
      co_return nullptr;
    }
  }
  const auto began = clock_type::now();
  login_result login = co_await rfb_login(*stream, st.login);
  if (!login.ok) {
    st.fail(login.failure);
    co_return nullptr;
  }
  if (login.screen.bits_per_pixel != 32) {
    st.fail("ServerInit: not 32 bits per pixel");
    co_return nullptr;
  }
  st.logins_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - began).count());
  co_return stream;
}

// One FramebufferUpdate to its last byte; the bytes it had, or 0 on error.
awaitable<std::uint64_t> read_update(load_state& st, bench_stream& s, std::vector<std::uint8_t>& buf) {
  std::array<std::uint8_t, update_header_size> header{};
  error_code ec = co_await s.read_exact(header);
  if (ec || header[0] != 0) {
    st.fail(ec ? "update: " + ec.message() : "a server message other than FramebufferUpdate");
    co_return 0;
  }
  std::uint64_t total = header.size();
  const std::uint16_t rectangles = rfb::get_u16(rfb::byte_view(header).subspan(2));
  for (std::uint16_t r = 0; r < rectangles; ++r) {
    std::array<std::uint8_t, rectangle_header_size> rect{};
    ec = co_await s.read_exact(rect);
    if (ec || rfb::get_u32(rfb::byte_view(rect).subspan(8)) != 0) {
      st.fail(ec ? "rectangle: " + ec.message() : "a rectangle not in Raw encoding");
      co_return 0;
    }
    const std::uint64_t w = rfb::get_u16(rfb::byte_view(rect).subspan(4));
    const std::uint64_t h = rfb::get_u16(rfb::byte_view(rect).subspan(6));
    std::uint64_t left = w * h * 4;
    total += rect.size() + left;
    while (left > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
      auto [read_ec, n] = co_await s.read_some(std::span<std::uint8_t>(buf.data(), want));
      if (read_ec) {
        st.fail("pixels: " + read_ec.message());
        co_return 0;
      }
      left -= n;
    }
  }
  co_return total;
}

rfb::bytes update_request(bool incremental) {
  rfb::bytes request;
  rfb::put_u8(request, 3);  // FramebufferUpdateRequest
  rfb::put_u8(request, incremental ? 1 : 0);
  rfb::put_u16(request, 0);
  rfb::put_u16(request, 0);
  rfb::put_u16(request, 0xFFFF);  // the whole screen, whatever its size
  rfb::put_u16(request, 0xFFFF);
  return request;
}

awaitable<void> measured_session(load_state& st) {
  std::unique_ptr<bench_stream> stream = co_await open_session(st);
  const client_options& o = *st.options;
  if (++st.arrived == o.sessions) {
    st.start = clock_type::now();
    st.gate.cancel();
  } else {
    co_await st.gate.async_wait(use_tuple);
  }
  if (!stream) co_return;

  const rfb::bytes request = update_request(o.incremental);
  std::vector<std::uint8_t> buf(read_chunk);
  const auto deadline = st.start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.duration));
  for (std::uint64_t done = 0;; ++done) {
    if (o.requests > 0 && done >= o.requests) break;
    const auto sent = clock_type::now();
    if (o.duration > 0 && sent >= deadline) break;
    const error_code ec = co_await stream->write_all(request);
    if (ec) {
      st.fail("request: " + ec.message());
      break;
    }
    const std::uint64_t got = co_await read_update(st, *stream, buf);
    if (got == 0) break;
    const auto arrived = clock_type::now();
    st.latencies_us.push_back(std::chrono::duration<double, std::micro>(arrived - sent).count());
    st.bytes += got;
    ++st.updates;
    st.last_end = std::max(st.last_end, arrived);
  }
}

// The sessions of a handshake run, strictly one after another: the server handles one
// session at a time, so its CPU over the run divided by the count is the cost of one.
// A failed session is counted and the next one starts.
awaitable<void> handshake_sessions(load_state& st) {
  const rfb::bytes request = update_request(false);
  std::vector<std::uint8_t> buf(read_chunk);
  st.start = clock_type::now();
  for (std::uint64_t i = 0; i < st.options->handshakes; ++i) {
    const auto began = clock_type::now();
    std::unique_ptr<bench_stream> stream = co_await open_session(st);
    if (!stream) continue;
    const error_code ec = co_await stream->write_all(request);
    if (ec) {
      st.fail("request: " + ec.message());
      continue;
    }
    const std::uint64_t got = co_await read_update(st, *stream, buf);
    if (got == 0) continue;
    st.latencies_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - began).count());
    ++st.updates;
    // Closed here, before the next connect: no close_notify, as a client that quits.
    stream.reset();
  }
  st.last_end = clock_type::now();
}

awaitable<void> idle_opener(load_state& st) {
  while (st.next_idle < st.options->idle) {
    ++st.next_idle;
    std::unique_ptr<bench_stream> stream = co_await open_session(st);
    if (stream) st.held.push_back(std::move(stream));
  }
}

std::string common_fields(const load_state& st) {
  const client_options& o = *st.options;
  std::ostringstream j;
  j << "\"label\":" << json_string(o.label) << ",\"mode\":" << json_string(o.mode_name) << ",\"port\":" << o.port
    << ",\"login_ms_p50\":" << number(percentile(st.logins_ms, 0.5)) << ",\"failed\":" << st.failed;
  if (st.failed > 0) j << ",\"error\":" << json_string(st.first_error);
  return j.str();
}

void on_done(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::cerr << "bench_client: " << x.what() << "\n";
  }
}

awaitable<void> idle_run(load_state& st) {
  const auto began = clock_type::now();
  const unsigned workers = std::min(st.options->parallel, st.options->idle);
  // The openers run side by side; this coroutine waits for them on a timer gate.
  auto remaining = std::make_shared<unsigned>(workers);
  for (unsigned i = 0; i < workers; ++i) {
    asio::co_spawn(st.io_, idle_opener(st), [&st, remaining](std::exception_ptr e) {
      on_done(e);
      if (--*remaining == 0) st.gate.cancel();
    });
  }
  co_await st.gate.async_wait(use_tuple);
  const double seconds = std::chrono::duration<double>(clock_type::now() - began).count();
  std::cout << "{" << common_fields(st) << ",\"idle\":" << st.options->idle << ",\"up\":" << st.held.size()
            << ",\"seconds\":" << number(seconds) << "}" << std::endl;

  // Held until --hold runs out or SIGTERM/SIGINT, whichever comes first.
  asio::steady_timer hold(st.io_, clock_type::time_point::max());
  if (st.options->hold > 0)
    hold.expires_after(std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(st.options->hold)));
  asio::signal_set signals(st.io_, SIGTERM, SIGINT);
  signals.async_wait([&hold](const error_code&, int) { hold.cancel(); });
  co_await hold.async_wait(use_tuple);
  signals.cancel();
  st.held.clear();
}

}  // namespace

int run_load(const client_options& o) {
  asio::io_context io(1);
  load_state st(io);
  st.options = &o;
  st.login = {o.user, o.password, nullptr};
  error_code ec;
  st.endpoint = tcp::endpoint(asio::ip::make_address(o.host, ec), o.port);
  if (ec) {
    std::cerr << "bench_client: bad host " << o.host << "\n";
    return 2;
  }
  ssl_ctx_ptr tls;
  if (o.mode != client_mode::direct) {
    std::string why;
    tls = make_client_tls_context(o.ca_file, o.idle > 0, why);
    if (!tls) {
      std::cerr << "bench_client: " << why << "\n";
      return 2;
    }
    st.tls = tls.get();
    if (o.mode == client_mode::vencrypt) st.login.tls_context = tls.get();
  }

  if (o.idle > 0) {
    asio::co_spawn(io, idle_run(st), on_done);
    io.run();
    OPENSSL_cleanse(st.login.password.data(), st.login.password.size());
    return st.failed == 0 ? 0 : 1;
  }

  if (o.handshakes > 0) {
    asio::co_spawn(io, handshake_sessions(st), on_done);
    io.run();
    OPENSSL_cleanse(st.login.password.data(), st.login.password.size());
    const double seconds = std::chrono::duration<double>(st.last_end - st.start).count();
    std::cout << "{" << common_fields(st) << ",\"handshakes\":" << o.handshakes << ",\"read\":\"whole_update\""
              << ",\"seconds\":" << number(seconds)
              << ",\"session_p50_us\":" << number(percentile(st.latencies_us, 0.5))
              << ",\"session_p99_us\":" << number(percentile(st.latencies_us, 0.99)) << "}" << std::endl;
    return st.failed == 0 && st.updates > 0 ? 0 : 1;
  }

  for (unsigned i = 0; i < o.sessions; ++i) asio::co_spawn(io, measured_session(st), on_done);
  io.run();
  OPENSSL_cleanse(st.login.password.data(), st.login.password.size());

  const double seconds = st.updates ? std::chrono::duration<double>(st.last_end - st.start).count() : 0;
  const double mib_per_s = seconds > 0 ? static_cast<double>(st.bytes) / (1024.0 * 1024.0) / seconds : 0;
  std::cout << "{" << common_fields(st) << ",\"sessions\":" << o.sessions << ",\"updates\":" << st.updates
            << ",\"bytes\":" << st.bytes << ",\"seconds\":" << number(seconds) << ",\"mib_per_s\":" << number(mib_per_s)
            << ",\"latency_p50_us\":" << number(percentile(st.latencies_us, 0.5))
            << ",\"latency_p99_us\":" << number(percentile(st.latencies_us, 0.99)) << "}" << std::endl;
  return st.failed == 0 && st.updates > 0 ? 0 : 1;
}

}  // namespace vncgate::bench
