#include "models/smmuv3/translator.h"

namespace isim::smmuv3 {

namespace {

constexpr uint8_t kBypassPageLg2 = 12;

EventRecord base_event(EventType t, const Request& req) {
  EventRecord e;
  e.type = t;
  e.sid = req.sid;
  e.ssv = req.ssid.has_value();
  e.ssid = req.ssid.value_or(0);
  e.pnu = req.pnu;
  e.ind = req.ind && req.rnw;
  e.rnw = req.rnw;
  e.input_addr = req.addr;
  return e;
}

Stop stop(EventType t, const Request& req, bool record = true) {
  Stop s;
  s.outcome = Outcome::kAbort;
  s.record = record && t != EventType::kNone;
  s.event = base_event(t, req);
  return s;
}

TranslateResult from_stop(const Stop& s, const Request& req) {
  TranslateResult r;
  r.outcome = s.outcome;
  r.record = s.record;
  r.event = s.event;
  // 7.3.6: a Translation Request records only F_BAD_ATS_TREQ; other failures answer UR/no
  // access without an event (3.9.1).
  if (req.ats == AtsType::kTranslationRequest && s.event.type != EventType::kF_BAD_ATS_TREQ) {
    r.record = false;
    if (r.outcome == Outcome::kStall || r.outcome == Outcome::kRazWi) r.outcome = Outcome::kAbort;
  }
  return r;
}

TranslateResult bypass(uint64_t addr) {
  TranslateResult r;
  r.outcome = Outcome::kBypass;
  r.oa = addr;
  r.page_lg2 = kBypassPageLg2;
  r.perms = pt::Perms::all();
  return r;
}

pt::AccessReq access_req(const Request& req) {
  pt::AccessReq a;
  a.priv = req.pnu;
  if (req.ats == AtsType::kTranslationRequest) {
    a.read = true;  // the completion reports what is allowed; the lookup needs read (3.9.1)
    return a;
  }
  a.read = req.rnw && !req.ind;
  a.exec = req.rnw && req.ind;
  a.write = !req.rnw;
  return a;
}

EventType event_of(pt::FaultKind k) {
  switch (k) {
    case pt::FaultKind::AddressSize:
      return EventType::kF_ADDR_SIZE;
    case pt::FaultKind::AccessFlag:
      return EventType::kF_ACCESS;
    case pt::FaultKind::Permission:
      return EventType::kF_PERMISSION;
    case pt::FaultKind::BusError:
      return EventType::kF_WALK_EABT;
    default:
      return EventType::kF_TRANSLATION;  // NotPresent, ReservedBit (fail closed)
  }
}

}  // namespace

pt::AccessReq access_of(const Request& req) {
  return access_req(req);
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kTranslated:
      return "translated";
    case Outcome::kBypass:
      return "bypass";
    case Outcome::kAbort:
      return "abort";
    case Outcome::kRazWi:
      return "raz_wi";
    case Outcome::kStall:
      return "stall";
  }
  return "?";
}

const char* to_string(ReadKind k) {
  switch (k) {
    case ReadKind::kL1Std:
      return "L1STD";
    case ReadKind::kSte:
      return "STE";
    case ReadKind::kL1Cd:
      return "L1CD";
    case ReadKind::kCd:
      return "CD";
    case ReadKind::kS1Table:
      return "S1TT";
    case ReadKind::kS2Table:
      return "S2TT";
  }
  return "?";
}

SmmuState SmmuState::from_regs(const IdParams& caps, uint32_t cr0_v, uint32_t cr2_v,
                               uint32_t gbpa_v, uint64_t strtab_base, uint32_t strtab_base_cfg) {
  SmmuState s;
  s.caps = caps;
  s.smmuen = bit(cr0_v, cr0::SMMUEN);
  s.atschk = bit(cr0_v, cr0::ATSCHK);
  s.recinvsid = bit(cr2_v, cr2::RECINVSID);
  s.gbpa = gbpa_v;
  s.strtab = decode_strtab(strtab_base, strtab_base_cfg, caps);
  return s;
}

