#!/usr/bin/env python3
"""Writes the SMMUv3 directed scenarios of this folder.

Each scenario programs the SMMU the way a driver does -- structures written into memory,
registers through MMIO -- and checks what the hardware does. The encodings here are written
from IHI 0070 (sections cited beside each helper) independently of the model's C++ encoders, so
the scenarios check the model rather than repeat it. Run it from anywhere; it rewrites the
*.yaml files next to it:  python3 configs/scenarios/smmuv3/make_scenarios.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def mask(hi, lo):
    return ((1 << (hi - lo + 1)) - 1) << lo


# --- IHI 0070 6.2 register offsets (page 1 at +0x10000).
IDR0, IDR1, IDR3, IDR5, IIDR, AIDR = 0x0, 0x4, 0xC, 0x14, 0x18, 0x1C
CR0, CR0ACK, CR1, CR2, GBPA = 0x20, 0x24, 0x28, 0x2C, 0x44
IRQ_CTRL, IRQ_CTRLACK, GERROR, GERRORN = 0x50, 0x54, 0x60, 0x64
GERROR_IRQ_CFG0, GERROR_IRQ_CFG1 = 0x68, 0x70
STRTAB_BASE, STRTAB_BASE_CFG = 0x80, 0x88
CMDQ_BASE, CMDQ_PROD, CMDQ_CONS = 0x90, 0x98, 0x9C
EVENTQ_BASE, EVENTQ_IRQ_CFG0, EVENTQ_IRQ_CFG1 = 0xA0, 0xB0, 0xB8
EVENTQ_PROD, EVENTQ_CONS = 0x100A8, 0x100AC

# CR0 bits (6.3.9)
SMMUEN, EVENTQEN, CMDQEN = 1 << 0, 1 << 2, 1 << 3

# --- Memory layout every scenario shares.
STRTAB = 0x100000      # linear stream table, 256 STEs (LOG2SIZE 8; 512 for ATS and PRI)
CMDQ = 0x200000        # 256 commands
EVTQ = 0x210000        # 32 events unless a scenario says otherwise
MSI = 0x220000         # MSI targets
TABLES = 0x400000      # CDs and translation tables are allocated upward from here
DATA = 0x1000000       # data pages


class Alloc:
    def __init__(self, base):
        self.next = base

    def take(self, size, align=None):
        align = align or size
        self.next = (self.next + align - 1) & ~(align - 1)
        a = self.next
        self.next += size
        return a


# --- 5.2 STE (64 bytes).
CFG_ABORT, CFG_BYPASS, CFG_S1, CFG_S2, CFG_NESTED = 0b000, 0b100, 0b101, 0b110, 0b111


def ste(config, s1ctx=0, s1fmt=0, s1cdmax=0, s1dss=0, eats=0, vmid=0, s2t0sz=0, s2sl0=0,
        s2tg=0, s2ps=5, s2ttb=0, s2r=1, s2s=0, valid=1, ppar=0):
    w0 = valid | config << 1 | s1fmt << 4 | (s1ctx & mask(55, 6)) | s1cdmax << 59
    w1 = s1dss | ppar << 18 | eats << 28
    w2 = 0
    if config & 0b110 == 0b110:  # stage 2 fields matter only with stage 2 enabled
        w2 = (vmid | s2t0sz << 32 | s2sl0 << 38 | s2tg << 46 | s2ps << 48 | 1 << 51 |
              s2s << 57 | s2r << 58)
    else:
        w2 = vmid  # S2VMID tags stage-1 TLB entries when stage 2 is implemented (3.17)
    w3 = s2ttb & mask(55, 4)
    return [w0, w1, w2, w3, 0, 0, 0, 0]


# --- 5.4 CD (64 bytes). TG0: 00 4K, 01 64K, 10 16K.
TG0 = {12: 0, 16: 1, 14: 2}


def cd(ttb0, t0sz, granule=12, asid=0, ips=5, a=1, r=1, s=0, aset=0, valid=1, epd0=0):
    w0 = (t0sz | TG0[granule] << 6 | epd0 << 14 | 1 << 30 | valid << 31 | ips << 32 | 1 << 41 |
          s << 44 | r << 45 | a << 46 | aset << 47 | asid << 48)
    return [w0, ttb0 & mask(55, 4), 0, 0, 0, 0, 0, 0]


# --- VMSAv8-64 descriptors (Arm ARM D8.3). Stage 1: AP[2:1] = 01 (read/write at EL1 and EL0),
# AF; stage 2: S2AP = 11 (read/write), MemAttr 1111, AF.
AF = 1 << 10
S1_RW = 1 << 6
S1_RO = 3 << 6
S1_NG = 1 << 11
S2_RW = 3 << 6 | 0xF << 2


class Tables:
    """Translation tables of one stage, written as descriptor stores into memory."""

    def __init__(self, alloc, granule, ia_bits, start_level, writes, to_pa=lambda a: a):
        self.g = granule
        self.stride = granule - 3
        self.ia = ia_bits
        self.start = start_level
        self.alloc = alloc
        self.writes = writes  # list of (pa, value, comment)
        self.to_pa = to_pa    # table addresses are IPAs for a nested stage 1
        # The starting table holds 2^(IA - span of one of its entries) descriptors (more than one
        # granule of them for concatenated stage-2 tables), aligned to its size (Arm ARM D8.2).
        entries = 1 << (ia_bits - self.item_lg2(start_level))
        self.root = alloc.take(8 * entries, max(8 * entries, 64))
        self.tables = {}

    def item_lg2(self, level):
        return self.g + self.stride * (3 - level)

    def index(self, va, level):
        lg2 = self.item_lg2(level)
        if level == self.start:
            return (va >> lg2) & ((1 << (self.ia - lg2)) - 1)
        return (va >> lg2) & ((1 << self.stride) - 1)

    def map(self, va, pa, attrs, level=3, note=''):
        table = self.root
        for lvl in range(self.start, level):
            key = (lvl, va >> self.item_lg2(lvl))
            if key not in self.tables:
                t = self.alloc.take(1 << self.g)
                self.tables[key] = t
                self.writes.append((self.to_pa(table) + 8 * self.index(va, lvl), t | 0b11,
                                    f'L{lvl} table -> {t:#x}'))
            table = self.tables[key]
        kind = 0b11 if level == 3 else 0b01
        self.writes.append((self.to_pa(table) + 8 * self.index(va, level), pa | attrs | kind,
                            note or f'L{level} {"page" if level == 3 else "block"} {va:#x} -> {pa:#x}'))


def s1_start_level(granule, ia):
    stride = granule - 3
    levels = -(-(ia - granule) // stride)
    return 4 - levels


# --- 4 Commands (16 bytes).
OP = dict(PREFETCH_CONFIG=0x01, CFGI_STE=0x03, CFGI_STE_RANGE=0x04, CFGI_CD=0x05,
          CFGI_CD_ALL=0x06, TLBI_NH_ALL=0x10, TLBI_NH_ASID=0x11, TLBI_NH_VA=0x12,
          TLBI_NH_VAA=0x13, TLBI_S12_VMALL=0x28, TLBI_S2_IPA=0x2A, TLBI_NSNH_ALL=0x30,
          ATC_INV=0x40, PRI_RESP=0x41, SYNC=0x46)


def cmd(name, sid=0, ssid=None, vmid=0, asid=0, addr=0, leaf=0, tg=0, num=0, scale=0, ttl=0,
        rng=0, cs=0, msi_addr=0, msi_data=0, opcode=None, size=0, glob=0, prgi=0, resp=0):
    op = OP[name] if opcode is None else opcode
    w0, w1 = op, 0
    if name.startswith('CFGI') or name == 'PREFETCH_CONFIG':
        w0 |= sid << 32
        if ssid is not None:
            w0 |= ssid << 12
        w1 = rng if name == 'CFGI_STE_RANGE' else leaf
    elif name.startswith('TLBI'):
        w0 |= num << 12 | scale << 20 | vmid << 32 | asid << 48
        w1 = leaf | ttl << 8 | tg << 10 | (addr & mask(63, 12))
    elif name == 'ATC_INV':  # 4.5.1
        w0 |= glob << 9 | sid << 32 | (1 << 11 | ssid << 12 if ssid is not None else 0)
        w1 = size | (addr & mask(63, 12))
    elif name == 'PRI_RESP':  # 4.5.2
        w0 |= sid << 32 | (1 << 11 | ssid << 12 if ssid is not None else 0)
        w1 = prgi | resp << 12
    elif name == 'SYNC':
        w0 |= cs << 12 | msi_data << 32
        w1 = msi_addr & mask(55, 2)
    return [w0, w1]


class Scenario:
    def __init__(self, name, description, platform='smmuv3'):
        self.platform = platform
        self.name = name
        self.description = description
        self.lines = []
        self.cmd_index = 0
        self.alloc = Alloc(TABLES)

    def c(self, text):
        self.lines.append(f'  # {text}')

    def step(self, s):
        self.lines.append(f'  - {s}')

    def mw(self, addr, words, note=None):
        if note:
            self.c(note)
        self.step(f'mem_write: {{addr: {addr:#x}, u64: [{", ".join(hex(w) for w in words)}]}}')

    def mr(self, addr, words, mask_=None, poll=False):
        m = f', mask: {mask_:#x}' if mask_ is not None else ''
        kind = 'mem_poll' if poll else 'mem_read'
        self.step(f'{kind}: {{addr: {addr:#x}, u64: [{", ".join(hex(w) for w in words)}]{m}}}')

    def mmw(self, off, val, width=32):
        self.step(f'mmio_write: {{target: iommu0, offset: {off:#x}, u{width}: {val:#x}}}')

    def mmr(self, off, val, mask_=None, width=32, poll=False):
        m = f', mask: {mask_:#x}' if mask_ is not None else ''
        kind = 'mmio_poll' if poll else 'mmio_read'
        self.step(f'{kind}: {{target: iommu0, offset: {off:#x}, u{width}: {val:#x}{m}}}')

    def dma(self, rid, addr, words=None, write=False, pasid=None, fault=False, priv=False):
        kind = 'dma_write' if write else 'dma_read'
        parts = [f'rid: {rid:#x}', f'addr: {addr:#x}']
        if pasid is not None:
            parts.append(f'pasid: {pasid:#x}')
        if priv:
            parts.append('priv: true')
        if words is not None:
            parts.append(f'u64: [{", ".join(hex(w) for w in words)}]')
        if fault:
            parts.append('fault: true')
        self.step(f'{kind}: {{{", ".join(parts)}}}')

    def wait(self, t):
        self.step(f'wait: {t}')

    # --- driver-like sequences
    def writes(self, ws, note=None):
        if note:
            self.c(note)
        for pa, v, comment in ws:
            self.mw(pa, [v], comment)

    def init(self, strtab_cfg=8, evtq_log2=5, cr2=0, enable=True, extra_cr0=0):
        self.c('Stream table, Command queue and Event queue bases, then enable the queues and the SMMU '
               '(each CR0 write acknowledged in CR0ACK).')
        self.mmw(STRTAB_BASE, STRTAB, 64)
        self.mmw(STRTAB_BASE_CFG, strtab_cfg)
        self.mmw(CMDQ_BASE, CMDQ | 8, 64)
        self.mmw(CMDQ_PROD, 0)
        self.mmw(CMDQ_CONS, 0)
        self.mmw(EVENTQ_BASE, EVTQ | evtq_log2, 64)
        self.mmw(EVENTQ_PROD, 0)
        self.mmw(EVENTQ_CONS, 0)
        if cr2:
            self.mmw(CR2, cr2)
        self.mmw(CR0, CMDQEN | EVENTQEN)
        self.mmr(CR0ACK, CMDQEN | EVENTQEN, poll=True)
        if enable:
            self.mmw(CR0, CMDQEN | EVENTQEN | SMMUEN | extra_cr0)
            self.mmr(CR0ACK, CMDQEN | EVENTQEN | SMMUEN | extra_cr0, poll=True)

    def set_ste(self, sid, words, note=None):
        self.mw(STRTAB + 64 * sid, words, note or f'STE {sid:#x}')

    def commands(self, cmds, note=None):
        """Writes commands at the queue's PROD, publishes them, waits until all are consumed."""
        if note:
            self.c(note)
        for words in cmds:
            self.mw(CMDQ + 16 * (self.cmd_index % 256), words)
            self.cmd_index += 1
        self.mmw(CMDQ_PROD, self.cmd_index % 512)
        self.mmr(CMDQ_CONS, self.cmd_index % 512, mask_=mask(19, 0), poll=True)

    def sync(self):
        return cmd('SYNC')

    def expect_event(self, index, w0, w1=None, w2=None, w3=None, m0=None, m1=None, m3=None):
        """Checks fields of the event record at `index` (7.3: 32 bytes)."""
        base = EVTQ + 32 * index
        self.mr(base, [w0], m0)
        if w1 is not None:
            self.mr(base + 8, [w1], m1)
        if w2 is not None:
            self.mr(base + 16, [w2])
        if w3 is not None:
            self.mr(base + 24, [w3], m3)

    def write(self):
        path = os.path.join(HERE, self.name + '.yaml')
        with open(path, 'w') as f:
            f.write('# Generated by make_scenarios.py; edit that script, not this file.\n')
            f.write('description: >\n')
            for ln in self.description.strip().split('\n'):
                f.write(f'  {ln.strip()}\n')
            f.write(f'platform: ../../platforms/{self.platform}.yaml\n')
            f.write('steps:\n')
            f.write('\n'.join(self.lines) + '\n')


