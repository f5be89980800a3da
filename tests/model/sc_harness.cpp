#include "tests/model/sc_harness.h"

#include <yaml-cpp/yaml.h>

#include <cstring>
#include <stdexcept>

namespace isim::test {
namespace {

class ThreadRunner final : public sc_core::sc_module {
 public:
  ThreadRunner(sc_core::sc_module_name name, std::function<void()> body)
      : sc_module(name), body_(std::move(body)) {
    SC_HAS_PROCESS(ThreadRunner);
    SC_THREAD(main);
  }
  bool finished() const { return finished_; }

 private:
  void main() {
    body_();
    finished_ = true;
    sc_core::sc_stop();
  }

  std::function<void()> body_;
  bool finished_ = false;
};

void prepare(tlm::tlm_generic_payload& tx, tlm::tlm_command cmd, uint64_t addr,
             std::span<uint8_t> data) {
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(data.data());
  tx.set_data_length(static_cast<unsigned>(data.size()));
  tx.set_streaming_width(static_cast<unsigned>(data.size()));
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

const stats::Stat& find_stat(const stats::Group& group, std::string_view path) {
  const stats::Stat* s = group.find(path);
  if (!s) throw std::runtime_error("no stat " + group.path() + "." + std::string(path));
  return *s;
}

}  // namespace

sc_core::sc_time ps(uint64_t v) {
  return sc_core::sc_time::from_value(v);
}

bool run_thread(std::function<void()> body, sc_core::sc_time limit) {
  ThreadRunner runner("test_thread", std::move(body));
  sc_core::sc_start(limit);
  return runner.finished();
}

tlm::tlm_response_status Initiator::transport(tlm::tlm_command cmd, uint64_t addr,
                                              std::span<uint8_t> data, sc_core::sc_time& delay,
                                              DmaAttrs* attrs, uint8_t* byte_enable) {
  tlm::tlm_generic_payload tx;
  prepare(tx, cmd, addr, data);
  if (byte_enable) {
    tx.set_byte_enable_ptr(byte_enable);
    tx.set_byte_enable_length(static_cast<unsigned>(data.size()));
  }
  if (attrs) tx.set_extension(attrs);
  socket->b_transport(tx, delay);
  // The payload would delete an extension still attached when it is destroyed.
  if (attrs) tx.clear_extension(attrs);
  return tx.get_response_status();
}

unsigned Initiator::debug(tlm::tlm_command cmd, uint64_t addr, std::span<uint8_t> data,
                          tlm::tlm_response_status* status) {
  tlm::tlm_generic_payload tx;
  prepare(tx, cmd, addr, data);
  const unsigned n = socket->transport_dbg(tx);
  if (status) *status = tx.get_response_status();
  return n;
}

RecordingTarget::RecordingTarget(sc_core::sc_module_name name, sc_core::sc_time latency,
                                 uint8_t fill)
    : sc_module(name), latency_(latency), fill_(fill) {
  socket.register_b_transport(this, &RecordingTarget::b_transport);
  socket.register_transport_dbg(this, &RecordingTarget::transport_dbg);
}

void RecordingTarget::serve(tlm::tlm_generic_payload& tx, std::vector<Access>& log) {
  log.push_back({tx.get_address(), tx.get_data_length(), tx.is_write()});
  if (tx.is_read()) std::memset(tx.get_data_ptr(), fill_, tx.get_data_length());
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

void RecordingTarget::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  serve(tx, accesses_);
  delay += latency_;
}

unsigned RecordingTarget::transport_dbg(tlm::tlm_generic_payload& tx) {
  serve(tx, debug_accesses_);
  return tx.get_data_length();
}

uint64_t counter(const stats::Group& group, std::string_view path) {
  const stats::Stat& s = find_stat(group, path);
  if (const auto* c = dynamic_cast<const stats::Counter*>(&s)) return c->value();
  if (const auto* c = dynamic_cast<const stats::CounterRef*>(&s)) return c->value();
  throw std::runtime_error(s.full_name() + " is not a counter");
}

const stats::Histogram& histogram(const stats::Group& group, std::string_view path) {
  const stats::Stat& s = find_stat(group, path);
  if (const auto* h = dynamic_cast<const stats::Histogram*>(&s)) return *h;
  throw std::runtime_error(s.full_name() + " is not a histogram");
}

double scalar(const stats::Group& group, std::string_view path) {
  const stats::Stat& s = find_stat(group, path);
  if (const auto* v = dynamic_cast<const stats::Scalar*>(&s)) return v->value();
  if (const auto* f = dynamic_cast<const stats::Formula*>(&s)) return f->value();
  throw std::runtime_error(s.full_name() + " is not a scalar or formula");
}

PlatformConfig platform_config(const std::string& yaml) {
  return load_platform(YAML::Load(yaml), cfg::SourceInfo{"<test config>", {}});
}

}  // namespace isim::test