Request apply_overrides(const Request& req, const Ste& ste) {
  Request r = req;
  // 5.2 PRIVCFG: 00 use incoming, 01 reserved (incoming), 10 unprivileged, 11 privileged.
  if (ste.privcfg == 0b10) r.pnu = false;
  if (ste.privcfg == 0b11) r.pnu = true;
  // 5.2 INSTCFG: 10 data, 11 instruction; only reads can be instruction fetches (13.1.2).
  if (ste.instcfg == 0b10) r.ind = false;
  if (ste.instcfg == 0b11) r.ind = true;
  if (!r.rnw) r.ind = false;
  return r;
}

std::optional<TranslateResult> check_global(const SmmuState& st, const Request& req) {
  if (st.smmuen) return std::nullopt;
  // 7.3.6: an ATS Translation Request with SMMUEN = 0 is F_BAD_ATS_TREQ; 7.3.8: an ATS
  // Translated transaction is F_TRANSL_FORBIDDEN.
  if (req.ats == AtsType::kTranslationRequest) {
    return from_stop(stop(EventType::kF_BAD_ATS_TREQ, req), req);
  }
  if (req.ats == AtsType::kTranslated) {
    return from_stop(stop(EventType::kF_TRANSL_FORBIDDEN, req), req);
  }
  // 6.3.14: GBPA.ABORT terminates, else the transaction bypasses with GBPA's attributes.
  if (bit(st.gbpa, gbpa::ABORT)) return from_stop(stop(EventType::kNone, req, false), req);
  return bypass(req.addr);
}

StreamStep fetch_stream(const SmmuState& st, PhysMem& mem, const Request& req, ReadLog& log) {
  StreamStep out;
  const SteFetch f = fetch_ste(mem, st.strtab, req.sid, st.caps, &log);
  switch (f.status) {
    case SteFetchStatus::kBadStreamId:
      // 7.3.3: recorded only with CR2.RECINVSID; the transaction aborts either way.
      out.stop = stop(EventType::kC_BAD_STREAMID, req, st.recinvsid);
      return out;
    case SteFetchStatus::kFetchAbort:
      out.stop = stop(EventType::kF_STE_FETCH, req);
      out.stop->event.fetch_addr = f.fetch_addr;
      return out;
    case SteFetchStatus::kOk:
      break;
  }
  out.ctx.ste = decode_ste(f.words);
  out.ctx.ste_pa = f.ste_pa;
  if (check_ste(out.ctx.ste, st.caps) != SteError::kNone) {
    out.stop = stop(EventType::kC_BAD_STE, req);
    return out;
  }
  if (out.ctx.ste.s2_enabled()) {
    out.ctx.s2 = ste_s2_format(out.ctx.ste, st.caps);
    if (!out.ctx.s2) out.stop = stop(EventType::kC_BAD_STE, req);  // not reached: checked above
  }
  return out;
}

SubstreamStep select_substream(const SmmuState& st, const StreamCtx& sc, const Request& req) {
  SubstreamStep out;
  const Ste& s = sc.ste;
  if (req.ssid) {
    // 7.3.9: a SubstreamID without stage 1, with substreams disabled, or out of range.
    if (!s.s1_enabled() || s.s1cdmax == 0 || st.caps.ssid_bits == 0 ||
        (uint64_t{*req.ssid} >> s.s1cdmax) != 0) {
      out.stop = stop(EventType::kC_BAD_SUBSTREAMID, req);
      return out;
    }
    // 7.3.7: with S1DSS = substream 0, CD 0 is reserved for traffic without a SubstreamID.
    if (*req.ssid == 0 && s.dss() == S1Dss::kSubstream0) {
      out.stop = stop(EventType::kF_STREAM_DISABLED, req);
      return out;
    }
    out.cd_index = *req.ssid;
    return out;
  }
  if (!s.s1_enabled()) {
    out.bypass_s1 = true;
    return out;
  }
  if (s.s1cdmax == 0) return out;  // the single CD
  switch (s.dss()) {
    case S1Dss::kBypass:
      out.bypass_s1 = true;
      return out;
    case S1Dss::kSubstream0:
      out.cd_index = 0;
      return out;
    case S1Dss::kTerminate:
    case S1Dss::kReserved:  // not ILLEGAL in 5.2.2; terminate like 00 (fail closed)
      out.stop = stop(EventType::kF_STREAM_DISABLED, req);
      return out;
  }
  return out;
}

