// asio.hpp — the Boost.Asio names the benchmark programs use, in one place.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace vncgate::bench {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::awaitable;
using asio::ip::tcp;

// Completion token for expected I/O endings as values: co_await op(..., use_tuple).
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace vncgate::bench
