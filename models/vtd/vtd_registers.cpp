// The VT-d model's register behaviour (chapter 11): GCMD/GSTS commands with their latency,
// register-based invalidation (CCMD, IOTLB/IVA), fault and invalidation event control.
#include "hw/reg_bank_tlm.h"
#include "hw/sc_time_util.h"
#include "models/vtd/vtd_iommu.h"
#include "models/vtd/vtd_stats.h"

namespace isim {

using namespace vtd;

namespace {

constexpr uint64_t bitv(unsigned b) {
  return uint64_t{1} << b;
}

/// 11.4.9.2: FECTL.IP clears once software has serviced every condition it reported.
constexpr uint64_t kFaultConditions =
    bitv(fsts::kPFO) | bitv(fsts::kPPF) | bitv(fsts::kIQE) | bitv(fsts::kICE) | bitv(fsts::kITE);

}  // namespace

void VtdIommu::mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  mmio_delay_ = &delay;
  serve_register_access(bank_, tx);
  mmio_delay_ = nullptr;
}

void VtdIommu::attach_hooks() {
  bank_.on_write(ids_.gcmd, [this](const RegWrite& w) { on_gcmd(w); });

  // 11.4.7: ICC set starts a context-cache invalidation; ICC reads 1 until it is done.
  bank_.on_write(ids_.ccmd, [this](const RegWrite& w) {
    if (w.rose(ccmd::kICC)) ccmd_ev_.notify(*mmio_delay_ + from_ticks(lat(p_.reg_invalidation)));
  });
  // 11.4.8.1: IVT set starts an IOTLB invalidation (IVA holds the page-selective operands).
  bank_.on_write(ids_.iotlb, [this](const RegWrite& w) {
    if (w.rose(iotlb_reg::kIVT))
      iotlb_ev_.notify(*mmio_delay_ + from_ticks(lat(p_.reg_invalidation)));
  });

  // Fault status and records: software clears F / PFO / IQE by writing 1.
  auto fault_status_changed = [this] {
    faults_.refresh_ppf();
    if (!(bank_.get(ids_.fsts) & kFaultConditions)) bank_.update(ids_.fectl, bitv(ectl::kIP), 0);
  };
  bank_.on_write(ids_.fsts, [this, fault_status_changed](const RegWrite& w) {
    fault_status_changed();
    // 6.5.2.10: clearing IQE lets the queue resume at IQH (software has fixed the descriptor).
    if (w.fell(fsts::kIQE)) iq_ev_.notify(*mmio_delay_);
  });
  for (unsigned i = 0; i < ids_.num_frcd; ++i) {
    bank_.on_write(ids_.frcd_first + 2 * i + 1,
                   [fault_status_changed](const RegWrite&) { fault_status_changed(); });
  }
  // 11.4.9.2: unmasking with IP set delivers the pending message.
  bank_.on_write(ids_.fectl, [this](const RegWrite& w) {
    if (w.fell(ectl::kIM) && bit(bank_.get(ids_.fectl), ectl::kIP)) {
      bank_.update(ids_.fectl, bitv(ectl::kIP), 0);
      ++st_->fault_events;
      send_msi(ids_.fedata, ids_.feaddr, ids_.feuaddr, *mmio_delay_);
    }
  });

  if (p_.caps.prs) {
    // 11.4.11.4-5: PECTL.IP clears once PPR and PRO are both clear; unmasking with IP set
    // delivers the pending message.
    bank_.on_write(ids_.prs, [this](const RegWrite&) {
      if (!(bank_.get(ids_.prs) & (bitv(pq::kPPR) | bitv(pq::kPRO))))
        bank_.update(ids_.pectl, bitv(ectl::kIP), 0);
    });
    bank_.on_write(ids_.pectl, [this](const RegWrite& w) {
      if (w.fell(ectl::kIM) && bit(bank_.get(ids_.pectl), ectl::kIP)) {
        bank_.update(ids_.pectl, bitv(ectl::kIP), 0);
        ++st_->prq_events;
        send_msi(ids_.pedata, ids_.peaddr, ids_.peuaddr, *mmio_delay_);
      }
    });
  }
  if (p_.caps.qi) {
    bank_.on_write(ids_.iqt, [this](const RegWrite& w) { on_iqt(w); });
    bank_.on_write(ids_.ics, [this](const RegWrite& w) {
      if (w.fell(iq::kIWC)) bank_.update(ids_.iectl, bitv(ectl::kIP), 0);
    });
    bank_.on_write(ids_.iectl, [this](const RegWrite& w) {
      if (w.fell(ectl::kIM) && bit(bank_.get(ids_.iectl), ectl::kIP)) {
        bank_.update(ids_.iectl, bitv(ectl::kIP), 0);
        ++st_->inv_events;
        send_msi(ids_.iedata, ids_.ieaddr, ids_.ieuaddr, *mmio_delay_);
      }
    });
  }
}

// --- GCMD / GSTS (11.4.4, 11.4.5) ------------------------------------------------------------

