// The VT-d model's invalidations: the cache operations every invalidation request maps to
// (6.5.1 register-based, 6.5.2 queued) and the invalidation queue engine (6.5.2, 11.4.10).
#include <array>

#include "hw/sc_time_util.h"
#include "models/vtd/vtd_iommu.h"
#include "models/vtd/vtd_stats.h"

namespace isim {

using namespace vtd;

namespace {

constexpr uint64_t bitv(unsigned b) {
  return uint64_t{1} << b;
}

/// Whether a cached page [base, base + 2^lg2) overlaps [lo, lo + 2^range_lg2).
bool overlaps(uint64_t base, unsigned lg2, uint64_t lo, unsigned range_lg2) {
  const uint64_t end = lg2 >= 64 ? ~uint64_t{0} : base + lg2_size(lg2) - 1;
  const uint64_t last = range_lg2 >= 64 ? ~uint64_t{0} : lo + lg2_size(range_lg2) - 1;
  return base <= last && lo <= end;
}

/// 6.5.2.1 / 11.4.7 FM: which low SID bits (the function number) a device-selective
/// invalidation ignores.
constexpr uint16_t function_mask(unsigned fm) {
  return fm == 0 ? 0 : fm == 1 ? 0b100 : fm == 2 ? 0b110 : 0b111;
}

}  // namespace

// --- Cache operations ----------------------------------------------------------------------

void VtdIommu::invalidate_all_caches() {
  ctx_cache_.invalidate_all();
  pasid_cache_.invalidate_all();
  iotlb_.invalidate_all();
  ss_psc_.invalidate_all();
  fs_psc_.invalidate_all();
  nested_s2_.cache().invalidate_all();
}

void VtdIommu::inv_context(CcGran g, uint16_t did, uint16_t sid, unsigned fm) {
  // PASID-cache entries hang off the context entry (its PASID directory pointer): they go with
  // it. Invalidating more than asked is always allowed (6.5).
  switch (g) {
    case CcGran::Global:
      ++st_->cc_global;
      ctx_cache_.invalidate_all();
      pasid_cache_.invalidate_all();
      return;
    case CcGran::Domain:
      // Scalable-mode context entries carry no DID: domain-selective drops them all.
      ++st_->cc_domain;
      ctx_cache_.invalidate_if([&](const ContextKey&, const DeviceContext& c) {
        return c.scalable || c.legacy.did == did;
      });
      pasid_cache_.invalidate_if(
          [&](const PasidKey&, const PasidContext& p) { return p.entry.did == did; });
      return;
    case CcGran::Device: {
      ++st_->cc_device;
      const uint16_t m = static_cast<uint16_t>(~function_mask(fm));
      ctx_cache_.invalidate_if(
          [&](const ContextKey& k, const DeviceContext&) { return (k.sid & m) == (sid & m); });
      pasid_cache_.invalidate_if(
          [&](const PasidKey& k, const PasidContext&) { return (k.sid & m) == (sid & m); });
      return;
    }
  }
}

void VtdIommu::inv_iotlb(IotlbGran g, uint16_t did, uint64_t addr, unsigned am, bool ih) {
  switch (g) {
    case IotlbGran::Global:
      ++st_->iotlb_global;
      iotlb_.invalidate_all();
      ss_psc_.invalidate_all();
      fs_psc_.invalidate_all();
      nested_s2_.cache().invalidate_all();
      return;
    case IotlbGran::Domain: {
      ++st_->iotlb_domain;
      iotlb_.invalidate_if([&](const IotlbKey& k, const IotlbEntry&) { return k.tag.did == did; });
      auto psc = [&](const PscKey& k, const PscEntry&) { return k.tag.space.did == did; };
      ss_psc_.invalidate_if(psc);
      fs_psc_.invalidate_if(psc);
      nested_s2_.cache().invalidate_if(
          [&](const NestedPointerCache::Key& k, const NestedS2Entry&) { return k.tag == did; });
      return;
    }
    case IotlbGran::Page: {
      // 6.5.2.3: 2^AM pages at ADDR (naturally aligned); IH keeps the paging-structure caches.
      ++st_->iotlb_page;
      const unsigned lg2 = 12 + am;
      const uint64_t lo = align_down(addr, lg2);
      iotlb_.invalidate_if([&](const IotlbKey& k, const IotlbEntry&) {
        return k.tag.did == did && overlaps(k.base(), k.page_lg2, lo, lg2);
      });
      // For nested domains the range is guest-physical: second-stage translations of table
      // pointers in it go too (they are leaf translations of the second stage).
      nested_s2_.cache().invalidate_if([&](const NestedPointerCache::Key& k, const NestedS2Entry&) {
        return k.tag == did && overlaps(k.base(), k.page_lg2, lo, lg2);
      });
      if (!ih) {
        auto psc = [&](const PscKey& k, const PscEntry&) {
          return k.tag.space.did == did && overlaps(k.base(), k.page_lg2, lo, lg2);
        };
        ss_psc_.invalidate_if(psc);
        fs_psc_.invalidate_if(psc);
      }
      return;
    }
  }
}

void VtdIommu::inv_pasid_iotlb(PiotlbGran g, uint16_t did, uint32_t pasid, uint64_t addr,
                               unsigned am, bool ih) {
  auto same = [&](const SpaceTag& t) { return t.did == did && t.pasid_valid && t.pasid == pasid; };
  if (g == PiotlbGran::Pasid) {
    ++st_->piotlb_pasid;
    iotlb_.invalidate_if([&](const IotlbKey& k, const IotlbEntry&) { return same(k.tag); });
    auto psc = [&](const PscKey& k, const PscEntry&) { return same(k.tag.space); };
    ss_psc_.invalidate_if(psc);
    fs_psc_.invalidate_if(psc);
    return;
  }
  ++st_->piotlb_page;
  const unsigned lg2 = 12 + am;
  const uint64_t lo = align_down(addr, lg2);
  iotlb_.invalidate_if([&](const IotlbKey& k, const IotlbEntry&) {
    return same(k.tag) && overlaps(k.base(), k.page_lg2, lo, lg2);
  });
  if (!ih) {
    auto psc = [&](const PscKey& k, const PscEntry&) {
      return same(k.tag.space) && overlaps(k.base(), k.page_lg2, lo, lg2);
    };
    ss_psc_.invalidate_if(psc);
    fs_psc_.invalidate_if(psc);
  }
}

void VtdIommu::inv_pasid_cache(PcGran g, uint16_t did, uint32_t pasid) {
  switch (g) {
    case PcGran::Domain:
      ++st_->pc_domain;
      pasid_cache_.invalidate_if(
          [&](const PasidKey&, const PasidContext& p) { return p.entry.did == did; });
      return;
    case PcGran::Pasid:
      ++st_->pc_pasid;
      pasid_cache_.invalidate_if([&](const PasidKey& k, const PasidContext& p) {
        return p.entry.did == did && k.pasid == pasid;
      });
      return;
    case PcGran::Global:
      ++st_->pc_global;
      pasid_cache_.invalidate_all();
      return;
  }
}

// --- Invalidation queue (6.5.2, 11.4.10) -----------------------------------------------------

void VtdIommu::on_iqt(const RegWrite& w) {
  sc_core::sc_time& delay = *mmio_delay_;
  const uint64_t tail = w.new_value & mask(iq::kHeadHi, iq::kHeadLo);
  const uint64_t iqa = bank_.get(ids_.iqa);
  // 6.5.2.10: with 256-bit descriptors IQT bit 4 must be clear (IQEI 6); a tail beyond the
  // queue is IQEI 1.
  if (bit(iqa, iq::kDW) && bit(tail, 4)) {
    iq_error(Iqei::TailMisaligned, delay);
    return;
  }
  const uint64_t size = uint64_t{4096} << bits(iqa, iq::kQsHi, iq::kQsLo);
  if (tail >= size) {
    iq_error(Iqei::InvalidTail, delay);
    return;
  }
  iq_ev_.notify(delay);
}

void VtdIommu::iq_error(Iqei e, sc_core::sc_time& delay) {
  // 6.5.2.10: the queue stops with IQH at the offending descriptor; FSTS.IQE and IQERCD.IQEI
  // say why; a fault event follows.
  ++st_->queue_errors;
  bank_.update(ids_.iqercd, mask(3, 0), static_cast<uint64_t>(e));
  const uint64_t fsts = bank_.get(ids_.fsts);
  if (bit(fsts, fsts::kIQE)) return;
  bank_.set(ids_.fsts, fsts | bitv(fsts::kIQE));
  fault_event(delay);
}

void VtdIommu::iq_thread() {
  std::array<uint64_t, 4> qw{};
  for (;;) {
    sc_core::wait(iq_ev_);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    for (;;) {
      const uint64_t gsts = bank_.get(ids_.gsts);
      if (!bit(gsts, gcmd::kQIE) || bit(bank_.get(ids_.fsts), fsts::kIQE)) break;
      const uint64_t iqa = bank_.get(ids_.iqa);
      const uint64_t head = bank_.get(ids_.iqh) & mask(iq::kHeadHi, iq::kHeadLo);
      const uint64_t tail = bank_.get(ids_.iqt) & mask(iq::kHeadHi, iq::kHeadLo);
      if (head == tail) break;
      const bool dw = bit(iqa, iq::kDW);
      const uint64_t size = uint64_t{4096} << bits(iqa, iq::kQsHi, iq::kQsLo);
      const unsigned esz = dw ? 32 : 16;
      // 6.5.2.10: 256-bit descriptors need scalable-mode (or abort-DMA) support (IQEI 5);
      // in scalable mode descriptors must be 256-bit (IQEI 7, invalid TTM for the width).
      if (dw && !p_.caps.smts && !p_.caps.adms) {
        iq_error(Iqei::InvalidWidth, delay);
        break;
      }
      if (!dw && scalable()) {
        iq_error(Iqei::InvalidTtm, delay);
        break;
      }
      if (tail >= size) {
        iq_error(Iqei::InvalidTail, delay);
        break;
      }
      // Fetch through the bus: the descriptor read costs memory time like any other.
      qw.fill(0);
      if (!bus_read((iqa & mask(63, 12)) + head, qw.data(), esz, delay)) {
        iq_error(Iqei::FetchError, delay);
        break;
      }
      const InvDecode dec =
          decode_inv_descriptor(std::span<const uint64_t>(qw.data(), esz / 8), p_.caps);
      if (!dec.ok()) {
        iq_error(dec.error, delay);
        break;
      }
      ++st_->descriptors;
      // Descriptors complete in order, each after its fetch and its cost: an invalidation
      // takes effect when it completes, a wait acts after everything before it, and the head
      // moves past a descriptor as it completes.
      sc_core::wait(delay + from_ticks(lat(p_.desc_fetch) + cost_of(dec.d)));
      delay = sc_core::SC_ZERO_TIME;
      // A device-TLB invalidation completes when the device's completion message arrives.
      const Tick done = execute(dec.d, delay);
      const Tick now = to_ticks(sc_core::sc_time_stamp());
      if (done > now) {
        sc_core::wait(from_ticks(done - now));
        delay = sc_core::SC_ZERO_TIME;
      }
      bank_.set(ids_.iqh, (head + esz) % size);
      if (delay != sc_core::SC_ZERO_TIME) {
        sc_core::wait(delay);
        delay = sc_core::SC_ZERO_TIME;
      }
    }
  }
}

Tick VtdIommu::cost_of(const InvDescriptor& d) const {
  switch (d.type) {
    case InvType::ContextCache:
    case InvType::PasidCache:
    case InvType::InterruptEntry:
      return lat(p_.inv_context);
    case InvType::Iotlb:
    case InvType::PasidIotlb:
      return lat(p_.inv_iotlb);
    case InvType::DeviceTlb:
    case InvType::PasidDeviceTlb:
      return lat(p_.inv_device_tlb);
    case InvType::PageGroupResponse:
      return lat(p_.page_response);
    case InvType::Wait:
      return lat(p_.inv_wait);
  }
  return 0;
}

Tick VtdIommu::execute(const InvDescriptor& d, sc_core::sc_time& delay) {
  const Tick now = to_ticks(sc_core::sc_time_stamp()) + to_ticks(delay);
  switch (d.type) {
    case InvType::ContextCache:
      inv_context(static_cast<CcGran>(d.gran), d.did, d.sid, d.fm);
      return 0;
    case InvType::Iotlb: {
      IotlbGran g = static_cast<IotlbGran>(d.gran);
      if (g == IotlbGran::Page && (!p_.caps.psi || d.am > p_.caps.mamv)) g = IotlbGran::Domain;
      inv_iotlb(g, d.did, d.addr, d.am, d.ih);
      return 0;
    }
    case InvType::PasidIotlb:
      inv_pasid_iotlb(static_cast<PiotlbGran>(d.gran), d.did, d.pasid, d.addr, d.am, d.ih);
      return 0;
    case InvType::PasidCache:
      inv_pasid_cache(static_cast<PcGran>(d.gran), d.did, d.pasid);
      return 0;
    case InvType::DeviceTlb:
    case InvType::PasidDeviceTlb: {
      // 6.5.2.5 / 6.5.2.6: an ATS Invalidate Request to the function (PCIe 10.3); the
      // descriptor completes with the function's Invalidate Completion.
      const bool with_pasid = d.type == InvType::PasidDeviceTlb;
      ++(with_pasid ? st_->pasid_dev_tlb : st_->dev_tlb);
      const AtsRange range = ats_inv_range(d.addr, d.size);
      AtsInvalidation inv;
      inv.rid = d.sid;
      inv.has_pasid = with_pasid;
      inv.pasid = d.pasid;
      inv.global = with_pasid && d.global;
      inv.addr = range.base;
      inv.size_lg2 = range.lg2;
      PcieEndpoint* ep = endpoint(d.sid);
      if (!ep) return 0;  // nothing behind that requester ID: no completion to wait for
      ++st_->ats_sent;
      return ep->ats_invalidate(inv, now);
    }
    case InvType::InterruptEntry:
      ++st_->iec;
      return 0;
    case InvType::PageGroupResponse:
      // 7.7.1: forwarded to the function as a PRG Response (PCIe 10.4.2).
      ++st_->page_responses;
      send_page_response(d.sid, d.pp, d.pasid, static_cast<uint16_t>(d.prgi),
                         static_cast<PrgResponseCode>(d.resp_code), now);
      return 0;
    case InvType::Wait: {
      // 6.5.2.8: everything before this descriptor has completed (the queue runs in order and
      // waited for each); FN additionally holds later descriptors, which in-order processing
      // already does. SW writes STDATA to STADDR; IF sets ICS.IWC and signals IECTL.
      ++st_->waits;
      if (d.sw) write32(d.addr, d.stdata, delay);
      if (d.if_) {
        const uint64_t ics = bank_.get(ids_.ics);
        if (!bit(ics, iq::kIWC)) {
          bank_.set(ids_.ics, ics | bitv(iq::kIWC));
          invalidation_event(delay);
        }
      }
      return 0;
    }
  }
  return 0;
}

}  // namespace isim
