#include "sim/migration_destination.h"

#include <fmt/format.h>

#include <map>

#include "models/amdvi/host_adapter.h"
#include "models/smmuv3/driver.h"
#include "models/vtd/driver.h"
#include "pasid/amd_driver_table.h"
#include "pasid/smmu_driver_table.h"
#include "pasid/vtd_driver_table.h"

namespace isim {
namespace {

/// One driver type `Drv` and its table view `Table` (constructed from the driver and a RID).
template <class Drv, class Table>
class Live : public LiveDestination {
 public:
  explicit Live(std::unique_ptr<host::HostBus> bus) : bus_(std::move(bus)) {}
  pasid::PasidTable& table(uint16_t rid) override {
    auto& t = tables_[rid];
    if (!t) t = std::make_unique<Table>(*drv_, rid);
    return *t;
  }

 protected:
  std::unique_ptr<host::HostBus> bus_;
  std::unique_ptr<Drv> drv_;
  std::map<uint16_t, std::unique_ptr<Table>> tables_;
};

/// VT-d in scalable mode: first-stage binds; each invalidation-queue wait descriptor counts.
class VtdLive final : public Live<vtd::VtdDriver, pasid::VtdDriverTable> {
 public:
  VtdLive(std::unique_ptr<host::HostBus> bus, uint64_t base, uint64_t limit, std::string& why)
      : Live(std::move(bus)) {
    vtd::DriverOptions o;
    o.scalable = true;
    o.table_base = base;
    o.table_limit = limit;
    drv_ = std::make_unique<vtd::VtdDriver>(*bus_, o);
    why = drv_->init();
  }
  unsigned pasid_bits() const override { return drv_->caps().pasid_bits(); }
  uint64_t waits() const override { return drv_->counts().waits; }
  const char* wait_name() const override { return "invalidation"; }
};

/// SMMUv3: SVA binds; every command batch ends with a CMD_SYNC the driver waits for.
class SmmuLive final : public Live<smmuv3::Smmuv3Driver, pasid::SmmuDriverTable> {
 public:
  SmmuLive(std::unique_ptr<host::HostBus> bus, uint64_t base, uint64_t limit, std::string& why)
      : Live(std::move(bus)) {
    smmuv3::DriverOptions o;
    o.pool_base = base;
    o.pool_limit = limit;
    drv_ = std::make_unique<smmuv3::Smmuv3Driver>(*bus_, o);
    why = drv_->init();
  }
  unsigned pasid_bits() const override { return drv_->master_ssid_bits(); }
  uint64_t waits() const override { return drv_->counts().syncs; }
  const char* wait_name() const override { return "CMD_SYNC"; }
};

/// AMD-Vi: GCR3 entries; every command batch ends with a COMPLETION_WAIT the driver polls.
class AmdLive final : public Live<amdvi::AmdviHostAdapter, pasid::AmdDriverTable> {
 public:
  AmdLive(std::unique_ptr<host::HostBus> bus, uint64_t base, uint64_t limit, std::string& why)
      : Live(std::move(bus)) {
    amdvi::AdapterOptions o;
    o.pool_base = base;
    o.pool_limit = limit;
    drv_ = std::make_unique<amdvi::AmdviHostAdapter>(*bus_, o);
    if (drv_->init(&why) != host::Status::ok) return;
    why.clear();
    // SVA needs guest translation (GTSup); without it there is no GCR3 table to program.
    if (!drv_->hw_info().pasid) why = "EFR.GTSup is clear: the unit has no PASIDs";
  }
  unsigned pasid_bits() const override { return drv_->gcr3_pasid_bits(); }
  uint64_t waits() const override { return drv_->adapter_counts().completion_waits; }
  const char* wait_name() const override { return "COMPLETION_WAIT"; }
};

}  // namespace

std::unique_ptr<LiveDestination> make_live_destination(const std::string& name,
                                                       const std::string& type,
                                                       std::unique_ptr<host::HostBus> bus,
                                                       uint64_t pool_base, uint64_t pool_limit,
                                                       std::string& why) {
  why.clear();
  std::unique_ptr<LiveDestination> d;
  if (type == "vtd") {
    d = std::make_unique<VtdLive>(std::move(bus), pool_base, pool_limit, why);
  } else if (type == "smmuv3") {
    d = std::make_unique<SmmuLive>(std::move(bus), pool_base, pool_limit, why);
  } else if (type == "amdvi") {
    d = std::make_unique<AmdLive>(std::move(bus), pool_base, pool_limit, why);
  } else {
    why = fmt::format(
        "program: writes through the host driver of a vtd, smmuv3 or amdvi IOMMU; {} is {}", name,
        type);
    return nullptr;
  }
  if (!why.empty()) {
    why = fmt::format("bringing {} up: {}", name, why);
    return nullptr;
  }
  return d;
}

}  // namespace isim
