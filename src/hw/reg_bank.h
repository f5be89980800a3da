// Memory-mapped register banks: registers as data, behaviour as hooks (STYLE item 9).
//
// A model describes its registers in a table of RegSpec (name, offset, width, reset value,
// access masks, optional fields) and attaches behaviour with post_write / pre_read hooks;
// decoding an access is a table lookup by offset, never a search.
//
// Access kinds, per bit (the masks of a register must not overlap):
//   rw   software reads and writes the stored value;
//   ro   software reads the stored value, its writes are ignored (the model sets these bits);
//   w1c  software reads the stored value, writing 1 clears the bit, writing 0 leaves it;
//   wo   write-only "command" bits: a write is visible to post_write (in new_value), then the
//        bits drop back to 0, so reads return 0 (e.g. VT-d GCMD_REG commands);
//   any other bit is RsvdZ: reads return 0 and writes are ignored.
//
// Software accesses are 4 or 8 bytes wide and naturally aligned. A 64-bit register also
// accepts a 32-bit access to either half (VT-d 10.2 "Software Access to Registers" and Arm
// IHI 0070 6.2 both allow it; the other half is untouched). Anything else -- no register at
// the offset, a misaligned access, a size other than 4 or 8, an 8-byte access to a 4-byte
// register -- reads as 0, is ignored on write, and is reported in the returned status (and
// counted) so the model can raise whatever its architecture does. RAZ/WI is one of the
// behaviours IHI 0070 6.2 permits for illegal accesses and for 64-bit accesses to two 32-bit
// registers; a model that prefers an abort returns one on a non-ok status.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace isim {

/// A named bit field hi..lo (inclusive) of a register, for dumps.
struct RegField {
  std::string_view name;
  uint8_t hi = 0;
  uint8_t lo = 0;
};

/// One register as data. Meant for static tables with designated initialisers:
///   {.name = "CMDQ_PROD", .offset = 0x98, .width = 4, .rw = mask(19, 0)}
/// The bank copies everything it is given (names may be built at run time).
struct RegSpec {
  std::string_view name;
  uint32_t offset = 0;  ///< byte offset in the bank, a multiple of width
  uint8_t width = 4;    ///< bytes: 4 or 8
  uint64_t reset = 0;   ///< value after reset, including ro bits
  uint64_t rw = 0;      ///< read/write bits
  uint64_t ro = 0;      ///< read-only bits (hardware-owned)
  uint64_t w1c = 0;     ///< write-1-to-clear bits
  uint64_t wo = 0;      ///< write-only command bits (read as 0)
  std::span<const RegField> fields = {};
};

/// A register as the bank holds it.
struct RegInfo {
  struct Field {
    std::string name;
    uint8_t hi;
    uint8_t lo;
  };
  std::string name;
  uint32_t offset;
  uint8_t width;
  uint64_t reset;
  uint64_t rw;
  uint64_t ro;
  uint64_t w1c;
  uint64_t wo;
  std::vector<Field> fields;

  uint64_t width_mask() const { return width == 8 ? ~uint64_t{0} : 0xffff'ffffull; }
  /// Bits software reads back.
  uint64_t readable() const { return rw | ro | w1c; }
  /// RsvdZ bits: everything no mask claims.
  uint64_t reserved() const { return ~(rw | ro | w1c | wo) & width_mask(); }
};

/// What happened to a software access.
enum class RegAccessStatus : uint8_t {
  ok,
  unmapped,    ///< no register at that offset (or beyond the bank)
  misaligned,  ///< offset not a multiple of the access size
  bad_size,    ///< size not 4 or 8, or an 8-byte access to a 4-byte register
};
std::string_view to_string(RegAccessStatus s);

/// What a post_write hook is told about one software write.
struct RegWrite {
  uint64_t old_value;  ///< stored value before the write
  uint64_t new_value;  ///< stored value after it, including the wo bits this write set
  uint64_t data;       ///< the bytes software wrote, shifted to their place in the register
  uint64_t lanes;      ///< bits the access covered: the whole register or one 32-bit half

