#include "models/smmuv3/driver.h"

#include <algorithm>
#include <vector>

#include "models/smmuv3/driver_defs.h"
#include "pasid/smmu_cd_table.h"

namespace isim::smmuv3 {

using namespace drv;

const char* to_string(FlushPolicy p) {
  switch (p) {
    case FlushPolicy::strict:
      return "strict";
    case FlushPolicy::batched:
      return "batched";
    case FlushPolicy::caller:
      return "caller";
  }
  return "?";
}

Smmuv3Driver::Smmuv3Driver(host::HostBus& bus, const DriverOptions& opts)
    : bus_(bus), opts_(opts), pool_(opts.pool_base, opts.pool_limit) {}

Smmuv3Driver::~Smmuv3Driver() = default;

uint32_t Smmuv3Driver::read32(uint32_t off) {
  return static_cast<uint32_t>(bus_.mmio_read(off, 4));
}

void Smmuv3Driver::write32(uint32_t off, uint32_t v) {
  bus_.mmio_write(off, 4, v);
}

bool Smmuv3Driver::write_sync(uint32_t r, uint32_t ack, uint32_t v) {
  // Linux arm_smmu_write_reg_sync: write, then poll the acknowledgement register.
  write32(r, v);
  for (unsigned i = 0; i < opts_.poll_limit; ++i) {
    if (read32(ack) == v) return true;
    bus_.pause(opts_.poll_interval);
  }
  return false;
}

bool Smmuv3Driver::update_gbpa(uint32_t set, uint32_t clr) {
  // Linux arm_smmu_update_gbpa: wait for Update to clear, write the new value with Update,
  // wait again (6.3.14.1: a write while Update is 1 is ignored).
  auto idle = [&](uint32_t* v) {
    for (unsigned i = 0; i < opts_.poll_limit; ++i) {
      *v = read32(reg::GBPA);
      if (!bit(*v, gbpa::UPDATE)) return true;
      bus_.pause(opts_.poll_interval);
    }
    return false;
  };
  uint32_t v = 0;
  if (!idle(&v)) return false;
  v = (v & ~clr) | set;
  write32(reg::GBPA, v | (uint32_t{1} << gbpa::UPDATE));
  return idle(&v);
}

std::optional<uint64_t> Smmuv3Driver::alloc_zeroed(uint64_t bytes, uint64_t align) {
  const auto pa = pool_.alloc(bytes, align);
  if (!pa) return std::nullopt;
  const std::vector<uint8_t> z(bytes, 0);
  if (!bus_.memory().write(*pa, z.data(), z.size())) return std::nullopt;
  return pa;
}

unsigned Smmuv3Driver::master_ssid_bits() const {
  return ids_.s1p ? std::min(opts_.ssid_bits, ids_.ssid_bits) : 0;
}

// --- Probe and bring-up ------------------------------------------------------------------------

std::string Smmuv3Driver::probe() {
  // Linux arm_smmu_device_hw_probe: IDR0, IDR1, IDR3, IDR5.
  idr_.idr0 = read32(reg::IDR0);
  idr_.idr1 = read32(reg::IDR1);
  idr_.idr2 = read32(reg::IDR2);
  idr_.idr3 = read32(reg::IDR3);
  idr_.idr4 = read32(reg::IDR4);
  idr_.idr5 = read32(reg::IDR5);
  idr_.iidr = read32(reg::IIDR);
  idr_.aidr = read32(reg::AIDR);
  ids_ = decode_id_regs(idr_);
  const uint32_t i0 = idr_.idr0, i1 = idr_.idr1;
  // 6.3.1 TTF bit 1: VMSAv8-64 tables; TTENDIAN 11 is big-endian only.
  if (!bit(bits(i0, idr0::TTF_HI, idr0::TTF_LO), 1))
    return "IDR0.TTF: no AArch64 (VMSAv8-64) translation tables";
  if (bits(i0, idr0::TTENDIAN_HI, idr0::TTENDIAN_LO) == 0b11)
    return "IDR0.TTENDIAN: big-endian tables only";
  if (!ids_.s1p && !ids_.s2p) return "IDR0.S1P and IDR0.S2P clear: no translation stage";
  if (bit(i1, idr1::TABLES_PRESET) || bit(i1, idr1::QUEUES_PRESET) || bit(i1, idr1::REL))
    return "IDR1: preset tables or queues (an embedded implementation) are not supported";
  cmdq_lg2_ = std::min(opts_.queue_lg2, ids_.cmdq_lg2);
  evtq_lg2_ = std::min(opts_.queue_lg2, ids_.evtq_lg2);
  priq_lg2_ = std::min(opts_.queue_lg2, ids_.priq_lg2);
  if (cmdq_lg2_ < kMinCmdqLg2)
    return "IDR1.CMDQS: a command queue of 64 entries or fewer cannot hold a batch";
  if (!ids_.gran4k) return "IDR5.GRAN4K clear: the driver's tables use the 4 KiB granule";
  if (opts_.strtab == StrtabChoice::two_level && !ids_.two_level_strtab)
    return "IDR0.ST_LEVEL: no 2-level stream tables";
  if (opts_.sync == SyncWait::msi && !ids_.msi) return "IDR0.MSI clear: no MSI for CMD_SYNC";
  sid_bits_ = ids_.sid_bits;
  // Linux: fewer StreamID bits than one level-2 array resolves make the table linear.
  two_level_ = opts_.strtab == StrtabChoice::two_level ||
               (opts_.strtab == StrtabChoice::automatic && ids_.two_level_strtab &&
                sid_bits_ > kStrtabSplit);
  // Linux ARM_SMMU_OPT_MSIPOLL: MSIs with coherent accesses.
  msi_sync_ =
      opts_.sync == SyncWait::msi || (opts_.sync == SyncWait::automatic && ids_.msi && ids_.cohacc);
  return {};
}

bool Smmuv3Driver::setup_strtab() {
  // Every STE starts as abort (Linux arm_smmu_init_initial_stes with disable_bypass).
  Ste abort;
  abort.v = true;
  const SteWords a = encode_ste(abort);
  uint32_t cfg = 0;
  if (two_level_) {
    const unsigned l1_lg2 = std::min(sid_bits_ - kStrtabSplit, kMaxL1Lg2);
    const uint64_t bytes = std::max<uint64_t>(uint64_t{kL1StdBytes} << l1_lg2, 64);
    const auto l1 = alloc_zeroed(bytes, bytes);
    if (!l1) return false;
    strtab_ = *l1;
    cfg = static_cast<uint32_t>(
        set_bits(0, strtab::FMT_HI, strtab::FMT_LO, strtab::kFmt2Level) |
        set_bits(0, strtab::SPLIT_HI, strtab::SPLIT_LO, kStrtabSplit) |
        set_bits(0, strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO, l1_lg2 + kStrtabSplit));
  } else {
    const uint64_t n = uint64_t{1} << sid_bits_;
    const auto t = pool_.alloc(n * kSteBytes, std::max<uint64_t>(n * kSteBytes, 64));
    if (!t) return false;
    std::vector<uint64_t> img(n * a.size());
    for (uint64_t i = 0; i < n; ++i) std::copy(a.begin(), a.end(), img.begin() + i * a.size());
    if (!bus_.memory().write(*t, img.data(), n * kSteBytes)) return false;
    strtab_ = *t;
    cfg = static_cast<uint32_t>(set_bits(0, strtab::FMT_HI, strtab::FMT_LO, strtab::kFmtLinear) |
                                set_bits(0, strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO, sid_bits_));
  }
  // 6.3.23 / 6.3.24; Linux sets RA (read-allocate hint).
  bus_.mmio_write(reg::STRTAB_BASE, 8, strtab::kBaseRa | (strtab_ & strtab::kBaseAddr));
  write32(reg::STRTAB_BASE_CFG, cfg);
  return true;
}

std::string Smmuv3Driver::init() {
  if (up_) return {};
  if (std::string why = probe(); !why.empty()) return why;
  // Linux arm_smmu_device_reset. An SMMU left enabled first aborts incoming traffic through
  // GBPA, then is disabled.
  if (bit(read32(reg::CR0), cr0::SMMUEN) && !update_gbpa(uint32_t{1} << gbpa::ABORT, 0))
    return "GBPA.Update did not clear";
  cr0_ = 0;
  if (!write_sync(reg::CR0, reg::CR0ACK, 0)) return "CR0ACK did not follow CR0 (disable)";
  gerrorn_ = read32(reg::GERRORN);
  // 6.3.11: queue and table accesses Write-Back cacheable, inner shareable.
  write32(reg::CR1, static_cast<uint32_t>(
                        (cr1::kShIsh << cr1::TABLE_SH_LO) | (cr1::kCacheWb << cr1::TABLE_OC_LO) |
                        (cr1::kCacheWb << cr1::TABLE_IC_LO) | (cr1::kShIsh << cr1::QUEUE_SH_LO) |
                        (cr1::kCacheWb << cr1::QUEUE_OC_LO) | (cr1::kCacheWb << cr1::QUEUE_IC_LO)));
  // 6.3.12: private TLB maintenance (no broadcast TLBI), C_BAD_STREAMID records.
  write32(reg::CR2, (uint32_t{1} << cr2::PTM) | (uint32_t{1} << cr2::RECINVSID));
  if (!setup_strtab()) return "out of memory for the stream table";
  // 6.3.25-6.3.39: queues are aligned to their size (at least 32 bytes).
  auto queue = [&](unsigned lg2, unsigned entry) -> std::optional<uint64_t> {
    const uint64_t bytes = std::max<uint64_t>(uint64_t{entry} << lg2, 32);
    return alloc_zeroed(bytes, bytes);
  };
  auto qbase = [](uint64_t pa, unsigned lg2) {
    return queue::kBaseRwa | (pa & queue::kBaseAddr) | lg2;
  };
  const auto cq = queue(cmdq_lg2_, kCmdBytes);
  const auto eq = queue(evtq_lg2_, kEventBytes);
  const auto pq = ids_.pri ? queue(priq_lg2_, kPriBytes) : std::optional<uint64_t>(0);
  if (!cq || !eq || !pq) return "out of memory for the queues";
  cmdq_ = *cq;
  evtq_ = *eq;
  priq_ = *pq;
  bus_.mmio_write(reg::CMDQ_BASE, 8, qbase(cmdq_, cmdq_lg2_));
  write32(reg::CMDQ_PROD, 0);
  write32(reg::CMDQ_CONS, 0);
  cmd_prod_ = cmd_cons_ = 0;
  cr0_ = uint32_t{1} << cr0::CMDQEN;
  if (!write_sync(reg::CR0, reg::CR0ACK, cr0_)) return "CR0ACK did not acknowledge CMDQEN";
  // Whatever an earlier owner left cached goes.
  Command all = op(Opcode::kCfgiSteRange);
  all.range = cmd::kRangeAll;
  if (!submit({all})) return "CMD_CFGI_ALL did not complete";
  std::vector<Command> tlbi;
  if (ids_.hyp) tlbi.push_back(op(Opcode::kTlbiEl2All));
  tlbi.push_back(op(Opcode::kTlbiNsnhAll));
  if (!submit(tlbi)) return "CMD_TLBI_NSNH_ALL did not complete";
  bus_.mmio_write(reg::EVENTQ_BASE, 8, qbase(evtq_, evtq_lg2_));
  write32(reg::EVENTQ_PROD, 0);
  write32(reg::EVENTQ_CONS, 0);
  evt_cons_ = 0;
  cr0_ |= uint32_t{1} << cr0::EVENTQEN;
  if (!write_sync(reg::CR0, reg::CR0ACK, cr0_)) return "CR0ACK did not acknowledge EVENTQEN";
  if (ids_.pri) {
    bus_.mmio_write(reg::PRIQ_BASE, 8, qbase(priq_, priq_lg2_));
    write32(reg::PRIQ_PROD, 0);
    write32(reg::PRIQ_CONS, 0);
    pri_cons_ = 0;
    cr0_ |= uint32_t{1} << cr0::PRIQEN;
    if (!write_sync(reg::CR0, reg::CR0ACK, cr0_)) return "CR0ACK did not acknowledge PRIQEN";
  }
  if (ids_.ats) {
    // Translated traffic of streams without ATS enabled is checked (and blocked).
    cr0_ |= uint32_t{1} << cr0::ATSCHK;
    if (!write_sync(reg::CR0, reg::CR0ACK, cr0_)) return "CR0ACK did not acknowledge ATSCHK";
  }
  // No interrupt controller here: interrupts stay off and the queues are polled.
  if (!write_sync(reg::IRQ_CTRL, reg::IRQ_CTRLACK, 0)) return "IRQ_CTRLACK did not clear";
  if (opts_.bypass) {
    if (!update_gbpa(0, uint32_t{1} << gbpa::ABORT)) return "GBPA.Update did not clear";
  } else {
    cr0_ |= uint32_t{1} << cr0::SMMUEN;
    if (!write_sync(reg::CR0, reg::CR0ACK, cr0_)) return "CR0ACK did not acknowledge SMMUEN";
  }
  up_ = true;
  return {};
}

// --- Command queue ---------------------------------------------------------------------------

uint32_t Smmuv3Driver::cmdq_space() {
  // Linux keeps the last CONS it read and reads the register again only when the queue looks
  // full from there.
  auto space = [&] {
    return (uint32_t{1} << cmdq_lg2_) - ((cmd_prod_ - cmd_cons_) & ptr_mask(cmdq_lg2_));
  };
  if (space() == 0) cmd_cons_ = read32(reg::CMDQ_CONS) & ptr_mask(cmdq_lg2_);
  return space();
}

bool Smmuv3Driver::push(const Command& c) {
  // Linux arm_smmu_cmdq_issue_cmdlist: wait for room, publishing what is queued so far.
  unsigned polls = 0;
  while (cmdq_space() == 0) {
    write32(reg::CMDQ_PROD, cmd_prod_);
    if (cmdq_error_active() && !skip_error()) return false;
    if (++polls > opts_.poll_limit) return false;
    bus_.pause(opts_.poll_interval);
  }
  const CmdWords w = encode_command(c);
  bus_.memory().write(cmdq_ + uint64_t{idx(cmd_prod_, cmdq_lg2_)} * kCmdBytes, w.data(), kCmdBytes);
  cmd_prod_ = next_ptr(cmd_prod_, cmdq_lg2_);
  ++counts_.commands;
  return true;
}

bool Smmuv3Driver::cmdq_error_active() {
  // 6.3.18: active while GERROR and GERRORN differ; the driver is the only writer of GERRORN.
  return bit(read32(reg::GERROR) ^ gerrorn_, gerror::CMDQ_ERR);
}

bool Smmuv3Driver::skip_error() {
  // Linux arm_smmu_cmdq_skip_err: the command at CONS failed; an illegal or aborted command is
  // overwritten with a CMD_SYNC, an ATC invalidation time-out lets the CMD_SYNC run again; then
  // GERRORN acknowledges and the queue restarts (7.1).
  const uint32_t cons = read32(reg::CMDQ_CONS);
  const auto err = static_cast<CmdError>(bits(cons, 30, 24));
  ++counts_.cmd_errors;
  cmd_failed_ = true;
  if (err != CmdError::kAtcInvSync) {
    Command s = op(Opcode::kSync);
    s.cs = static_cast<uint8_t>(SyncCs::kSev);
    const CmdWords w = encode_command(s);
    bus_.memory().write(cmdq_ + uint64_t{idx(cons, cmdq_lg2_)} * kCmdBytes, w.data(), kCmdBytes);
  }
  gerrorn_ ^= uint32_t{1} << gerror::CMDQ_ERR;
  write32(reg::GERRORN, gerrorn_);
  return true;
}

bool Smmuv3Driver::wait_sync(uint32_t sync) {
  const uint64_t slot = cmdq_ + uint64_t{idx(sync, cmdq_lg2_)} * kCmdBytes;
  for (unsigned i = 0; i < opts_.poll_limit; ++i) {
    if (msi_sync_) {
      // The MSI wrote 0 over the CMD_SYNC's first word (its opcode).
      if (bus_.memory().read_le32(slot).value_or(1) == 0) return true;
    } else {
      cmd_cons_ = read32(reg::CMDQ_CONS) & ptr_mask(cmdq_lg2_);
      if (consumed(cmd_cons_, sync, cmdq_lg2_)) return true;
    }
    if (cmdq_error_active()) {
      skip_error();
      continue;
    }
    bus_.pause(opts_.poll_interval);
  }
  ++counts_.sync_timeouts;
  return false;
}

bool Smmuv3Driver::submit(const std::vector<Command>& cmds) {
  cmd_failed_ = false;
  for (const Command& c : cmds) {
    if (!push(c)) return false;
  }
  // 4.7.3 CMD_SYNC: with msipoll the MSI targets the CMD_SYNC's own slot with data 0.
  const uint32_t sync = cmd_prod_;
  Command s = op(Opcode::kSync);
  if (msi_sync_) {
    s.cs = static_cast<uint8_t>(SyncCs::kIrq);
    s.msh = kShIsh;
    s.msi_attr = kMsiAttrOiwb;
    s.msi_data = 0;
    s.msi_addr = cmdq_ + uint64_t{idx(sync, cmdq_lg2_)} * kCmdBytes;
  } else {
    s.cs = static_cast<uint8_t>(SyncCs::kSev);
  }
  if (!push(s)) return false;
  write32(reg::CMDQ_PROD, cmd_prod_);
  if (!wait_sync(sync)) return false;
  ++counts_.syncs;
  return !cmd_failed_;
}

// --- Event and PRI queues ----------------------------------------------------------------------

size_t Smmuv3Driver::drain_events() {
  if (!up_) return 0;
  // Linux arm_smmu_evtq_thread: records from CONS to PROD, then CONS (with OVACKFLG = OVFLG:
  // an overflow is acknowledged once the queue has been read).
  const uint32_t prod = read32(reg::EVENTQ_PROD);
  const uint32_t ov = uint32_t{1} << queue::OVFLG;
  if ((prod & ov) != (evt_cons_ & ov)) ++counts_.event_overflows;
  size_t n = 0;
  const uint32_t p = prod & ptr_mask(evtq_lg2_);
  while ((evt_cons_ & ptr_mask(evtq_lg2_)) != p) {
    EventWords w{};
    bus_.memory().read(evtq_ + uint64_t{idx(evt_cons_, evtq_lg2_)} * kEventBytes, w.data(),
                       kEventBytes);
    events_.push_back(decode_event(w));
    evt_cons_ = (evt_cons_ & ov) | next_ptr(evt_cons_ & ptr_mask(evtq_lg2_), evtq_lg2_);
    ++n;
  }
  evt_cons_ = (evt_cons_ & ptr_mask(evtq_lg2_)) | (prod & ov);
  write32(reg::EVENTQ_CONS, evt_cons_);
  counts_.events += n;
  return n;
}

size_t Smmuv3Driver::drain_pri() {
  if (!up_ || !ids_.pri) return 0;
  // Linux arm_smmu_priq_thread / arm_smmu_handle_ppr: each record is reported; the last
  // request of a group is answered with CMD_PRI_RESP (a Stop Marker needs no answer).
  const uint32_t prod = read32(reg::PRIQ_PROD);
  const uint32_t ov = uint32_t{1} << queue::OVFLG;
  const uint32_t p = prod & ptr_mask(priq_lg2_);
  std::vector<Command> resp;
  size_t n = 0;
  while ((pri_cons_ & ptr_mask(priq_lg2_)) != p) {
    PriWords w{};
    bus_.memory().read(priq_ + uint64_t{idx(pri_cons_, priq_lg2_)} * kPriBytes, w.data(),
                       kPriBytes);
    const PriRecord r = decode_pri(w);
    prs_.push_back(r);
    const bool stop_marker = r.ssv && r.last && !r.read && !r.write;
    if (r.last && !stop_marker) {
      Command c = op(Opcode::kPriResp);
      c.sid = r.sid;
      c.ssv = r.ssv;
      c.ssid = r.ssid;
      c.prg_index = r.prg_index;
      c.resp = static_cast<uint8_t>(pri_handler_ ? pri_handler_(r) : PriResp::kInvalid);
      resp.push_back(c);
    }
    pri_cons_ = (pri_cons_ & ov) | next_ptr(pri_cons_ & ptr_mask(priq_lg2_), priq_lg2_);
    ++n;
  }
  pri_cons_ = (pri_cons_ & ptr_mask(priq_lg2_)) | (prod & ov);
  write32(reg::PRIQ_CONS, pri_cons_);
  counts_.page_requests += n;
  counts_.pri_responses += resp.size();
  if (!resp.empty()) submit(resp);
  return n;
}

}  // namespace isim::smmuv3