# --- 7.3 event records: word 0 = EventID | SSV << 11 | SubstreamID << 12 | StreamID << 32;
# word 1: Stall 31, PnU 33, InD 34, RnW 35, S2 39, CLASS 41:40 (00 CD, 01 TT, 10 IN).
EV = dict(F_UUT=0x01, C_BAD_STREAMID=0x02, F_STE_FETCH=0x03, C_BAD_STE=0x04,
          F_BAD_ATS_TREQ=0x05, F_STREAM_DISABLED=0x06, F_TRANSL_FORBIDDEN=0x07,
          C_BAD_SUBSTREAMID=0x08, F_CD_FETCH=0x09, C_BAD_CD=0x0A, F_WALK_EABT=0x0B,
          F_TRANSLATION=0x10, F_ADDR_SIZE=0x11, F_ACCESS=0x12, F_PERMISSION=0x13)


def ev0(name, sid, ssid=None):
    w = EV[name] | sid << 32
    if ssid is not None:
        w |= 1 << 11 | ssid << 12
    return w


def ev1(rnw=1, s2=0, cls=0b10, pnu=0, ind=0):
    return rnw << 35 | s2 << 39 | cls << 40 | pnu << 33 | ind << 34


EV1_MASK = 1 << 31 | 1 << 33 | 1 << 34 | 1 << 35 | 1 << 39 | mask(41, 40)


ALL = []


def scenario(fn):
    ALL.append(fn)
    return fn


# =====================================================================================
# Scenarios
# =====================================================================================

@scenario
def registers():
    s = Scenario('registers', '''
        Register pages at their architected offsets (IHI 0070 6.2): ID registers computed from the
        default params, CR0 acknowledged in CR0ACK only after the acknowledgement latency, the
        GBPA.Update handshake (a write without Update is ignored), IRQ_CTRL/IRQ_CTRLACK, GERRORN's
        implemented bits, address masks of STRTAB_BASE and the page-1 Event queue pointers.''')
    idr0 = (1 << 27 | 0b10 << 21 | 1 << 19 | 1 << 18 | 1 << 16 | 1 << 13 | 1 << 12 | 1 << 10 |
            0b01 << 6 | 1 << 4 | 0b10 << 2 | 1 << 1 | 1)
    s.c('IDR0: ST_LEVEL 01, TTENDIAN 10 (LE), CD2L, VMID16, PRI, MSI, ASID16, ATS, HTTU 01, COHACC, '
        'TTF 10 (AArch64), S1P, S2P')
    s.mmr(IDR0, idr0)
    s.c('IDR1: CMDQS 8, EVENTQS 8, PRIQS 8, SSIDSIZE 20, SIDSIZE 16')
    s.mmr(IDR1, 8 << 21 | 8 << 16 | 8 << 11 | 20 << 6 | 16)
    s.c('IDR3: RIL, HAD; IDR5: GRAN64K, GRAN16K, GRAN4K, OAS 101 (48 bits); IIDR: Arm (0x43b); AIDR: v3.2')
    s.mmr(IDR3, 1 << 10 | 1 << 2)
    s.mmr(IDR5, 1 << 6 | 1 << 5 | 1 << 4 | 0b101)
    s.mmr(IIDR, 0x43b)
    s.mmr(AIDR, 0x2)
    s.c('ID registers are read-only.')
    s.mmw(IDR0, 0)
    s.mmr(IDR0, idr0)
    s.c('CR0: the write is visible at once, CR0ACK follows after the acknowledgement latency.')
    s.mmw(CR0, CMDQEN | EVENTQEN)
    s.mmr(CR0, CMDQEN | EVENTQEN)
    s.mmr(CR0ACK, 0)
    s.mmr(CR0ACK, CMDQEN | EVENTQEN, poll=True)
    s.c('GBPA resets to SHCFG = 01 (use incoming), ABORT = 0. A write without Update is ignored '
        '(6.3.14.1, SMMUv3.2).')
    s.mmr(GBPA, 0x1000)
    s.mmw(GBPA, 1 << 20)
    s.mmr(GBPA, 0x1000)
    s.c('With Update = 1 the value shows at once; Update clears when the new attributes apply.')
    s.mmw(GBPA, 1 << 31 | 1 << 20)
    s.mmr(GBPA, 1 << 31 | 1 << 20)
    s.mmr(GBPA, 1 << 20, poll=True)
    s.c('IRQ_CTRL is acknowledged in IRQ_CTRLACK.')
    s.mmw(IRQ_CTRL, 0b101)
    s.mmr(IRQ_CTRLACK, 0b101, poll=True)
    s.c('GERRORN keeps only the implemented error bits (SFM..EVENTQ_ABT, CMDQ); GERROR is read-only.')
    s.mmw(GERRORN, 0xffffffff)
    s.mmr(GERRORN, 0x1fd)
    s.mmw(GERROR, 0xffffffff)
    s.mmr(GERROR, 0)
    s.mmw(GERRORN, 0)
    s.c('STRTAB_BASE keeps RA (62) and ADDR (55:6); queue bases keep RWA, ADDR 55:5, LOG2SIZE.')
    s.mmw(STRTAB_BASE, 0xffffffffffffffff, 64)
    s.mmr(STRTAB_BASE, 0x40ffffffffffffc0, width=64)
    s.mmw(CMDQ_BASE, 0xffffffffffffffff, 64)
    s.mmr(CMDQ_BASE, 0x40ffffffffffffff, width=64)
    s.c('Event queue pointers live on page 1 (0x100A8/0x100AC): OVFLG/OVACKFLG 31, WR/RD 19:0.')
    s.mmw(EVENTQ_PROD, 0xffffffff)
    s.mmr(EVENTQ_PROD, 0x800fffff)
    s.mmw(EVENTQ_CONS, 0x80000003)
    s.mmr(EVENTQ_CONS, 0x80000003)
    s.c('Nothing at the page-0 alias offsets or IDR6: RAZ/WI.')
    s.mmr(0xA8, 0)
    s.mmr(0x190, 0)
    return s


