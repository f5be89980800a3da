#include "sim/scenario_runner.h"

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <optional>

#include "hw/papr_if.h"
#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "sim/platform.h"

namespace isim {
namespace {

using Kind = ScenarioStep::Kind;

/// Executes steps in an SC_THREAD; failures are printed as they happen.
class Runner final : public sc_core::sc_module {
 public:
  Runner(sc_core::sc_module_name name, const Scenario& sc, Platform& pf, std::ostream& out,
         const ScenarioOptions& opts)
      : sc_module(name), sc_(sc), pf_(pf), out_(out), opts_(opts) {
    SC_HAS_PROCESS(Runner);
    SC_THREAD(main);
  }
  ScenarioOutcome outcome() const { return outcome_; }

 private:
  // A failed expectation; the step continues to count as failed.
  struct StepFailed {
    std::string msg;
  };

  void main() {
    for (const auto& st : sc_.steps) {
      try {
        run_step(st);
        ++outcome_.passed;
      } catch (const StepFailed& f) {
        ++outcome_.failed;
        out_ << fmt::format("{}:{}: {}: {}\n", sc_.file, st.line, st.name, f.msg);
      }
    }
    sc_core::sc_stop();
  }

  [[noreturn]] void fail(std::string msg) { throw StepFailed{std::move(msg)}; }

  uint64_t val(const ScenarioValue& v) {
    if (v.ref.empty()) return v.literal;
    auto it = captures_.find(v.ref);
    if (it == captures_.end()) fail(fmt::format("no earlier capture named ${}", v.ref));
    return it->second;
  }
  uint64_t word_mask(unsigned width) const {
    return width == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * width)) - 1;
  }

  std::vector<uint8_t> pack(const ScenarioStep& st) {
    std::vector<uint8_t> buf(st.data.size() * st.width);
    for (size_t i = 0; i < st.data.size(); ++i) {
      const uint64_t w = val(st.data[i]);
      std::memcpy(buf.data() + i * st.width, &w, st.width);  // little-endian host
    }
    return buf;
  }
  uint64_t unpack(const std::vector<uint8_t>& buf, size_t i, unsigned width) const {
    uint64_t w = 0;
    std::memcpy(&w, buf.data() + i * width, width);
    return w;
  }

  /// First mismatching word under the mask, as a message; empty when all match.
  std::string compare(const ScenarioStep& st, const std::vector<uint8_t>& got, uint64_t base) {
    const uint64_t m = (st.mask ? val(*st.mask) : ~uint64_t{0}) & word_mask(st.width);
    for (size_t i = 0; i < st.data.size(); ++i) {
      const uint64_t want = val(st.data[i]);
      const uint64_t have = unpack(got, i, st.width);
      if ((want & m) != (have & m)) {
        return fmt::format("word {} at {:#x}: expected {:#0{}x}, got {:#0{}x}{}", i,
                           base + i * st.width, want & m, 2 + 2 * st.width, have & m,
                           2 + 2 * st.width,
                           st.mask ? fmt::format(" (mask {:#x})", m) : std::string());
      }
    }
    return {};
  }

  uint64_t mmio_addr(const ScenarioStep& st) {
    IommuBase* io = pf_.iommu(st.target);
    if (!io) fail(fmt::format("no IOMMU named '{}'", st.target));
    if (io->mmio_size() == 0) fail(fmt::format("'{}' has no registers", st.target));
    const uint64_t off = val(st.offset);
    if (off + st.width > io->mmio_size())
      fail(fmt::format("offset {:#x} is outside {}'s {:#x}-byte register block", off, st.target,
                       io->mmio_size()));
    return pf_.mmio_base(st.target) + off;
  }

  ScenarioPort* port(const ScenarioStep& st) {
    std::string name = st.iommu;
    if (name.empty()) {
      if (pf_.config().iommus.size() != 1)
        fail("the platform has several IOMMUs: say which with `iommu:`");
      name = pf_.config().iommus[0].name;
    }
    ScenarioPort* p = pf_.scenario_port(name);
    if (!p) fail(fmt::format("no IOMMU named '{}'", name));
    return p;
  }

