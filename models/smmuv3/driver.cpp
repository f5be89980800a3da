#include "models/smmuv3/driver.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "models/smmuv3/stream_table.h"
#include "pasid/smmu_cd_table.h"

namespace isim::smmuv3 {

namespace {

constexpr unsigned kPageLg2 = 12;
constexpr uint64_t kPage = uint64_t{1} << kPageLg2;
// Linux STRTAB_SPLIT: level-2 arrays of 256 STEs; STRTAB_MAX_L1_ENTRIES caps the L1 table.
constexpr unsigned kStrtabSplit = 8;
constexpr unsigned kMaxL1Lg2 = 17;
constexpr unsigned kL1StdBytes = 8;
// Linux CMDQ_BATCH_ENTRIES (BITS_PER_LONG): a command queue must hold more than one batch.
constexpr unsigned kMinCmdqLg2 = 7;
// Linux CTXDESC_L2_ENTRIES: up to 2^10 SubstreamIDs the CD table stays linear.
constexpr unsigned kCdLinearMaxBits = 10;
// Linux CMDQ_MAX_TLBI_OPS (1 << (PAGE_SHIFT - 3)): beyond this many per-page commands the
// whole ASID / VMID is invalidated instead.
constexpr uint64_t kMaxTlbiOps = uint64_t{1} << (kPageLg2 - 3);
// Stage-1 domains resolve 48-bit VAs (Linux VA_BITS): T0SZ = 64 - 48.
constexpr unsigned kVaBits = 48;
// 4.5.1 CMD_ATC_INV Size 52: the whole address space (Linux ATC_INV_SIZE_ALL).
constexpr uint8_t kAtcSizeAll = 52;
// Range TLBI (4.4.1): TG 01 = 4 KiB; NUM holds 5 bits.
constexpr uint8_t kTg4K = 1;
constexpr uint64_t kRangeNumMax = 31;
// Cacheable, inner-shareable walks (Linux: CR1/STE/CD attributes, io-pgtable MAIR index 0).
constexpr uint8_t kCacheWbra = 1;  // STE.S1CIR/S1COR, CD.IR0/OR0, STE.S2IR0/S2OR0: WB, RA/WA
constexpr uint8_t kShIsh = 3;
constexpr uint64_t kMair = 0xff;  // index 0: Normal, Write-Back; the model ignores attributes
constexpr uint64_t kLeafShIsh = uint64_t{kShIsh} << 8;
constexpr uint64_t kS2MemAttrNormalWb = uint64_t{0xf} << 2;
// CMD_SYNC with CS = SIG_IRQ (Linux msipoll): MSH inner shareable, MSIAttr Inner+Outer WB.
constexpr uint8_t kMsiAttrOiwb = 0xf;
// GBPA.SHCFG / STE.SHCFG 01: use the incoming shareability.
constexpr uint8_t kShcfgIncoming = 1;

Command op(Opcode o) {
  Command c;
  c.opcode = static_cast<uint8_t>(o);
  return c;
}

template <std::size_t N>
void set_all(std::array<uint64_t, N>& w, WordField f) {
  put(w, f, mask(f.hi - f.lo, 0));
}

/// Bits of an STE the SMMU reads in its current configuration (Linux arm_smmu_get_ste_used).
SteWords ste_used(const SteWords& e) {
  SteWords u{};
  set_all(u, ste::V);
  if (!get_bit(e, ste::V)) return u;
  set_all(u, ste::CONFIG);
  const Ste s = decode_ste(e);
  if (s.abort()) return u;
  if (s.bypass()) {
    set_all(u, ste::SHCFG);
    return u;
  }
  set_all(u, ste::EATS);
  set_all(u, ste::STRW);
  if (s.s1_enabled()) {
    for (WordField f : {ste::S1FMT, ste::S1CTXPTR, ste::S1CDMAX, ste::S1DSS, ste::S1CIR, ste::S1COR,
                        ste::S1CSH, ste::S1STALLD, ste::S2VMID})
      set_all(u, f);
    if (s.dss() == S1Dss::kBypass) set_all(u, ste::SHCFG);
  }
  if (s.s2_enabled()) {
    set_all(u, ste::SHCFG);
    for (WordField f : {ste::S2VMID, ste::S2T0SZ, ste::S2SL0, ste::S2IR0, ste::S2OR0, ste::S2SH0,
                        ste::S2TG, ste::S2PS, ste::S2AA64, ste::S2ENDI, ste::S2AFFD, ste::S2PTW,
                        ste::S2HD, ste::S2HA, ste::S2S, ste::S2R, ste::S2TTB})
      set_all(u, f);
  }
  return u;
}

/// Bits of a CD the SMMU reads (Linux arm_smmu_get_cd_used): all of it once V is set.
CdWords cd_used(const CdWords& e) {
  CdWords u{};
  set_all(u, cd::V);
  if (!get_bit(e, cd::V)) return u;
  u.fill(~uint64_t{0});
  return u;
}

/// Queue pointers: index in bits lg2-1:0, wrap flag in bit lg2 (3.5.1).
uint32_t ptr_mask(unsigned lg2) {
  return (uint32_t{2} << lg2) - 1;
}
uint32_t idx(uint32_t p, unsigned lg2) {
  return p & ((uint32_t{1} << lg2) - 1);
}
uint32_t next_ptr(uint32_t p, unsigned lg2) {
  return (p + 1) & ptr_mask(lg2);
}
/// Linux queue_consumed(): CONS has moved past entry `prod`.
bool consumed(uint32_t cons, uint32_t prod, unsigned lg2) {
  const uint32_t wrap = uint32_t{1} << lg2;
  const bool same_wrap = (cons & wrap) == (prod & wrap);
  return same_wrap ? idx(cons, lg2) > idx(prod, lg2) : idx(cons, lg2) <= idx(prod, lg2);
}

}  // namespace

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
  cmd_prod_ = 0;
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
  const uint32_t cons = read32(reg::CMDQ_CONS) & ptr_mask(cmdq_lg2_);
  const uint32_t used = (cmd_prod_ - cons) & ptr_mask(cmdq_lg2_);
  return (uint32_t{1} << cmdq_lg2_) - used;
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
    } else if (consumed(read32(reg::CMDQ_CONS) & ptr_mask(cmdq_lg2_), sync, cmdq_lg2_)) {
      return true;
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

// --- Stream table entries -----------------------------------------------------------------------

uint64_t Smmuv3Driver::ste_addr(uint32_t sid) {
  if (sid_bits_ < 32 && (sid >> sid_bits_) != 0) return 0;
  if (!two_level_) return strtab_ + uint64_t{sid} * kSteBytes;
  const uint32_t l1 = sid >> kStrtabSplit;
  if (l1 >> kMaxL1Lg2) return 0;
  auto it = l2_.find(l1);
  if (it == l2_.end()) {
    // Linux arm_smmu_init_l2_strtab: 256 abort STEs, then the L1STD (5.1: Span = SPLIT + 1).
    const uint64_t bytes = uint64_t{kSteBytes} << kStrtabSplit;
    const auto l2 = pool_.alloc(bytes, bytes);
    if (!l2) return 0;
    Ste abort;
    abort.v = true;
    const SteWords a = encode_ste(abort);
    std::vector<uint64_t> img(a.size() << kStrtabSplit);
    for (size_t i = 0; i < img.size(); i += a.size()) std::copy(a.begin(), a.end(), &img[i]);
    if (!bus_.memory().write(*l2, img.data(), bytes)) return 0;
    const uint64_t desc = (*l2 & l1std::kL2Ptr) | (kStrtabSplit + 1);
    if (!bus_.memory().write_le64(strtab_ + uint64_t{l1} * kL1StdBytes, desc)) return 0;
    it = l2_.emplace(l1, *l2).first;
  }
  return it->second + uint64_t{sid & ((1u << kStrtabSplit) - 1)} * kSteBytes;
}

SteWords Smmuv3Driver::make_ste(uint32_t sid) {
  const Master& m = masters_.at(sid);
  Ste s;
  s.v = true;
  auto stage1 = [&](S1Dss dss) {
    // Linux arm_smmu_make_cdtable_ste.
    s.config = static_cast<uint8_t>(SteConfig::kS1);
    m.cds->describe(s);
    s.s1dss = static_cast<uint8_t>(dss);
    s.s1cir = s.s1cor = kCacheWbra;
    s.s1csh = kShIsh;
    s.eats = m.ats ? static_cast<uint8_t>(Eats::kTrans) : 0;
    if (dss == S1Dss::kBypass) s.shcfg = kShcfgIncoming;
  };
  auto stage2 = [&](const Domain& d) {
    // Linux arm_smmu_make_s2_domain_ste: VTCR of the domain's table, S2AA64, S2PTW, S2R.
    s.s2vmid = d.vmid;
    s.s2t0sz = static_cast<uint8_t>(d.s2_t0sz);
    s.s2sl0 = static_cast<uint8_t>(d.s2_sl0);
    s.s2ir0 = s.s2or0 = kCacheWbra;
    s.s2sh0 = kShIsh;
    s.s2tg = static_cast<uint8_t>(tg0_encode(kPageLg2));
    s.s2ps = static_cast<uint8_t>(oas_encode(ids_.oas_bits).value_or(0));
    s.s2aa64 = s.s2ptw = s.s2r = true;
    s.s2ttb = d.table->root();
    s.shcfg = kShcfgIncoming;
    s.eats = m.ats ? static_cast<uint8_t>(Eats::kTrans) : 0;
  };
  switch (m.mode) {
    case RidMode::abort:
      if (!m.pasids.empty()) stage1(S1Dss::kTerminate);
      break;
    case RidMode::bypass:
      if (!m.pasids.empty()) {
        stage1(S1Dss::kBypass);
      } else {
        s.config = static_cast<uint8_t>(SteConfig::kBypass);
        s.shcfg = kShcfgIncoming;
      }
      break;
    case RidMode::s1:
      stage1(S1Dss::kSubstream0);
      break;
    case RidMode::s2:
      s.config = static_cast<uint8_t>(SteConfig::kS2);
      stage2(domains_.at(m.domain));
      break;
    case RidMode::nested:
      // The guest's CD table is an IPA, walked through the parent's stage 2 (3.3.3).
      s.config = static_cast<uint8_t>(SteConfig::kNested);
      stage2(domains_.at(m.domain));
      s.s1_context_ptr = m.nested_cd_ipa & mask(ste::S1CTXPTR.hi, ste::S1CTXPTR.lo);
      s.s1fmt = static_cast<uint8_t>(S1Fmt::kLinear);
      s.s1cdmax = static_cast<uint8_t>(m.nested_cdmax);
      s.s1dss = static_cast<uint8_t>(m.nested_cdmax ? S1Dss::kSubstream0 : S1Dss::kTerminate);
      s.s1cir = s.s1cor = kCacheWbra;
      s.s1csh = kShIsh;
      break;
  }
  return encode_ste(s);
}

bool Smmuv3Driver::write_entry(uint64_t pa, const Words8& target, bool is_ste,
                               const std::function<bool()>& sync) {
  // Linux arm_smmu_write_entry: the SMMU may read the entry at any moment, 64 bits at a time,
  // and must only ever see the old or the new configuration.
  Words8 cur{};
  if (!bus_.memory().read(pa, cur.data(), sizeof cur)) return false;
  const Words8 cur_used = is_ste ? ste_used(cur) : cd_used(cur);
  const Words8 tgt_used = is_ste ? ste_used(target) : cd_used(target);
  Words8 unused_update{};
  unsigned diff = 0;
  for (unsigned i = 0; i < cur.size(); ++i) {
    // Bits the current configuration ignores may take their new values at once.
    unused_update[i] = (cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
    if ((unused_update[i] & tgt_used[i]) != target[i]) diff |= 1u << i;
  }
  bool ok = true;
  auto set = [&](const Words8& w, unsigned first, unsigned n) {
    bool changed = false;
    for (unsigned i = first; i < first + n; ++i) {
      if (cur[i] == w[i]) continue;
      cur[i] = w[i];
      ok = bus_.memory().write_le64(pa + 8 * i, w[i]) && ok;
      changed = true;
    }
    if (changed) ok = sync() && ok;
  };
  if (std::popcount(diff) == 1) {
    // Hitless: one word switches the configuration.
    const unsigned critical = static_cast<unsigned>(std::countr_zero(diff));
    unused_update[critical] = cur[critical];
    set(unused_update, 0, 8);
    set(target, critical, 1);
    set(target, 0, 8);
    ++counts_.ste_hitless;
  } else if (diff != 0) {
    // Breaking: V = 0 first, then the other words, then word 0.
    unused_update[0] = 0;
    set(unused_update, 0, 1);
    set(target, 1, 7);
    set(target, 0, 1);
    ++counts_.ste_breaking;
  } else {
    set(target, 0, 8);
  }
  return ok;
}

bool Smmuv3Driver::write_ste(uint32_t sid) {
  const uint64_t pa = ste_addr(sid);
  if (pa == 0) return false;
  const SteWords t = make_ste(sid);
  return write_entry(pa, t, true, [&] {
    Command c = op(Opcode::kCfgiSte);
    c.sid = sid;
    c.leaf = true;
    ++counts_.cfgi_ste;
    return submit({c});
  });
}

// --- Context descriptors -------------------------------------------------------------------------

Smmuv3Driver::Master& Smmuv3Driver::master(uint32_t sid) {
  return masters_[sid];
}

bool Smmuv3Driver::ensure_cd_table(uint32_t sid) {
  Master& m = master(sid);
  if (m.cds) return m.cds->root() != 0;
  // Linux arm_smmu_alloc_cd_tables: linear up to 2^10 contexts or without IDR0.CD2L, else
  // 2-level with 64 KiB leaves.
  pasid::SmmuTableOptions o;
  o.ssid_bits = master_ssid_bits();
  o.fmt = ids_.cd2l && o.ssid_bits > kCdLinearMaxBits ? S1Fmt::k2Level64K : S1Fmt::kLinear;
  o.write_cd = [this, sid](uint32_t ssid, uint64_t pa, const CdWords& w) {
    return write_cd(sid, ssid, pa, w);
  };
  m.cds = std::make_unique<pasid::SmmuCdTable>(bus_.memory(), pool_, o);
  m.cd_bytes = m.cds->table_bytes();
  return m.cds->root() != 0;
}

bool Smmuv3Driver::write_cd(uint32_t sid, uint32_t ssid, uint64_t pa, const CdWords& w) {
  Master& m = master(sid);
  // A new leaf table was just linked in: the CFGI_CD also drops any cached L1CD (Leaf = 0).
  const bool new_leaf = m.cds->table_bytes() != m.cd_bytes;
  m.cd_bytes = m.cds->table_bytes();
  return write_entry(pa, w, false, [&] {
    Command c = op(Opcode::kCfgiCd);
    c.sid = sid;
    c.ssid = ssid;
    c.leaf = !new_leaf;
    ++counts_.cfgi_cd;
    return submit({c});
  });
}

Cd Smmuv3Driver::make_cd(uint16_t asid, uint64_t ttb0) const {
  // Linux arm_smmu_make_s1_cd: TTB0 only (EPD1), 4 KiB granule, cacheable walks, AArch64,
  // R (record faults), A (abort terminated transactions), ASET, HA with IDR0.HTTU.
  Cd c;
  c.v = true;
  c.t0sz = static_cast<uint8_t>(64 - kVaBits);
  c.tg0 = static_cast<uint8_t>(tg0_encode(kPageLg2));
  c.ir0 = c.or0 = kCacheWbra;
  c.sh0 = kShIsh;
  c.epd1 = true;
  c.ips = static_cast<uint8_t>(oas_encode(ids_.oas_bits).value_or(0));
  c.aa64 = true;
  c.r = true;
  c.a = true;
  c.aset = true;
  c.ha = ids_.httu >= 1;
  c.asid = asid;
  c.ttb0 = ttb0 & mask(cd::TTB0.hi, cd::TTB0.lo);
  c.mair = kMair;
  return c;
}

bool Smmuv3Driver::set_cd(uint32_t sid, uint32_t ssid, const Cd& cd) {
  if (!ensure_cd_table(sid)) return false;
  return master(sid).cds->set_cd(ssid, cd) == pasid::TableError::none;
}

bool Smmuv3Driver::clear_cd(uint32_t sid, uint32_t ssid) {
  Master& m = master(sid);
  if (!m.cds) return true;
  const pasid::TableError e = m.cds->clear(ssid);
  m.cd_bytes = m.cds->table_bytes();
  return e == pasid::TableError::none || e == pasid::TableError::not_present;
}

// --- Domains
// ---------------------------------------------------------------------------------------

std::optional<uint32_t> Smmuv3Driver::create_s1_domain() {
  if (!up_ || !ids_.s1p) return std::nullopt;
  if (!ids_.asid16 && next_asid_ > 0xff) return std::nullopt;
  pt::ArmLpaeConfig c = pt::arm_s1_config(kPageLg2, 64 - kVaBits, ids_.oas_bits);
  c.pa_max_bits = ids_.oas_bits;
  auto fmt = pt::ArmLpaeFormat::create(c);
  if (!fmt) return std::nullopt;
  pt::BuilderOptions bo;
  bo.free_empty_tables = false;  // io-pgtable-arm keeps tables (walk caches stay valid)
  Domain d;
  d.table = pt::make_page_table(pt::FormatVariant{*fmt}, bus_.memory(), pool_, bo);
  if (!d.table) return std::nullopt;
  d.asid = next_asid_++;
  const uint32_t id = next_domain_++;
  domains_.emplace(id, std::move(d));
  return id;
}

std::optional<uint32_t> Smmuv3Driver::create_s2_domain() {
  if (!up_ || !ids_.s2p) return std::nullopt;
  if (!ids_.vmid16 && next_vmid_ > 0xff) return std::nullopt;
  // IPA = OAS bits (IHI 0070 3.4); start one level lower with concatenated tables when that
  // resolves the IPA (io-pgtable-arm's stage-2 concatenation).
  const unsigned ias = ids_.ias_bits();
  const int level = pt::arm_s2_sl_consistent(kPageLg2, 1, ias) ? 1 : 0;
  const auto sl0 = pt::arm_s2_sl0_encode(kPageLg2, level);
  if (!sl0) return std::nullopt;
  pt::ArmLpaeConfig c = pt::arm_s2_config(kPageLg2, 64 - ias, *sl0, ids_.oas_bits);
  c.pa_max_bits = ids_.oas_bits;
  auto fmt = pt::ArmLpaeFormat::create(c);
  if (!fmt) return std::nullopt;
  pt::BuilderOptions bo;
  bo.free_empty_tables = false;
  Domain d;
  d.s2 = true;
  d.s2_t0sz = 64 - ias;
  d.s2_sl0 = *sl0;
  d.table = pt::make_page_table(pt::FormatVariant{*fmt}, bus_.memory(), pool_, bo);
  if (!d.table) return std::nullopt;
  d.vmid = next_vmid_++;
  const uint32_t id = next_domain_++;
  domains_.emplace(id, std::move(d));
  return id;
}

bool Smmuv3Driver::is_s2(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it != domains_.end() && it->second.s2;
}

uint64_t Smmuv3Driver::domain_root(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.table->root();
}

uint16_t Smmuv3Driver::domain_asid(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.asid;
}

uint16_t Smmuv3Driver::domain_vmid(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.vmid;
}

bool Smmuv3Driver::map(uint32_t domain, uint64_t iova, uint64_t pa, uint64_t size, bool read,
                       bool write) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return false;
  Domain& d = it->second;
  // io-pgtable-arm leaves: stage 1 nG (tagged by ASID), inner shareable; stage 2 Normal WB.
  pt::MapAttrs a;
  a.read = read;
  a.write = write;
  a.extra = kLeafShIsh | (d.s2 ? kS2MemAttrNormalWb : pt::ArmLpaeFormat::kNG);
  if (d.table->map_range(iova, pa, size, a) != pt::MapStatus::Ok) return false;
  ++counts_.maps;
  return true;
}

bool Smmuv3Driver::unmap(uint32_t domain, uint64_t iova, uint64_t size) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return false;
  if (!it->second.table->unmap(iova, size).ok()) return false;
  ++counts_.unmaps;
  switch (opts_.flush) {
    case FlushPolicy::strict:
      return invalidate(domain, iova, size);
    case FlushPolicy::batched:
      it->second.pending = true;
      if (++pending_unmaps_ >= opts_.batch) return flush();
      return true;
    case FlushPolicy::caller:
      return true;
  }
  return true;
}

