#include "models/vtd/translator.h"

#include "pagetable/walker.h"

namespace isim::vtd {

namespace {

using pt::AccessReq;
using pt::Perms;

/// 5.1.4 / 7.1.3: a remapped untranslated DMA may not land in the interrupt address range
/// 0xFEE0_0000..0xFEEF_FFFF (LGN.4 / SGN.8).
constexpr bool in_interrupt_range(uint64_t a) {
  return (a >> 20) == 0xFEE;
}

void append(pt::WalkLog& to, const pt::WalkLog& from) {
  for (const pt::MemAccess& a : from.reads) to.reads.push(a);
  for (const pt::MemAccess& a : from.writes) to.writes.push(a);
}

template <class T>
Step<T> fail(FaultReason r, bool fpd = false) {
  Step<T> s;
  s.reason = r;
  s.fpd = fpd;
  return s;
}

}  // namespace

Fault Translator::make_fault(const Request& req, FaultReason r, bool fpd) const {
  Fault f;
  f.reason = r;
  f.sid = req.sid;
  f.pasid_present = req.pasid.has_value();
  f.pasid = req.pasid.value_or(0) & static_cast<uint32_t>(mask(19, 0));
  f.addr = req.addr;
  f.read = req.read;
  f.write = req.write;
  // PMR/ER come with the PASID TLP prefix only (PCIe 6.20).
  f.exe = f.pasid_present && req.exec;
  f.priv = f.pasid_present && req.priv;
  f.at = req.at;
  f.fpd = fpd;
  return f;
}

bool Translator::read_struct(uint64_t pa, uint64_t* dst, unsigned qwords, LogLevel lvl,
                             pt::WalkLog& log) const {
  const bool ok = mem_->read(pa, dst, size_t{qwords} * 8);
  log.reads.push({pa, ok ? dst[0] : 0, static_cast<uint8_t>(lvl), kStructureStage, ok});
  return ok;
}

// --- Root entry: 3.4.1 / 3.4.2 (legacy), 3.4.3 (scalable); RTADDR 11.4.6 ------------------
Step<Qw2> Translator::fetch_root_entry(const UnitState& st, uint8_t bus, pt::WalkLog& log) const {
  const Ttm ttm = rtaddr::ttm(st.rtaddr);
  const bool scalable = ttm == Ttm::Scalable;
  // TTM=10b is reserved; 11b needs ECAP.ADMS; 01b needs ECAP.SMTS (RTA.1).
  if (ttm == Ttm::Reserved || (ttm == Ttm::AbortDma && !caps_.adms) || (scalable && !caps_.smts)) {
    return fail<Qw2>(FaultReason::RTA_1);
  }
  const uint64_t table = rtaddr::table(st.rtaddr);
  if (table & above_haw(caps_.haw)) {
    return fail<Qw2>(scalable ? FaultReason::RTA_1 : FaultReason::LRT_1);
  }
  Step<Qw2> s;
  if (!read_struct(table + uint64_t{bus} * kRootEntryBytes, s.value.data(), 2, LogLevel::RootEntry,
                   log)) {
    return fail<Qw2>(scalable ? FaultReason::SRT_1 : FaultReason::LRT_1);
  }
  return s;
}

// --- Context entry: 9.3 / 9.4, faults 7.1.3 -----------------------------------------------
Step<DeviceContext> Translator::fetch_context(const UnitState& st, uint16_t sid,
                                              pt::WalkLog& log) const {
  const uint8_t bus = static_cast<uint8_t>(sid >> 8);
  const uint8_t devfn = static_cast<uint8_t>(sid & 0xff);
  const Step<Qw2> root = fetch_root_entry(st, bus, log);
  if (!root.ok()) return fail<DeviceContext>(root.reason, root.fpd);

  Step<DeviceContext> s;
  DeviceContext& ctx = s.value;
  if (rtaddr::ttm(st.rtaddr) == Ttm::Legacy) {
    const LegacyRootEntry re = LegacyRootEntry::decode(root.value);
    if (!re.present) return fail<DeviceContext>(FaultReason::LRT_2);
    const Qw2 rr = LegacyRootEntry::reserved(caps_.haw);
    if ((root.value[0] & rr[0]) || (root.value[1] & rr[1])) {
      return fail<DeviceContext>(FaultReason::LRT_3);
    }
    Qw2 raw{};
    ctx.entry_pa = re.ctp + uint64_t{devfn} * kLegacyContextBytes;
    if (!read_struct(ctx.entry_pa, raw.data(), 2, LogLevel::ContextEntry, log)) {
      return fail<DeviceContext>(FaultReason::LCT_1);
    }
    ctx.legacy = LegacyContextEntry::decode(raw);
    // 7.1.3: context-entry faults are qualified, so this entry's FPD suppresses their
    // recording even when P is clear (software can silence a device that way).
    ctx.fpd = ctx.legacy.fpd;
    if (!ctx.legacy.present) return fail<DeviceContext>(FaultReason::LCT_2, ctx.fpd);
    const Qw2 cr = LegacyContextEntry::reserved(caps_.haw, caps_.nd);
    if ((raw[0] & cr[0]) || (raw[1] & cr[1])) {
      return fail<DeviceContext>(FaultReason::LCT_3, ctx.fpd);
    }
    // 9.3 TT: 11b reserved, 01b needs ECAP.DT, 10b needs ECAP.PT; AW must be in SAGAW for the
    // translated types.
    const LegacyTt tt = ctx.legacy.tt;
    const bool bad_tt = tt == LegacyTt::Reserved || (tt == LegacyTt::All && !caps_.dt) ||
                        (tt == LegacyTt::PassThrough && !caps_.pt);
    const bool bad_aw = tt != LegacyTt::PassThrough && !caps_.agaw_supported(ctx.legacy.aw);
    if (bad_tt || bad_aw) return fail<DeviceContext>(FaultReason::LCT_4, ctx.fpd);
    return s;
  }

  ctx.scalable = true;
  const ScalableRootEntry re = ScalableRootEntry::decode(root.value);
  if (!re.present_for(devfn)) return fail<DeviceContext>(FaultReason::SRT_2);
  // Only the half that is used is checked: the other half may legitimately be not present.
  const Qw2 rr = ScalableRootEntry::reserved(caps_.haw);
  const unsigned half = devfn < 0x80 ? 0 : 1;
  if (root.value[half] & rr[half]) return fail<DeviceContext>(FaultReason::SRT_3);

  Qw4 raw{};
  ctx.entry_pa = re.ctp_for(devfn) + uint64_t{devfn & 0x7fu} * kScalableContextBytes;
  if (!read_struct(ctx.entry_pa, raw.data(), 4, LogLevel::ContextEntry, log)) {
    return fail<DeviceContext>(FaultReason::SCT_1);
  }
  ctx.sm = ScalableContextEntry::decode(raw);
  ctx.fpd = ctx.sm.fpd;
  if (!ctx.sm.present) return fail<DeviceContext>(FaultReason::SCT_2, ctx.fpd);
  const Qw4 cr = ScalableContextEntry::reserved(caps_.haw, caps_.rps, caps_.rprivs);
  for (unsigned i = 0; i < 4; ++i) {
    if (raw[i] & cr[i]) return fail<DeviceContext>(FaultReason::SCT_3, ctx.fpd);
  }
  // 9.4: DTE needs ECAP.DT, PASIDE needs ECAP.PASID, PRE needs ECAP.PRS.
  if ((ctx.sm.dte && !caps_.dt) || (ctx.sm.paside && !caps_.pasid) || (ctx.sm.pre && !caps_.prs)) {
    return fail<DeviceContext>(FaultReason::SCT_4, ctx.fpd);
  }
  return s;
}

uint32_t Translator::effective_pasid(const DeviceContext& ctx, const Request& req) const {
  if (req.pasid) return *req.pasid & static_cast<uint32_t>(mask(19, 0));
  // 9.4: without ECAP.RPS requests-without-PASID use PASID 0.
  return caps_.rps ? ctx.sm.rid_pasid : 0;
}

FaultReason Translator::check_request(const DeviceContext& ctx, const Request& req) const {
  if (!ctx.scalable) {
    // 3.9 / 9.3: translation requests and translated requests need TT=01b.
    if (req.at != AtsType::Untranslated && ctx.legacy.tt != LegacyTt::All) {
      return FaultReason::LCT_5;
    }
    return FaultReason::None;
  }
  if (req.at != AtsType::Untranslated && !ctx.sm.dte) return FaultReason::SCT_5;
  if (req.pasid && !ctx.sm.paside) return FaultReason::SCT_6;
  const uint32_t pasid = effective_pasid(ctx, req);
  if (PasidEntry::dir_index(pasid) >= ctx.sm.dir_entries()) {
    return req.pasid ? FaultReason::SCT_7 : FaultReason::SCT_9;
  }
  return FaultReason::None;
}

// --- PASID directory and table: 3.4.3, 9.5, 9.6 -------------------------------------------
Step<PasidContext> Translator::fetch_pasid_entry(const DeviceContext& ctx, uint32_t pasid,
                                                 pt::WalkLog& log) const {
  Step<PasidContext> s;
  PasidContext& pc = s.value;
  pc.pasid = pasid;
  pc.fpd = ctx.fpd;

  uint64_t de_raw = 0;
  const uint64_t de_pa =
      ctx.sm.pasid_dir + uint64_t{PasidEntry::dir_index(pasid)} * kPasidDirEntryBytes;
  if (!read_struct(de_pa, &de_raw, 1, LogLevel::PasidDirEntry, log)) {
    return fail<PasidContext>(FaultReason::SPD_1, pc.fpd);
  }
  const PasidDirEntry de = PasidDirEntry::decode(de_raw);
  pc.fpd = pc.fpd || de.fpd;
  if (!de.present) return fail<PasidContext>(FaultReason::SPD_2, pc.fpd);
  if (de_raw & PasidDirEntry::reserved(caps_.haw))
    return fail<PasidContext>(FaultReason::SPD_3, pc.fpd);

  Qw8 raw{};
  pc.entry_pa = de.table + uint64_t{PasidEntry::table_index(pasid)} * kPasidEntryBytes;
  if (!read_struct(pc.entry_pa, raw.data(), 8, LogLevel::PasidEntry, log)) {
    return fail<PasidContext>(FaultReason::SPT_1, pc.fpd);
  }
  pc.entry = PasidEntry::decode(raw);
  const PasidEntry& pe = pc.entry;
  pc.fpd = pc.fpd || pe.fpd;
  if (!pe.present) return fail<PasidContext>(FaultReason::SPT_2, pc.fpd);
  const auto pr = PasidEntry::reserved(caps_.haw, caps_.nd);
  for (unsigned i = 0; i < pr.size(); ++i) {
    if (raw[i] & pr[i]) return fail<PasidContext>(FaultReason::SPT_3, pc.fpd);
  }

  // 9.6: PGTT values and the capability each needs; AW in SAGAW for second-stage use; FSPM
  // 01b needs CAP.FS5LP, 1xb is reserved.
  bool valid = false;
  const bool uses_ss = pe.pgtt == static_cast<unsigned>(Pgtt::SecondStage) ||
                       pe.pgtt == static_cast<unsigned>(Pgtt::Nested);
  const bool uses_fs = pe.pgtt == static_cast<unsigned>(Pgtt::FirstStage) ||
                       pe.pgtt == static_cast<unsigned>(Pgtt::Nested);
  switch (pe.pgtt) {
    case static_cast<unsigned>(Pgtt::FirstStage):
      valid = caps_.fsts;
      break;
    case static_cast<unsigned>(Pgtt::SecondStage):
      valid = caps_.ssts;
      break;
    case static_cast<unsigned>(Pgtt::Nested):
      valid = caps_.nest && caps_.fsts && caps_.ssts;
      break;
    case static_cast<unsigned>(Pgtt::PassThrough):
      valid = caps_.pt;
      break;
    default:
      valid = false;
  }
  if (valid && uses_ss && !caps_.agaw_supported(pe.aw)) valid = false;
  if (valid && uses_fs && (pe.flpm > 1 || (pe.flpm == 1 && !caps_.fs5lp))) valid = false;
  if (!valid) return fail<PasidContext>(FaultReason::SPT_4, pc.fpd);
  return s;
}

// --- Formats ------------------------------------------------------------------------------
std::optional<pt::VtdSsFormat> Translator::second_stage_format(unsigned aw, bool legacy, bool slee,
                                                               bool slade) const {
  pt::VtdSsConfig c;
  c.levels = aw + 2;  // 9.3 / 9.6: AW 1/2/3 = 3/4/5 levels
  c.haw = caps_.haw;
  c.mgaw = caps_.mgaw + 1;
  c.sp_2m = caps_.sllps & 1;
  c.sp_1g = (caps_.sllps >> 1) & 1;
  c.exec = !legacy && caps_.ers && slee;  // 9.8 X: scalable mode with SLEE only
  c.snp = caps_.sc;
  c.tm = legacy && caps_.dt;  // 9.8 TM: legacy mode with device-TLB support
  c.ad = slade;
  return pt::VtdSsFormat::create(c);
}

std::optional<pt::X86Format> Translator::first_stage_format(const PasidEntry& pe) const {
  const unsigned levels = pe.flpm == 1 ? 5 : 4;  // 9.6 FSPM
  return pt::X86Format::create(
      pt::vtd_first_stage_config(levels, caps_.haw, caps_.fs1gp, pe.nxe, pe.wpe, pe.smep, pe.eafe));
}

// --- Walk fault -> reason (7.1.3) ---------------------------------------------------------
FaultReason Translator::reason_for_walk_fault(const pt::Fault& f, bool legacy, unsigned fs_top,
                                              unsigned ss_top, const AccessReq& req,
                                              Perms granted) {
  using K = pt::FaultKind;
  const Perms miss = f.missing;
  if (legacy) {
    switch (f.kind) {
      case K::AddressSize:
        return FaultReason::LGN_1;
      case K::BusError:
        return FaultReason::LSL_1;
      case K::ReservedBit:
        return FaultReason::LSL_2;
      case K::NotPresent:
        return req.write ? FaultReason::LGN_2 : FaultReason::LGN_3;
      default:
        return miss.any(Perms::kWrite) ? FaultReason::LGN_2 : FaultReason::LGN_3;
    }
  }
  if (f.stage == 1) {  // first stage
    switch (f.kind) {
      case K::AddressSize:
        return FaultReason::SGN_1;
      case K::BusError:
        return f.level == fs_top ? FaultReason::SFL_4 : FaultReason::SFL_1;
      case K::NotPresent:
        return FaultReason::SFL_2;
      case K::ReservedBit:
        return FaultReason::SFL_3;
      default:
        // x86 paging never removes read from a present entry except through U/S=0.
        if (!req.priv && !granted.any(Perms::kUserRead)) return FaultReason::SGN_2;
        if (miss.any(Perms::kExec)) return FaultReason::SGN_3;
        if (miss.any(Perms::kWrite)) return FaultReason::SGN_6;
        return FaultReason::SGN_7;
    }
  }
  if (f.on_s1_table) {  // nested: stage 2 failed on a first-stage table access
    switch (f.kind) {
      case K::AddressSize:
        return FaultReason::SFL_5;
      case K::BusError:
        return f.level == ss_top ? FaultReason::SSL_4 : FaultReason::SSL_1;
      case K::ReservedBit:
        return FaultReason::SSL_3;
      default:
        if (miss.any(Perms::kWrite)) return FaultReason::SFL_8;  // A/D update
        return f.s1_level == fs_top ? FaultReason::SFL_6 : FaultReason::SFL_7;
    }
  }
  switch (f.kind) {
    case K::AddressSize:
      return FaultReason::SGN_4;
    case K::BusError:
      return f.level == ss_top ? FaultReason::SSL_4 : FaultReason::SSL_1;
    case K::ReservedBit:
      return FaultReason::SSL_3;
    case K::NotPresent:
      return FaultReason::SSL_2;
    default:
      if (miss.any(Perms::kExec)) return FaultReason::SGN_3;
      if (miss.any(Perms::kWrite)) return FaultReason::SGN_6;
      return FaultReason::SGN_7;
  }
}

// --- Legacy translation: 3.4.2, 3.6, 3.9 --------------------------------------------------
Result Translator::translate_legacy(const DeviceContext& ctx, const Request& req,
                                    const pt::WalkStart* hint) const {
  Result r;
  const LegacyContextEntry& ce = ctx.legacy;
  r.tr.did = ce.did;
  r.tr.fpd = ctx.fpd;

  if (req.at == AtsType::Translated) {  // TT=01b: already translated by the device TLB
    r.tr.type = TranslationType::DeviceTlb;
    r.tr.oa = req.addr;
    return r;
  }
  if (ce.tt == LegacyTt::PassThrough) {
    // 3.10 / 7.1.3 LGN.1: pass-through addresses are limited by the host address width.
    if (req.addr >> caps_.haw) {
      r.fault = make_fault(req, FaultReason::LGN_1, ctx.fpd);
      return r;
    }
    r.tr.type = TranslationType::PassThrough;
    r.tr.oa = req.addr;
    return r;
  }

  const auto fmt = second_stage_format(ce.aw, /*legacy=*/true, false, false);
  if (!fmt) {
    r.fault = make_fault(req, FaultReason::LCT_4, ctx.fpd);
    return r;
  }
  const bool tr_req = req.at == AtsType::TranslationRequest;
  const AccessReq ar{!tr_req && req.read, !tr_req && req.write, false, false};
  pt::WalkStart start;
  start.table = ce.slptptr;
  if (hint) start = *hint;
  pt::WalkOptions opt;
  opt.stage = 2;
  const pt::StageResult w = pt::walk_stage(*fmt, *mem_, start, req.addr, ar, opt, r.log);
  r.tr.type = TranslationType::SecondStage;
  if (!w.ok()) {
    if (tr_req && w.fault.kind == pt::FaultKind::NotPresent) {
      // 3.9: a translation request to a non-present page completes with R=W=0, no fault.
      r.tr.perms = Perms::none();
      r.tr.oa = align_down(req.addr, 12);
      return r;
    }
    r.fault = make_fault(
        req, reason_for_walk_fault(w.fault, true, 0, fmt->top_level(), ar, w.tr.perms), ctx.fpd);
    r.fault.walk = w.fault;
    return r;
  }
  r.tr.oa = w.tr.oa;
  r.tr.page_lg2 = w.tr.page_lg2;
  r.tr.perms = w.tr.perms;
  if (!tr_req && in_interrupt_range(r.tr.oa)) {
    r.fault = make_fault(req, FaultReason::LGN_4, ctx.fpd);
  }
  return r;
}

// --- Scalable-mode translation: 3.4.3, 3.5-3.8, 3.9 ---------------------------------------
namespace {

/// Stage 2 of a nested walk with a cache in front of the walker's table fetches.
struct CachedStage2 {
  pt::Stage2Walker<pt::VtdSsFormat> walker;
  NestedStage2Cache* cache;
  uint16_t did;

