// isim_bench_iommu: translated DMA requests per second of host time through one IOMMU model,
// with the tables programmed the way software would (the model's host driver where one exists,
// else the architected structures written to memory and the unit enabled through its
// registers), then a closed-loop generator reading 64 B at random. One process makes one
// measurement (the SystemC kernel cannot be restarted) and prints it as a JSON object.
//
// Usage: isim_bench_iommu <model> <case> [count]
//   model  none | vtd | amdvi | smmuv3 | tce
//   case   hit     every request hits the IOTLB (a footprint of a few pages)
//          miss    every request misses and walks the full table (caches disabled)
//          nested  as miss, through a nested (2D) translation
//          ats     an ATS function whose device TLB is warm (translated requests)
//          map     memory: a 1 GiB footprint mapped with 4 KiB pages, then random reads over it
//   count  requests the generator issues (default 2000000)
// Exit status 3 means the case is not available on this model (the JSON says why).
#include <fmt/format.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <systemc>

#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"
#include "hw/stats/stats.h"
#include "models/amdvi/host_adapter.h"
#include "models/vtd/host_adapter.h"
#include "pagetable/builder.h"
#include "sim/platform.h"
#include "sim/platform_config.h"

namespace {

using namespace isim;

constexpr uint16_t kRid = 0x20;                // < 256: in SMMUv3's linear stream table
constexpr uint64_t kIova = uint64_t{1} << 30;  // DMA addresses start here (IOVA == PA)
constexpr uint64_t kPage = 4096;
// TCE: the guest maps its first 128 MiB through a DDW of 4 KiB TCEs at start (host time the
// figure includes, so kept small) and DMAs to a buffer inside it.
constexpr uint64_t kTceBuffer = uint64_t{16} << 20;
constexpr uint64_t kHitFootprint = uint64_t{16} << 12;  // 16 pages: far below any IOTLB
constexpr uint64_t kMissFootprint = uint64_t{64} << 20;
constexpr uint64_t kMapFootprint = uint64_t{1} << 30;
constexpr uint64_t kPool = uint64_t{3} << 30;  // driver / table memory
constexpr uint64_t kPoolSize = uint64_t{256} << 20;
constexpr uint64_t kGuestTables = kPool + kPoolSize;  // nested: stage-1 tables (GPA == PA)
constexpr uint64_t kGuestTablesSize = uint64_t{4} << 20;
constexpr uint64_t kMmioCost = 300'000;       // ps per register access (as dma-api's default)
constexpr const char* kStart = "5ms";         // first DMA: set-up is done by then
constexpr uint64_t kStartPs = 5'000'000'000;  // the same, in ps

// SMMUv3 set-up (IHI 0070): linear stream table of 256 STEs, queues, one CD.
constexpr uint64_t kStrtab = 0x100000;
constexpr uint64_t kCmdq = 0x200000;
constexpr uint64_t kEvtq = 0x210000;
constexpr uint64_t kCd = 0x220000;

struct Args {
  std::string model;
  std::string kind;
  uint64_t count = 2'000'000;
};

[[noreturn]] void usage() {
  throw std::invalid_argument(
      "usage: isim_bench_iommu none|vtd|amdvi|smmuv3|tce hit|miss|nested|ats|map [count]");
}

Args parse_args(int argc, char* argv[]) {
  if (argc < 3) usage();
  Args a{argv[1], argv[2]};
  if (argc > 3) a.count = std::stoull(argv[3]);
  return a;
}

uint64_t footprint(const Args& a) {
  if (a.kind == "hit" || a.kind == "ats") return kHitFootprint;
  if (a.kind == "map") return kMapFootprint;
  return kMissFootprint;
}

/// IOMMU params that make the case what it says: no caches at all for walks every time.
std::string iommu_params(const Args& a) {
  const bool walk = a.kind == "miss" || a.kind == "nested" || a.kind == "map";
  if (a.model == "vtd") {
    // Nested needs scalable mode; caches off so each request walks 4 (nested: 4 x 5) levels.
    return walk ? "{iotlb: {entries: 0}, ss_psc: {entries: 0}, fs_psc: {entries: 0}, "
                  "nested_s2: {entries: 0}}"
                : "{}";
  }
  if (a.model == "amdvi")
    return walk ? "{iotlb: {entries: 0}, pde_cache: {entries: 0}, guest_pde_cache: {entries: 0}}"
                : "{}";
  if (a.model == "smmuv3")
    return walk ? "{tlb: {entries: 0}, tbu_tlb: {entries: 0}, walk_cache: {entries: 0}}" : "{}";
  if (a.model == "tce")
    return walk ? "{table_pool_size: 256MiB, tce_cache: {entries: 0}}"
                : "{table_pool_size: 256MiB}";
  return "{}";
}