@scenario
def bypass_abort():
    s = Scenario('bypass_abort', '''
        Traffic while the SMMU is disabled follows GBPA (bypass, then abort after a GBPA update);
        with the SMMU enabled, STE.Config = bypass passes traffic untranslated, Config = abort
        terminates it without an event, and an invalid STE terminates it with C_BAD_STE.''')
    s.mw(DATA, [0x1111], 'data at a physical address')
    s.c('SMMUEN = 0 and GBPA.ABORT = 0: every stream bypasses.')
    s.dma(0x10, DATA, [0x1111])
    s.set_ste(0x10, ste(CFG_BYPASS), 'STE 0x10: Config 100 (bypass)')
    s.set_ste(0x11, ste(CFG_ABORT), 'STE 0x11: V = 1, Config 000 (abort, no event)')
    s.set_ste(0x12, ste(CFG_BYPASS, valid=0), 'STE 0x12: V = 0 (C_BAD_STE)')
    s.init()
    s.dma(0x10, DATA, [0x1111])
    s.dma(0x10, DATA + 8, [0x2222], write=True)
    s.mr(DATA + 8, [0x2222])
    s.dma(0x11, DATA, fault=True)
    s.mmr(EVENTQ_PROD, 0)
    s.dma(0x12, DATA, fault=True, write=True, words=[0xbad])
    s.c('C_BAD_STE: StreamID 0x12, no SubstreamID.')
    s.mmr(EVENTQ_PROD, 1)
    s.expect_event(0, ev0('C_BAD_STE', 0x12))
    s.c('Disable the SMMU and make GBPA abort: traffic is terminated, and no event is written.')
    s.mmw(CR0, CMDQEN | EVENTQEN)
    s.mmr(CR0ACK, CMDQEN | EVENTQEN, poll=True)
    s.mmw(GBPA, 1 << 31 | 1 << 20)
    s.mmr(GBPA, 1 << 20, poll=True)
    s.dma(0x10, DATA, fault=True)
    s.mmr(EVENTQ_PROD, 1)
    s.c('GBPA bypass again.')
    s.mmw(GBPA, 1 << 31)
    s.mmr(GBPA, 0, poll=True)
    s.dma(0x13, DATA, [0x1111])
    return s


def s1_stream(s, sid, granule, va, pa, t0sz=16, asid=1, vmid=0, note=''):
    """An STE with stage 1 only and one CD; maps va -> pa with a page of the granule."""
    ia = 64 - t0sz
    ws = []
    t = Tables(s.alloc, granule, ia, s1_start_level(granule, ia), ws)
    t.map(va, pa, AF | S1_RW | S1_NG)
    cd_addr = s.alloc.take(64)
    s.writes(ws, f'{note}stage-1 tables ({1 << (granule - 10)} KiB granule, {ia}-bit VA, root {t.root:#x})')
    s.mw(cd_addr, cd(t.root, t0sz, granule, asid=asid), f'CD: T0SZ {t0sz}, ASID {asid}, TTB0 {t.root:#x}')
    s.set_ste(sid, ste(CFG_S1, s1ctx=cd_addr, vmid=vmid), f'STE {sid:#x}: Config 101 (stage 1), one CD at {cd_addr:#x}')
    return t


@scenario
def stage1_granules():
    s = Scenario('stage1_granules', '''
        Stage-1 translation through one CD with each translation granule (4 KiB, 16 KiB, 64 KiB;
        48-bit VAs), a 2 MiB block, reads and writes landing at the translated addresses, and an
        unmapped address terminated.''')
    for i, g in enumerate((12, 14, 16)):
        sid = 0x20 + i
        va = 0x7f1234560000 & ~((1 << g) - 1)
        pa = DATA + 0x100000 * (i + 1)
        s.mw(pa + 0x238, [0xa0 + i], f'data behind stream {sid:#x}')
        s1_stream(s, sid, g, va, pa, asid=i + 1)
    s.c('A 2 MiB block (level 2, 4 KiB granule) for stream 0x23.')
    ws = []
    t = Tables(s.alloc, 12, 48, 0, ws)
    t.map(0x40000000, 0x2000000, AF | S1_RW, level=2)
    s.writes(ws)
    cd_addr = s.alloc.take(64)
    s.mw(cd_addr, cd(t.root, 16, 12, asid=9), 'CD for stream 0x23')
    s.set_ste(0x23, ste(CFG_S1, s1ctx=cd_addr))
    s.mw(0x2000000 + 0x1ff000, [0xb10c])
    s.init()
    for i, g in enumerate((12, 14, 16)):
        va = 0x7f1234560000 & ~((1 << g) - 1)
        pa = DATA + 0x100000 * (i + 1)
        s.dma(0x20 + i, va + 0x238, [0xa0 + i])
        s.dma(0x20 + i, va + 0x300, [0xc0ffee00 + i], write=True)
        s.mr(pa + 0x300, [0xc0ffee00 + i])
    s.dma(0x23, 0x40000000 + 0x1ff000, [0xb10c])
    s.c('An unmapped address of stream 0x20 is terminated (F_TRANSLATION, see events.yaml).')
    s.dma(0x20, 0x7f1234560000 + 0x10000000, fault=True)
    return s


@scenario
def stage2_concat():
    s = Scenario('stage2_concat', '''
        Stage-2-only streams: a 4 KiB-granule 40-bit IPA space whose starting level (level 1,
        S2SL0 = 01) is two concatenated tables, with pages in both of them; and a 16 KiB-granule
        36-bit IPA space starting at level 2.''')
    ws = []
    t = Tables(s.alloc, 12, 40, 1, ws)
    s.c(f'4 KiB granule, S2T0SZ 24: the level-1 table has 1024 entries = 2 concatenated tables at {t.root:#x}')
    t.map(0x10000000, DATA + 0x10000, AF | S2_RW, note='first table: IPA 0x10000000 -> DATA + 0x10000')
    t.map(0x8040000000, DATA + 0x20000, AF | S2_RW, note='second table: IPA 0x8040000000 -> DATA + 0x20000')
    s.writes(ws)
    s.set_ste(0x30, ste(CFG_S2, vmid=5, s2t0sz=24, s2sl0=1, s2tg=0, s2ttb=t.root),
              'STE 0x30: Config 110, VMID 5, S2T0SZ 24, S2SL0 01, S2TG 4K')
    ws = []
    t16 = Tables(s.alloc, 14, 36, 2, ws)
    t16.map(0x8004000, DATA + 0x30000, AF | S2_RW, note='16 KiB page: IPA 0x8004000 -> DATA + 0x30000')
    s.writes(ws)
    s.set_ste(0x31, ste(CFG_S2, vmid=6, s2t0sz=28, s2sl0=1, s2tg=2, s2ttb=t16.root),
              'STE 0x31: Config 110, VMID 6, S2T0SZ 28, S2SL0 01 (level 2 with 16K), S2TG 16K')
    s.mw(DATA + 0x10040, [0x51])
    s.mw(DATA + 0x20040, [0x52])
    s.mw(DATA + 0x33040, [0x53])
    s.init()
    s.dma(0x30, 0x10000040, [0x51])
    s.dma(0x30, 0x8040000040, [0x52])
    s.dma(0x31, 0x8007040, [0x53])
    s.dma(0x30, 0x8040001000, fault=True)
    s.c('Stage-2 fault: F_TRANSLATION with S2 = 1, CLASS = IN, IPA = the input address.')
    s.expect_event(0, ev0('F_TRANSLATION', 0x30), ev1(s2=1), 0x8040001000, 0x8040001000,
                   m1=EV1_MASK, m3=mask(55, 12))
    return s