Stop walk_fault_stop(const pt::Fault& f, const Request& req, const StreamCtx& sc, const Cd* cd,
                     bool cd_fetch) {
  Stop s = stop(event_of(f.kind), req);
  EventRecord& e = s.event;
  e.s2 = f.stage == 2;
  if (f.kind == pt::FaultKind::BusError) {
    // 7.3.12: F_WALK_EABT reports the descriptor PA; a stage-1 walk abort is CLASS = TT.
    e.fetch_addr = f.entry_pa;
    e.cls = cd_fetch                   ? EventClass::kCd
            : (!e.s2 || f.on_s1_table) ? EventClass::kTt
                                       : EventClass::kIn;
    return s;  // always abort and record (5.5 applies only to the four translation faults)
  }
  // 7.3.13: stage-1 faults are CLASS = IN; stage-2 faults name what stage 2 was translating.
  if (!e.s2) {
    e.cls = EventClass::kIn;
  } else if (cd_fetch) {
    e.cls = EventClass::kCd;
    e.ipa = f.ipa;
  } else if (f.on_s1_table) {
    e.cls = EventClass::kTt;
    e.ipa = f.ipa;
    // 7.3.16: TTRnW = 0 when a descriptor write (hardware AF update) faulted.
    e.ttrnw = !f.missing.any(pt::Perms::kWrite);
  } else {
    e.cls = EventClass::kIn;
    e.ipa = f.ipa != 0 || sc.ste.s1_enabled() ? f.ipa : f.va;
  }
  // 5.5: {A, R, S}. Stage 2 uses S2R / S2S with A = 1.
  const bool stall = e.s2 ? sc.ste.s2s : (cd && cd->s);
  const bool rec = e.s2 ? sc.ste.s2r : (cd && cd->r);
  const bool abort = e.s2 ? true : (!cd || cd->a);
  s.record = stall || rec;
  e.stall = stall;
  s.outcome = stall ? Outcome::kStall : abort ? Outcome::kAbort : Outcome::kRazWi;
  return s;
}

Stage2Fn stage2_walker(const StreamCtx& sc, PhysMem& mem) {
  pt::WalkOptions o;
  o.update_ad = sc.ste.s2ha;
  return pt::Stage2Walker<pt::ArmLpaeFormat>(*sc.s2, mem, sc.ste.s2ttb, o);
}

CdStep fetch_context(const SmmuState& st, PhysMem& mem, const StreamCtx& sc, uint32_t cd_index,
                     const Request& req, const Stage2Fn* s2, ReadLog& log) {
  CdStep out;
  const CdFetch f =
      fetch_cd(mem, sc.ste, cd_index, st.caps, sc.ste.s2_enabled() ? s2 : nullptr, &log);
  switch (f.status) {
    case CdFetchStatus::kBadSubstream:
      out.stop = stop(EventType::kC_BAD_SUBSTREAMID, req);
      // 7.3.9: SubstreamID is the index of the CD being fetched (0 for S1DSS = substream 0).
      out.stop->event.ssid = cd_index;
      return out;
    case CdFetchStatus::kFetchAbort:
      out.stop = stop(EventType::kF_CD_FETCH, req);
      out.stop->event.fetch_addr = f.fetch_addr;
      return out;
    case CdFetchStatus::kS2Fault: {
      pt::Fault fault = f.s2_fault;
      fault.ipa = f.s2_ipa;
      out.stop = walk_fault_stop(fault, req, sc, nullptr, /*cd_fetch=*/true);
      return out;
    }
    case CdFetchStatus::kOk:
      break;
  }
  out.ctx.cd = decode_cd(f.words);
  out.ctx.cd_addr = f.cd_addr;
  if (check_cd(out.ctx.cd, sc.ste, st.caps) != CdError::kNone) {
    out.stop = stop(EventType::kC_BAD_CD, req);
    return out;
  }
  if (!out.ctx.cd.epd0) out.ctx.tt0 = cd_s1_format(out.ctx.cd, 0, st.caps);
  if (!out.ctx.cd.epd1) out.ctx.tt1 = cd_s1_format(out.ctx.cd, 1, st.caps);
  // check_cd validated both enabled ranges, so the formats exist.
  if ((!out.ctx.cd.epd0 && !out.ctx.tt0) || (!out.ctx.cd.epd1 && !out.ctx.tt1)) {
    out.stop = stop(EventType::kC_BAD_CD, req);
  }
  return out;
}

