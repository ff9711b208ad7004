// Stage `relay` of the session (see session.hpp): bytes both ways until one side ends.
//
// Bytes cross on one of three paths (metrics.hpp relay_path), chosen per direction:
//   copy   — through a user-space buffer: always for TLS done in user space, and for the
//            client's messages while the message filter must see them.
//   splice — socket -> pipe -> socket with splice(2), never entering user space
//            (relay_splice.cpp): target->client when the client leg is plaintext at the
//            socket (a `plain` listener), client->target there too once no rule needs
//            the filter.
//   ktls   — target->client spliced into a client socket whose TLS the kernel does.
//
// Copy buffers are taken per burst from the thread's buffer_pool: when the source turns
// readable the session takes one, reads and writes until the source runs dry, then gives
// it back, so an idle session holds none. One write in flight per direction: a slow
// reader stops us reading from its peer (backpressure); memory never grows with traffic.
// When the client stops sending, the target's send side is shut and the target gets a
// short grace period to finish; when the target closes, the session is over.
//
// Client->target runs through rfb::client_message_filter on the copy path: whole
// messages are dropped, never bytes, where the session has a right to enforce
// (view-only, block_paste); input resets the idle clock; and the filter learns whether
// the client takes DesktopName (-307), so a session ended from outside (an administrator,
// a reload, the shutdown) can be told why. A session on a plaintext client leg with no
// right and no idle timeout needs the filter only for the last: once the client's first
// SetEncodings has gone through and the filter stands between two messages, that
// direction is spliced too. session_clock ends the session at the idle timeout or the
// maximum session length. Bytes are counted as the audit counts them (read from the
// client, written to the client) in vncgate_relayed_bytes_total, by path, once per burst.
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cstring>

#include "gateway/buffer_pool.hpp"
#include "gateway/log.hpp"
#include "gateway/session.hpp"

namespace vncgate::gateway {
namespace {

constexpr auto half_close_grace = std::chrono::seconds(10);
// A burst that never runs dry lets the other sessions on this thread in this often.
constexpr std::uint64_t fair_share = 1024 * 1024;

awaitable<void> yield_to_others() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

}  // namespace

std::string session::ending(const error_code& ec, std::string_view who) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return std::string(who) + " closed";
  return std::string(who) + ": " + ec.message();
}

