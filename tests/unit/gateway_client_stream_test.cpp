// gateway_client_stream_test.cpp — the client leg (client_stream) on a real loopback TCP
// connection: the server end runs on an io_context in the test thread, each run bounded
// by a deadline so a hang fails the test instead of stalling it; the peer is a blocking
// OpenSSL client (or a plain socket) on its own thread. The server's TLS context comes
// from make_tls_contexts, so it has the gateway's modes (release buffers, partial writes,
// read-ahead) and, when asked, SSL_OP_ENABLE_KTLS.
//
// What it shows: 4 MiB each way arrive intact; records OpenSSL has already read are
// handed out without waiting for the socket; an idle stream never blocks; endings come
// back as eof (close_notify) or stream_truncated (no close_notify); shutdown_send sends
// close_notify; a closed stream refuses I/O; a failed handshake has a message to log;
// kernel TLS is reported as the kernel allows; plain TCP behaves the same.
#include <catch2/catch.hpp>

#include "gateway_client_stream_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;
using namespace std::chrono_literals;

TEST_CASE("client stream: the contexts have the gateway's TLS settings", "[gateway]") {
  auto plain = server_contexts(false);
  auto ktls = server_contexts(true);
  for (auto* ctx : {plain.x509->native_handle(), ktls.x509->native_handle()}) {
    CHECK((SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS) != 0);
    CHECK((SSL_CTX_get_mode(ctx) & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0);
    CHECK(SSL_CTX_get_read_ahead(ctx) == 1);
  }
  CHECK((SSL_CTX_get_options(plain.x509->native_handle()) & SSL_OP_ENABLE_KTLS) == 0);
  CHECK((SSL_CTX_get_options(ktls.x509->native_handle()) & SSL_OP_ENABLE_KTLS) != 0);
}

TEST_CASE("client stream: TLS handshake, then 4 MiB each way", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  peer_thread peer(fd, [fd] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    return peer_transfer(client);
  });
  require_tls_handshake(link, *contexts.x509);
  CHECK(link.server->is_tls());
  CHECK_FALSE(link.server->ktls_send());  // the context does not enable it
  server_transfer(link);
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: records OpenSSL already holds are read without waiting for the socket", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  const std::string records[] = {"first record", "second", "third and last"};
  const std::string all = records[0] + records[1] + records[2];
  std::promise<void> sent;
  auto sent_future = sent.get_future();
  peer_thread peer(fd, [&] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    // Three records back to back, then nothing until the server answers: a server that
    // waits on the socket for bytes OpenSSL already read waits for ever.
    for (const auto& r : records) {
      if (!client.write(r)) return "sending a record failed: " + openssl_errors();
    }
    sent.set_value();
    std::uint8_t answer[2];
    if (!client.read_exactly(answer)) return "no answer: " + openssl_errors();
    if (answer[0] != 'o' || answer[1] != 'k') return std::string("a wrong answer");
    return std::string();
  });
  require_tls_handshake(link, *contexts.x509);
  // Loopback TCP queues the bytes at the receiver before send() returns, so once the peer
  // says it sent them, all three records are in the socket: the first read takes them all.
  REQUIRE(sent_future.wait_for(10s) == std::future_status::ready);

  std::string received;
  error_code ending;
  bool hung = false;
  REQUIRE(run(link.io, read_bytewise(*link.server, all.size(), received, ending, hung)));
  CHECK_FALSE(hung);
  CHECK(ending.message() == error_code{}.message());
  CHECK(received == all);
  // Nothing more buffered anywhere: the next read says so at once.
  char more = 0;
  auto [idle, n] = link.server->read_now(asio::buffer(&more, 1));
  CHECK(idle == asio::error::would_block);
  CHECK(n == 0);

  error_code answered;
  REQUIRE(run(link.io, write_text(*link.server, "ok", answered)));
  CHECK(answered.message() == error_code{}.message());
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: read_now on an idle stream says would_block at once", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  std::promise<void> release;
  peer_thread peer(link.peer.get(), connect_and_wait(link.peer.get(), release.get_future().share()));
  require_tls_handshake(link, *contexts.x509);

  // A blocking read would sit here until the peer gives up (10 s) and then report an ending.
  char buffer[16];
  const auto start = std::chrono::steady_clock::now();
  auto [ec, n] = link.server->read_now(asio::buffer(buffer));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(ec == asio::error::would_block);
  CHECK(n == 0);
  CHECK(took < 1s);

  // Nor does wait_readable complete while nothing comes.
  bool completed = true;
  error_code waited;
  REQUIRE(run(link.io, wait_readable_within(*link.server, 200ms, completed, waited)));
  CHECK_FALSE(completed);

  release.set_value();
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: close_notify from the peer is eof", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  std::promise<void> release;
  auto released = release.get_future().share();
  peer_thread peer(fd, [fd, released] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    if (!client.write(std::string_view("bye"))) return "sending failed: " + openssl_errors();
    if (SSL_shutdown(client.get()) < 0) return "close_notify failed: " + openssl_errors();
    released.wait_for(10s);
    return std::string();
  });
  require_tls_handshake(link, *contexts.x509);

  std::string received;
  error_code ending;
  REQUIRE(run(link.io, read_to_end(*link.server, received, ending)));
  CHECK(received == "bye");
  CHECK(ending == asio::error::eof);
  // It stays ended.
  char more = 0;
  auto [again, n] = link.server->read_now(asio::buffer(&more, 1));
  CHECK(again == asio::error::eof);
  CHECK(n == 0);
  release.set_value();
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: the peer's TCP close without close_notify is stream_truncated", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  std::promise<void> release;
  auto released = release.get_future().share();
  peer_thread peer(fd, [fd, released] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    if (!client.write(std::string_view("bye"))) return "sending failed: " + openssl_errors();
    // The TCP FIN without a TLS close_notify: what a cut-off connection or a truncation
    // attack looks like to the server (the descriptor itself stays the test's to close).
    if (::shutdown(fd, SHUT_WR) != 0) return std::string("shutdown failed");
    released.wait_for(10s);
    return std::string();
  });
  require_tls_handshake(link, *contexts.x509);

  std::string received;
  error_code ending;
  REQUIRE(run(link.io, read_to_end(*link.server, received, ending)));
  CHECK(received == "bye");
  CHECK(ending == asio::ssl::error::stream_truncated);
  // A fatal TLS error: no close_notify may follow, and asking for one must not crash.
  REQUIRE(run(link.io, shutdown_send(*link.server)));
  release.set_value();
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: shutdown_send sends close_notify, and reading goes on", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  peer_thread peer(fd, [fd] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    char byte = 0;
    const int r = SSL_read(client.get(), &byte, 1);
    const int error = SSL_get_error(client.get(), r);
    if (r != 0 || error != SSL_ERROR_ZERO_RETURN)
      return "SSL_read gave " + std::to_string(r) + ", SSL_get_error " + std::to_string(error) +
             ", not 0 and SSL_ERROR_ZERO_RETURN";
    // Only the server's sending side is closed: the peer may still talk, then end.
    if (!client.write(std::string_view("still here"))) return "sending after close_notify failed: " + openssl_errors();
    if (SSL_shutdown(client.get()) < 0) return "close_notify failed: " + openssl_errors();
    return std::string();
  });
  require_tls_handshake(link, *contexts.x509);
  REQUIRE(run(link.io, shutdown_send(*link.server)));

  std::string received;
  error_code ending;
  REQUIRE(run(link.io, read_to_end(*link.server, received, ending)));
  CHECK(received == "still here");
  CHECK(ending == asio::error::eof);
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: a closed stream refuses all I/O", "[gateway]") {
  const bool use_tls = GENERATE(true, false);
  CAPTURE(use_tls);
  auto contexts = server_contexts(false);
  loopback link;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::optional<peer_thread> peer;
  if (use_tls) {
    peer.emplace(link.peer.get(), connect_and_wait(link.peer.get(), released));
    require_tls_handshake(link, *contexts.x509);
  }
  link.server->close();
  CHECK(link.server->is_tls() == use_tls);

  char buffer[16];
  auto [read_result, n] = link.server->read_now(asio::buffer(buffer));
  CHECK(read_result == asio::error::bad_descriptor);
  CHECK(n == 0);

  error_code write_result;
  REQUIRE(run(link.io, write_text(*link.server, "after close", write_result)));
  CHECK(write_result == asio::error::bad_descriptor);

  bool completed = false;
  error_code waited;
  REQUIRE(run(link.io, wait_readable_within(*link.server, 1000ms, completed, waited)));
  CHECK(completed);
  CHECK(waited == asio::error::bad_descriptor);

  REQUIRE(run(link.io, shutdown_send(*link.server)));
  link.server->close();  // twice is harmless
  CHECK_FALSE(link.server->ktls_send());
  release.set_value();
  if (peer) CHECK(peer->finish() == "");
}

