#include "sim/scenario_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "base/units.h"
#include "hw/papr_if.h"
#include "hw/sc_time_util.h"
#include "hw/stats/stats_writer.h"
#include "models/devices/scenario_port.h"
#include "pasid/amd_gcr3_table.h"
#include "pasid/smmu_cd_table.h"
#include "pasid/vtd_pasid_table.h"
#include "sim/migration_destination.h"
#include "sim/platform.h"
#include "sim/yaml_doc.h"

namespace isim {
namespace {

using Kind = ScenarioStep::Kind;

/// Executes steps in an SC_THREAD; failures are printed as they happen.
class Runner final : public sc_core::sc_module {
 public:
  // The steps run host drivers, table builders and migrations on this thread's stack; SystemC's
  // default (64 KiB) leaves no room for an exception thrown from deep in them once ASan pads
  // every frame.
  static constexpr size_t kStackBytes = size_t{1} << 20;

  Runner(sc_core::sc_module_name name, const Scenario& sc, Platform& pf, std::ostream& out,
         const ScenarioOptions& opts)
      : sc_module(name), sc_(sc), pf_(pf), out_(out), opts_(opts) {
    SC_HAS_PROCESS(Runner);
    SC_THREAD(main);
    set_stack_size(kStackBytes);
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
      case Kind::ats_translate:
        return ats_translate(st);
      case Kind::page_request:
        return page_request(st);
      case Kind::expect_page_response:
      case Kind::expect_ats_invalidation:
        return expect_message(st);
      case Kind::stat:
        return stat(st);
      case Kind::migrate:
        return migrate(st);
    }
  }

  /// A VM's PASID state arrives: the destination's allocator is rebuilt from the step (policy,
  /// width, what it already holds) and the VM's PASID entries are written in the destination
  /// IOMMU's architecture. Standalone, the tables are written into this platform's memory and
  /// simulated time advances by the estimated reprogramming cost; with `program`, the unit's
  /// host driver writes them and points the device's context entry / STE / DTE at them, and
  /// the time the writes and invalidations take is simulated. The report is printed whether or not
  /// the expectations hold.
  void migrate(const ScenarioStep& st) {
    const ScenarioMigrate& m = st.migrate;
    pasid::PolicyParams pp = m.policy;
    pp.width = m.width;
    if (auto why = pasid::PasidAllocator::validate(pp, m.width); !why.empty())
      fail("destination: " + why);
    if (m.table_base + m.table_size > pf_.config().memory.size)
      fail(fmt::format("destination tables [{:#x}, {:#x}) are beyond memory", m.table_base,
                       m.table_base + m.table_size));
    const ComponentSpec& io = destination_iommu(m.iommu);
    pasid::PasidAllocator dst(pp, m.width);
    const std::string host_set = "destination", vm_set = "vm";
    dst.create_set(host_set, uint64_t{1} << m.width);
    dst.create_set(vm_set, m.vm.size());
    for (uint32_t p : m.taken_global)
      if (const auto r = dst.alloc_global_at(host_set, p); !r.ok())
        fail(fmt::format("destination: global PASID {:#x}: {}", p, pasid::to_string(r.error)));
    for (const auto& [rid, p] : m.taken_local)
      if (const auto r = dst.alloc_local(host_set, rid, p); !r.ok())
        fail(fmt::format("destination: PASID {:#x} on RID {:#06x}: {}", p, rid,
                         pasid::to_string(r.error)));
    std::map<uint16_t, pasid::PasidTable*> tables;
    pasid::MigrationCosts costs = m.costs;
    LiveDestination* live = nullptr;
    if (m.program) {
      live = &live_destination(io, m);
      if (m.width > live->pasid_bits())
        fail(fmt::format("destination: width {} exceeds the unit's {} PASID bits", m.width,
                         live->pasid_bits()));
      for (const auto& v : m.vm) tables[v.rid] = &live->table(v.rid);
      // The driver's writes and invalidations take simulated time of their own.
      costs.entry_write = 0;
      costs.invalidation = 0;
    } else {
      standalone_.emplace_back(m.table_base, m.table_base + m.table_size);
      PhysAllocator& pool = standalone_.back().pool;
      for (const auto& v : m.vm) {
        if (tables.count(v.rid)) continue;
        auto t = standalone_table(io.type, pool, m.width);
        if (t->root() == 0) fail("destination: no room for a PASID table root in tables");
        tables[v.rid] = t.get();
        standalone_.back().tables.push_back(std::move(t));
      }
    }
    pasid::PasidTranslationTable tt;
    const Tick start = now();
    const uint64_t waits_before = live ? live->waits() : 0;
    pasid::MigrationReport r = pasid::migrate(m.vm, dst, vm_set, tables, tt, costs);
    sc_core::wait(from_ticks(r.cost));
    r.cost = now() - start;
    std::string conflicts, remaps;
    for (uint32_t c : r.conflicts) conflicts += fmt::format(" {:#x}", c);
    for (const auto& x : r.remaps)
      remaps += fmt::format(" g{:#x}:{:#x}->{:#x}", x.gpasid, x.from, x.to);
    const std::string how =
        live ? fmt::format(" (simulated: {} {} waits on {})", live->waits() - waits_before,
                           live->wait_name(), io.name)
             : " (estimated)";
    out_ << fmt::format(
        "{}:{}: migrate: {}; {} conflicts{}; {} remaps{}; {} entries reprogrammed; cost {}{}\n",
        sc_.file, st.line, r.ok ? "ok" : "FAILED: " + r.error, r.conflicts.size(), conflicts,
        r.remaps.size(), remaps, r.reprogrammed, format_time(r.cost), how);
    if (r.ok != m.expect_ok)
      fail(r.ok ? "expected the migration to fail, but it succeeded"
                : "expected the migration to succeed: " + r.error);
    if (!m.expect_error.empty() && r.error.find(m.expect_error) == std::string::npos)
      fail(fmt::format("expected the failure to mention '{}'", m.expect_error));
    auto check = [&](const char* what, const std::optional<uint64_t>& want, uint64_t got) {
      if (want && *want != got) fail(fmt::format("expected {} {}, got {}", *want, what, got));
    };
    check("conflicts", m.conflicts, r.conflicts.size());
    check("remaps", m.remaps, r.remaps.size());
    check("entries reprogrammed", m.reprogrammed, r.reprogrammed);
    for (const auto& [g, to_h] : m.expect_remaps) {
      const auto it = std::find_if(r.remaps.begin(), r.remaps.end(),
                                   [g = g](const pasid::Remap& x) { return x.gpasid == g; });
      if (it == r.remaps.end()) fail(fmt::format("guest PASID {:#x} was not remapped", g));
      if (it->to != to_h)
        fail(fmt::format("guest PASID {:#x} remapped to {:#x}, expected {:#x}", g, it->to, to_h));
      if (tt.lookup(g) != to_h)
        fail(fmt::format("translation table does not map guest PASID {:#x} to {:#x}", g, to_h));
    }
    // Whatever stayed allocated at the destination is exactly what the report says was placed.
    if (!r.ok && dst.set(vm_set)->used != 0)
      fail("a failed migration left PASIDs allocated at the destination");
  }