bool Smmuv3Driver::flush() {
  // Linux's flush queue ends in flush_iotlb_all: the whole ASID / VMID.
  bool ok = true;
  pending_unmaps_ = 0;
  for (auto& [id, d] : domains_) {
    if (!d.pending) continue;
    ++counts_.flushes;
    ok = invalidate_all(d) && ok;
  }
  return ok;
}

void Smmuv3Driver::tlbi_range(std::vector<Command>& cmds, Command base, uint64_t iova,
                              uint64_t size) const {
  // Linux __arm_smmu_tlb_inv_range. TTL stays 0 (the unmapped leaves' sizes vary), so a
  // single-page range would have NUM = SCALE = TTL = 0 (reserved): round it up to two pages.
  uint64_t addr = align_down(iova, kPageLg2);
  uint64_t pages = (align_up(iova + size, kPageLg2) - addr) >> kPageLg2;
  if (!ids_.ril) {
    for (uint64_t i = 0; i < pages; ++i) {
      base.addr = addr + (i << kPageLg2);
      cmds.push_back(base);
    }
    return;
  }
  if ((pages & kRangeNumMax) == 1) ++pages;
  base.tg = kTg4K;
  while (pages != 0) {
    const unsigned scale = static_cast<unsigned>(std::countr_zero(pages));
    const uint64_t num = (pages >> scale) & kRangeNumMax;
    base.scale = static_cast<uint8_t>(scale);
    base.num = static_cast<uint8_t>(num - 1);
    base.addr = addr;
    cmds.push_back(base);
    addr += num << (scale + kPageLg2);
    pages -= num << scale;
  }
}

