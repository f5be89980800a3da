// The SMMU's queues in memory: the Command queue it consumes (IHI 0070 3.5, 4, 7.1) and the
// Event queue it produces (3.5, 7.2 "Event queue recording and overflow", 7.3 records).
#include <algorithm>

#include "hw/sc_time_util.h"
#include "hw/sparse_memory.h"
#include "models/smmuv3/pri.h"
#include "models/smmuv3/smmuv3_iommu.h"

namespace isim {

using namespace smmuv3;

WrapIndexRing SmmuV3Iommu::queue_ring(const char* base_reg, unsigned max_lg2,
                                      uint32_t entry_bytes) const {
  // 6.3.25: LOG2SIZE above IDR1.xQS behaves as xQS; the base is aligned to the queue size, at
  // least 32 bytes (bits below it are treated as zero).
  const uint64_t b = reg(base_reg);
  const unsigned lg2 = std::min<unsigned>(static_cast<unsigned>(b & queue::kBaseLog2Size), max_lg2);
  const uint64_t bytes = std::max<uint64_t>(uint64_t{entry_bytes} << lg2, 32);
  return WrapIndexRing((b & queue::kBaseAddr) & ~(bytes - 1), lg2, entry_bytes);
}

// --- Event queue -------------------------------------------------------------------------------

bool SmmuV3Iommu::record_event(const EventRecord& e, sc_core::sc_time& delay) {
  // 7.2: with the Event queue disabled, events are discarded.
  if (!cr0ack(cr0::EVENTQEN)) {
    ++ev_dropped_;
    return false;
  }
  const WrapIndexRing ring = queue_ring("EVENTQ_BASE", p_.ids.evtq_lg2, kEventBytes);
  const RegBank::RegId prod_id = id("EVENTQ_PROD");
  const uint64_t prod_reg = bank_.get(prod_id);
  const uint64_t cons_reg = reg("EVENTQ_CONS");
  const uint32_t prod = ring.canonical(static_cast<uint32_t>(prod_reg & queue::kPtr));
  const uint32_t cons = ring.canonical(static_cast<uint32_t>(cons_reg & queue::kPtr));
  if (ring.full(prod, cons)) {
    // 7.2.1: a record that finds the queue full is lost and the overflow is flagged by toggling
    // PROD.OVFLG, unless an earlier overflow is still unacknowledged (OVFLG != CONS.OVACKFLG).
    ++ev_overflows_;
    ++ev_dropped_;
    if (bit(prod_reg, queue::OVFLG) == bit(cons_reg, queue::OVFLG))
      bank_.set(prod_id, prod_reg ^ (uint64_t{1} << queue::OVFLG));
    return false;
  }
  delay += lat_t(p_.event_write);
  const EventWords w = encode_event(e);
  if (!mem_write(ring.entry_addr(prod), w.data(), kEventBytes, delay)) {
    ++ev_dropped_;
    raise_gerror(gerror::EVENTQ_ABT_ERR, delay);
    return false;
  }
  bank_.set(prod_id, (prod_reg & (uint64_t{1} << queue::OVFLG)) | ring.next(prod));
  ++ev_written_;
  if (stats::Counter* c = ev_by_type_[static_cast<uint8_t>(e.type)]) ++*c;
  if (bit(reg("IRQ_CTRLACK"), irq_ctrl::EVENTQ_IRQEN)) {
    send_msi(reg("EVENTQ_IRQ_CFG0") & irq_cfg::kAddr, static_cast<uint32_t>(reg("EVENTQ_IRQ_CFG1")),
             gerror::MSI_EVENTQ_ABT_ERR, delay);
  }
  return true;
}

// --- Command queue -----------------------------------------------------------------------------

bool SmmuV3Iommu::cmdq_runnable() {
  if (!cr0ack(cr0::CMDQEN) || gerror_active(gerror::CMDQ_ERR)) return false;
  const WrapIndexRing ring = queue_ring("CMDQ_BASE", p_.ids.cmdq_lg2, kCmdBytes);
  const uint32_t prod = ring.canonical(static_cast<uint32_t>(reg("CMDQ_PROD") & queue::kPtr));
  const uint32_t cons = ring.canonical(static_cast<uint32_t>(reg("CMDQ_CONS") & queue::kPtr));
  return !ring.empty(prod, cons);
}

void SmmuV3Iommu::cmdq_thread() {
  while (true) {
    while (cmdq_runnable()) cmdq_step();
    sc_core::wait(cmdq_ev_);
  }
}

void SmmuV3Iommu::cmdq_error(CmdError e, sc_core::sc_time& delay) {
  // 7.1: the queue stops with CONS.RD at the failing command and CONS.ERR giving the reason,
  // and GERROR.CMDQ_ERR is raised; it restarts when software acknowledges in GERRORN.
  ++cmd_errors_;
  const RegBank::RegId cons = id("CMDQ_CONS");
  bank_.update(cons, queue::kConsErr, uint64_t{static_cast<uint8_t>(e)} << 24);
  raise_gerror(gerror::CMDQ_ERR, delay);
}

bool SmmuV3Iommu::cmdq_step() {
  const WrapIndexRing ring = queue_ring("CMDQ_BASE", p_.ids.cmdq_lg2, kCmdBytes);
  const RegBank::RegId cons_id = id("CMDQ_CONS");
  const uint32_t cons = ring.canonical(static_cast<uint32_t>(bank_.get(cons_id) & queue::kPtr));
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  CmdWords w{};
  if (!mem_read(ring.entry_addr(cons), w.data(), kCmdBytes, d)) {
    cmdq_error(CmdError::kAbt, d);  // 7.1 CERROR_ABT: the command fetch aborted
    sc_core::wait(d);
    return false;
  }
  d += lat_t(p_.cmd_decode);
  const CmdDecode dec = decode_command(w, p_.ids);
  if (dec.error != CmdError::kNone) {
    cmdq_error(dec.error, d);
    sc_core::wait(d);
    return false;
  }
  ++cmds_;
  if (stats::Counter* c = cmd_by_op_[dec.cmd.opcode]) ++*c;
  sc_core::wait(d);
  sc_core::wait(execute(dec.cmd));
  if (dec.cmd.op() == Opcode::kSync && atc_inv_failed_) {
    // 7.1 CERROR_ATC_INV_SYNC: the queue stops at this CMD_SYNC, which runs again (and
    // completes) once software acknowledges the error.
    atc_inv_failed_ = false;
    sc_core::sc_time e = sc_core::SC_ZERO_TIME;
    cmdq_error(CmdError::kAtcInvSync, e);
    sc_core::wait(e);
    return false;
  }
  // The command is consumed once it has completed; a CMD_SYNC then signals its completion
  // (4.7.3: CS = SIG_IRQ writes MSIData to MSIAddress).
  bank_.set(cons_id, ring.next(cons));
  if (dec.cmd.op() == Opcode::kSync) {
    ++syncs_;
    if (static_cast<SyncCs>(dec.cmd.cs) == SyncCs::kIrq) {
      sc_core::sc_time m = sc_core::SC_ZERO_TIME;
      send_msi(dec.cmd.msi_addr, dec.cmd.msi_data, gerror::MSI_CMDQ_ABT_ERR, m);
      sc_core::wait(m);
    }
  }
  return true;
}

sc_core::sc_time SmmuV3Iommu::execute(const Command& c) {
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  // 4.4: VMID parameters are ignored without stage 2 (TLB entries are then tagged with 0).
  const uint16_t vmid = p_.ids.s2p ? c.vmid : 0;
  size_t removed = 0;
  switch (c.op()) {
    case Opcode::kPrefetchConfig:
    case Opcode::kPrefetchAddr:
      break;  // 4.2: prefetches are hints; accepted without effect
    case Opcode::kCfgiSte:
      d += lat_t(p_.cmd_cfgi);
      removed = caches_.cfgi_ste(c.sid);
      break;
    case Opcode::kCfgiSteRange:
      d += lat_t(p_.cmd_cfgi);
      removed = c.is_cfgi_all() ? caches_.cfgi_all() : caches_.cfgi_ste_range(c.sid, c.range);
      break;
    case Opcode::kCfgiCd:
      d += lat_t(p_.cmd_cfgi);
      removed = caches_.cfgi_cd(c.sid, c.ssid);
      break;
    case Opcode::kCfgiCdAll:
      d += lat_t(p_.cmd_cfgi);
      removed = caches_.cfgi_cd_all(c.sid);
      break;
    case Opcode::kTlbiNhAll:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_nh_all(vmid);
      break;
    case Opcode::kTlbiNhAsid:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_nh_asid(vmid, c.asid);
      break;
    case Opcode::kTlbiNhVa:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_nh_va(vmid, c.asid, tlbi_range(c, c.addr), c.leaf);
      break;
    case Opcode::kTlbiNhVaa:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_nh_vaa(vmid, tlbi_range(c, c.addr), c.leaf);
      break;
    case Opcode::kTlbiS2Ipa:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_s2_ipa(vmid, tlbi_range(c, c.addr), c.leaf);
      break;
    case Opcode::kTlbiS12Vmall:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_s12_vmall(vmid);
      break;
    case Opcode::kTlbiNsnhAll:
      d += lat_t(p_.cmd_tlbi);
      removed = caches_.tlbi_nsnh_all();
      break;
    case Opcode::kTlbiEl2All:
    case Opcode::kTlbiEl2Asid:
    case Opcode::kTlbiEl2Va:
    case Opcode::kTlbiEl2Vaa:
      // Only decoded with IDR0.Hyp; no EL2 StreamWorld entries exist in this model.
      d += lat_t(p_.cmd_tlbi);
      break;
    case Opcode::kAtcInv: {
      // 4.5.1: invalidate 4 KiB * 2^Size bytes at Address (aligned to the size; Size 52 and
      // above is the whole address space) in the ATC of the function with this StreamID.
      AtsInvalidation inv;
      inv.rid = static_cast<uint16_t>(c.sid);
      inv.has_pasid = c.ssv;
      inv.pasid = c.ssid;
      inv.global = c.global;
      inv.size_lg2 =
          std::min<unsigned>(AtsInvalidation::kPageLg2 + c.size, AtsInvalidation::kAllLg2);
      inv.addr = inv.size_lg2 >= 64 ? 0 : c.addr & ~mask(inv.size_lg2 - 1, 0);
      ++atc_invs_;
      if (PcieEndpoint* ep = endpoint(inv.rid)) {
        const Tick now = to_ticks(sc_core::sc_time_stamp());
        Tick done = ep->ats_invalidate(inv, now);
        // 3.9.1.4: a completion that does not arrive in time fails the invalidation; the next
        // CMD_SYNC reports it (after waiting for the time-out).
        if (const Tick limit = lat(p_.atc_inv_timeout); limit != 0 && done - now > limit) {
          atc_inv_failed_ = true;
          done = now + limit;
        }
        atc_inv_done_ = std::max(atc_inv_done_, done);
      }
      break;
    }
    case Opcode::kPriResp: {
      // 4.5.2: a PRG Response to the function with this StreamID, with a PASID when SSV.
      PageGroupResponse r;
      r.rid = static_cast<uint16_t>(c.sid);
      r.has_pasid = c.ssv;
      r.pasid = c.ssid;
      r.group = c.prg_index;
      r.code = prg_response_code(c.resp);
      ++pri_responses_;
      if (PcieEndpoint* ep = endpoint(r.rid))
        ep->page_response(r, to_ticks(sc_core::sc_time_stamp()));
      break;
    }
    case Opcode::kResume:
      resume(c.sid, c.stag, c.retry, c.abort);
      break;
    case Opcode::kStallTerm:
      stall_term(c.sid);
      break;
    case Opcode::kSync: {
      // 4.7.3: every earlier command has completed (they run in order), including the ATC
      // invalidations sent to devices: wait for their completions.
      d += lat_t(p_.cmd_sync);
      const Tick now = to_ticks(sc_core::sc_time_stamp());
      if (atc_inv_done_ > now + to_ticks(d)) d = from_ticks(atc_inv_done_ - now);
      break;
    }
    default:
      break;  // decode_command rejected every other opcode
  }
  inv_entries_ += removed;
  // TBU micro-TLBs are emptied by every TLB or configuration invalidation.
  if ((c.opcode >= static_cast<uint8_t>(Opcode::kCfgiSte) &&
       c.opcode <= static_cast<uint8_t>(Opcode::kCfgiCdAll)) ||
      (c.opcode >= static_cast<uint8_t>(Opcode::kTlbiNhAll) &&
       c.opcode <= static_cast<uint8_t>(Opcode::kTlbiNsnhAll)))
    flush_tbus();
  return d;
}

// --- PRI queue (8) -----------------------------------------------------------------------------

void SmmuV3Iommu::auto_page_response(const PageRequest& pr, uint8_t code, bool with_pasid,
                                     Tick now) {
  // 8.2: automatic responses go back to the requester with its PRG index; stop markers and
  // requests that are not the last of their group get none.
  if (!pr.last || pr.stop_marker()) return;
  ++pri_auto_responses_;
  PageGroupResponse r;
  r.rid = pr.rid;
  r.has_pasid = with_pasid && pr.has_pasid;
  r.pasid = pr.pasid;
  r.group = pr.group;
  r.code = code;
  if (PcieEndpoint* ep = endpoint(pr.rid)) ep->page_response(r, now);
}

bool SmmuV3Iommu::page_request(const PageRequest& pr, sc_core::sc_time& delay) {
  if (!p_.ids.pri) return false;  // no page request interface: unsupported request
  delay += lat_t(p_.event_write);
  const Tick now = to_ticks(sc_core::sc_time_stamp() + delay);
  // 8.2: with the PRI queue disabled (SMMUEN = 0 implies it) or PRIQ_ABT_ERR active, nothing
  // is written and every request gets a Response Failure without a PASID.
  if (!cr0ack(cr0::SMMUEN) || !cr0ack(cr0::PRIQEN) || gerror_active(gerror::PRIQ_ABT_ERR)) {
    auto_page_response(pr, kPrgFailure, false, now);
    return true;
  }
  const WrapIndexRing ring = queue_ring("PRIQ_BASE", p_.ids.priq_lg2, kPriBytes);
  const RegBank::RegId prod_id = id("PRIQ_PROD");
  const uint64_t prod_reg = bank_.get(prod_id);
  const uint64_t cons_reg = reg("PRIQ_CONS");
  const uint32_t prod = ring.canonical(static_cast<uint32_t>(prod_reg & queue::kPtr));
  const uint32_t cons = ring.canonical(static_cast<uint32_t>(cons_reg & queue::kPtr));
  const bool overflow_active = bit(prod_reg, queue::OVFLG) != bit(cons_reg, queue::OVFLG);
  if (overflow_active || ring.full(prod, cons)) {
    // 8.1: a full queue enters the overflow condition (PROD.OVFLG toggles); while it is active
    // requests are discarded, and a Last request gets an automatic Success response. Its PASID
    // follows STE.PPAR (IDR3.PPS = 0); an STE that cannot be checked gives Failure, no PASID.
    ++pri_overflows_;
    if (!overflow_active) bank_.set(prod_id, prod_reg ^ (uint64_t{1} << queue::OVFLG));
    Request req;
    req.sid = pr.rid;
    ReadLog log;
    const StreamStep ss = fetch_stream(state(), mem_, req, log);
    if (ss.stop)
      auto_page_response(pr, kPrgFailure, false, now);
    else
      auto_page_response(pr, kPrgSuccess, ss.ctx.ste.ppar, now);
    return true;
  }
  PriRecord rec;
  rec.sid = pr.rid;
  rec.ssv = pr.has_pasid && p_.ids.ssid_bits > 0;
  rec.ssid = pr.pasid;
  rec.priv = pr.priv;
  rec.exec = pr.exec;
  rec.read = pr.read;
  rec.write = pr.write;
  rec.last = pr.last;
  rec.prg_index = pr.group & PageRequest::kGroupMask;
  rec.addr = pr.addr;
  const PriWords w = encode_pri(rec);
  if (!mem_write(ring.entry_addr(prod), w.data(), kPriBytes, delay)) {
    // 8.2: a synchronous abort writing the record: PRIQ_ABT_ERR and a Failure response.
    raise_gerror(gerror::PRIQ_ABT_ERR, delay);
    auto_page_response(pr, kPrgFailure, false, now);
    return true;
  }
  bank_.set(prod_id, (prod_reg & (uint64_t{1} << queue::OVFLG)) | ring.next(prod));
  ++pri_records_;
  if (bit(reg("IRQ_CTRLACK"), irq_ctrl::PRIQ_IRQEN)) {
    send_msi(reg("PRIQ_IRQ_CFG0") & irq_cfg::kAddr, static_cast<uint32_t>(reg("PRIQ_IRQ_CFG1")),
             gerror::MSI_PRIQ_ABT_ERR, delay);
  }
  return true;
}

void SmmuV3Iommu::resume(uint32_t sid, uint16_t stag, bool retry, bool abort) {
  // 4.6.1: a RESUME that matches no stalled transaction is ignored.
  for (auto it = stalled_.begin(); it != stalled_.end(); ++it) {
    Stalled* s = *it;
    if (s->sid != sid || s->stag != stag) continue;
    s->retry = retry;
    s->abort = abort;
    stalled_.erase(it);
    s->resolved = true;
    s->done.notify(sc_core::SC_ZERO_TIME);
    return;
  }
}

void SmmuV3Iommu::stall_term(uint32_t sid) {
  // 4.6.2: every stalled transaction of the StreamID is terminated (with an abort).
  for (auto it = stalled_.begin(); it != stalled_.end();) {
    Stalled* s = *it;
    if (s->sid != sid) {
      ++it;
      continue;
    }
    s->retry = false;
    s->abort = true;
    it = stalled_.erase(it);
    s->resolved = true;
    s->done.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace isim