  /// Checks a statistic's current value (counters, scalars, formulas, histogram fields), for
  /// scenarios in which devices run concurrently with the steps.
  void stat(const ScenarioStep& st) {
    const std::string root = pf_.stats().name() + ".";
    const std::string name = st.stat.starts_with(root) ? st.stat : root + st.stat;
    std::optional<double> v;
    std::vector<std::string> names;
    for (const auto& [n, x] : stats::flatten(pf_.stats())) {
      if (n == name) v = x;
      names.push_back(n);
    }
    if (!v) {
      std::string msg = fmt::format("no statistic named {}", name);
      if (auto near = cfg::closest_key(name, names); !near.empty())
        msg += fmt::format(" (did you mean {}?)", near);
      fail(msg);
    }
    const bool low = st.lo && *v < static_cast<double>(val(*st.lo));
    const bool high = st.hi && *v > static_cast<double>(val(*st.hi));
    if (!low && !high) return;
    if (st.lo && st.hi && val(*st.lo) == val(*st.hi))
      fail(fmt::format("{}: expected {}, got {}", name, val(*st.lo), *v));
    fail(fmt::format("{}: expected {}{}{}, got {}", name,
                     st.lo ? fmt::format("at least {}", val(*st.lo)) : std::string(),
                     st.lo && st.hi ? " and " : "",
                     st.hi ? fmt::format("at most {}", val(*st.hi)) : std::string(), *v));
  }

  /// The requester fields shared by DMA, translation and page request steps.
  void requester(const ScenarioStep& st, uint16_t& rid, bool& has_pasid, uint32_t& pasid) {
    const uint64_t r = val(st.rid);
    if (r > 0xffff) fail(fmt::format("rid {:#x} is not a 16-bit requester ID", r));
    rid = static_cast<uint16_t>(r);
    has_pasid = false;
    pasid = 0;
    if (st.pasid) {
      const uint64_t v = val(*st.pasid);
      if (v > DmaAttrs::kPasidMask) fail(fmt::format("PASID {:#x} exceeds 20 bits", v));
      has_pasid = true;
      pasid = static_cast<uint32_t>(v);
    }
  }

