// AMD-Vi model: Control/Status behaviour, the command buffer processor (48882 2.4, 3.4.2,
// 3.4.10), the event log (2.5, 3.4.3) and MSI interrupts.
//
// Interpretations (fail closed, listed in SPEC_COVERAGE.md):
//   - CmdBufRun / EventLogRun / PPRLogRun follow IommuEn && <ring>En; a ring that halted
//     (illegal command, hardware error, event-log overflow) runs again only when software sets
//     its enable again (Linux toggles EventLogEn to restart after an overflow).
//   - A ComLen/EventLen below 8 (reserved) or a head/tail offset beyond the ring stops the ring
//     without an event (no architected event names it).
//   - EventLogInt / PPRInt are set (and the MSI sent) for each entry written while
//     EventIntEn / PPRIntEn = 1; ComWaitInt is set by every COMPLETION_WAIT with I = 1 and
//     signalled when ComWaitIntEn.
//   - INVALIDATE_IOTLB_PAGES goes to the device at once; a later COMPLETION_WAIT waits for
//     every completion. Past Control.InvTimeOut the device counts as timed out:
//     IOTLB_INV_TIMEOUT is logged when the command is sent and the wait ends at the timeout.
#include <algorithm>
#include <cstring>

#include "hw/dma_attrs.h"

#include "hw/ring.h"
#include "hw/sc_time_util.h"
#include "models/amdvi/amdvi_iommu.h"
#include "models/amdvi/ppr.h"