Command Smmuv3Driver::atc_cmd(uint32_t sid, uint64_t iova, uint64_t size,
                              std::optional<uint32_t> ssid) const {
  // Linux arm_smmu_atc_inv_to_cmd: the smallest naturally aligned power-of-two span of pages
  // covering the range (4.5.1: 4 KiB * 2^Size at Address); size 0: everything.
  Command c = op(Opcode::kAtcInv);
  c.sid = sid;
  c.ssv = ssid.has_value();
  c.ssid = ssid.value_or(0);
  if (size == 0) {
    c.size = kAtcSizeAll;
    return c;
  }
  uint64_t first = iova >> kPageLg2;
  const uint64_t last = (iova + size - 1) >> kPageLg2;
  const unsigned span = static_cast<unsigned>(std::bit_width(first ^ last));
  first &= ~((uint64_t{1} << span) - 1);
  c.addr = first << kPageLg2;
  c.size = static_cast<uint8_t>(span);
  return c;
}

void Smmuv3Driver::atc_inv(std::vector<Command>& cmds, const Domain& d, uint64_t iova,
                           uint64_t size, std::optional<uint32_t> ssid) const {
  for (const auto& [sid, with_ssid, s] : d.masters) {
    auto m = masters_.find(sid);
    if (m == masters_.end() || !m->second.ats) continue;
    cmds.push_back(atc_cmd(sid, iova, size, with_ssid ? std::optional<uint32_t>(s) : ssid));
  }
}