std::string platform_yaml(const Args& a) {
  const bool ats = a.kind == "ats";
  const std::string dev_type = a.model == "tce" ? "tce-guest" : "generator";
  std::string dev_params;
  if (a.model == "tce")
    dev_params = "{mode: direct, memory_size: 128MiB, ddw_max_page_shift: 12}";
  else if (ats)
    dev_params = "{ats: {enabled: true}}";
  else
    dev_params = "{}";
  return fmt::format(R"(
sim: {{seed: 1, duration: 3600s, quantum: 1us}}
memory: {{size: 4GiB, latency: 90ns, channels: 4, channel_bandwidth: 19.2GB/s}}
iommus:
  - {{name: iommu0, type: {}, params: {}}}
devices:
  - name: dma0
    type: {}
    iommu: iommu0
    rid: {}
    params: {}
    workload: {{pattern: random, base: {}, footprint: {}, size: 64B, op: read,
               outstanding: 32, count: {}, start: {}}}
)",
                     a.model, iommu_params(a), dev_type, kRid, dev_params,
                     a.model == "tce" ? kTceBuffer : kIova, footprint(a), a.count, kStart);
}

uint64_t counter(const stats::Group& g, const char* path) {
  const auto* s = dynamic_cast<const stats::Counter*>(g.find(path));
  return s ? s->value() : 0;
}

uint64_t rss_kib(const char* field) {  // VmRSS / VmHWM from /proc/self/status, in KiB
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stoull(line.substr(key.size()));
  return 0;
}

/// Why the set-up failed (empty: done), the simulated table bytes it wrote, and the host RSS
/// before the tables were made (map case).
struct SetupResult {
  std::string error;
  bool done = false;
  uint64_t table_bytes = 0;
  uint64_t rss_before_kib = 0;
  uint64_t rss_after_kib = 0;
};

/// Maps [kIova, kIova + bytes) 1:1 with 4 KiB leaves.
template <class Fmt>
bool map_pages(pt::Builder<Fmt>& b, uint64_t bytes) {
  for (uint64_t off = 0; off < bytes; off += kPage)
    if (b.map(kIova + off, kIova + off, kPage, pt::MapAttrs::rw()) != pt::MapStatus::Ok)
      return false;
  return true;
}

/// VT-d and AMD-Vi: the model's driver through the domain API, as the dma-api device does.
void setup_with_driver(Platform& pf, const Args& a, SetupResult& r,
                       std::unique_ptr<host::HostBus>& bus,
                       std::unique_ptr<host::IommuDriver>& drv) {
  bus = pf.host().open("iommu0", kMmioCost);
  host::PtFormat fmt = host::PtFormat::vtd_second_stage;
  if (a.model == "vtd") {
    vtd::DriverOptions o;
    o.scalable = a.kind == "nested";
    o.table_base = kPool;
    o.table_limit = kPool + kPoolSize;
    drv = std::make_unique<vtd::VtdHostAdapter>(*bus, o);
  } else {
    amdvi::AdapterOptions o;
    o.pool_base = kPool;
    o.pool_limit = kPool + kPoolSize;
    drv = std::make_unique<amdvi::AmdviHostAdapter>(*bus, o);
    fmt = host::PtFormat::amd_v1;
  }
  std::string why;
  if (drv->init(&why) != host::Status::ok) {
    r.error = "driver init: " + why;
    return;
  }
  const host::DomainResult s2 = drv->alloc_domain({host::DomainType::paging, fmt});
  if (s2.status != host::Status::ok) {
    r.error = "paging domain: " + s2.why;
    return;
  }
  r.rss_before_kib = rss_kib("VmRSS");
  // Page by page: 4 KiB leaves even where alignment would allow a superpage.
  for (uint64_t off = 0; off < footprint(a); off += kPage)
    if (drv->map(s2.id, kIova + off, kIova + off, kPage, {}) != host::Status::ok) {
      r.error = "map failed";
      return;
    }
  host::DomainId attach_to = s2.id;
  if (a.kind == "nested") {
    // The guest's IA-32e stage 1 maps the same range at GPA == IOVA; its tables sit in a GPA
    // window the stage-2 domain maps 1:1, so every stage-1 table read is itself translated.
    for (uint64_t off = 0; off < kGuestTablesSize; off += kPage)
      if (drv->map(s2.id, kGuestTables + off, kGuestTables + off, kPage, {}) != host::Status::ok) {
        r.error = "stage-2 map of the guest tables failed";
        return;
      }
    PhysAllocator galloc(kGuestTables, kGuestTables + kGuestTablesSize);
    auto s1 =
        pt::Builder<pt::X86Format>::create(pt::X86Format(pt::X86Config{}), pf.memory(), galloc);
    if (!s1 || !map_pages(*s1, footprint(a))) {
      r.error = "stage-1 tables";
      return;
    }
    host::DomainRequest nr;
    nr.type = host::DomainType::nested;
    nr.format = host::PtFormat::x86_64;
    nr.parent = s2.id;
    nr.s1_root = s1->root();
    const host::DomainResult n = drv->alloc_domain(nr);
    if (n.status != host::Status::ok) {
      r.error = "nested domain: " + n.why;
      return;
    }
    attach_to = n.id;
  }
  if (drv->attach(attach_to, kRid) != host::Status::ok) {
    r.error = "attach failed";
    return;
  }
  r.rss_after_kib = rss_kib("VmRSS");
}

