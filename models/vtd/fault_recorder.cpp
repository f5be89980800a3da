#include "models/vtd/fault_recorder.h"

namespace isim::vtd {

namespace {

constexpr uint64_t bitv(unsigned b) {
  return uint64_t{1} << b;
}

/// 11.4.9.4 T2/T1 for the request that faulted.
void request_type(const Fault& f, bool& t2, bool& t1) {
  if (f.page_request) {
    t2 = true;
    t1 = false;
    return;
  }
  const bool atomic = f.read && f.write;
  t1 = f.read || atomic || f.at == AtsType::TranslationRequest;
  t2 = atomic;
}

}  // namespace

Qw2 encode_frcd(const Fault& f) {
  bool t2 = false, t1 = false;
  request_type(f, t2, t1);
  uint64_t hi = f.sid;
  hi |= t2 ? bitv(frcd::kT2) : 0;
  hi |= f.priv ? bitv(frcd::kPRIV) : 0;
  hi |= f.exe ? bitv(frcd::kEXE) : 0;
  hi |= f.pasid_present ? bitv(frcd::kPP) : 0;
  hi = set_bits(hi, frcd::kFrHi, frcd::kFrLo, static_cast<uint8_t>(f.reason));
  hi = set_bits(hi, frcd::kPvHi, frcd::kPvLo, f.pasid_present ? f.pasid : 0);
  hi = set_bits(hi, frcd::kAtHi, frcd::kAtLo, static_cast<uint8_t>(f.at));
  hi |= t1 ? bitv(frcd::kT1) : 0;
  hi |= bitv(frcd::kF);
  return {f.addr & mask(63, 12), hi};
}

bool FaultRecorder::pending(unsigned i) const {
  return bit(bank_->get(ids_.frcd_first + 2 * i + 1), frcd::kF);
}

FaultRecorder::Outcome FaultRecorder::record(const Fault& f) {
  const uint64_t fsts = bank_->get(ids_.fsts);
  if (bit(fsts, fsts::kPFO)) return Outcome::Dropped;
  if (ids_.num_frcd == 0 || pending(index_)) {
    bank_->set(ids_.fsts, fsts | bitv(fsts::kPFO));
    return Outcome::Overflow;
  }
  const Qw2 rec = encode_frcd(f);
  bank_->set(ids_.frcd_first + 2 * index_, rec[0]);
  bank_->set(ids_.frcd_first + 2 * index_ + 1, rec[1]);
  Outcome out = Outcome::Recorded;
  if (!bit(fsts, fsts::kPPF)) {
    uint64_t v = set_bits(fsts, fsts::kFriHi, fsts::kFriLo, index_);
    bank_->set(ids_.fsts, v | bitv(fsts::kPPF));
    out = Outcome::RecordedEvent;
  }
  index_ = (index_ + 1) % ids_.num_frcd;
  return out;
}

void FaultRecorder::refresh_ppf() {
  bool any = false;
  for (unsigned i = 0; i < ids_.num_frcd && !any; ++i) any = pending(i);
  const uint64_t fsts = bank_->get(ids_.fsts);
  bank_->set(ids_.fsts, any ? fsts | bitv(fsts::kPPF) : fsts & ~bitv(fsts::kPPF));
}

}  // namespace isim::vtd
