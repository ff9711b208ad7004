// How a relaying session is ended by the gateway rather than by a peer: the idle
// timeout, the maximum session length, or end() from outside (a reload that revoked
// access). See session.hpp.
//
// RFB cannot tell a client why once the handshake is over, except by renaming the
// desktop (rfb/server_messages.hpp). When the client accepts that, the session says
// goodbye: nothing more goes to the target, so the target falls silent once it has
// answered the requests it has; the gateway passes those answers on until the target
// has been quiet for a moment (between two messages, where a server message may be
// inserted), then renames the desktop to the reason, holds the connection for a few
// seconds so the person can read it (TigerVNC's viewer quits at once on a clean end of
// stream, taking its title with it), and closes. All of it is bounded. Clients that do not accept the rename are closed at once; the
// reason is in the audit log and the gateway's log either way.
#include "gateway/buffer_pool.hpp"
#include "gateway/log.hpp"
#include "gateway/session.hpp"
#include "rfb/server_messages.hpp"

namespace vncgate::gateway {
namespace {

constexpr auto quiet_before_goodbye = std::chrono::milliseconds(250);
constexpr auto longest_goodbye = std::chrono::seconds(2);
constexpr auto reading_time = std::chrono::seconds(3);  // the renamed desktop stays up this long

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

awaitable<std::string> session::session_clock() {
  const auto started = std::chrono::steady_clock::now();
  std::string why;
  for (;;) {
    if (end_requested_) {
      why = end_reason_;
      break;
    }
    auto now = std::chrono::steady_clock::now();
    auto wake = std::chrono::steady_clock::time_point::max();
    if (max_session_.count() > 0) {
      if (now >= started + max_session_) {
        why = "the session reached its maximum length of " + seconds_text(max_session_);
        record_.set_outcome(outcome::max_session, why);
        break;
      }
      wake = std::min(wake, started + max_session_);
    }
    if (idle_timeout_.count() > 0) {
      if (now >= last_input_ + idle_timeout_) {
        why = "no input from the client for " + seconds_text(idle_timeout_);
        record_.set_outcome(outcome::idle_timeout, why);
        break;
      }
      wake = std::min(wake, last_input_ + idle_timeout_);
    }
    // With nothing to watch this waits until the pumps end the session or end() is called.
    clock_.expires_at(wake);
    auto [ec] = co_await clock_.async_wait(use_tuple);
    if (ec && !end_requested_) co_return std::string();  // the relay ended: cancelled
  }

  log(log_level::warning, record_.id(), "ending session: " + why);
  if (!filter_ || !filter_->client_accepts_desktop_name()) co_return why;
  farewell_ = true;
  // "vncgate: session ended: no input from the client for 1800 s"; a reason that says so
  // itself ("session ended by administrator") is shown as it is.
  farewell_text_ = why.starts_with("session ended") ? "vncgate: " + why : "vncgate: session ended: " + why;
  error_code ignored;
  upstream_.cancel(ignored);  // wakes both pumps; they see farewell_
  // say_goodbye ends the relay before this does.
  co_await after(longest_goodbye + reading_time + std::chrono::seconds(1));
  co_return why;
}

awaitable<std::string> session::say_goodbye() {
  const auto deadline = std::chrono::steady_clock::now() + longest_goodbye;
  auto& pool = buffer_pool::for_this_thread<to_client_chunk>();
  auto buffer = pool.take();
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = co_await (upstream_.async_read_some(asio::buffer(buffer.get(), pool.size()), use_tuple) ||
                         after(quiet_before_goodbye));
    if (got.index() == 1) break;  // quiet: between two server messages
    auto [rec, n] = std::get<0>(got);
    if (rec) break;
    auto [wec, w] = co_await client_.write(asio::buffer(buffer.get(), n));
    record_.bytes_to_client += w;
    svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::copy).Increment(static_cast<double>(w));
    if (wec) co_return farewell_text_;
  }
  pool.give_back(std::move(buffer));
  auto rename = rfb::encode_desktop_name_update(farewell_text_);
  auto [ec, n] = co_await client_.write(asio::buffer(rename));
  (void)n;
  if (!ec) co_await after(reading_time);  // what the client sends meanwhile is dropped
  co_return farewell_text_;
}

void session::end(outcome o, std::string reason) {
  record_.set_outcome(o, reason);
  if (relaying_) {
    end_requested_ = true;
    end_reason_ = std::move(reason);
    clock_.cancel();
    return;
  }
  log(log_level::warning, record_.id(), "ending session: " + reason);
  client_.close();
  error_code ignored;
  upstream_.close(ignored);
}

}  // namespace vncgate::gateway
