// asio.hpp — the Boost.Asio names the gateway uses, in one place.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace vncgate::gateway {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

// Completion token for expected I/O endings as values: co_await op(..., use_tuple).
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Completes after `d`; meant as the right-hand side of `op() || after(d)`.
inline awaitable<void> after(std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(use_tuple);
}

}  // namespace vncgate::gateway