void VtdIommu::on_gcmd(const RegWrite& w) {
  const uint32_t cmd = static_cast<uint32_t>(w.new_value);
  // A command written before the previous one was acknowledged takes effect first (drivers
  // wait for GSTS between commands, so this only orders misbehaving software deterministically).
  if (gcmd_pending_valid_) {
    gcmd_ev_.cancel();
    gcmd_done();
  }
  gcmd_pending_ = cmd;
  gcmd_pending_valid_ = true;
  // One-shot commands show "in progress" at once: RTPS clears on SRTP, WBFS is set while the
  // flush runs (only with CAP.RWBF; otherwise WBF is ignored).
  uint64_t gsts = bank_.get(ids_.gsts);
  if (bit(cmd, gcmd::kSRTP)) gsts &= ~bitv(gcmd::kSRTP);
  if (bit(cmd, gcmd::kWBF) && p_.caps.rwbf) gsts |= bitv(gcmd::kWBF);
  bank_.set(ids_.gsts, gsts);
  gcmd_ev_.notify(*mmio_delay_ + from_ticks(lat(p_.command)));
}

void VtdIommu::gcmd_done() {
  if (!gcmd_pending_valid_) return;
  gcmd_pending_valid_ = false;
  const uint32_t cmd = gcmd_pending_;
  uint64_t gsts = bank_.get(ids_.gsts);
  if (bit(cmd, gcmd::kSRTP)) {
    // 11.4.4 SRTP: latch RTADDR; with CAP.ESRTPS the caches are invalidated too.
    rtaddr_ = bank_.get(ids_.rtaddr);
    if (p_.caps.esrtps) invalidate_all_caches();
    gsts |= bitv(gcmd::kSRTP);
  }
  if (bit(cmd, gcmd::kWBF)) gsts &= ~bitv(gcmd::kWBF);
  const bool te = bit(cmd, gcmd::kTE);
  if (te != te_) {
    te_ = te;
    gsts = set_bit(gsts, gcmd::kTE, te);
    // 7.2.1: the fault recording index resets with translation (and IR) disabled.
    if (!te) faults_.reset_index();
  }
  if (p_.caps.qi) {
    const bool qie = bit(cmd, gcmd::kQIE);
    if (qie != bit(gsts, gcmd::kQIE)) {
      gsts = set_bit(gsts, gcmd::kQIE, qie);
      // 11.4.4 QIE: disabling resets the queue head.
      if (!qie) bank_.set(ids_.iqh, 0);
    }
    if (qie) iq_ev_.notify(sc_core::SC_ZERO_TIME);
  }
  bank_.set(ids_.gsts, gsts);
}

// --- Register-based invalidation (6.5.1, 11.4.7, 11.4.8) -------------------------------------

bool VtdIommu::register_invalidation_allowed() const {
  // 6.5: register-based invalidation is for legacy mode with queued invalidation disabled.
  const bool qies = p_.caps.qi && bit(bank_.get(ids_.gsts), gcmd::kQIE);
  return !qies && !scalable();
}

void VtdIommu::ccmd_done() {
  uint64_t v = bank_.get(ids_.ccmd);
  if (!bit(v, ccmd::kICC)) return;
  const unsigned cirg = static_cast<unsigned>(bits(v, ccmd::kCirgHi, ccmd::kCirgLo));
  unsigned caig = 0;
  if (cirg != 0 && register_invalidation_allowed()) {
    const auto did = static_cast<uint16_t>(bits(v, ccmd::kDidHi, ccmd::kDidLo));
    const auto sid = static_cast<uint16_t>(bits(v, ccmd::kSidHi, ccmd::kSidLo));
    const auto fm = static_cast<unsigned>(bits(v, ccmd::kFmHi, ccmd::kFmLo));
    inv_context(static_cast<CcGran>(cirg), did, sid, fm);
    caig = cirg;
  } else {
    ++st_->reg_rejected;
  }
  v = set_bits(v, ccmd::kCaigHi, ccmd::kCaigLo, caig);
  bank_.set(ids_.ccmd, v & ~bitv(ccmd::kICC));
}

void VtdIommu::iotlb_reg_done() {
  uint64_t v = bank_.get(ids_.iotlb);
  if (!bit(v, iotlb_reg::kIVT)) return;
  const unsigned iirg = static_cast<unsigned>(bits(v, iotlb_reg::kIirgHi, iotlb_reg::kIirgLo));
  unsigned iaig = 0;
  if (iirg != 0 && register_invalidation_allowed()) {
    const auto did = static_cast<uint16_t>(bits(v, iotlb_reg::kDidHi, iotlb_reg::kDidLo));
    const uint64_t iva = bank_.get(ids_.iva);
    const unsigned am = static_cast<unsigned>(bits(iva, iva_reg::kAmHi, iva_reg::kAmLo));
    IotlbGran g = static_cast<IotlbGran>(iirg);
    // 11.4.8.1 IAIG: without PSI (or with AM beyond MAMV) the unit may invalidate the whole
    // domain instead, and says so.
    if (g == IotlbGran::Page && (!p_.caps.psi || am > p_.caps.mamv)) g = IotlbGran::Domain;
    inv_iotlb(g, did, iva & mask(63, 12), am, bit(iva, iva_reg::kIH));
    iaig = static_cast<unsigned>(g);
  } else {
    ++st_->reg_rejected;
  }
  v = set_bits(v, iotlb_reg::kIaigHi, iotlb_reg::kIaigLo, iaig);
  bank_.set(ids_.iotlb, v & ~bitv(iotlb_reg::kIVT));
}

}  // namespace isim