bool Smmuv3Driver::invalidate_all(Domain& d) {
  // Linux arm_smmu_tlb_inv_context: TLBI_NH_ASID (stage 1) or TLBI_S12_VMALL (stage 2, which
  // also covers nested entries of the VMID); then the ATCs.
  d.pending = false;
  Command c = op(d.s2 ? Opcode::kTlbiS12Vmall : Opcode::kTlbiNhAsid);
  c.asid = d.asid;
  c.vmid = d.vmid;
  ++counts_.tlbi;
  if (!submit({c})) return false;
  std::vector<Command> atc;
  atc_inv(atc, d, 0, 0, std::nullopt);
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

bool Smmuv3Driver::invalidate(uint32_t domain, uint64_t iova, uint64_t size) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return false;
  Domain& d = it->second;
  const uint64_t pages =
      size == 0 ? 0 : (align_up(iova + size, kPageLg2) - align_down(iova, kPageLg2)) >> kPageLg2;
  if (size == 0 || (!ids_.ril && pages > kMaxTlbiOps)) return invalidate_all(d);
  // Linux arm_smmu_tlb_inv_range_domain: leaf invalidations of the range, then (for a nesting
  // parent) every stage-1 entry of the VMID, then the ATCs.
  Command base = op(d.s2 ? Opcode::kTlbiS2Ipa : Opcode::kTlbiNhVa);
  base.asid = d.asid;
  base.vmid = d.vmid;
  base.leaf = true;
  std::vector<Command> cmds;
  tlbi_range(cmds, base, iova, size);
  counts_.tlbi += cmds.size();
  if (!submit(cmds)) return false;
  if (d.nest_parent) {
    Command all = op(Opcode::kTlbiNhAll);
    all.vmid = d.vmid;
    ++counts_.tlbi;
    if (!submit({all})) return false;
  }
  std::vector<Command> atc;
  atc_inv(atc, d, iova, size, std::nullopt);
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

// --- Masters
// -----------------------------------------------------------------------------------------

bool Smmuv3Driver::set_ats(uint32_t sid, bool on) {
  if (on && !ids_.ats) return false;
  master(sid).ats = on;
  return true;
}

bool Smmuv3Driver::attach(uint32_t sid, uint32_t domain) {
  auto it = domains_.find(domain);
  if (!up_ || it == domains_.end()) return false;
  Domain& d = it->second;
  Master& m = master(sid);
  const RidMode old = m.mode;
  const uint32_t old_domain = m.domain;
  if (d.s2) {
    if (!m.pasids.empty()) return false;  // PASIDs need a CD table: stage 1 in the STE
    m.mode = RidMode::s2;
  } else {
    // The CD is in place before the STE points at it.
    if (!set_cd(sid, 0, make_cd(d.asid, d.table->root()))) return false;
    m.mode = RidMode::s1;
  }
  m.domain = domain;
  if (!write_ste(sid)) return false;
  if ((old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) &&
      domains_.count(old_domain))
    domains_.at(old_domain).masters.erase({sid, false, 0});
  if (old == RidMode::s1 && d.s2 && !clear_cd(sid, 0)) return false;
  d.masters.insert({sid, false, 0});
  return true;
}

bool Smmuv3Driver::attach_bypass(uint32_t sid) {
  if (!up_) return false;
  Master& m = master(sid);
  const RidMode old = m.mode;
  if (old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) {
    if (domains_.count(m.domain)) domains_.at(m.domain).masters.erase({sid, false, 0});
  }
  m.mode = RidMode::bypass;
  if (!write_ste(sid)) return false;
  return old != RidMode::s1 || clear_cd(sid, 0);
}

bool Smmuv3Driver::attach_abort(uint32_t sid) {
  if (!up_) return false;
  Master& m = master(sid);
  const RidMode old = m.mode;
  if (old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) {
    if (domains_.count(m.domain)) domains_.at(m.domain).masters.erase({sid, false, 0});
  }
  m.mode = RidMode::abort;
  if (!write_ste(sid)) return false;
  return old != RidMode::s1 || clear_cd(sid, 0);
}

bool Smmuv3Driver::attach_pasid(uint32_t sid, uint32_t ssid, uint32_t domain) {
  auto it = domains_.find(domain);
  if (!up_ || it == domains_.end() || it->second.s2 || ssid == 0) return false;
  if (ssid >> master_ssid_bits()) return false;
  Master& m = master(sid);
  if (m.mode == RidMode::s2 || m.mode == RidMode::nested) return false;
  Domain& d = it->second;
  if (!set_cd(sid, ssid, make_cd(d.asid, d.table->root()))) return false;
  const bool first = m.pasids.empty();
  auto prev = m.pasids.find(ssid);
  if (prev != m.pasids.end() && prev->second != 0 && domains_.count(prev->second))
    domains_.at(prev->second).masters.erase({sid, true, ssid});
  m.sva.erase(ssid);
  m.pasids[ssid] = domain;
  d.masters.insert({sid, true, ssid});
  // The STE must point at the CD table (S1DSS keeps what requests without a PASID get).
  return !first || m.mode == RidMode::s1 || write_ste(sid);
}

std::optional<uint16_t> Smmuv3Driver::bind_sva(uint32_t sid, uint32_t ssid, uint64_t ttb0) {
  if (!up_ || !ids_.s1p || ssid == 0 || (ssid >> master_ssid_bits()) != 0) return std::nullopt;
  if (!ids_.asid16 && next_asid_ > 0xff) return std::nullopt;
  Master& m = master(sid);
  if (m.mode == RidMode::s2 || m.mode == RidMode::nested) return std::nullopt;
  const uint16_t asid = next_asid_++;
  if (!set_cd(sid, ssid, make_cd(asid, ttb0))) return std::nullopt;
  const bool first = m.pasids.empty();
  m.pasids[ssid] = 0;
  m.sva[ssid] = asid;
  if (first && m.mode != RidMode::s1 && !write_ste(sid)) return std::nullopt;
  return asid;
}

bool Smmuv3Driver::unbind(uint32_t sid, uint32_t ssid) {
  auto mi = masters_.find(sid);
  if (mi == masters_.end() || !mi->second.pasids.count(ssid)) return false;
  Master& m = mi->second;
  // Linux: the CD goes first (CFGI_CD + SYNC), then the TLB entries of its ASID, then the ATC.
  if (!clear_cd(sid, ssid)) return false;
  std::vector<Command> cmds;
  const uint32_t dom = m.pasids[ssid];
  if (auto s = m.sva.find(ssid); s != m.sva.end()) {
    Command c = op(Opcode::kTlbiNhAsid);
    c.asid = s->second;
    cmds.push_back(c);
    ++counts_.tlbi;
    m.sva.erase(s);
  } else if (domains_.count(dom)) {
    domains_.at(dom).masters.erase({sid, true, ssid});
  }
  m.pasids.erase(ssid);
  if (!cmds.empty() && !submit(cmds)) return false;
  if (m.ats) {
    ++counts_.atc_inv;
    if (!submit({atc_cmd(sid, 0, 0, ssid)})) return false;
  }
  // The last PASID gone: the STE drops its CD table unless requests without one use it.
  return !m.pasids.empty() || m.mode == RidMode::s1 || write_ste(sid);
}

bool Smmuv3Driver::invalidate_asid(uint16_t asid, uint64_t va, uint64_t size) {
  std::vector<Command> cmds;
  if (size == 0) {
    Command c = op(Opcode::kTlbiNhAsid);
    c.asid = asid;
    cmds.push_back(c);
  } else {
    Command base = op(Opcode::kTlbiNhVa);
    base.asid = asid;
    base.leaf = true;
    tlbi_range(cmds, base, va, size);
  }
  counts_.tlbi += cmds.size();
  if (!submit(cmds)) return false;
  std::vector<Command> atc;
  for (const auto& [sid, m] : masters_) {
    if (!m.ats) continue;
    for (const auto& [ssid, a] : m.sva)
      if (a == asid) atc.push_back(atc_cmd(sid, va, size, ssid));
  }
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

bool Smmuv3Driver::attach_nested(uint32_t sid, uint32_t parent, uint64_t cd_table_ipa,
                                 unsigned s1cdmax) {
  auto it = domains_.find(parent);
  if (!up_ || !ids_.s1p || !ids_.s2p || it == domains_.end() || !it->second.s2) return false;
  if (s1cdmax > ids_.ssid_bits) return false;
  Master& m = master(sid);
  if (!m.pasids.empty()) return false;
  const RidMode old = m.mode;
  if ((old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) &&
      domains_.count(m.domain))
    domains_.at(m.domain).masters.erase({sid, false, 0});
  m.mode = RidMode::nested;
  m.domain = parent;
  m.nested_cd_ipa = cd_table_ipa;
  m.nested_cdmax = s1cdmax;
  it->second.nest_parent = true;
  it->second.masters.insert({sid, false, 0});
  if (!write_ste(sid)) return false;
  return old != RidMode::s1 || clear_cd(sid, 0);
}

bool Smmuv3Driver::invalidate_nested(uint32_t parent, uint64_t va, uint64_t size) {
  auto it = domains_.find(parent);
  if (it == domains_.end() || !it->second.s2) return false;
  Domain& d = it->second;
  std::vector<Command> cmds;
  if (size == 0 || (!ids_.ril && (size >> kPageLg2) > kMaxTlbiOps)) {
    Command c = op(Opcode::kTlbiNhAll);
    c.vmid = d.vmid;
    cmds.push_back(c);
  } else {
    Command base = op(Opcode::kTlbiNhVaa);
    base.vmid = d.vmid;
    base.leaf = true;
    tlbi_range(cmds, base, va, size);
  }
  counts_.tlbi += cmds.size();
  if (!submit(cmds)) return false;
  std::vector<Command> atc;
  atc_inv(atc, d, va, size, std::nullopt);
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
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