namespace isim {

using namespace amdvi;

bool AmdviIommu::status(unsigned b) const {
  return bit(bank_.get(ids_.status), b);
}
bool AmdviIommu::control(unsigned b) const {
  return bit(bank_.get(ids_.control), b);
}
void AmdviIommu::set_status(unsigned b, bool v) {
  bank_.update(ids_.status, uint64_t{1} << b, v ? uint64_t{1} << b : 0);
}

// --- 3.4.4 Control -> 3.4.10 Status run bits ------------------------------------------------
void AmdviIommu::on_control_write(const RegWrite& w) {
  const bool en = control(control::kIommuEn);
  auto follow = [&](unsigned enable, unsigned run) {
    if (!(en && control(enable))) {
      set_status(run, false);
    } else if (w.rose(enable) || w.rose(control::kIommuEn)) {
      set_status(run, true);
    }
  };
  follow(control::kCmdBufEn, status::kCmdBufRun);
  follow(control::kEventLogEn, status::kEventLogRun);
  if (p_.features.ppr_sup) follow(control::kPprLogEn, status::kPprLogRun);
  cmd_event_.notify(mmio_delay_);
}

void AmdviIommu::halt_commands() {
  set_status(status::kCmdBufRun, false);
}

// --- 2.4 command buffer --------------------------------------------------------------------
void AmdviIommu::cmd_thread() {
  for (;;) {
    if (!status(status::kCmdBufRun)) {
      sc_core::wait(cmd_event_);
      continue;
    }
    const uint64_t base = bank_.get(ids_.cmd_buf_base);
    const unsigned len = ring_base::len(base);
    if (len < ring_base::kMinLen) {
      halt_commands();
      continue;
    }
    const ByteOffsetRing ring(ring_base::base(base), len, kCommandBytes);
    const uint64_t head = ring_ptr::offset(bank_.get(ids_.cmd_head));
    const uint64_t tail = ring_ptr::offset(bank_.get(ids_.cmd_tail));
    if (!ring.valid(head) || !ring.valid(tail)) {
      halt_commands();
      continue;
    }
    if (ring.empty(head, tail)) {
      sc_core::wait(cmd_event_);
      continue;
    }
    // Fetch and decode: the read goes to memory through downstream.
    const uint64_t addr = ring.entry_addr(head);
    sc_core::sc_time d = lat_t(p_.cmd_fetch);
    Qw2 raw{};
    const bool ok = bus_read(addr, raw.data(), kCommandBytes, d);
    sc_core::wait(d);
    d = sc_core::SC_ZERO_TIME;
    if (!ok) {
      // 2.5.7: the command could not be read.
      ++cmd_hw_errors_;
      log_event(Event::command_hw_error(addr, HwErrorType::MasterAbort), d);
      halt_commands();
      sc_core::wait(d);
      continue;
    }
    const DecodedCommand dc = decode_command(raw, p_.features);
    if (!dc.ok()) {
      // 2.4 / 2.5.6: ILLEGAL_COMMAND_ERROR with the command's address; the head stays on it
      // and the buffer stops until software re-enables it.
      ++illegal_commands_;
      log_event(Event::illegal_command(addr), d);
      halt_commands();
      sc_core::wait(d);
      continue;
    }
    if (stats::Counter* c = commands_[static_cast<unsigned>(dc.cmd.op)]) ++*c;
    // The command's effects are visible together with the head moving past it; its cost is
    // waited out afterwards, before the next fetch.
    const bool done = execute(dc.cmd, addr, d);
    if (done) {
      bank_.set(ids_.cmd_head, ring.next(head));
    } else {
      halt_commands();
    }
    sc_core::wait(d);
  }
}

bool AmdviIommu::execute(const Command& c, uint64_t cmd_addr, sc_core::sc_time& d) {
  switch (c.op) {
    case Opcode::CompletionWait: {
      // 2.4.1: every earlier command must be complete: the in-order ones are, ATS
      // invalidations sent to devices may not be yet. The store and the interrupt follow.
      const Tick now = to_ticks(sc_core::sc_time_stamp() + d);
      if (ats_pending_until_ > now) {
        sc_core::wait(d + from_ticks(ats_pending_until_ - now));
        d = sc_core::SC_ZERO_TIME;
      }
      if (c.store) {
        if (!bus_write(c.store_addr, &c.store_data, sizeof c.store_data, d)) {
          ++cmd_hw_errors_;
          log_event(Event::command_hw_error(c.store_addr, HwErrorType::MasterAbort), d);
          return false;
        }
        ++completion_stores_;
      }
      if (c.interrupt) {
        set_status(status::kComWaitInt, true);
        if (control(control::kComWaitIntEn)) raise_msi(d);
      }
      break;
    }
    case Opcode::InvalidateDevtabEntry:
      ++inv_dte_;
      invalidate_device(c.device_id);
      d += lat_t(p_.cmd_invalidate);
      break;
    case Opcode::InvalidateIommuPages:
      ++(c.gn ? inv_pages_guest_ : inv_pages_host_);
      invalidate_pages(c);
      d += lat_t(p_.cmd_invalidate);
      break;
    case Opcode::InvalidateIotlbPages:
      invalidate_iotlb(c, cmd_addr, d);
      break;
    case Opcode::CompletePprRequest:
      // 2.4.7: the PRG response to the device; CompletionTag carries the group index and the
      // response code (commands.h).
      ++ppr_responses_;
      if (PcieEndpoint* ep = endpoint(c.device_id)) {
        PageGroupResponse resp;
        resp.rid = c.device_id;
        resp.has_pasid = c.gn;
        resp.pasid = c.pasid;
        resp.group = ppr_tag_group(c.completion_tag);
        resp.code = ppr_tag_code(c.completion_tag);
        ep->page_response(resp, to_ticks(sc_core::sc_time_stamp() + d));
      }
      break;
    case Opcode::InvalidateInterruptTable:  // 2.4.5: no interrupt remapping cache to drop
    case Opcode::PrefetchIommuPages:        // 2.4.6: a hint; accepted, nothing prefetched
      break;
    case Opcode::InvalidateIommuAll:
      ++inv_all_;
      invalidate_all();
      d += lat_t(p_.cmd_invalidate);
      break;
  }
  return true;
}

void AmdviIommu::invalidate_iotlb(const Command& c, uint64_t cmd_addr, sc_core::sc_time& d) {
  ++inv_iotlb_pages_;
  PcieEndpoint* ep = endpoint(c.device_id);
  if (ep == nullptr) return;  // no function there: the message is dropped
  const InvRange range = c.range();
  AtsInvalidation inv;
  inv.rid = c.device_id;
  inv.has_pasid = c.gn;
  inv.pasid = c.pasid;
  inv.addr = range.base;
  inv.size_lg2 = range.size_lg2;
  const Tick now = to_ticks(sc_core::sc_time_stamp() + d);
  Tick done = std::max(ep->ats_invalidate(inv, now), now);
  // 3.4.4 InvTimeOut: 0 none, 1..6 = 1 ms * 10^(n-1), 7 reserved (no timeout here).
  const unsigned to = static_cast<unsigned>(
      bits(bank_.get(ids_.control), control::kInvTimeOutHi, control::kInvTimeOutLo));
  if (to >= 1 && to <= 6) {
    Tick limit = ns_to_ticks(1e6);  // 1 ms
    for (unsigned i = 1; i < to; ++i) limit *= 10;
    if (done - now > limit) {
      ++iotlb_inv_timeouts_;
      log_event(Event::iotlb_inv_timeout(c.device_id, cmd_addr), d);
      done = now + limit;
    }
  }
  ats_pending_until_ = std::max(ats_pending_until_, done);
}

void AmdviIommu::invalidate_pages(const Command& c) {
  iotlb_.invalidate_if(
      [&](const IotlbKey& k, const IotlbEntry& e) { return iotlb_hit_by(c, k, e); });
  if (!c.gn && c.pde) {
    pde_cache_.invalidate_if([&](const PdeKey& k, const PdeEntry&) { return pde_hit_by(c, k); });
  }
  if (c.gn && c.pde) {
    guest_pde_cache_.invalidate_if(
        [&](const GuestPdeKey& k, const PdeEntry&) { return guest_pde_hit_by(c, k); });
  }
  if (c.gn) {
    gcr3_cache_.invalidate_if([&](const Gcr3Key& k, const Gcr3Entry2& e) {
      return k.pasid == c.pasid && e.domain_id == c.domain_id;
    });
  }
}

void AmdviIommu::invalidate_device(uint16_t device_id) {
  dte_cache_.invalidate(DteKey{device_id});
  gcr3_cache_.invalidate_if(
      [&](const Gcr3Key& k, const Gcr3Entry2&) { return k.device_id == device_id; });
  se_logged_.erase(device_id);
}

void AmdviIommu::invalidate_all() {
  dte_cache_.invalidate_all();
  iotlb_.invalidate_all();
  pde_cache_.invalidate_all();
  gcr3_cache_.invalidate_all();
  guest_pde_cache_.invalidate_all();
  inflight_.clear();
  iotlb_sizes_ = 0;
  se_logged_.clear();
}

// --- 2.5 event log, 2.6 PPR log ----------------------------------------------------------------
void AmdviIommu::log_event(const Event& e, sc_core::sc_time& delay) {
  const auto code = static_cast<unsigned>(e.code);
  if (code < events_.size() && events_[code]) ++*events_[code];
  const LogRing ring{ids_.event_log_base,  ids_.event_head,        ids_.event_tail,
                     status::kEventLogRun, status::kEventOverflow, status::kEventLogInt,
                     control::kEventIntEn};
  if (append_log(ring, e.encode(), delay)) {
    ++events_written_;
  } else {
    ++events_dropped_;
  }
}

bool AmdviIommu::append_log(const LogRing& log, const Qw2& entry, sc_core::sc_time& delay) {
  if (!status(log.run)) return false;
  const uint64_t base = bank_.get(log.base);
  const unsigned len = ring_base::len(base);
  if (len < ring_base::kMinLen) return false;
  const ByteOffsetRing ring(ring_base::base(base), len, kEventBytes);
  const uint64_t head = ring_ptr::offset(bank_.get(log.head));
  const uint64_t tail = ring_ptr::offset(bank_.get(log.tail));
  if (!ring.valid(head) || !ring.valid(tail)) return false;
  if (ring.full(head, tail)) {
    // 3.4.10 EventOverflow / PPROverflow: no usable entry; the entry is lost and logging
    // stops until software restarts it.
    set_status(log.overflow, true);
    set_status(log.run, false);
    if (log.overflow == status::kEventOverflow) {
      ++event_overflows_;
    } else {
      ++ppr_overflows_;
    }
    if (control(log.int_en)) raise_msi(delay);
    return false;
  }
  delay += lat_t(p_.event_write);
  if (!bus_write(ring.entry_addr(tail), entry.data(), kEventBytes, delay)) return false;
  bank_.set(log.tail, ring.next(tail));
  if (control(log.int_en)) {
    set_status(log.intr, true);
    raise_msi(delay);
  }
  return true;
}

bool AmdviIommu::page_request(const PageRequest& pr, sc_core::sc_time& delay) {
  ++ppr_requests_;
  // 2.6: PPR requests are handled with EFR.PPRSup, Control.PPREn and the DTE's PPR bit.
  if (!p_.features.ppr_sup || !control(control::kIommuEn) || !control(control::kPprEn)) {
    ++ppr_refused_;
    return false;
  }
  Request req;
  req.device_id = pr.rid;
  if (pr.has_pasid) req.pasid = pr.pasid & DmaAttrs::kPasidMask;
  req.addr = pr.addr;
  DeviceContext ctx;
  Fault f;
  if (!device_context(unit_state(), req, ctx, f, delay)) {
    report(f, delay);
    ++ppr_refused_;
    return false;
  }
  if (!(ctx.dte.v && ctx.dte.ppr)) {
    ++ppr_refused_;
    return false;
  }
  if (pr.stop_marker()) return true;  // nothing to service: no entry
  PprEntry e;
  e.device_id = pr.rid;
  e.gn = pr.has_pasid;
  e.pasid = pr.has_pasid ? pr.pasid : 0;
  e.tag = pr.group;
  e.last = pr.last;
  e.exec = pr.exec;
  e.read = pr.read;
  e.write = pr.write;
  e.user = !pr.priv;
  e.addr = pr.addr;
  const LogRing ring{ids_.ppr_log_base,    ids_.ppr_head,   ids_.ppr_tail,     status::kPprLogRun,
                     status::kPprOverflow, status::kPprInt, control::kPprIntEn};
  if (append_log(ring, e.encode(), delay)) ++ppr_logged_;
  return true;
}

// --- Interrupts: the MSI the capability mirror describes ------------------------------------
void AmdviIommu::raise_msi(sc_core::sc_time& delay) {
  if (ids_.msi_cap == RegIds::kNone || !bit(bank_.get(ids_.msi_cap), msi::kEnable)) return;
  const uint64_t addr = bank_.get(ids_.msi_addr_lo) | (bank_.get(ids_.msi_addr_hi) << 32);
  const uint32_t data = static_cast<uint32_t>(bank_.get(ids_.msi_data));
  if (bus_write(addr, &data, sizeof data, delay)) ++interrupts_;
}

}  // namespace isim