TranslateResult walk_context(const SmmuState& st, PhysMem& mem, const StreamCtx& sc,
                             const CdCtx* cd, const Request& req, const Stage2Fn* s2,
                             const pt::WalkStart* from) {
  const pt::AccessReq acc = access_req(req);
  const Ste& ste = sc.ste;
  const bool do_s2 = ste.s2_enabled();
  pt::WalkOptions s2o;
  s2o.stage = 2;
  s2o.update_ad = ste.s2ha;

  auto fail = [&](const pt::Fault& f, const pt::WalkLog& log) {
    TranslateResult r = from_stop(walk_fault_stop(f, req, sc, cd ? &cd->cd : nullptr, false), req);
    r.reads.append(log);
    return r;
  };
  auto s1_input_fault = [&]() {
    pt::Fault f;
    f.kind = pt::FaultKind::NotPresent;
    f.stage = 1;
    f.va = req.addr;
    return fail(f, pt::WalkLog{});
  };

  TranslateResult r;
  if (!cd) {
    // Stage 1 bypassed. 7.3.14: an input beyond the range the next stage (IAS) or the system
    // (OAS) takes is F_ADDR_SIZE, CLASS = IN, S2 = 0.
    const unsigned limit = do_s2 ? st.caps.ias_bits() : st.caps.oas_bits;
    if ((req.addr >> limit) != 0) {
      pt::Fault f;
      f.kind = pt::FaultKind::AddressSize;
      f.stage = 1;
      f.va = req.addr;
      return fail(f, pt::WalkLog{});
    }
    if (!do_s2) {
      r = bypass(req.addr);
      r.vmid = st.caps.s2p ? ste.s2vmid : 0;
      return r;
    }
    pt::WalkLog log;
    pt::StageResult t;
    if (s2) {
      t = (*s2)(req.addr, acc, log);
    } else {
      pt::WalkStart root;
      root.table = ste.s2ttb;
      t = pt::walk_stage(*sc.s2, mem, from ? *from : root, req.addr, acc, s2o, log);
    }
    if (!t.ok()) {
      pt::Fault f = t.fault;
      f.ipa = req.addr;
      return fail(f, log);
    }
    r.outcome = Outcome::kTranslated;
    r.oa = t.tr.oa;
    r.page_lg2 = t.tr.page_lg2;
    r.perms = t.tr.perms;
    r.s2 = true;
    r.vmid = ste.s2vmid;
    r.ipa = req.addr;
    r.reads.append(log);
    return r;
  }

  // Stage 1: VA[55] selects TTB0 or TTB1 (Arm ARM D8.2.3 via CD.TTB0/TTB1, IHI 0070 5.4).
  const Cd& c = cd->cd;
  const bool upper = bit(req.addr, 55);
  const std::optional<pt::ArmLpaeFormat>& fmt = upper ? cd->tt1 : cd->tt0;
  if (!fmt) return s1_input_fault();  // 5.4.1: EPDx = 1 -> F_TRANSLATION
  uint64_t va = req.addr;
  if (upper) {
    // The upper range: VA[63:IA] (VA[55:IA] with TBI1) must all be ones; the walk indexes the
    // low IA bits.
    const unsigned ia = fmt->ia_bits();
    const unsigned top = c.tbi1 ? 55 : 63;
    if ((va & mask(top, ia)) != mask(top, ia)) return s1_input_fault();
    va &= mask(ia - 1, 0);
  }
  const uint64_t ttb = upper ? c.ttb1 : c.ttb0;
  pt::WalkStart start;
  start.table = ttb;
  if (from) start = *from;
  pt::WalkOptions s1o;
  s1o.update_ad = c.ha;

  pt::WalkResult w;
  if (!do_s2) {
    w = pt::walk(*fmt, mem, start, va, acc, s1o);
  } else if (s2) {
    w = pt::walk_nested(*fmt, mem, start, va, acc, *s2, s1o);
  } else {
    w = pt::walk_nested(*fmt, mem, start, va, acc,
                        pt::Stage2Walker<pt::ArmLpaeFormat>(*sc.s2, mem, ste.s2ttb, s2o), s1o);
  }
  if (!w.ok()) {
    pt::Fault f = w.fault;
    f.va = req.addr;
    return fail(f, w.log);
  }
  r.outcome = Outcome::kTranslated;
  r.oa = w.tr.oa;
  r.page_lg2 = w.tr.page_lg2;
  r.perms = w.tr.perms;
  r.s1 = true;
  r.s2 = do_s2;
  r.asid = c.asid;
  r.aset = c.aset;
  r.vmid = st.caps.s2p ? ste.s2vmid : 0;
  const uint64_t s1_leaf = do_s2 ? w.s1.leaf : w.tr.leaf;
  r.global = (s1_leaf & pt::ArmLpaeFormat::kNG) == 0;
  r.ipa = do_s2 ? w.s1.oa : 0;
  r.reads.append(w.log);
  return r;
}