  uint64_t changed() const { return old_value ^ new_value; }
  bool rose(unsigned bit) const { return !((old_value >> bit) & 1) && ((new_value >> bit) & 1); }
  bool fell(unsigned bit) const { return ((old_value >> bit) & 1) && !((new_value >> bit) & 1); }
};

/// Raw access counts; the stats tree registers the fields by address.
struct RegBankStats {
  uint64_t reads = 0;       ///< software reads that hit a register
  uint64_t writes = 0;      ///< software writes that hit a register
  uint64_t unmapped = 0;    ///< accesses (read or write) with RegAccessStatus::unmapped
  uint64_t misaligned = 0;  ///< ... misaligned
  uint64_t bad_size = 0;    ///< ... bad_size
};

class RegBank {
 public:
  using RegId = uint32_t;
  /// Runs after every software write that reached the register (even if nothing changed).
  /// It may call set() on any register, including this one (e.g. to undo a write that the
  /// architecture ignores in the current state, or to self-clear a busy bit).
  using PostWrite = std::function<void(const RegWrite&)>;
  /// Runs before every software read of the register; refreshes it with set().
  /// Hooks must not add registers or replace hooks while they run.
  using PreRead = std::function<void()>;

  struct ReadResult {
    uint64_t value = 0;
    RegAccessStatus status = RegAccessStatus::ok;
  };

  /// A bank decoding the byte offsets [0, window_bytes) (a multiple of 4, at most 16 MiB).
  explicit RegBank(uint32_t window_bytes);

  /// Adds a register, stores its reset value and returns its id. Throws std::invalid_argument
  /// on a malformed spec: width not 4/8, misaligned or out-of-window offset, overlap with a
  /// register already added, overlapping masks, masks/reset/fields wider than the register,
  /// empty or duplicate name.
  RegId add(const RegSpec& spec);
  /// Adds every spec in order; returns the id of the first (ids are consecutive).
  RegId add_all(std::span<const RegSpec> specs);

  void on_write(RegId id, PostWrite hook);
  void on_read(RegId id, PreRead hook);

  // --- Software (MMIO) side: masks apply, hooks run, bad accesses are reported.
  ReadResult read(uint64_t offset, unsigned size);
  RegAccessStatus write(uint64_t offset, unsigned size, uint64_t value);

  // --- Model (hardware) side: no masks, no hooks.
  /// The stored value, including ro bits and bits software cannot see.
  uint64_t get(RegId id) const { return value_[id]; }
  /// Replaces the stored value (truncated to the register width).
  void set(RegId id, uint64_t value) { value_[id] = value & info_[id].width_mask(); }
  /// Replaces the bits of `mask` with those of `value`.
  void update(RegId id, uint64_t mask, uint64_t value) {
    set(id, (value_[id] & ~mask) | (value & mask));
  }
  /// What a software read would return now, without running pre_read.
  uint64_t visible(RegId id) const { return value_[id] & info_[id].readable(); }

  /// Every register back to its reset value (hooks do not run).
  void reset();

  size_t size() const { return info_.size(); }
  uint32_t window_bytes() const { return window_bytes_; }
  const RegInfo& info(RegId id) const { return info_.at(id); }
  /// The register named `name` (a linear search: for setup and tests, not the access path).
  std::optional<RegId> find(std::string_view name) const;
  /// The register covering byte `offset`, if any.
  std::optional<RegId> at(uint64_t offset) const;

  /// "NAME @0x0098 = 0x00000003 {WR=0x3}" with the stored value and each field.
  std::string format(RegId id) const;
  /// format() of every register, one per line, in offset order.
  std::string dump() const;

  const RegBankStats& stats() const { return stats_; }
  void reset_stats() { stats_ = RegBankStats{}; }

 private:
  static constexpr uint16_t kNoReg = 0xffff;

  struct Decoded {
    RegAccessStatus status;
    RegId id;
    unsigned shift;  // bit position of the access within the register
    uint64_t lanes;  // bits of the register the access covers
  };
  Decoded decode(uint64_t offset, unsigned size) const;
  void count_error(RegAccessStatus s);

  uint32_t window_bytes_;
  std::vector<uint16_t> decode_;  // per 4-byte word of the window: register id or kNoReg
  std::vector<RegInfo> info_;
  std::vector<uint64_t> value_;
  std::vector<PostWrite> post_write_;
  std::vector<PreRead> pre_read_;
  RegBankStats stats_;
};

}  // namespace isim