  static std::string who(uint16_t rid, bool has_pasid, uint32_t pasid) {
    return has_pasid ? fmt::format("{:#06x} PASID {:#x}", rid, pasid) : fmt::format("{:#06x}", rid);
  }

  /// Compares named fields with `have`; the first mismatch as a message, empty when all match.
  std::string compare_fields(const ScenarioStep& st, const std::map<std::string, uint64_t>& have) {
    for (const auto& [name, want] : st.fields) {
      auto it = have.find(name);
      if (it == have.end()) return fmt::format("{}: not present in the message", name);
      if (it->second != val(want))
        return fmt::format("{}: expected {:#x}, got {:#x}", name, val(want), it->second);
    }
    return {};
  }

  void ats_translate(const ScenarioStep& st) {
    ScenarioPort* p = port(st);
    DmaRequest req;
    requester(st, req.rid, req.has_pasid, req.pasid);
    req.priv = st.priv;
    req.exec = st.exec;
    req.ats = AtsType::translation_request;
    // A translation request asks for write access unless No Write is set (PCIe 10.2.2).
    req.write = !st.nw;
    req.addr = val(st.addr);
    std::vector<uint8_t> buf(8);
    const uint64_t landed_before = pf_.memory_module().device_accesses();
    const DmaResult r = p->issue(req, buf);
    if (pf_.memory_module().device_accesses() != landed_before)
      fail("a translation request reached memory as a device access");
    const std::string from = who(req.rid, req.has_pasid, req.pasid);
    if (st.fault) {
      if (r.ok())
        fail(
            fmt::format("expected the translation request for {:#x} from {} to be refused, but "
                        "it completed",
                        req.addr, from));
      return;
    }
    if (!r.ok())
      fail(fmt::format("translation request for {:#x} from {} failed: {}", req.addr, from,
                       tlm_response_text(r.status)));
    const AtsCompletion& c = r.completion;
    if (!c.valid) fail(fmt::format("translation request for {:#x}: no completion", req.addr));
    const std::map<std::string, uint64_t> have = {
        {"addr", c.translated},
        {"size", c.page_lg2 >= 64 ? 0 : uint64_t{1} << c.page_lg2},
        {"r", c.read},
        {"w", c.write},
        {"x", c.exec},
        {"priv", c.priv},
        {"u", c.untranslated_only}};
    if (auto m = compare_fields(st, have); !m.empty())
      fail(fmt::format("translation of {:#x} from {}: {}", req.addr, from, m));
    if (!st.capture.empty()) captures_[st.capture] = c.translated;
  }

  void page_request(const ScenarioStep& st) {
    ScenarioPort* p = port(st);
    PageRequest pr;
    requester(st, pr.rid, pr.has_pasid, pr.pasid);
    pr.priv = st.priv;
    pr.exec = st.exec;
    pr.addr = val(st.addr);
    pr.read = st.pr_read;
    pr.write = st.pr_write;
    pr.last = st.pr_last;
    const uint64_t g = val(st.group);
    if (g > PageRequest::kGroupMask) fail(fmt::format("group {:#x} exceeds 9 bits", g));
    pr.group = static_cast<uint16_t>(g);
    const bool accepted = p->page_request(pr);
    if (st.fault && accepted)
      fail(fmt::format("expected the page request for {:#x} from {} to be refused", pr.addr,
                       who(pr.rid, pr.has_pasid, pr.pasid)));
    if (!st.fault && !accepted)
      fail(fmt::format("the IOMMU refused the page request for {:#x} from {}", pr.addr,
                       who(pr.rid, pr.has_pasid, pr.pasid)));
  }

  static const char* prg_code_name(uint8_t code) {
    switch (code) {
      case 0x0:
        return "success";
      case 0x1:
        return "invalid_request";
      case 0xf:
        return "response_failure";
      default:
        return "reserved";
    }
  }

  /// The oldest arrived message of the step's kind, as named fields plus a description.
  std::optional<std::pair<std::map<std::string, uint64_t>, std::string>> take_message(
      const ScenarioStep& st, ScenarioPort& p) {
    const Tick now = to_ticks(sc_core::sc_time_stamp());
    std::map<std::string, uint64_t> f;
    if (st.kind == Kind::expect_page_response) {
      auto m = p.take_page_response(now);
      if (!m) return std::nullopt;
      f = {{"rid", m->rid}, {"group", m->group}, {"code", m->code}};
      if (m->has_pasid) f["pasid"] = m->pasid;
      return std::pair{
          f, fmt::format("page group response to {} group {:#x}: {}",
                         who(m->rid, m->has_pasid, m->pasid), m->group, prg_code_name(m->code))};
    }
    auto m = p.take_invalidation(now);
    if (!m) return std::nullopt;
    f = {{"rid", m->rid},
         {"addr", m->addr},
         {"size", m->size_lg2 >= 64 ? 0 : uint64_t{1} << m->size_lg2},
         {"global", m->global}};
    if (m->has_pasid) f["pasid"] = m->pasid;
    return std::pair{f, fmt::format("ATS invalidation to {}{} of {:#x} size 2^{}",
                                    who(m->rid, m->has_pasid, m->pasid),
                                    m->global ? " (global)" : "", m->addr, m->size_lg2)};
  }