TEST_CASE("client stream: a failed handshake has a message to log", "[gateway]") {
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  peer_thread peer(fd, [fd] {
    // Plain text where the server expects a TLS ClientHello.
    if (!send_all(fd, std::string_view("hello\r\n"))) return std::string("sending failed");
    if (!recv_until_closed(fd)) return std::string("the server did not close");
    return std::string();
  });
  error_code result;
  REQUIRE(run(link.io, handshake(*link.server, *contexts.x509, result)));
  CHECK(result);
  CHECK(result != asio::error::would_block);
  // The session logs "TLS handshake failed: " + message() (client_handshake.cpp): the
  // message names the cause, not Asio's generic text for an unknown OpenSSL error.
  const std::string logged = "TLS handshake failed: " + result.message();
  CAPTURE(logged);
  CHECK_FALSE(result.message().empty());
  CHECK(result.message() != "asio.ssl error");
  // After a fatal error the stream sends no close_notify, and asking is harmless.
  REQUIRE(run(link.io, shutdown_send(*link.server)));
  link.server->close();
  CHECK(peer.finish() == "");
}

// The kernel takes the keys only when it offers the `tls` ULP; either way the stream
// works. NOTE: on the machine where this was written the kernel does not offer it
// (tcp_available_ulp is "mptcp"), so only the `false` branch has run; the `true` branch
// also assumes an OpenSSL built with kTLS (Debian's is) and a cipher the kernel takes
// (AES-GCM, the contexts' first choice).
TEST_CASE("client stream: kernel TLS as the kernel allows, and 4 MiB each way", "[gateway]") {
  auto contexts = server_contexts(true);
  loopback link;
  const int fd = link.peer.get();
  peer_thread peer(fd, [fd] {
    tls_client client(fd);
    if (auto e = client.connect(); !e.empty()) return e;
    return peer_transfer(client);
  });
  require_tls_handshake(link, *contexts.x509);
  const std::string ulps = ulp_list();
  CAPTURE(ulps);
  if (ulp_list_offers_tls(ulps)) {
    CHECK(link.server->ktls_send());
  } else {
    CHECK_FALSE(link.server->ktls_send());
  }
  server_transfer(link);
  CHECK(peer.finish() == "");
}