@scenario
def nested():
    s = Scenario('nested', '''
        Nested translation (STE.Config 111): the CD and every stage-1 table are IPAs translated by
        stage 2 (a 2 MiB block moves the guest's table window), and the stage-1 output IPA is
        translated by stage 2 again. Stage-2 faults name what stage 2 was translating: the
        stage-1 output (CLASS IN), the CD (CLASS CD) or a stage-1 table (CLASS TT), with the IPA.''')
    ipa_win, pa_win = 0x40000000, 0x800000
    ws = []
    s2 = Tables(s.alloc, 12, 40, 1, ws)
    s2.map(ipa_win, pa_win, AF | S2_RW, level=2, note='S2: IPA 0x40000000 (2 MiB) -> PA 0x800000 (guest tables)')
    s2.map(0x50000000, DATA + 0x40000, AF | S2_RW, note='S2: IPA 0x50000000 -> DATA + 0x40000 (guest data)')
    s.writes(ws, 'stage 2: 4 KiB granule, 40-bit IPA, level-1 start (2 concatenated tables)')
    galloc = Alloc(ipa_win)
    ws = []
    s1 = Tables(galloc, 12, 39, 1, ws, to_pa=lambda ipa: ipa - ipa_win + pa_win)
    s1.map(0x12345000, 0x50000000, AF | S1_RW | S1_NG, note='S1: VA 0x12345000 -> IPA 0x50000000')
    s.writes([(pa, v, c) for pa, v, c in ws],
             'stage 1 (guest): tables at IPAs in the window, written at their PAs')
    cd_ipa = galloc.take(64)
    s.mw(cd_ipa - ipa_win + pa_win, cd(s1.root, 25, 12, asid=3),
         f'CD at IPA {cd_ipa:#x}: T0SZ 25, ASID 3, TTB0 = IPA {s1.root:#x}')
    s.set_ste(0x40, ste(CFG_NESTED, s1ctx=cd_ipa, vmid=7, s2t0sz=24, s2sl0=1, s2ttb=s2.root),
              'STE 0x40: Config 111, S1ContextPtr is an IPA, VMID 7')
    s.set_ste(0x41, ste(CFG_NESTED, s1ctx=0x60000000, vmid=7, s2t0sz=24, s2sl0=1, s2ttb=s2.root),
              'STE 0x41: like 0x40 but the CD at IPA 0x60000000, which stage 2 does not map')
    cd2_ipa = galloc.take(64)
    s.mw(cd2_ipa - ipa_win + pa_win, cd(0x61000000, 25, 12, asid=4),
         f'CD at IPA {cd2_ipa:#x}: TTB0 = IPA 0x61000000, which stage 2 does not map')
    s.set_ste(0x42, ste(CFG_NESTED, s1ctx=cd2_ipa, vmid=7, s2t0sz=24, s2sl0=1, s2ttb=s2.root),
              'STE 0x42: nested, its CD\'s stage-1 tables unmapped in stage 2')
    s.mw(DATA + 0x40008, [0x4e57])
    s.init()
    s.dma(0x40, 0x12345008, [0x4e57])
    s.dma(0x40, 0x12345010, [0x77], write=True)
    s.mr(DATA + 0x40010, [0x77])
    s.c('A stage-1 output IPA stage 2 does not map: stage-2 F_TRANSLATION, CLASS = IN, IPA recorded.')
    s.mw(s1_entry_pa(s1, 0x12346000), [0x50001000 | AF | S1_RW | 0b11], 'S1: VA 0x12346000 -> IPA 0x50001000 (unmapped in S2)')
    s.dma(0x40, 0x12346000, fault=True)
    s.expect_event(0, ev0('F_TRANSLATION', 0x40), ev1(s2=1, cls=0b10), 0x12346000, 0x50001000,
                   m1=EV1_MASK, m3=mask(55, 12))
    s.c('The CD\'s IPA is not mapped by stage 2: stage-2 F_TRANSLATION with CLASS = CD, IPA = the CD.')
    s.dma(0x41, 0x12345008, fault=True)
    s.expect_event(1, ev0('F_TRANSLATION', 0x41), ev1(s2=1, cls=0b00), 0x12345008, 0x60000000,
                   m1=EV1_MASK, m3=mask(55, 12))
    s.c('A stage-1 table IPA is not mapped by stage 2: CLASS = TT, IPA = the descriptor\'s IPA.')
    s.dma(0x42, 0x12345008, fault=True)
    s.expect_event(2, ev0('F_TRANSLATION', 0x42), ev1(s2=1, cls=0b01), 0x12345008, 0x61000000,
                   m1=EV1_MASK, m3=mask(55, 12))
    s.mmr(EVENTQ_PROD, 3)
    return s


@scenario
def two_level():
    s = Scenario('two_level', '''
        A 2-level stream table (LOG2SIZE 16, SPLIT 8) and a 2-level CD table (S1Fmt 01, 4 KiB
        leaves, S1CDMax 8): two SubstreamIDs in different leaf tables translate through their own
        CDs and ASIDs, traffic without a SubstreamID bypasses stage 1 (S1DSS 01). Invalid level-1
        descriptors give C_BAD_STREAMID (CR2.RECINVSID = 1) or C_BAD_SUBSTREAMID, and an L1STD
        pointing outside memory gives F_STE_FETCH with the STE's address.''')
    sid = 0x1234
    l2 = s.alloc.take(64 << 8)
    s.mw(STRTAB + 8 * 0x12, [l2 | 9], f'L1STD[0x12]: Span 9 (256 STEs), L2Ptr {l2:#x}')
    s.mw(STRTAB + 8 * 0x07, [0], 'L1STD[0x07]: Span 0 (invalid)')
    l2b = s.alloc.take(64)
    s.mw(STRTAB + 8 * 0x08, [l2b | 1], 'L1STD[0x08]: Span 1 (only StreamID 0x800)')
    s.mw(STRTAB + 8 * 0x09, [0x100000000 | 1], 'L1STD[0x09]: L2Ptr 0x100000000, beyond memory')
    l1cd = s.alloc.take(64)
    leaves = {}
    for ssid, pa in ((0x41, DATA + 0x50000), (0x85, DATA + 0x60000)):
        idx = ssid >> 6
        if idx not in leaves:
            leaves[idx] = s.alloc.take(4096)
            s.mw(l1cd + 8 * idx, [leaves[idx] | 1], f'L1CD[{idx}]: V, L2Ptr {leaves[idx]:#x}')
        ws = []
        t = Tables(s.alloc, 12, 48, 0, ws)
        t.map(0x10000, pa, AF | S1_RW | S1_NG)
        s.writes(ws, f'tables of SubstreamID {ssid:#x}')
        s.mw(leaves[idx] + 64 * (ssid & 63), cd(t.root, 16, 12, asid=ssid),
             f'CD for SubstreamID {ssid:#x} (ASID {ssid:#x})')
        s.mw(pa + 0x10, [0x5500 + ssid])
    s.mw(l1cd + 8 * 3, [0], 'L1CD[3]: V = 0')
    s.mw(l2 + 64 * 0x34, ste(CFG_S1, s1ctx=l1cd, s1fmt=1, s1cdmax=8, s1dss=1),
         'STE 0x1234: Config 101, S1Fmt 01, S1CDMax 8, S1DSS 01 (bypass), S1ContextPtr -> L1CD table')
    s.mw(0x10010, [0xb7])
    s.init(strtab_cfg=1 << 16 | 8 << 6 | 16, cr2=1 << 1)
    s.dma(sid, 0x10010, [0x5541], pasid=0x41)
    s.dma(sid, 0x10010, [0x5585], pasid=0x85)
    s.c('No SubstreamID: S1DSS 01 bypasses stage 1.')
    s.dma(sid, 0x10010, [0xb7])
    s.c('L1CD[3] invalid: C_BAD_SUBSTREAMID, SubstreamID 0xc1 (7.3.9: no SSV bit).')
    s.dma(sid, 0x10010, pasid=0xc1, fault=True)
    s.expect_event(0, ev0('C_BAD_SUBSTREAMID', sid) | 0xc1 << 12)
    s.c('L1STD Span 0, and a StreamID beyond the span: C_BAD_STREAMID.')
    s.dma(0x0700, 0x10010, fault=True)
    s.expect_event(1, ev0('C_BAD_STREAMID', 0x0700))
    s.dma(0x0812, 0x10010, fault=True)
    s.expect_event(2, ev0('C_BAD_STREAMID', 0x0812))
    s.c('StreamID 0x900: the STE read at 0x100000000 aborts: F_STE_FETCH, FetchAddr = the STE.')
    s.dma(0x0900, 0x10010, fault=True)
    s.expect_event(3, ev0('F_STE_FETCH', 0x0900), w3=0x100000000, m3=mask(55, 3))
    s.c('StreamID 0x10000 is beyond LOG2SIZE: C_BAD_STREAMID (the 16-bit requester ID cannot '
        'carry it, so use a StreamID beyond SPLIT with an L1 descriptor never written: 0xff00).')
    s.dma(0xff00, 0x10010, fault=True)
    s.expect_event(4, ev0('C_BAD_STREAMID', 0xff00))
    s.mmr(EVENTQ_PROD, 5)
    return s


@scenario
def s1dss():
    s = Scenario('s1dss', '''
        STE.S1DSS for traffic without a SubstreamID when substreams are enabled (S1CDMax 2, a
        linear table of 4 CDs): 00 terminates with F_STREAM_DISABLED, 01 bypasses stage 1, 10 uses
        CD 0 and then terminates SubstreamID 0 with F_STREAM_DISABLED. A SubstreamID beyond
        S1CDMax, or on a stream without stage 1, is C_BAD_SUBSTREAMID.''')
    cds = s.alloc.take(4 * 64, 256)
    for i in range(4):
        ws = []
        t = Tables(s.alloc, 12, 48, 0, ws)
        t.map(0x20000, DATA + 0x1000 * (0x70 + i), AF | S1_RW | S1_NG)
        s.writes(ws, f'tables of CD {i}')
        s.mw(cds + 64 * i, cd(t.root, 16, 12, asid=0x10 + i), f'CD {i}: ASID {0x10 + i:#x}')
        s.mw(DATA + 0x1000 * (0x70 + i) + 8, [0xcd0 + i])
    s.mw(0x20008, [0xb9])
    for sid, dss in ((0x50, 0), (0x51, 1), (0x52, 2)):
        s.set_ste(sid, ste(CFG_S1, s1ctx=cds, s1cdmax=2, s1dss=dss), f'STE {sid:#x}: S1CDMax 2, S1DSS {dss:02b}')
    s.set_ste(0x53, ste(CFG_BYPASS), 'STE 0x53: bypass (no stage 1)')
    s.init()
    s.dma(0x50, 0x20008, [0xcd1], pasid=1)
    s.dma(0x50, 0x20008, fault=True)
    s.expect_event(0, ev0('F_STREAM_DISABLED', 0x50))
    s.dma(0x51, 0x20008, [0xb9])
    s.dma(0x51, 0x20008, [0xcd2], pasid=2)
    s.dma(0x52, 0x20008, [0xcd0])
    s.dma(0x52, 0x20008, [0xcd3], pasid=3)
    s.dma(0x52, 0x20008, pasid=0, fault=True)
    s.expect_event(1, ev0('F_STREAM_DISABLED', 0x52), m0=0xffffffff000000ff)
    s.dma(0x52, 0x20008, pasid=4, fault=True)
    s.expect_event(2, ev0('C_BAD_SUBSTREAMID', 0x52) | 4 << 12)
    s.dma(0x53, 0x20008, pasid=1, fault=True)
    s.expect_event(3, ev0('C_BAD_SUBSTREAMID', 0x53) | 1 << 12)
    s.mmr(EVENTQ_PROD, 4)
    return s