  void expect_message(const ScenarioStep& st) {
    ScenarioPort* p = port(st);
    const char* what =
        st.kind == Kind::expect_page_response ? "page group response" : "ATS invalidation";
    if (st.none) {
      if (auto m = take_message(st, *p))
        fail(fmt::format("expected no {}, got {}", what, m->second));
      return;
    }
    const sc_core::sc_time deadline = sc_core::sc_time_stamp() + from_ticks(st.timeout);
    while (true) {
      if (auto m = take_message(st, *p)) {
        if (auto diff = compare_fields(st, m->first); !diff.empty())
          fail(fmt::format("{}: {}", m->second, diff));
        return;
      }
      if (sc_core::sc_time_stamp() >= deadline) break;
      sc_core::wait(from_ticks(opts_.poll_interval));
    }
    fail(fmt::format("no {} arrived within {}", what, format_time(st.timeout)));
  }

  void dma(const ScenarioStep& st) {
    ScenarioPort* p = port(st);
    DmaRequest req;
    requester(st, req.rid, req.has_pasid, req.pasid);
    req.priv = st.priv;
    req.exec = st.exec;
    req.ats = st.translated ? AtsType::translated : AtsType::untranslated;
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

  static Tick now() { return to_ticks(sc_core::sc_time_stamp()); }

  /// The IOMMU a migration arrives at: `name`, or the platform's only one.
  const ComponentSpec& destination_iommu(const std::string& name) {
    const auto& ios = pf_.config().iommus;
    if (name.empty()) {
      if (ios.size() != 1)
        fail(fmt::format("destination: the platform has {} IOMMUs; name one with iommu:",
                         ios.size()));
      return ios.front();
    }
    for (const ComponentSpec& s : ios)
      if (s.name == name) return s;
    fail(fmt::format("destination: no IOMMU named '{}'", name));
  }

  /// A standalone table of the architecture of IOMMU type `type`, sized for `width` PASIDs.
  std::unique_ptr<pasid::PasidTable> standalone_table(const std::string& type, PhysAllocator& pool,
                                                      unsigned width) {
    if (type == "vtd") {
      pasid::VtdTableOptions o;
      o.pasid_bits = width;
      return std::make_unique<pasid::VtdPasidTable>(pf_.memory(), pool, o);
    }
    if (type == "smmuv3") {
      pasid::SmmuTableOptions o;
      o.ssid_bits = width;
      return std::make_unique<pasid::SmmuCdTable>(pf_.memory(), pool, o);
    }
    if (type == "amdvi") {
      pasid::AmdTableOptions o;
      o.pasid_bits = width;
      o.levels = pasid::gcr3_levels_for(width);
      return std::make_unique<pasid::AmdGcr3Table>(pf_.memory(), pool, o);
    }
    fail(fmt::format("destination: {} IOMMUs have no PASID tables (vtd, smmuv3, amdvi do)", type));
  }

  /// The destination unit's host driver, brought up on the first migration that programs it;
  /// its structures come from that step's `tables`.
  LiveDestination& live_destination(const ComponentSpec& io, const ScenarioMigrate& m) {
    auto& d = live_[io.name];
    if (d) return *d;
    std::string why;
    d = make_live_destination(io.name, io.type, pf_.host().open(io.name, 0), m.table_base,
                              m.table_base + m.table_size, why);
    if (!d) fail("destination: " + why);
    return *d;
  }

  /// Standalone destination tables, kept for the run (their entries stay readable).
  struct StandaloneTables {
    StandaloneTables(uint64_t base, uint64_t limit) : pool(base, limit) {}
    PhysAllocator pool;
    std::vector<std::unique_ptr<pasid::PasidTable>> tables;
  };

  const Scenario& sc_;
  Platform& pf_;
  std::ostream& out_;
  ScenarioOptions opts_;
  ScenarioOutcome outcome_;
  std::map<std::string, uint64_t> captures_;
  std::map<std::string, std::unique_ptr<LiveDestination>> live_;
  std::deque<StandaloneTables> standalone_;
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