awaitable<void> session::relay() {
  error_code ignored;
  upstream_.non_blocking(true, ignored);  // read until it runs dry, then wait

  filter_.emplace(rights_);
  record_.filtered = rights_.drop_input || rights_.drop_clipboard;
  last_input_ = std::chrono::steady_clock::now();
  const bool rules_need_filter =
      rights_.drop_input || rights_.drop_clipboard || rights_.drop_desktop_control || idle_timeout_.count() > 0;
  splice_to_target_ = !client_.is_tls() && !rules_need_filter;
  target_path_ = !client_.is_tls() ? relay_path::splice : client_.ktls_send() ? relay_path::ktls : relay_path::copy;
  record_.relay_path = to_string(target_path_);
  record_.to_target_path = to_string(relay_path::copy);
  // Bytes that arrived with the last handshake message belong to the stream: the
  // client's first messages (through the filter, like every other), the target's first
  // update.
  if (!client_in_.empty()) {
    const auto early = client_in_.pending();
    rfb::bytes passed;
    auto fed = filter_->feed(early, passed);
    record_.bytes_from_client += early.size();
    svc_.stats.relayed_bytes(relay_direction::client_to_target, relay_path::copy)
        .Increment(static_cast<double>(early.size()));
    client_in_.consume(early.size());
    if (!fed) {
      record_.set_outcome(outcome::protocol_error, rfb::describe(fed.error()));
      co_return;
    }
    auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(passed.data(), passed.size()), use_tuple);
    (void)n;
    if (ec) {
      record_.set_outcome(outcome::ok, ending(ec, "target"));
      co_return;
    }
  }
  if (!upstream_in_.empty()) {
    const auto early = upstream_in_.pending();
    auto [ec, n] = co_await client_.write(asio::buffer(early.data(), early.size()));
    record_.bytes_to_client += n;
    svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::copy).Increment(static_cast<double>(n));
    upstream_in_.consume(early.size());
    if (ec) {
      record_.set_outcome(outcome::ok, ending(ec, "client"));
      co_return;
    }
  }
  client_in_.release();
  upstream_in_.release();

  relaying_ = true;
  // The first of the three to end ends the relay; the group cancels the other two and
  // waits for them. One group of three rather than `a || b || c`, which nests two
  // groups: 1.3 KB less per idle session (docs/performance.md).
  auto executor = co_await asio::this_coro::executor;
  auto [order, failed0, why0, failed1, why1, failed2, why2] =
      co_await asio::experimental::make_parallel_group(asio::co_spawn(executor, pump_client_to_target(), asio::deferred),
                                                       asio::co_spawn(executor, pump_target_to_client(), asio::deferred),
                                                       asio::co_spawn(executor, session_clock(), asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  relaying_ = false;
  const std::exception_ptr failures[] = {failed0, failed1, failed2};
  if (failures[order[0]]) std::rethrow_exception(failures[order[0]]);
  std::string* const reasons[] = {&why0, &why1, &why2};
  const std::string first = std::move(*reasons[order[0]]);
  // What the filter dropped, for session_end: counted once, not on every chunk.
  const auto& dropped = filter_->counters().dropped;
  for (std::size_t k = 0; k < dropped.size(); ++k) {
    auto kind = static_cast<rfb::client_message_kind>(k);
    if (rfb::is_input(kind)) record_.input_dropped += dropped[k];
    if (kind == rfb::client_message_kind::client_cut_text || kind == rfb::client_message_kind::extended_clipboard)
      record_.paste_dropped += dropped[k];
  }
  // If the client left first, the target closing afterwards is its answer to that.
  record_.set_outcome(outcome::ok, client_ended_.empty() ? first : client_ended_);

  // Say goodbye properly on TLS (close_notify), but never wait long for the peer.
  co_await (client_.shutdown_send() || after(std::chrono::seconds(2)));
  client_.close();
  upstream_.close(ignored);
}

awaitable<std::string> session::client_left(error_code ec) {
  // Half-close: the target may still send what it has; give it a moment.
  error_code ignored;
  upstream_.shutdown(tcp::socket::shutdown_send, ignored);
  client_ended_ = ending(ec, "client");
  co_await after(half_close_grace);
  co_return client_ended_;
}

bool session::input_may_be_spliced() const {
  using kind = rfb::client_message_kind;
  return splice_to_target_ && filter_->counters().seen[static_cast<std::size_t>(kind::set_encodings)] > 0 &&
         filter_->at_message_boundary();
}

awaitable<std::string> session::pump_client_to_target() {
  // The filter's output: never more than the chunk read plus the head held from before.
  constexpr std::size_t chunk = to_target_chunk;
  auto& pool = buffer_pool::for_this_thread<chunk * 2 + rfb::client_message_filter::max_held>();
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::client_to_target, relay_path::copy);
  for (;;) {
    if (input_may_be_spliced()) {
      bool unsupported = false;
      std::string why = co_await splice_client_to_target(unsupported);
      if (!unsupported) co_return why;
      log(log_level::info, record_.id(), "splice is not available on this connection: client input relayed by copy");
      splice_to_target_ = false;
      record_.to_target_path = to_string(relay_path::copy);
    }
    if (auto ec = co_await client_.wait_readable()) co_return co_await client_left(ec);
    auto buffer = pool.take();
    std::uint8_t* in = buffer.get();
    std::uint8_t* out = buffer.get() + chunk;
    const std::size_t out_size = pool.size() - chunk;
    std::uint64_t burst = 0;
    error_code ended;
    std::string failed;
    for (;;) {
      auto [rec, n] = client_.read_now(asio::buffer(in, chunk));
      if (rec) {
        if (rec != asio::error::would_block) ended = rec;
        break;
      }
      record_.bytes_from_client += n;
      burst += n;
      if (farewell_) continue;  // the session is ending: nothing more reaches the target
      std::size_t used = 0;
      bool overflow = false;
      auto fed = filter_->feed(rfb::byte_view(in, n), [&](rfb::byte_view b) {
        if (b.size() > out_size - used) {
          overflow = true;
          return;
        }
        std::memcpy(out + used, b.data(), b.size());
        used += b.size();
      });
      if (!fed || overflow) {
        failed = fed ? "internal error: the message filter passed on more than it was given" : rfb::describe(fed.error());
        record_.set_outcome(fed ? outcome::internal_error : outcome::protocol_error, failed);
        break;
      }
      if (fed->input_messages > 0) last_input_ = std::chrono::steady_clock::now();
      auto [wec, w] = co_await asio::async_write(upstream_, asio::buffer(out, used), use_tuple);
      (void)w;
      if (wec == asio::error::operation_aborted && farewell_) continue;
      if (wec) {
        failed = ending(wec, "target");
        break;
      }
      if (input_may_be_spliced()) break;
    }
    pool.give_back(std::move(buffer));
    relayed.Increment(static_cast<double>(burst));
    if (!failed.empty()) co_return failed;
    if (ended) co_return co_await client_left(ended);
  }
}

awaitable<std::string> session::pump_target_to_client() {
  if (target_path_ != relay_path::copy) {
    bool unsupported = false;
    std::string why = co_await splice_target_to_client(unsupported);
    if (!unsupported) co_return why;
    log(log_level::info, record_.id(), "splice is not available on this connection: relaying by copy");
    target_path_ = relay_path::copy;
    record_.relay_path = to_string(relay_path::copy);
  }
  auto& pool = buffer_pool::for_this_thread<to_client_chunk>();
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::copy);
  for (;;) {
    if (farewell_) co_return co_await say_goodbye();
    auto [rec] = co_await upstream_.async_wait(tcp::socket::wait_read, use_tuple);
    if (rec == asio::error::operation_aborted && farewell_) continue;
    if (rec) co_return ending(rec, "target");
    auto buffer = pool.take();
    std::uint64_t burst = 0, since_yield = 0;
    std::string ended;
    while (!farewell_) {
      error_code read_ec;
      const std::size_t n = upstream_.read_some(asio::buffer(buffer.get(), pool.size()), read_ec);
      if (read_ec) {
        if (read_ec != asio::error::would_block) ended = ending(read_ec, "target");
        break;
      }
      auto [wec, w] = co_await client_.write(asio::buffer(buffer.get(), n));
      record_.bytes_to_client += w;
      burst += w;
      if (wec) {
        ended = ending(wec, "client");
        break;
      }
      if ((since_yield += w) >= fair_share) {
        since_yield = 0;
        co_await yield_to_others();
      }
    }
    pool.give_back(std::move(buffer));
    relayed.Increment(static_cast<double>(burst));
    if (!ended.empty()) co_return ended;
  }
}

}  // namespace vncgate::gateway