TranslateResult translate(const SmmuState& st, PhysMem& mem, const Request& in) {
  TranslateSteps plain;
  return translate(st, mem, in, plain);
}

TranslateResult translate(const SmmuState& st, PhysMem& mem, const Request& in,
                          TranslateSteps& steps) {
  if (auto g = check_global(st, in)) return *g;

  ReadLog log;
  auto finish = [&](TranslateResult r) {
    ReadLog all = log;
    for (const ReadRec& x : r.reads) all.push(x);
    r.reads = all;
    return r;
  };

  const StreamStep ss = steps.stream(st, mem, in, log);
  if (ss.stop) return finish(from_stop(*ss.stop, in));
  const StreamCtx& sc = ss.ctx;
  const Ste& ste = sc.ste;
  const Request req = apply_overrides(in, ste);

  // 5.2 Config 0b0xx: terminate without an event (7.3.7).
  if (ste.abort()) return finish(from_stop(stop(EventType::kNone, req, false), req));

  // ATS (3.9): Translation Requests need EATS; Translated transactions bypass unless
  // CR0.ATSCHK forbids it (7.3.8).
  const Eats eats = ste.effective_eats();
  if (req.ats == AtsType::kTranslationRequest && (!st.caps.ats || eats == Eats::kAbort)) {
    // 7.3.6: the record carries the permissions the request asked for, before the
    // STE.PRIVCFG / INSTCFG overrides.
    return finish(from_stop(stop(EventType::kF_BAD_ATS_TREQ, in), in));
  }
  if (req.ats == AtsType::kTranslated) {
    if (st.atschk && (eats == Eats::kAbort || ste.bypass())) {
      return finish(from_stop(stop(EventType::kF_TRANSL_FORBIDDEN, req), req));
    }
    // Split-stage ATS (EATS = 10): the translated address is an IPA for stage 2.
    if (eats == Eats::kSplit && ste.s2_enabled())
      return finish(steps.walk(st, mem, sc, nullptr, req, nullptr));
    return finish(bypass(req.addr));
  }

  // 5.2 S1Fmt: with stage 1 disabled, including full bypass, a SubstreamID is
  // C_BAD_SUBSTREAMID (select_substream reports it).
  if (ste.bypass() && !req.ssid) return finish(bypass(req.addr));

  const SubstreamStep sub = select_substream(st, sc, req);
  if (sub.stop) return finish(from_stop(*sub.stop, req));
  if (sub.bypass_s1) return finish(steps.walk(st, mem, sc, nullptr, req, nullptr));

  std::optional<Stage2Fn> s2fn;
  if (ste.s2_enabled()) s2fn = steps.stage2(sc, mem);
  const Stage2Fn* s2p = s2fn ? &*s2fn : nullptr;
  const CdStep cs = steps.context(st, mem, sc, sub.cd_index, req, s2p, log);
  if (cs.stop) return finish(from_stop(*cs.stop, req));

  // Split-stage ATS: a Translation Request returns the stage-1 result (an IPA).
  if (req.ats == AtsType::kTranslationRequest && eats == Eats::kSplit) {
    StreamCtx s1only = sc;
    s1only.ste.config = static_cast<uint8_t>(SteConfig::kS1);
    return finish(steps.walk(st, mem, s1only, &cs.ctx, req, nullptr));
  }
  return finish(steps.walk(st, mem, sc, &cs.ctx, req, s2p));
}

}  // namespace isim::smmuv3