/// SMMUv3 (no host driver yet): a stage-1 STE and CD written to memory, tables from the
/// page-table builder, then the queues and the SMMU enabled with the CR0/CR0ACK handshake.
void setup_smmuv3(Platform& pf, const Args& a, SetupResult& r) {
  if (a.kind == "nested") {
    r.error = "not available: nested SMMUv3 set-up needs a host driver (none yet)";
    return;
  }
  SparseMemory& mem = pf.memory();
  PhysAllocator alloc(kPool, kPool + kPoolSize);
  r.rss_before_kib = rss_kib("VmRSS");
  // 4 KiB granule, T0SZ 16: a 48-bit VA and a 4-level walk.
  auto s1 = pt::Builder<pt::ArmLpaeFormat>::create(pt::ArmLpaeFormat(pt::arm_s1_config(12, 16)),
                                                   mem, alloc);
  if (!s1 || !map_pages(*s1, footprint(a))) {
    r.error = "stage-1 tables";
    return;
  }
  r.rss_after_kib = rss_kib("VmRSS");
  // IHI 0070 5.4: CD word 0 = T0SZ 16, TG0 4 KiB, EPD1, V, IPS 48 bits, AA64, R, A, ASID 1;
  // word 1 = TTB0.
  const uint64_t cd[8] = {0x16205c0000010, s1->root(), 0, 0, 0, 0, 0, 0};
  // IHI 0070 5.2: STE word 0 = V, Config 101 (stage 1 only), S1ContextPtr; word 1 bits 29:28
  // EATS = 01 (full ATS) for the ATS case.
  const uint64_t ste[8] = {kCd | 0xb, a.kind == "ats" ? uint64_t{0x10000000} : 0, 0, 0, 0, 0, 0, 0};
  if (!mem.write(kCd, cd, sizeof cd) || !mem.write(kStrtab + kRid * 64, ste, sizeof ste)) {
    r.error = "memory write";
    return;
  }
  CpuPort& cpu = pf.cpu();
  const uint64_t base = pf.mmio_base("iommu0");
  // IHI 0070 6.3: STRTAB_BASE (0x80), _CFG (0x88: linear, 2^8 entries), CMDQ_BASE (0x90:
  // log2size 8), its PROD/CONS (0x98/0x9c), EVENTQ_BASE (0xa0: log2size 5), its PROD/CONS in
  // page 1 (0x100a8/0x100ac); CR0 (0x20) = EVENTQEN | CMDQEN, then | SMMUEN, each acknowledged
  // in CR0ACK (0x24).
  struct W {
    uint32_t off;
    unsigned size;
    uint64_t v;
  };
  const W writes[] = {{0x80, 8, kStrtab}, {0x88, 4, 0x8}, {0x90, 8, kCmdq | 8},
                      {0x98, 4, 0},       {0x9c, 4, 0},   {0xa0, 8, kEvtq | 5},
                      {0x100a8, 4, 0},    {0x100ac, 4, 0}};
  for (const W& w : writes)
    if (!cpu.write(base + w.off, w.size, w.v)) {
      r.error = fmt::format("register write {:#x}", w.off);
      return;
    }
  for (uint64_t cr0 : {0xcu, 0xdu}) {
    if (!cpu.write(base + 0x20, 4, cr0)) {
      r.error = "CR0 write";
      return;
    }
    bool acked = false;
    for (int i = 0; i < 1000 && !acked; ++i) {
      acked = cpu.read(base + 0x24, 4) == cr0;
      if (!acked) sc_core::wait(sc_core::sc_time(100, sc_core::SC_NS));
    }
    if (!acked) {
      r.error = "CR0ACK";
      return;
    }
  }
}

