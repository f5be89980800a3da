// One explicit instantiation of Builder per format in this library. A new format adds its line
// here (or instantiates Builder<NewFormat> in its own .cpp by including builder_impl.h).
#include "pagetable/builder_impl.h"
#include "pagetable/fmt/amd_v1.h"
#include "pagetable/fmt/vtd_ss.h"
#include "pagetable/fmt/x86_64.h"

namespace isim::pt {

template class Builder<X86Format>;
template class Builder<VtdSsFormat>;
template class Builder<AmdV1Format>;

}  // namespace isim::pt
