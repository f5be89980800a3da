#include "models/vtd/fault_reasons.h"

namespace isim::vtd {

namespace {

struct ReasonInfo {
  FaultReason code;
  const char* name;
  const char* text;
};

// VT-d 7.1.3 fault-condition tables.
constexpr ReasonInfo kReasons[] = {
    {FaultReason::LRT_2, "LRT.2", "root entry present bit clear"},
    {FaultReason::LCT_2, "LCT.2", "context entry present bit clear"},
    {FaultReason::LCT_4, "LCT.4",
     "invalid context entry programming (AW not in SAGAW, TT reserved/unsupported)"},
    {FaultReason::LGN_1, "LGN.1",
     "input address above 2^min(MGAW, AGAW) (or HAW for pass-through)"},
    {FaultReason::LGN_2, "LGN.2", "write (or AtomicOp) without write permission"},
    {FaultReason::LGN_3, "LGN.3", "read (or AtomicOp) without read permission"},
    {FaultReason::LSL_1, "LSL.1", "error accessing a second-stage paging entry"},
    {FaultReason::LRT_1, "LRT.1", "error accessing the root entry (root table address invalid)"},
    {FaultReason::LCT_1, "LCT.1",
     "error accessing the context entry (context table pointer invalid)"},
    {FaultReason::LRT_3, "LRT.3", "non-zero reserved field in a present root entry"},
    {FaultReason::LCT_3, "LCT.3", "non-zero reserved field in a present context entry"},
    {FaultReason::LSL_2, "LSL.2",
     "non-zero reserved field in a second-stage paging entry with R or W set"},
    {FaultReason::LCT_5, "LCT.5",
     "translation request or translated request blocked by context TT"},
    {FaultReason::LGN_4, "LGN.4", "output address in the interrupt address range 0xFEEx_xxxx"},
    {FaultReason::IR_RSVD_REQ, "IR", "reserved field in a remappable interrupt request"},
    {FaultReason::IR_INDEX, "IR", "interrupt index beyond the IRT size"},
    {FaultReason::IR_NOT_PRESENT, "IR", "IRTE present bit clear"},
    {FaultReason::IR_READ_ERROR, "IR", "error accessing an IRTE"},
    {FaultReason::IR_RSVD_IRTE, "IR", "non-zero reserved field in an IRTE"},
    {FaultReason::IR_COMPAT_BLOCKED, "IR", "compatibility-format interrupt blocked"},
    {FaultReason::IR_SID, "IR", "source-ID check failed"},
    {FaultReason::IR_PID_READ, "IR", "error accessing a posted-interrupt descriptor"},
    {FaultReason::IR_PID_RSVD, "IR", "reserved field in a posted-interrupt descriptor"},
    {FaultReason::IR_NO_PASID, "IR", "interrupt request with PASID"},
    {FaultReason::RTA_1, "RTA.1", "invalid root-table address / TTM programming"},
    {FaultReason::RTA_2, "RTA.2", "legacy mode (TTM=00b) and a request-with-PASID"},
    {FaultReason::RTA_3, "RTA.3", "legacy mode and a page request"},
    {FaultReason::RTA_4, "RTA.4",
     "(RTA.4) listed for completeness; not produced by this translator"},
    {FaultReason::SRT_1, "SRT.1", "error accessing a scalable-mode root entry"},
    {FaultReason::SRT_2, "SRT.2", "root entry LP/UP clear"},
    {FaultReason::SRT_3, "SRT.3", "non-zero reserved field in a scalable-mode root entry"},
    {FaultReason::SCT_1, "SCT.1", "error accessing a scalable-mode context entry"},
    {FaultReason::SCT_2, "SCT.2", "context entry P clear"},
    {FaultReason::SCT_3, "SCT.3", "non-zero reserved field in a context entry"},
    {FaultReason::SCT_4, "SCT.4", "invalid context entry programming"},
    {FaultReason::SCT_5, "SCT.5", "translation (or translated) request with DTE clear"},
    {FaultReason::SCT_6, "SCT.6", "request-with-PASID with PASIDE clear"},
    {FaultReason::SCT_7, "SCT.7", "PASID beyond the directory size PDTS allows"},
    {FaultReason::SCT_8, "SCT.8", "page request with PRE clear"},
    {FaultReason::SCT_9, "SCT.9", "RID_PASID field error"},
    {FaultReason::SPD_1, "SPD.1", "error accessing a PASID directory entry"},
    {FaultReason::SPD_2, "SPD.2", "PASID directory entry P clear"},
    {FaultReason::SPD_3, "SPD.3", "non-zero reserved field in a PASID directory entry"},
    {FaultReason::SPT_1, "SPT.1", "error accessing a PASID table entry"},
    {FaultReason::SPT_2, "SPT.2", "PASID table entry P clear"},
    {FaultReason::SPT_3, "SPT.3", "non-zero reserved field in a PASID table entry"},
    {FaultReason::SPT_4, "SPT.4",
     "invalid PASID table entry programming (PGTT, AW, FSPM unsupported)"},
    {FaultReason::SPT_5, "SPT.5", "execute request with ERE clear"},
    {FaultReason::SPT_6, "SPT.6", "supervisor request with SRE clear"},
    {FaultReason::SFL_1, "SFL.1", "error accessing a first-stage paging entry"},
    {FaultReason::SFL_2, "SFL.2", "first-stage entry P clear"},
    {FaultReason::SFL_3, "SFL.3", "non-zero reserved field in a first-stage entry"},
    {FaultReason::SFL_4, "SFL.4",
     "error accessing the FS-PML5E/FS-PML4E (first-stage pointer invalid)"},
    {FaultReason::SFL_5, "SFL.5", "nested: first-stage table address beyond MGAW/AW of stage 2"},
    {FaultReason::SFL_6, "SFL.6",
     "nested: no stage-2 read permission on the FS-PML5E/FS-PML4E table"},
    {FaultReason::SFL_7, "SFL.7", "nested: no stage-2 read permission on a first-stage table"},
    {FaultReason::SFL_8, "SFL.8",
     "nested: no stage-2 write permission for a first-stage A/D update"},
    {FaultReason::SSL_1, "SSL.1", "error accessing a second-stage paging entry"},
    {FaultReason::SSL_2, "SSL.2", "second-stage entry with R=W=0 met during the walk"},
    {FaultReason::SSL_3, "SSL.3", "non-zero reserved field in a second-stage entry"},
    {FaultReason::SSL_4, "SSL.4",
     "invalid second-stage page-table pointer (root table not accessible)"},
    {FaultReason::SSL_5, "SSL.5", "second-stage A/D update needed with a non-snooped walk"},
    {FaultReason::SGN_1, "SGN.1", "input address not canonical (first stage)"},
    {FaultReason::SGN_2, "SGN.2", "user request to a first-stage supervisor page (U/S=0)"},
    {FaultReason::SGN_3, "SGN.3", "execute request without execute permission"},
    {FaultReason::SGN_4, "SGN.4", "input address beyond the hardware / AW limit"},
    {FaultReason::SGN_5, "SGN.5", "second-stage output address beyond HAW"},
    {FaultReason::SGN_6, "SGN.6", "write (or AtomicOp) without write permission"},
    {FaultReason::SGN_7, "SGN.7", "read (or AtomicOp) without read permission"},
    {FaultReason::SGN_8, "SGN.8", "output address in the interrupt address range"},
    {FaultReason::SFL_9, "SFL.9", "first-stage A/D update needed with a non-snooped walk"},
    {FaultReason::SFL_10, "SFL.10", "first-stage A/D update failed"},
};

const ReasonInfo* find(FaultReason r) {
  for (const ReasonInfo& i : kReasons)
    if (i.code == r) return &i;
  return nullptr;
}

}  // namespace

const char* spec_name(FaultReason r) {
  if (r == FaultReason::None) return "none";
  const ReasonInfo* i = find(r);
  return i ? i->name : "?";
}

const char* describe(FaultReason r) {
  if (r == FaultReason::None) return "no fault";
  const ReasonInfo* i = find(r);
  return i ? i->text : "unknown fault reason";
}

}  // namespace isim::vtd