@scenario
def events():
    s = Scenario('events', '''
        One transaction per event type the model raises from a stream or context configuration or
        a walk, with the record's fields checked in memory (IHI 0070 7.3): C_BAD_CD, F_CD_FETCH,
        F_WALK_EABT, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION (write to a read-only
        page), and the RnW, PnU, InD, S2, CLASS, InputAddr and FetchAddr fields.''')
    base_va = 0x30000
    ws = []
    t = Tables(s.alloc, 12, 48, 0, ws)
    t.map(base_va, DATA + 0x80000, AF | S1_RW | S1_NG, note='VA 0x30000: read/write')
    t.map(base_va + 0x1000, DATA + 0x81000, AF | S1_RO | S1_NG, note='VA 0x31000: read-only')
    t.map(base_va + 0x2000, DATA + 0x82000, S1_RW | S1_NG, note='VA 0x32000: AF = 0')
    t.map(base_va + 0x3000, 0x1000000000, AF | S1_RW | S1_NG, note='VA 0x33000: OA 0x1000000000 (beyond a 32-bit IPS)')
    s.writes(ws, 'stage-1 tables')
    good = s.alloc.take(64)
    s.mw(good, cd(t.root, 16, 12, asid=1, ips=0), 'CD: IPS 000 (32 bits), R = 1, A = 1')
    s.set_ste(0x70, ste(CFG_S1, s1ctx=good), 'STE 0x70: stage 1')
    bad = s.alloc.take(64)
    s.mw(bad, cd(t.root, 16, 12, asid=1, valid=0), 'CD with V = 0')
    s.set_ste(0x71, ste(CFG_S1, s1ctx=bad), 'STE 0x71: its CD is invalid (C_BAD_CD)')
    s.set_ste(0x72, ste(CFG_S1, s1ctx=0x100000000), 'STE 0x72: CD at 0x100000000, beyond memory (F_CD_FETCH)')
    far = s.alloc.take(64)
    s.mw(far, cd(0x200000000, 16, 12, asid=2), 'CD with TTB0 0x200000000, beyond memory')
    s.set_ste(0x73, ste(CFG_S1, s1ctx=far), 'STE 0x73: the first table read aborts (F_WALK_EABT)')
    s.init()
    s.dma(0x70, base_va, [0], write=True)
    n = 0
    s.c('C_BAD_CD: StreamID, no SubstreamID.')
    s.dma(0x71, base_va, fault=True)
    s.expect_event(n, ev0('C_BAD_CD', 0x71)); n += 1
    s.c('F_CD_FETCH: FetchAddr = the CD address.')
    s.dma(0x72, base_va, fault=True)
    s.expect_event(n, ev0('F_CD_FETCH', 0x72), w3=0x100000000, m3=mask(55, 3)); n += 1
    s.c('F_WALK_EABT: CLASS = TT, S2 = 0, FetchAddr = the level-0 descriptor (0x200000000 + 8 * 0).')
    s.dma(0x73, base_va + 0x8, fault=True)
    s.expect_event(n, ev0('F_WALK_EABT', 0x73), ev1(rnw=1, cls=0b01), base_va + 0x8, 0x200000000,
                   m1=EV1_MASK, m3=mask(55, 3)); n += 1
    s.c('F_TRANSLATION: an unmapped VA; a privileged instruction read (PnU = 1, InD = 1, CLASS IN).')
    s.step(f'dma_read: {{rid: 0x70, addr: {base_va + 0x10000:#x}, priv: true, exec: true, size: 8, fault: true}}')
    s.expect_event(n, ev0('F_TRANSLATION', 0x70), ev1(rnw=1, pnu=1, ind=1), base_va + 0x10000,
                   m1=EV1_MASK); n += 1
    s.c('F_PERMISSION: a write to a read-only page (RnW = 0).')
    s.dma(0x70, base_va + 0x1008, [0xbad], write=True, fault=True)
    s.expect_event(n, ev0('F_PERMISSION', 0x70), ev1(rnw=0), base_va + 0x1008, m1=EV1_MASK); n += 1
    s.mr(DATA + 0x81008, [0])
    s.c('F_ACCESS: AF = 0 and no hardware update (CD.HA = 0).')
    s.dma(0x70, base_va + 0x2000, fault=True)
    s.expect_event(n, ev0('F_ACCESS', 0x70), ev1(), base_va + 0x2000, m1=EV1_MASK); n += 1
    s.c('F_ADDR_SIZE: the output address is beyond the CD\'s 32-bit IPS.')
    s.dma(0x70, base_va + 0x3000, fault=True)
    s.expect_event(n, ev0('F_ADDR_SIZE', 0x70), ev1(), base_va + 0x3000, m1=EV1_MASK); n += 1
    s.c('The good page still works, and the PASID-less faults used SSV = 0.')
    s.dma(0x70, base_va, [0])
    s.mmr(EVENTQ_PROD, n)
    return s