  void poll_until(const ScenarioStep& st, const std::function<std::string()>& check) {
    const sc_core::sc_time deadline = sc_core::sc_time_stamp() + from_ticks(st.timeout);
    std::string last;
    while (true) {
      last = check();
      if (last.empty()) return;
      if (sc_core::sc_time_stamp() >= deadline) break;
      sc_core::wait(from_ticks(opts_.poll_interval));
    }
    fail(fmt::format("still not true after {}: {}", format_time(st.timeout), last));
  }

  void run_step(const ScenarioStep& st) {
    switch (st.kind) {
      case Kind::wait:
        sc_core::wait(from_ticks(st.duration));
        return;
      case Kind::mem_write: {
        const auto buf = pack(st);
        if (!pf_.memory().write(val(st.addr), buf.data(), buf.size()))
          fail(fmt::format("address {:#x} is outside memory", val(st.addr)));
        return;
      }
      case Kind::mem_read:
      case Kind::mem_poll: {
        const uint64_t a = val(st.addr);
        auto check = [&]() -> std::string {
          std::vector<uint8_t> got(st.data.size() * st.width);
          if (!pf_.memory().read(a, got.data(), got.size()))
            fail(fmt::format("address {:#x} is outside memory", a));
          return compare(st, got, a);
        };
        if (st.kind == Kind::mem_read) {
          if (auto m = check(); !m.empty()) fail(m);
        } else {
          poll_until(st, check);
        }
        return;
      }
      case Kind::mmio_write: {
        const uint64_t a = mmio_addr(st);
        if (!pf_.cpu().write(a, st.width, val(st.data.at(0))))
          fail(fmt::format("bus error writing {}+{:#x}", st.target, val(st.offset)));
        return;
      }
      case Kind::mmio_read:
      case Kind::mmio_poll: {
        const uint64_t a = mmio_addr(st);
        auto read = [&]() {
          auto v = pf_.cpu().read(a, st.width);
          if (!v) fail(fmt::format("bus error reading {}+{:#x}", st.target, val(st.offset)));
          return *v & word_mask(st.width);
        };
        if (!st.capture.empty()) {
          captures_[st.capture] = read();
          return;
        }
        auto check = [&]() -> std::string {
          const uint64_t v = read();
          const uint64_t m = (st.mask ? val(*st.mask) : ~uint64_t{0}) & word_mask(st.width);
          const uint64_t want = val(st.data.at(0));
          if ((v & m) == (want & m)) return {};
          return fmt::format("{}+{:#x}: expected {:#x}, got {:#x}{}", st.target, val(st.offset),
                             want & m, v & m,
                             st.mask ? fmt::format(" (mask {:#x})", m) : std::string());
        };
        if (st.kind == Kind::mmio_read) {
          if (auto m = check(); !m.empty()) fail(m);
        } else {
          poll_until(st, check);
        }
        return;
      }
      case Kind::dma_write:
      case Kind::dma_read:
        return dma(st);
      case Kind::hcall:
      case Kind::rtas:
        return papr(st);
    }
  }