/// The set-up thread: programs the IOMMU before the generator's first request.
class Setup : public sc_core::sc_module {
 public:
  Setup(sc_core::sc_module_name n, Platform& pf, const Args& a) : sc_module(n), pf_(pf), a_(a) {
    SC_HAS_PROCESS(Setup);
    SC_THREAD(run);
    SC_THREAD(mark_start);
  }
  SetupResult result;
  std::chrono::steady_clock::time_point started{};
  double cpu_at_start = 0;

 private:
  void run() {
    if (a_.model == "vtd" || a_.model == "amdvi") {
      if (a_.kind == "ats" || (a_.model == "amdvi" && a_.kind == "nested"))
        result.error = "not available: the " + a_.model + " driver does not enable " +
                       (a_.kind == "ats" ? "device TLBs" : "guest (v2) tables without a PASID");
      else
        setup_with_driver(pf_, a_, result, bus_, drv_);
    } else if (a_.model == "smmuv3") {
      setup_smmuv3(pf_, a_, result);
    } else if (a_.kind == "nested" || a_.kind == "ats") {
      result.error = "not available on " + a_.model;
    }
    result.done = sc_core::sc_time_stamp().value() < kStartPs;
    if (result.error.empty() && !result.done) result.error = "set-up ran past the first DMA";
    if (!result.error.empty()) sc_core::sc_stop();
  }
  void mark_start();

  Platform& pf_;
  Args a_;
  std::unique_ptr<host::HostBus> bus_;
  std::unique_ptr<host::IommuDriver> drv_;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

void Setup::mark_start() {
  sc_core::wait(sc_core::sc_time::from_value(kStartPs));
  started = std::chrono::steady_clock::now();
  cpu_at_start = cpu_seconds();
}

double rate(uint64_t n, double s) {
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  try {
    const Args args = parse_args(argc, argv);
    const std::string name = "dma_" + args.model + "_" + args.kind;
    const auto cfg = load_platform(YAML::Load(platform_yaml(args)), cfg::SourceInfo{"bench", {}});
    const uint64_t rss0 = rss_kib("VmRSS");
    Platform pf(cfg);
    Setup setup("bench_setup", pf, args);
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    const double cpu1 = cpu_seconds();
    if (!setup.result.error.empty()) {
      std::cout << fmt::format("{{\"benchmark\": \"{}\", \"unavailable\": \"{}\"}}\n", name,
                               setup.result.error);
      return setup.result.error.rfind("not available", 0) == 0 ? 3 : 1;
    }
    const double host_s = std::chrono::duration<double>(t1 - setup.started).count();
    const double cpu_s = cpu1 - setup.cpu_at_start;
    const stats::Group& st = pf.stats();
    const uint64_t done = args.model == "tce"
                              ? counter(st, "dma0.transactions")
                              : counter(st, "dma0.reads") + counter(st, "dma0.writes");
    const uint64_t errors = counter(st, "dma0.errors");
    const uint64_t peak = rss_kib("VmHWM");
    std::cout << fmt::format(
        "{{\"benchmark\": \"{}\", \"requests\": {}, \"errors\": {}, \"host_seconds\": {:.6f}, "
        "\"cpu_seconds\": {:.6f}, \"per_second\": {:.0f}, \"per_cpu_second\": {:.0f}, "
        "\"footprint\": {}, \"rss_start_kib\": {}, \"rss_before_map_kib\": {}, "
        "\"rss_after_map_kib\": {}, \"peak_rss_kib\": {}}}\n",
        name, done, errors, host_s, cpu_s, rate(done, host_s), rate(done, cpu_s), footprint(args),
        rss0, setup.result.rss_before_kib, setup.result.rss_after_kib, peak);
    // A run that completed nothing measured nothing: say so through the exit status.
    return done >= args.count && errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "isim_bench_iommu: " << e.what() << '\n';
    return 2;
  }
}

// Our own entry point, so the SystemC banner does not precede the JSON.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