@scenario
def stale_tlbi():
    s = Scenario('stale_tlbi', '''
        The TLB is a real cache: a page-table change is not seen until the matching TLB
        invalidation and CMD_SYNC. CMD_TLBI_NH_VA with Leaf and with a range (TG/NUM/SCALE) removes
        exactly its pages; CMD_TLBI_NH_VA of another ASID leaves the entry, CMD_TLBI_NH_VAA removes
        it. Entries are tagged by VMID and ASID, not by stream: two streams with the same VMID and
        ASID share entries; TLBI_NH_ASID of one VMID leaves the other VMID's entry; TLBI_NH_ALL
        and TLBI_S12_VMALL clear a VMID; a global (nG = 0) entry survives TLBI_NH_ASID.''')
    va = 0x100000
    t = {}
    for sid, vmid, asid in ((0x60, 1, 1), (0x61, 2, 1), (0x62, 1, 1)):
        ws = []
        t[sid] = Tables(s.alloc, 12, 48, 0, ws)
        t[sid].map(va, DATA + 0x1000 * sid, AF | S1_RW | S1_NG)
        for k in range(4):
            t[sid].map(0x200000 + 0x1000 * k, DATA + 0x100000 + 0x1000 * k, AF | S1_RW | S1_NG)
        t[sid].map(0x300000, DATA + 0x200000, AF | S1_RW, note='VA 0x300000: a global page (nG = 0)')
        t[sid].map(0x40000000, DATA + 0x300000, AF | S1_RW | S1_NG,
                   note='VA 0x40000000: its own level-2 and level-3 tables')
        s.writes(ws, f'tables of stream {sid:#x}')
        c = s.alloc.take(64)
        s.mw(c, cd(t[sid].root, 16, 12, asid=asid), f'CD: ASID {asid}')
        s.set_ste(sid, ste(CFG_S1, s1ctx=c, vmid=vmid), f'STE {sid:#x}: stage 1, S2VMID {vmid}, ASID {asid}')
        s.mw(DATA + 0x1000 * sid, [0x1000 + sid])
    for k in range(4):
        s.mw(DATA + 0x100000 + 0x1000 * k, [0xa0 + k])
        s.mw(DATA + 0x180000 + 0x1000 * k, [0xb0 + k])
    s.mw(DATA + 0x200000, [0x6106a1])
    s.mw(DATA + 0x280000, [0x6106a2])
    s.mw(DATA + 0x7000, [0x7777])
    s.mw(DATA + 0x300000, [0x01d])
    s.mw(DATA + 0x380000, [0x2e3])
    s.init()

    def remap(sid, v, pa, attrs=AF | S1_RW | S1_NG):
        s.mw(s1_entry_pa(t[sid], v), [pa | attrs | 0b11], f'stream {sid:#x}: VA {v:#x} -> {pa:#x} (memory only)')

    s.dma(0x60, va, [0x1060])
    remap(0x60, va, DATA + 0x7000)
    s.c('Stale: the TLB still holds the old translation.')
    s.dma(0x60, va, [0x1060])
    s.commands([cmd('TLBI_NH_VA', vmid=1, asid=1, addr=va, leaf=1), s.sync()],
               'CMD_TLBI_NH_VA (VMID 1, ASID 1, Leaf) + CMD_SYNC')
    s.dma(0x60, va, [0x7777])
    s.c('Stream 0x62 has the same VMID and ASID: it hits the entry stream 0x60 filled, not its own tables.')
    s.dma(0x62, va, [0x7777])
    s.c('Range: four pages cached, all four remapped in memory, a 2-page range invalidated.')
    for k in range(4):
        s.dma(0x60, 0x200000 + 0x1000 * k, [0xa0 + k])
    for k in range(4):
        remap(0x60, 0x200000 + 0x1000 * k, DATA + 0x180000 + 0x1000 * k)
    s.commands([cmd('TLBI_NH_VA', vmid=1, asid=1, addr=0x200000, tg=1, num=1, scale=0, ttl=3, leaf=1),
                s.sync()], 'TLBI_NH_VA range: TG 4K, NUM 1, SCALE 0 = 2 pages from 0x200000, TTL 3')
    for k in range(4):
        s.dma(0x60, 0x200000 + 0x1000 * k, [(0xb0 if k < 2 else 0xa0) + k])
    s.commands([cmd('TLBI_NH_VA', vmid=1, asid=2, addr=0x202000), s.sync()],
               'TLBI_NH_VA of ASID 2: the ASID 1 entry stays')
    s.dma(0x60, 0x202000, [0xa2])
    s.commands([cmd('TLBI_NH_VAA', vmid=1, addr=0x202000), s.sync()], 'TLBI_NH_VAA: every ASID')
    s.dma(0x60, 0x202000, [0xb2])
    s.dma(0x60, 0x203000, [0xa3])
    s.c('VMID scoping: streams 0x60 (VMID 1) and 0x61 (VMID 2), both ASID 1.')
    s.dma(0x61, va, [0x1061])
    remap(0x61, va, DATA + 0x7000)
    s.commands([cmd('TLBI_NH_ASID', vmid=1, asid=1), s.sync()], 'TLBI_NH_ASID VMID 1, ASID 1')
    s.dma(0x61, va, [0x1061])
    s.commands([cmd('TLBI_NH_ASID', vmid=2, asid=1), s.sync()], 'TLBI_NH_ASID VMID 2, ASID 1')
    s.dma(0x61, va, [0x7777])
    s.c('A global entry survives TLBI_NH_ASID and goes with TLBI_NH_ALL of its VMID.')
    s.dma(0x60, 0x300000, [0x6106a1])
    remap(0x60, 0x300000, DATA + 0x280000, AF | S1_RW)
    s.commands([cmd('TLBI_NH_ASID', vmid=1, asid=1), s.sync()])
    s.dma(0x60, 0x300000, [0x6106a1])
    s.commands([cmd('TLBI_NH_ALL', vmid=1), s.sync()], 'TLBI_NH_ALL VMID 1')
    s.dma(0x60, 0x300000, [0x6106a2])
    s.dma(0x60, 0x203000, [0xb3])
    s.c('TLBI_S12_VMALL of VMID 2 clears stream 0x61 too.')
    remap(0x61, va, DATA + 0x1000 * 0x61)
    s.dma(0x61, va, [0x7777])
    s.commands([cmd('TLBI_S12_VMALL', vmid=2), s.sync()])
    s.dma(0x61, va, [0x1061])
    s.c('Walk cache: the walk of VA 0x40000000 cached its level-1..3 tables. A new level-3 table '
        'mapping the page elsewhere, hooked into the level-2 table (memory only):')
    s.dma(0x60, 0x40000000, [0x01d])
    l3 = s.alloc.take(4096)
    s.mw(l3, [(DATA + 0x380000) | AF | S1_RW | S1_NG | 0b11], f'new level-3 table at {l3:#x}')
    l2 = t[0x60].tables[(1, 0x40000000 >> t[0x60].item_lg2(1))]
    s.mw(l2, [l3 | 0b11], 'level-2 entry -> the new table')
    s.commands([cmd('TLBI_NH_VA', vmid=1, asid=1, addr=0x40000000, leaf=1), s.sync()],
               'TLBI_NH_VA with Leaf = 1: the TLB entry goes, the cached level-3 table stays')
    s.dma(0x60, 0x40000000, [0x01d])
    s.commands([cmd('TLBI_NH_VA', vmid=1, asid=1, addr=0x40000000, leaf=0), s.sync()],
               'TLBI_NH_VA with Leaf = 0: the walk cache entries for the address go too')
    s.dma(0x60, 0x40000000, [0x2e3])
    return s


@scenario
def stale_config():
    s = Scenario('stale_config', '''
        The configuration caches hold STEs and CDs until CMD_CFGI_*: an STE changed in memory
        keeps its cached behaviour until CMD_CFGI_STE + CMD_SYNC; a CD's new TTB0 is used only after
        CMD_CFGI_CD (and a TLB invalidation for the old translations); CMD_CFGI_ALL clears
        everything; CMD_CFGI_STE_RANGE covers its aligned range.''')
    ws = []
    t1 = Tables(s.alloc, 12, 48, 0, ws)
    t1.map(0x40000, DATA + 0x1000, AF | S1_RW | S1_NG)
    t2 = Tables(s.alloc, 12, 48, 0, ws)
    t2.map(0x40000, DATA + 0x2000, AF | S1_RW | S1_NG)
    s.writes(ws, 'two sets of tables: VA 0x40000 -> DATA + 0x1000 or DATA + 0x2000')
    c = s.alloc.take(64)
    s.mw(c, cd(t1.root, 16, 12, asid=4), 'CD: TTB0 = first tables')
    s.set_ste(0x80, ste(CFG_S1, s1ctx=c))
    s.set_ste(0x81, ste(CFG_BYPASS))
    s.mw(DATA + 0x1000, [0x1])
    s.mw(DATA + 0x2000, [0x2])
    s.mw(0x40000, [0xbb])
    s.init()
    s.dma(0x80, 0x40000, [0x1])
    s.dma(0x81, 0x40000, [0xbb])
    s.mw(c, cd(t2.root, 16, 12, asid=5), 'CD: TTB0 = second tables, ASID 5 (memory only)')
    s.commands([cmd('TLBI_NH_ALL'), s.sync()], 'TLB invalidated, CD cache not: the old CD (ASID 4) refills')
    s.dma(0x80, 0x40000, [0x1])
    s.commands([cmd('CFGI_CD', sid=0x80, ssid=0, leaf=1), s.sync()], 'CMD_CFGI_CD (SID 0x80, SubstreamID 0)')
    s.dma(0x80, 0x40000, [0x2])
    s.set_ste(0x81, ste(CFG_ABORT), 'STE 0x81 -> abort (memory only)')
    s.dma(0x81, 0x40000, [0xbb])
    s.commands([cmd('CFGI_STE_RANGE', sid=0x90, rng=3), s.sync()], 'CFGI_STE_RANGE 0x90..0x9f: not 0x81')
    s.dma(0x81, 0x40000, [0xbb])
    s.commands([cmd('CFGI_STE_RANGE', sid=0x83, rng=1), s.sync()], 'CFGI_STE_RANGE 0x80..0x83')
    s.dma(0x81, 0x40000, fault=True)
    s.set_ste(0x81, ste(CFG_BYPASS), 'STE 0x81 -> bypass again (memory only)')
    s.dma(0x81, 0x40000, fault=True)
    s.commands([cmd('CFGI_STE', sid=0x81, leaf=1), s.sync()])
    s.dma(0x81, 0x40000, [0xbb])
    s.dma(0x80, 0x40000, [0x2])
    s.set_ste(0x80, ste(CFG_BYPASS), 'STE 0x80 -> bypass (memory only)')
    s.dma(0x80, 0x40000, [0x2])
    s.commands([cmd('CFGI_STE_RANGE', rng=31), s.sync()], 'CMD_CFGI_ALL (CFGI_STE_RANGE, Range 31)')
    s.dma(0x80, 0x40000, [0xbb])
    return s


