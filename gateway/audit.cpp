// audit.cpp — the audit queue and its writer thread (see audit.hpp).
#include "gateway/audit.hpp"

#include <boost/json/serialize.hpp>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>

#include "gateway/audit_syslog.hpp"
#include "gateway/log.hpp"
#include "gateway/metrics.hpp"
#include "gateway/thread_name.hpp"

namespace vncgate::gateway {

namespace {

using steady = std::chrono::steady_clock;

// What the writer does next, in queue order.
struct command {
  enum class kind { record, reopen, use_sinks } what = kind::record;
  audit_entry entry{};
  audit_sink_list sinks{};  // kind use_sinks
};

// How long the writer lets records gather once one has woken it.
constexpr auto gather_time = std::chrono::milliseconds(5);

// The bytes a queued record pins, for the queue's byte bound.
std::size_t cost_of(const audit_entry& e) noexcept {
  return sizeof(command) + e.line.capacity() + e.event.capacity() + e.time.capacity();
}

}  // namespace

struct audit_log::state {
  audit_queue_limits limits;
  mutable std::mutex mutex;
  std::condition_variable wake;      // the writer waits for work
  std::condition_variable progress;  // flush() and the destructor wait for the writer
  std::deque<command> queue;
  std::size_t records = 0;  // queued or being written
  std::size_t bytes = 0;
  std::uint64_t queued = 0;   // commands ever queued
  std::uint64_t handled = 0;  // commands the writer is done with
  audit_sink_list latest;     // the sinks after every queued use_sinks
  metrics* stats = nullptr;
  bool stopping = false;
  bool finished = false;
  bool writer_asleep = false;  // waiting for work: a new record must wake it
  std::atomic<steady::rep> stop_deadline{0};  // set when stopping: write nothing after it
  bool dropping = false;                      // the queue was full for the last record
  std::uint64_t dropped_while_full = 0;
};

namespace {

bool past_deadline(const audit_log::state& s) noexcept {
  auto deadline = s.stop_deadline.load();
  return deadline != 0 && steady::now().time_since_epoch().count() > deadline;
}

void deliver(const audit_sink_list& sinks, const audit_entry& entry) noexcept {
  for (const auto& sink : sinks) {
    int err = sink->write(entry);
    if (err == 0) {
      if (sink->failing) {
        log_info("audit sink " + sink->label() + " works again");
        sink->failing = false;
        sink->health.set_up(true);
      }
      continue;
    }
    sink->health.failed_write();
    if (!sink->failing) {
      log_error("audit sink " + sink->label() + " failed: " + std::strerror(err) +
                "; its records are dropped and counted until it works again");
      sink->failing = true;
      sink->health.set_up(false);
    }
  }
}

void reopen_all(const audit_sink_list& sinks) noexcept {
  for (const auto& sink : sinks) {
    if (int err = sink->reopen())
      log_error("audit sink " + sink->label() + " could not be reopened: " + std::strerror(err) +
                "; still writing the old file");
  }
}

// The writer thread: hands queued commands to the sinks until stopped and drained.
void run_writer(std::shared_ptr<audit_log::state> s, audit_sink_list current) noexcept {
  std::unique_lock lock(s->mutex);
  for (;;) {
    s->writer_asleep = true;
    s->wake.wait(lock, [&] { return !s->queue.empty() || s->stopping; });
    s->writer_asleep = false;
    if (s->queue.empty()) break;  // stopping, and everything is written
    // Let the rest of a burst arrive before writing: a session writes several records
    // within milliseconds, and waking this thread for each would cost each of them a
    // context switch on the session's I/O thread. Records queued meanwhile wake nobody.
    s->wake.wait_for(lock, gather_time, [&] { return s->stopping; });
    std::deque<command> batch;
    batch.swap(s->queue);
    lock.unlock();
    std::size_t records = 0, bytes = 0;
    for (auto& c : batch) {
      switch (c.what) {
        case command::kind::record:
          ++records;
          bytes += cost_of(c.entry);
          if (past_deadline(*s)) {
            for (const auto& sink : current) sink->health.dropped();
          } else {
            deliver(current, c.entry);
          }
          break;
        case command::kind::reopen:
          reopen_all(current);
          break;
        case command::kind::use_sinks:
          current = std::move(c.sinks);
          break;
      }
    }
    const std::size_t handled = batch.size();
    batch.clear();  // sinks replaced in this batch close here, outside the lock
    lock.lock();
    s->records -= records;
    s->bytes -= bytes;
    s->handled += handled;
    s->progress.notify_all();
  }
  lock.unlock();
  current.clear();
  lock.lock();
  s->finished = true;
  s->progress.notify_all();
}

}  // namespace

audit_log::audit_log(std::shared_ptr<state> s) : state_(std::move(s)) {
  writer_ = std::thread(run_writer, state_, state_->latest);
  name_thread(writer_, "vncgate-audit");
}

expected<std::unique_ptr<audit_log>, std::string> audit_log::open(const std::vector<audit_sink_config>& sinks,
                                                                  audit_queue_limits limits) {
  try {
    auto s = std::make_shared<state>();
    s->limits = limits;
    for (const auto& config : sinks) {
      auto sink = open_audit_sink(config);
      if (!sink) return unexpected(sink.error());
      s->latest.push_back(std::move(*sink));
    }
    return std::make_unique<audit_log>(std::move(s));
  } catch (const std::exception& e) {
    return unexpected(std::string("cannot start the audit writer: ") + e.what());
  }
}

audit_log::~audit_log() {
  std::unique_lock lock(state_->mutex);
  const auto timeout = state_->limits.flush_timeout;
  state_->stop_deadline = (steady::now() + timeout).time_since_epoch().count();
  state_->stopping = true;
  state_->wake.notify_all();
  const bool done = state_->progress.wait_for(lock, timeout + std::chrono::seconds(1), [&] { return state_->finished; });
  const std::size_t left = state_->records;
  lock.unlock();
  if (done) {
    writer_.join();
    return;
  }
  // A sink blocks the writer (a stdout nobody reads): let it go rather than hang the exit.
  log_error("audit writer is stuck on a sink; " + std::to_string(left) + " audit records were not written");
  writer_.detach();
}

void audit_log::adopt(audit_log& fresh) noexcept {
  if (&fresh == this) return;
  try {
    std::scoped_lock lock(state_->mutex, fresh.state_->mutex);
    audit_sink_list incoming = fresh.state_->latest;
    if (state_->stats)
      for (const auto& sink : incoming) sink->health.attach(*state_->stats, sink->label());
    state_->queue.push_back({command::kind::use_sinks, {}, incoming});
    fresh.state_->queue.push_back({command::kind::use_sinks, {}, state_->latest});
    ++state_->queued;
    ++fresh.state_->queued;
    fresh.state_->latest = std::move(state_->latest);
    state_->latest = std::move(incoming);
  } catch (...) {
    log_error("audit sinks could not be swapped (out of memory?); the old ones stay in use");
    return;
  }
  state_->wake.notify_one();
  fresh.state_->wake.notify_one();
}

void audit_log::reopen() noexcept {
  try {
    std::lock_guard lock(state_->mutex);
    state_->queue.push_back({command::kind::reopen, {}, {}});
    ++state_->queued;
  } catch (...) {
    log_error("audit files could not be reopened (out of memory?)");
    return;
  }
  state_->wake.notify_one();
}

void audit_log::write(const boost::json::object& record) noexcept {
  try {
    boost::json::object line;
    line.reserve(record.size() + 1);
    audit_entry entry;
    entry.time = rfc3339_utc(std::chrono::system_clock::now());
    line["time"] = entry.time;
    for (const auto& kv : record) line[kv.key()] = kv.value();
    entry.line = boost::json::serialize(line);
    entry.line.push_back('\n');
    if (auto it = record.find("event"); it != record.end() && it->value().is_string())
      entry.event = it->value().get_string();
    entry.severity = static_cast<std::uint8_t>(audit_severity(record));
    const std::size_t cost = cost_of(entry);

    bool queued = false, first_drop = false, writer_asleep = false;
    std::uint64_t dropped_before = 0;
    {
      std::lock_guard lock(state_->mutex);
      auto& s = *state_;
      if (s.records + 1 > s.limits.max_records || s.bytes + cost > s.limits.max_bytes) {
        for (const auto& sink : s.latest) sink->health.dropped();
        first_drop = !s.dropping;
        s.dropping = true;
        ++s.dropped_while_full;
      } else {
        s.queue.push_back({command::kind::record, std::move(entry), {}});
        ++s.records;
        s.bytes += cost;
        ++s.queued;
        queued = true;
        writer_asleep = s.writer_asleep;
        if (s.dropping) {
          s.dropping = false;
          dropped_before = std::exchange(s.dropped_while_full, 0);
        }
      }
    }
    if (queued && writer_asleep) state_->wake.notify_one();
    if (first_drop)
      log_error("audit queue full (" + std::to_string(state_->limits.max_records) + " records or " +
                std::to_string(state_->limits.max_bytes >> 20) +
                " MiB): records are dropped and counted until the writer catches up");
    if (dropped_before > 0)
      log_info("audit queue takes records again; " + std::to_string(dropped_before) + " were dropped");
  } catch (...) {
    log_error("audit record could not be written (out of memory?)");
  }
}

void audit_log::report_to(metrics& m) noexcept {
  try {
    std::lock_guard lock(state_->mutex);
    state_->stats = &m;
    for (const auto& sink : state_->latest) sink->health.attach(m, sink->label());
  } catch (...) {
    log_error("audit sinks could not be counted in the metrics (out of memory?)");
  }
}

bool audit_log::flush(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lock(state_->mutex);
  const std::uint64_t target = state_->queued;
  return state_->progress.wait_for(lock, timeout, [&] { return state_->handled >= target || state_->finished; });
}

std::vector<audit_sink_stats> audit_log::stats() const {
  std::lock_guard lock(state_->mutex);
  std::vector<audit_sink_stats> out;
  for (const auto& sink : state_->latest)
    out.push_back({sink->label(), sink->health.dropped_count(), sink->health.error_count(), sink->health.up()});
  return out;
}

}  // namespace vncgate::gateway