TEST_CASE("client stream: plain TCP reads, waits and writes the same way", "[gateway]") {
  loopback link;
  const int fd = link.peer.get();
  peer_thread peer(fd, [fd] {
    if (!send_all(fd, std::string_view("ping"))) return std::string("sending ping failed");
    bytes pong(4);
    if (!recv_exactly(fd, pong) || pong != bytes{'p', 'o', 'n', 'g'}) return std::string("no pong");
    if (!send_all(fd, pattern(transfer_size, 0))) return std::string("sending 4 MiB failed");
    if (::shutdown(fd, SHUT_WR) != 0) return std::string("shutdown failed");
    bytes got(transfer_size);
    if (!recv_exactly(fd, got)) return std::string("receiving 4 MiB failed");
    if (auto d = difference(got, pattern(transfer_size, 100)); !d.empty()) return d;
    // shutdown_send: the server's FIN.
    char extra = 0;
    if (::recv(fd, &extra, 1, 0) != 0) return std::string("no FIN after the server's shutdown_send");
    return std::string();
  });
  CHECK_FALSE(link.server->is_tls());
  CHECK_FALSE(link.server->ktls_send());

  std::string ping;
  error_code ending;
  bool hung = false;
  REQUIRE(run(link.io, read_bytewise(*link.server, 4, ping, ending, hung)));
  CHECK_FALSE(hung);
  CHECK(ending.message() == error_code{}.message());
  CHECK(ping == "ping");
  char more = 0;
  auto [idle, n] = link.server->read_now(asio::buffer(&more, 1));
  CHECK(idle == asio::error::would_block);
  CHECK(n == 0);

  error_code answered;
  REQUIRE(run(link.io, write_text(*link.server, "pong", answered)));
  CHECK(answered.message() == error_code{}.message());

  bytes received;
  error_code transfer_ending;
  REQUIRE(run(link.io, read_in_pieces(*link.server, transfer_size + 1, received, transfer_ending)));
  CHECK(transfer_ending == asio::error::eof);
  CHECK(difference(received, pattern(transfer_size, 0)) == "");

  server_send_pattern(link);
  REQUIRE(run(link.io, shutdown_send(*link.server)));
  CHECK(peer.finish() == "");
}

// OpenSSL writes to the descriptor with write(2), not send(MSG_NOSIGNAL): a client that
// has gone raises SIGPIPE, which the gateway ignores for the whole process (main.cpp),
// as this test does. Then the write ends in an error for this stream only.
TEST_CASE("client stream: writing to a peer that has gone is an error once SIGPIPE is ignored", "[gateway]") {
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  auto contexts = server_contexts(false);
  loopback link;
  const int fd = link.peer.get();
  peer_thread peer(fd, [fd] {
    tls_client client(fd);
    return client.connect();  // then peer_thread shuts the socket: a FIN, and an RST for what comes after
  });
  require_tls_handshake(link, *contexts.x509);
  REQUIRE(peer.finish() == "");

  const bytes chunk = pattern(1024 * 1024, 0);
  error_code result;
  for (int i = 0; i < 16 && !result; ++i) {
    std::size_t written = 0;
    REQUIRE(run(link.io, write_all(*link.server, chunk, result, written)));
  }
  CHECK((result == asio::error::broken_pipe || result == asio::error::connection_reset));
  ::sigaction(SIGPIPE, &previous, nullptr);
}