@scenario
def cmdq():
    s = Scenario('cmdq', '''
        The Command queue: nothing is consumed while CMDQEN is clear; CMD_SYNC completion is
        signalled by CMDQ_CONS and by its MSI write (CS = SIG_IRQ); an illegal command stops the
        queue with CMDQ_CONS.ERR = CERROR_ILL at the failing entry, raises GERROR.CMDQ_ERR (with the
        GERROR MSI), and the queue resumes from that entry once software fixes it and
        acknowledges in GERRORN.''')
    s.init(enable=False)
    s.mmw(CR0, EVENTQEN)
    s.mmr(CR0ACK, EVENTQEN, poll=True)
    s.mw(CMDQ, cmd('SYNC'), 'a CMD_SYNC written and published while CMDQEN = 0')
    s.mmw(CMDQ_PROD, 1)
    s.wait('1us')
    s.mmr(CMDQ_CONS, 0)
    s.mmw(CR0, EVENTQEN | CMDQEN)
    s.mmr(CMDQ_CONS, 1, poll=True)
    s.cmd_index = 1
    s.c('CMD_SYNC with CS = SIG_IRQ: MSIData written to MSIAddress when it completes.')
    s.mw(CMDQ + 16, cmd('SYNC', cs=1, msi_addr=MSI, msi_data=0xdeadbeef))
    s.mmw(CMDQ_PROD, 2)
    s.mr(MSI, [0xdeadbeef], mask_=0xffffffff, poll=True)
    s.mmr(CMDQ_CONS, 2, poll=True)
    s.c('GERROR MSI configuration, then a reserved opcode (0x7f) followed by a CMD_SYNC.')
    s.mmw(GERROR_IRQ_CFG0, MSI + 0x10, 64)
    s.mmw(GERROR_IRQ_CFG1, 0x6e6e)
    s.mmw(IRQ_CTRL, 1)
    s.mmr(IRQ_CTRLACK, 1, poll=True)
    s.mw(CMDQ + 32, cmd('SYNC', opcode=0x7f))
    s.mw(CMDQ + 48, cmd('SYNC', cs=1, msi_addr=MSI + 8, msi_data=0x5a5a))
    s.mmw(CMDQ_PROD, 4)
    s.mmr(GERROR, 1, mask_=1, poll=True)
    s.mr(MSI + 0x10, [0x6e6e], mask_=0xffffffff, poll=True)
    s.c('CONS.RD stays at the illegal command (index 2), CONS.ERR = 0x01 (CERROR_ILL).')
    s.mmr(CMDQ_CONS, 1 << 24 | 2)
    s.wait('1us')
    s.mmr(CMDQ_CONS, 1 << 24 | 2)
    s.mr(MSI + 8, [0])
    s.c('Software replaces the command with a CMD_SYNC and acknowledges: the queue resumes there.')
    s.mw(CMDQ + 32, cmd('SYNC'))
    s.mmw(GERRORN, 1)
    s.mmr(CMDQ_CONS, 4, mask_=mask(19, 0), poll=True)
    s.mr(MSI + 8, [0x5a5a], mask_=0xffffffff, poll=True)
    s.c('A TLBI range form without range support fields (TG 4K, NUM = SCALE = TTL = 0) is CERROR_ILL.')
    s.mw(CMDQ + 64, cmd('TLBI_NH_VA', vmid=1, asid=1, addr=0x1000, tg=1))
    s.mmw(CMDQ_PROD, 5)
    s.mmr(GERROR, 0, mask_=1, poll=True)
    s.mmr(CMDQ_CONS, 1 << 24 | 4)
    s.mw(CMDQ + 64, cmd('TLBI_NH_VA', vmid=1, asid=1, addr=0x1000, tg=1, ttl=3))
    s.mmw(GERRORN, 0)
    s.mmr(CMDQ_CONS, 5, mask_=mask(19, 0), poll=True)
    s.c('Wrap: the queue pointer carries the wrap flag in bit LOG2SIZE (8). CMDQ_CONS is set '
        'while CMDQEN = 0.')
    s.mmw(CR0, EVENTQEN)
    s.mmr(CR0ACK, EVENTQEN, poll=True)
    s.mmw(CMDQ_CONS, 255)
    s.mmw(CMDQ_PROD, 255)
    s.mmw(CR0, EVENTQEN | CMDQEN)
    s.mmr(CR0ACK, EVENTQEN | CMDQEN, poll=True)
    s.mw(CMDQ + 16 * 255, cmd('PREFETCH_CONFIG', sid=1))
    s.mw(CMDQ, cmd('SYNC', cs=1, msi_addr=MSI + 0x18, msi_data=0x77))
    s.mmw(CMDQ_PROD, 0x101)
    s.mmr(CMDQ_CONS, 0x101, poll=True)
    s.mr(MSI + 0x18, [0x77], mask_=0xffffffff)
    return s


@scenario
def evtq_overflow():
    s = Scenario('evtq_overflow', '''
        A 2-entry Event queue: two records fill it, the third is lost and toggles
        EVENTQ_PROD.OVFLG, a fourth changes nothing while the overflow is unacknowledged; after
        software consumes and acknowledges (CONS.OVACKFLG = OVFLG) recording resumes. Each record
        written sends the Event queue MSI.''')
    s.set_ste(0x90, ste(CFG_BYPASS, valid=0), 'STE 0x90: V = 0 (each access records C_BAD_STE)')
    s.mw(EVTQ + 64, [0x1111], 'a marker after the 2-entry queue: never overwritten')
    s.init(evtq_log2=1)
    s.mmw(EVENTQ_IRQ_CFG0, MSI + 0x20, 64)
    s.mmw(EVENTQ_IRQ_CFG1, 0xe0)
    s.mmw(IRQ_CTRL, 1 << 2)
    s.mmr(IRQ_CTRLACK, 1 << 2, poll=True)
    s.dma(0x90, 0x1000, fault=True)
    s.mr(MSI + 0x20, [0xe0], mask_=0xffffffff)
    s.dma(0x90, 0x2000, fault=True)
    s.c('Full: PROD index 0 with the wrap bit (bit 1) set.')
    s.mmr(EVENTQ_PROD, 0x2)
    s.dma(0x90, 0x3000, fault=True)
    s.mmr(EVENTQ_PROD, 0x80000002)
    s.dma(0x90, 0x4000, fault=True)
    s.mmr(EVENTQ_PROD, 0x80000002)
    s.expect_event(0, ev0('C_BAD_STE', 0x90))
    s.expect_event(1, ev0('C_BAD_STE', 0x90))
    s.mr(EVTQ + 64, [0x1111])
    s.c('Consume both and acknowledge the overflow.')
    s.mmw(EVENTQ_CONS, 0x80000002)
    s.set_ste(0x91, ste(CFG_BYPASS, valid=0))
    s.dma(0x91, 0x5000, fault=True)
    s.mmr(EVENTQ_PROD, 0x80000003)
    s.expect_event(0, ev0('C_BAD_STE', 0x91))
    s.c('With EVENTQEN clear, events are discarded.')
    s.mmw(CR0, CMDQEN | SMMUEN)
    s.mmr(CR0ACK, CMDQEN | SMMUEN, poll=True)
    s.dma(0x91, 0x6000, fault=True)
    s.mmr(EVENTQ_PROD, 0x80000003)
    return s


PRIQ_BASE, PRIQ_PROD, PRIQ_CONS = 0xC0, 0x100C8, 0x100CC
PRIQEN, ATSCHK = 1 << 1, 1 << 4
PRIQ = 0x230000


@scenario
def ats():
    s = Scenario('ats', '''
        PCIe ATS (IHI 0070 3.9): Translation Requests from a stream with STE.EATS = 01 are answered
        with the translation and its permissions; a translation fault is a completion granting
        nothing; EATS = 00 refuses the request with F_BAD_ATS_TREQ. Translated traffic passes
        unless CR0.ATSCHK forbids it for the stream (F_TRANSL_FORBIDDEN). CMD_ATC_INV reaches the
        device's ATC as an Invalidate Request, and CMD_SYNC completes only after the device's
        invalidation completion (3 us in this platform).''', platform='smmuv3_ats')
    ws = []
    t = Tables(s.alloc, 12, 48, 0, ws)
    t.map(0x5000, DATA + 0x9000, AF | S1_RW | S1_NG, note='VA 0x5000: read/write')
    t.map(0x6000, DATA + 0xa000, AF | S1_RO | S1_NG, note='VA 0x6000: read-only')
    s.writes(ws, 'stage-1 tables')
    c = s.alloc.take(64)
    s.mw(c, cd(t.root, 16, 12, asid=1))
    s.set_ste(0x100, ste(CFG_S1, s1ctx=c, eats=1), 'STE 0x100: stage 1, EATS 01 (full ATS)')
    s.set_ste(0x101, ste(CFG_S1, s1ctx=c, eats=0), 'STE 0x101: stage 1, EATS 00 (ATS disabled)')
    s.mw(DATA + 0x9120, [0xa75])
    s.init(strtab_cfg=9)
    s.step(f'ats_translate: {{rid: 0x100, addr: 0x5123, expect: {{addr: {DATA + 0x9000:#x}, size: 0x1000, r: 1, w: 1}}, capture: ta}}')
    s.step('ats_translate: {rid: 0x100, addr: 0x6010, nw: true, expect: {addr: %#x, r: 1, w: 0}}' % (DATA + 0xa000))
    s.c('A translation fault: a completion granting nothing (no event for Translation Requests).')
    s.step('ats_translate: {rid: 0x100, addr: 0x7000, nw: true, expect: {r: 0, w: 0}}')
    s.mmr(EVENTQ_PROD, 0)
    s.c('The device uses its translation: Translated traffic bypasses translation.')
    s.step('dma_read: {rid: 0x100, addr: $ta, translated: true, u64: [0]}')
    s.step(f'dma_read: {{rid: 0x100, addr: {DATA + 0x9120:#x}, translated: true, u64: [0xa75]}}')
    s.c('EATS = 00: the request is refused and F_BAD_ATS_TREQ recorded.')
    s.step('ats_translate: {rid: 0x101, addr: 0x5000, nw: true, fault: true}')
    s.expect_event(0, ev0('F_BAD_ATS_TREQ', 0x101), w2=0x5000)
    s.c('CR0.ATSCHK = 1: Translated traffic of an EATS = 00 stream is F_TRANSL_FORBIDDEN.')
    s.mmw(CR0, CMDQEN | EVENTQEN | SMMUEN | ATSCHK)
    s.mmr(CR0ACK, CMDQEN | EVENTQEN | SMMUEN | ATSCHK, poll=True)
    s.step(f'dma_read: {{rid: 0x101, addr: {DATA + 0x9120:#x}, translated: true, fault: true}}')
    s.expect_event(1, ev0('F_TRANSL_FORBIDDEN', 0x101), ev1(rnw=1), DATA + 0x9120, m1=1 << 35)
    s.step(f'dma_read: {{rid: 0x100, addr: {DATA + 0x9120:#x}, translated: true, u64: [0xa75]}}')
    s.c('CMD_ATC_INV (SID 0x100, SubstreamID 5, Size 9 = 2 MiB at 0x40200000) then CMD_SYNC with '
        'an MSI: the SYNC waits for the device\'s completion.')
    s.mw(CMDQ, cmd('ATC_INV', sid=0x100, ssid=5, size=9, addr=0x40234000))
    s.mw(CMDQ + 16, cmd('SYNC', cs=1, msi_addr=MSI, msi_data=0xa7c))
    s.mmw(CMDQ_PROD, 2)
    s.wait('1us')
    s.step('expect_ats_invalidation: {rid: 0x100, pasid: 5, addr: 0x40200000, size: 0x200000, global: false}')
    s.mr(MSI, [0])
    s.mmr(CMDQ_CONS, 1)
    s.mr(MSI, [0xa7c], mask_=0xffffffff, poll=True)
    s.mmr(CMDQ_CONS, 2)
    s.step('expect_ats_invalidation: {none: true}')
    s.cmd_index = 2
    s.commands([cmd('ATC_INV', sid=0x100, glob=1, size=0, addr=0x5000), cmd('SYNC')],
               'A single page, Global (every PASID), no SubstreamID')
    s.step('expect_ats_invalidation: {rid: 0x100, addr: 0x5000, size: 0x1000}')
    return s