  void dma(const ScenarioStep& st) {
    ScenarioPort* p = port(st);
    DmaRequest req;
    const uint64_t rid = val(st.rid);
    if (rid > 0xffff) fail(fmt::format("rid {:#x} is not a 16-bit requester ID", rid));
    req.rid = static_cast<uint16_t>(rid);
    if (st.pasid) {
      const uint64_t pasid = val(*st.pasid);
      if (pasid > DmaAttrs::kPasidMask) fail(fmt::format("PASID {:#x} exceeds 20 bits", pasid));
      req.has_pasid = true;
      req.pasid = static_cast<uint32_t>(pasid);
    }
    req.priv = st.priv;
    req.exec = st.exec;
    req.write = st.kind == Kind::dma_write;
    req.addr = val(st.addr);
    std::vector<uint8_t> buf =
        req.write ? pack(st) : std::vector<uint8_t>(st.fault ? st.size : st.data.size() * st.width);
    const uint64_t landed_before = pf_.memory_module().device_accesses();
    const DmaResult r = p->issue(req, buf);
    const bool reached_memory = pf_.memory_module().device_accesses() != landed_before;
    const char* dir = req.write ? "write" : "read";
    if (st.fault) {
      if (r.ok())
        fail(
            fmt::format("expected the DMA {} of {:#x} from {:#06x} to be blocked, but it "
                        "completed",
                        dir, req.addr, req.rid));
      if (reached_memory)
        fail(fmt::format("the DMA {} was answered with an error but reached memory", dir));
      return;
    }
    if (!r.ok())
      fail(fmt::format("DMA {} of {:#x} from {:#06x}{} failed: {}", dir, req.addr, req.rid,
                       req.has_pasid ? fmt::format(" PASID {:#x}", req.pasid) : std::string(),
                       tlm_response_text(r.status)));
    if (!req.write) {
      if (auto m = compare(st, buf, req.addr); !m.empty()) fail(m);
    }
  }

  static std::string tlm_response_text(tlm::tlm_response_status s) {
    switch (s) {
      case tlm::TLM_ADDRESS_ERROR_RESPONSE:
        return "address error";
      case tlm::TLM_GENERIC_ERROR_RESPONSE:
        return "generic error";
      case tlm::TLM_COMMAND_ERROR_RESPONSE:
        return "command error";
      case tlm::TLM_BURST_ERROR_RESPONSE:
        return "burst error";
      case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE:
        return "byte-enable error";
      case tlm::TLM_INCOMPLETE_RESPONSE:
        return "no response";
      default:
        return "ok";
    }
  }

  void papr(const ScenarioStep& st) {
    IommuBase* io = pf_.iommu(st.target);
    if (!io) fail(fmt::format("no IOMMU named '{}'", st.target));
    auto* papr = dynamic_cast<PaprInterface*>(io);
    if (!papr)
      fail(fmt::format("'{}' (type {}) has no PAPR interface", st.target,
                       pf_.config().find_iommu(st.target)->type));
    std::vector<uint64_t> args;
    for (const auto& a : st.args) args.push_back(val(a));
    const PaprResult r =
        st.kind == Kind::hcall ? papr->hcall(st.call, args) : papr->rtas(st.call, args);
    if (!r.known) fail(fmt::format("'{}' does not implement {}", st.target, st.call));
    for (size_t i = 0; i < st.ret.size(); ++i) {
      if (st.ret[i].wildcard) continue;
      if (i >= r.rets.size())
        fail(fmt::format("expected at least {} outputs, got {}", st.ret.size(), r.rets.size()));
      const uint64_t want = val(st.ret[i]);
      if (r.rets[i] != want)
        fail(fmt::format("output {}: expected {}, got {}", i, static_cast<int64_t>(want),
                         static_cast<int64_t>(r.rets[i])));
    }
    for (size_t i = 0; i < st.captures.size(); ++i) {
      if (st.captures[i] == "_") continue;
      if (i >= r.rets.size())
        fail(fmt::format("cannot capture output {} as ${}: only {} outputs", i, st.captures[i],
                         r.rets.size()));
      captures_[st.captures[i]] = r.rets[i];
    }
  }

  const Scenario& sc_;
  Platform& pf_;
  std::ostream& out_;
  ScenarioOptions opts_;
  ScenarioOutcome outcome_;
  std::map<std::string, uint64_t> captures_;
};

}  // namespace

ScenarioOutcome run_scenario(const Scenario& sc, std::ostream& out, const ScenarioOptions& opts) {
  PlatformOptions po;
  po.scenario_ports = true;
  Platform pf(sc.platform, po);
  Runner runner("scenario_runner", sc, pf, out, opts);
  // The runner ends the simulation with sc_stop(); SystemC's note about it is noise here.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  return runner.outcome();
}

}  // namespace isim