  static bool table_fetch(const AccessReq& rq) {
    const AccessReq t = pt::detail::kTableFetch;
    return rq.read == t.read && rq.write == t.write && rq.exec == t.exec && rq.priv == t.priv;
  }
  pt::StageResult operator()(uint64_t ipa, const AccessReq& rq, pt::WalkLog& log) const {
    const bool cacheable = cache && table_fetch(rq);
    if (cacheable) {
      if (const auto t = cache->lookup(did, ipa); t && t->perms.has(rq.needed())) {
        pt::StageResult s;
        s.tr = *t;
        s.tr.oa = t->page_base() | (ipa & (lg2_size(t->page_lg2) - 1));
        return s;
      }
    }
    pt::StageResult s = walker(ipa, rq, log);
    if (cacheable && s.ok()) cache->fill(did, ipa, s.tr);
    return s;
  }
};

}  // namespace

Result Translator::translate_pasid(const DeviceContext& ctx, const PasidContext& pc,
                                   const Request& req, const pt::WalkStart* hint,
                                   NestedStage2Cache* s2_cache) const {
  Result r;
  const PasidEntry& pe = pc.entry;
  r.tr.did = pe.did;
  r.tr.pasid_valid = true;
  r.tr.pasid = pc.pasid;
  r.tr.fpd = pc.fpd;
  auto fault = [&](FaultReason why) {
    r.fault = make_fault(req, why, pc.fpd);
    return r;
  };

  // Privilege and execute come from the PASID prefix; requests-without-PASID are user-level
  // unless RID_PRIV says otherwise (9.4, ECAP.RPRIVS), and never execute.
  const bool priv = req.pasid ? req.priv : (caps_.rprivs && ctx.sm.rid_priv);
  const bool exec = req.pasid && req.exec;

  if (req.at == AtsType::Translated) {
    r.tr.type = TranslationType::DeviceTlb;
    r.tr.oa = req.addr;
    return r;
  }
  const Pgtt pgtt = static_cast<Pgtt>(pe.pgtt);
  if (pgtt == Pgtt::PassThrough) {
    if (req.addr >> caps_.haw) return fault(FaultReason::SGN_4);
    r.tr.type = TranslationType::PassThrough;
    r.tr.oa = req.addr;
    return r;
  }
  // 9.6 SRE / ERE: supervisor and execute requests need the PASID entry's permission.
  if (priv && !pe.sre) return fault(FaultReason::SPT_6);
  if (exec && !pe.ere) return fault(FaultReason::SPT_5);

  const bool tr_req = req.at == AtsType::TranslationRequest;
  const AccessReq ar{!tr_req && req.read, !tr_req && req.write, !tr_req && exec, priv};
  std::optional<pt::VtdSsFormat> ss;
  std::optional<pt::X86Format> fs;
  if (pgtt != Pgtt::FirstStage) {
    ss = second_stage_format(pe.aw, /*legacy=*/false, pe.slee, false);
    if (!ss) return fault(FaultReason::SPT_4);
  }
  if (pgtt != Pgtt::SecondStage) {
    fs = first_stage_format(pe);
    if (!fs) return fault(FaultReason::SPT_4);
  }

  pt::Fault wf;
  Perms granted;
  bool ok = false;
  if (pgtt == Pgtt::SecondStage) {
    r.tr.type = TranslationType::SecondStage;
    pt::WalkStart start;
    start.table = pe.slptptr;
    if (hint) start = *hint;
    pt::WalkOptions opt;
    opt.stage = 2;
    const pt::StageResult w = pt::walk_stage(*ss, *mem_, start, req.addr, ar, opt, r.log);
    ok = w.ok();
    wf = w.fault;
    granted = w.tr.perms;
    if (ok) {
      r.tr.oa = w.tr.oa;
      r.tr.page_lg2 = w.tr.page_lg2;
      r.tr.perms = w.tr.perms;
    }
  } else if (pgtt == Pgtt::FirstStage) {
    r.tr.type = TranslationType::FirstStage;
    pt::WalkStart start;
    start.table = pe.flptptr;
    if (hint) start = *hint;
    const pt::StageResult w = pt::walk_stage(*fs, *mem_, start, req.addr, ar, {}, r.log);
    ok = w.ok();
    wf = w.fault;
    granted = w.tr.perms;
    if (ok) {
      r.tr.oa = w.tr.oa;
      r.tr.page_lg2 = w.tr.page_lg2;
      r.tr.perms = w.tr.perms;
    }
  } else {
    r.tr.type = TranslationType::Nested;
    pt::WalkStart start;
    start.table = pe.flptptr;
    const pt::WalkResult w =
        pt::walk_nested(*fs, *mem_, start, req.addr, ar,
                        CachedStage2{pt::Stage2Walker(*ss, *mem_, pe.slptptr), s2_cache, pe.did});
    append(r.log, w.log);
    ok = w.ok();
    wf = w.fault;
    granted = w.s1.perms;
    if (ok) {
      r.tr.oa = w.tr.oa;
      r.tr.page_lg2 = w.tr.page_lg2;
      r.tr.perms = w.tr.perms;
    }
  }

  if (!ok) {
    if (tr_req && wf.kind == pt::FaultKind::NotPresent) {
      r.tr.perms = Perms::none();
      r.tr.oa = align_down(req.addr, 12);
      return r;
    }
    const FaultReason why = reason_for_walk_fault(wf, false, fs ? fs->top_level() : 0,
                                                  ss ? ss->top_level() : 0, ar, granted);
    r.fault = make_fault(req, why, pc.fpd);
    r.fault.walk = wf;
    return r;
  }
  if (!tr_req && in_interrupt_range(r.tr.oa)) return fault(FaultReason::SGN_8);
  return r;
}

// --- The whole flow -------------------------------------------------------------------------
Result Translator::translate(const UnitState& st, const Request& req) const {
  if (!st.te) {  // 11.4.4 TE: with translation disabled DMA is not remapped
    Result r;
    r.tr.type = TranslationType::Identity;
    r.tr.oa = req.addr;
    return r;
  }
  const Ttm ttm = rtaddr::ttm(st.rtaddr);
  if (ttm == Ttm::AbortDma && caps_.adms) {
    // Abort-DMA mode blocks every request without recording a fault.
    Result r;
    r.fault = make_fault(req, FaultReason::RTA_1, /*fpd=*/true);
    return r;
  }
  if (ttm == Ttm::Legacy && req.pasid) {  // RTA.2: legacy mode cannot take requests-with-PASID
    Result r;
    r.fault = make_fault(req, FaultReason::RTA_2, false);
    return r;
  }

  pt::WalkLog log;
  const Step<DeviceContext> ctx = fetch_context(st, req.sid, log);
  auto early = [&](FaultReason why, bool fpd) {
    Result r;
    r.fault = make_fault(req, why, fpd);
    r.log = log;
    return r;
  };
  if (!ctx.ok()) return early(ctx.reason, ctx.fpd);
  if (const FaultReason why = check_request(ctx.value, req); why != FaultReason::None) {
    return early(why, ctx.value.fpd);
  }

  Result r;
  if (!ctx.value.scalable) {
    r = translate_legacy(ctx.value, req);
  } else {
    const Step<PasidContext> pc =
        fetch_pasid_entry(ctx.value, effective_pasid(ctx.value, req), log);
    if (!pc.ok()) return early(pc.reason, pc.fpd);
    r = translate_pasid(ctx.value, pc.value, req);
  }
  // Structure reads come first in the log, then the walk.
  pt::WalkLog walk = r.log;
  r.log = log;
  append(r.log, walk);
  return r;
}

}  // namespace isim::vtd