@scenario
def atc_timeout():
    s = Scenario('atc_timeout', '''
        An ATC invalidation whose completion arrives after the SMMU's time-out (1 us here, the
        function takes 3 us) fails: the next CMD_SYNC stops the Command queue with
        CMDQ_CONS.ERR = CERROR_ATC_INV_SYNC and GERROR.CMDQ_ERR, without signalling; once software
        acknowledges, the CMD_SYNC runs again and completes.''', platform='smmuv3_ats_timeout')
    s.init(strtab_cfg=9)
    s.mw(CMDQ, cmd('ATC_INV', sid=0x100, size=0, addr=0x5000))
    s.mw(CMDQ + 16, cmd('SYNC', cs=1, msi_addr=MSI, msi_data=0x5e))
    s.mmw(CMDQ_PROD, 2)
    s.mmr(GERROR, 1, mask_=1, poll=True)
    s.c('CONS.RD at the CMD_SYNC (index 1), CONS.ERR = 0x03 (CERROR_ATC_INV_SYNC); no MSI.')
    s.mmr(CMDQ_CONS, 3 << 24 | 1)
    s.mr(MSI, [0])
    s.step('expect_ats_invalidation: {rid: 0x100, addr: 0x5000, size: 0x1000}')
    s.mmw(GERRORN, 1)
    s.mr(MSI, [0x5e], mask_=0xffffffff, poll=True)
    s.mmr(CMDQ_CONS, 2, mask_=mask(19, 0), poll=True)
    return s


@scenario
def pri():
    s = Scenario('pri', '''
        PRI (IHI 0070 8): page requests are written to the PRI queue with their fields; software
        answers a group with CMD_PRI_RESP, which reaches the device as a PRG Response. With the PRI
        queue disabled every last request gets an automatic Response Failure; when the queue is
        full it enters overflow (PRIQ_PROD.OVFLG), requests are discarded and a last request gets
        an automatic Success until software acknowledges.''', platform='smmuv3_ats')
    s.set_ste(0x100, ste(CFG_BYPASS), 'STE 0x100: bypass (PRI does not depend on the translation)')
    s.init(strtab_cfg=9)
    s.mmw(PRIQ_BASE, PRIQ | 1, 64)
    s.mmw(PRIQ_PROD, 0)
    s.mmw(PRIQ_CONS, 0)
    s.c('PRIQEN = 0: an automatic Response Failure (0b1111), no record.')
    s.step('page_request: {rid: 0x100, addr: 0x7000, read: true, group: 1}')
    s.step('expect_page_response: {rid: 0x100, group: 1, code: response_failure}')
    s.mmr(PRIQ_PROD, 0)
    s.mmw(CR0, CMDQEN | EVENTQEN | SMMUEN | PRIQEN)
    s.mmr(CR0ACK, CMDQEN | EVENTQEN | SMMUEN | PRIQEN, poll=True)
    s.c('A 2-request group with PASID 5: both recorded, no response yet.')
    s.step('page_request: {rid: 0x100, pasid: 5, addr: 0x7000, read: true, last: false, group: 3}')
    s.step('page_request: {rid: 0x100, pasid: 5, priv: true, addr: 0x8000, write: true, group: 3}')
    s.step('expect_page_response: {none: true}')
    s.mmr(PRIQ_PROD, 2)
    s.c('Records: StreamID 31:0, SubstreamID 51:32, Priv 58, eXec 59, Read 60, Write 61, Last 62, '
        'SSV 63; PRGIndex 8:0 and the page address 63:12 in word 1.')
    s.mr(PRIQ, [0x100 | 5 << 32 | 1 << 60 | 1 << 63, 0x7000 | 3])
    s.mr(PRIQ + 16, [0x100 | 5 << 32 | 1 << 58 | 1 << 61 | 1 << 62 | 1 << 63, 0x8000 | 3])
    s.commands([cmd('PRI_RESP', sid=0x100, ssid=5, prgi=3, resp=0b10)],
               'CMD_PRI_RESP: Success for group 3 with PASID 5')
    s.step('expect_page_response: {rid: 0x100, pasid: 5, group: 3, code: success}')
    s.c('The queue is full (2 entries unconsumed): overflow, the request is lost, an automatic '
        'Success goes back for the last request.')
    s.step('page_request: {rid: 0x100, addr: 0x9000, read: true, group: 4}')
    s.mmr(PRIQ_PROD, 0x80000002)
    s.step('expect_page_response: {rid: 0x100, group: 4, code: success}')
    s.step('page_request: {rid: 0x100, addr: 0xa000, read: true, last: false, group: 5}')
    s.step('expect_page_response: {none: true}')
    s.mmr(PRIQ_PROD, 0x80000002)
    s.c('Software consumes both records and acknowledges: recording resumes.')
    s.mmw(PRIQ_CONS, 0x80000002)
    s.step('page_request: {rid: 0x100, addr: 0xb000, write: true, group: 6}')
    s.mmr(PRIQ_PROD, 0x80000003)
    s.mr(PRIQ, [0x100 | 1 << 61 | 1 << 62, 0xb000 | 6])
    s.commands([cmd('PRI_RESP', sid=0x100, prgi=6, resp=0b01)], 'CMD_PRI_RESP: InvalidRequest')
    s.step('expect_page_response: {rid: 0x100, group: 6, code: invalid_request}')
    return s


@scenario
def queue_aborts():
    s = Scenario('queue_aborts', '''
        Queues and MSIs pointing outside memory (guest-controlled addresses) fail the way the
        architecture says, never crash: a command fetch abort stops the Command queue with
        CERROR_ABT; an Event queue write abort raises GERROR.EVENTQ_ABT_ERR; a CMD_SYNC MSI write
        abort raises GERROR.MSI_CMDQ_ABT_ERR. Each is acknowledged through GERRORN.''')
    s.set_ste(0x20, ste(CFG_BYPASS, valid=0), 'STE 0x20: V = 0 (records C_BAD_STE)')
    s.mmw(STRTAB_BASE, STRTAB, 64)
    s.mmw(STRTAB_BASE_CFG, 8)
    s.c('Command queue at 0x100000000 and Event queue at 0x100100000: beyond the 4 GiB memory.')
    s.mmw(CMDQ_BASE, 0x100000000 | 8, 64)
    s.mmw(EVENTQ_BASE, 0x100100000 | 5, 64)
    s.mmw(CR0, CMDQEN | EVENTQEN | SMMUEN)
    s.mmr(CR0ACK, CMDQEN | EVENTQEN | SMMUEN, poll=True)
    s.mmw(CMDQ_PROD, 1)
    s.mmr(GERROR, 1, mask_=1, poll=True)
    s.c('CONS.ERR = 0x02 (CERROR_ABT), RD still 0.')
    s.mmr(CMDQ_CONS, 2 << 24)
    s.dma(0x20, 0x1000, fault=True)
    s.mmr(GERROR, 1 << 2, mask_=1 << 2)
    s.mmr(EVENTQ_PROD, 0)
    s.c('Move the Command queue into memory (CMDQEN off while its base changes), acknowledge.')
    s.mmw(CR0, EVENTQEN | SMMUEN)
    s.mmr(CR0ACK, EVENTQEN | SMMUEN, poll=True)
    s.mmw(CMDQ_BASE, CMDQ | 8, 64)
    s.mw(CMDQ, cmd('SYNC', cs=1, msi_addr=0x200000000, msi_data=1), 'CMD_SYNC with an MSI address beyond memory')
    s.mmw(GERRORN, 1 | 1 << 2)
    s.mmw(CR0, CMDQEN | EVENTQEN | SMMUEN)
    s.mmr(CR0ACK, CMDQEN | EVENTQEN | SMMUEN, poll=True)
    s.mmr(CMDQ_CONS, 1, mask_=mask(19, 0), poll=True)
    s.mmr(GERROR, 1 | 1 << 2 | 1 << 4, poll=True)
    s.c('Only MSI_CMDQ_ABT_ERR is active (GERROR ^ GERRORN).')
    s.mmr(GERRORN, 1 | 1 << 2)
    return s


def s1_entry_pa(t, va):
    """PA of the level-3 descriptor for va (its table must exist)."""
    table = t.root
    for lvl in range(t.start, 3):
        table = t.tables[(lvl, va >> t.item_lg2(lvl))]
    return t.to_pa(table) + 8 * t.index(va, 3)


def main():
    for fn in ALL:
        fn().write()


if __name__ == '__main__':
    main()
