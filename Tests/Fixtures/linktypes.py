#!/usr/bin/env python3
"""Derive link-type variants (and a truncated file) from classic pcap files.

Standard library only. Used by make-fixtures.sh; safe to run by hand:

    linktypes.py vlan     ethernet.pcap vlan.pcap   # + 802.1Q tag, VID 100
    linktypes.py qinq     ethernet.pcap qinq.pcap   # + 802.1ad VID 200 + 802.1Q VID 100
    linktypes.py raw      ethernet.pcap raw.pcap    # LINKTYPE_RAW (101), IP only
    linktypes.py null     ethernet.pcap null.pcap   # LINKTYPE_NULL (0), IP only
    linktypes.py all      ethernet.pcap OUTDIR      # all four, fixed names
    linktypes.py truncate http.pcap truncated.pcap  # cut mid-way through a record

Input for vlan/qinq/raw/null must be LINKTYPE_ETHERNET (1). Byte order and
timestamp resolution (magic) of the input file are preserved in the output.
Each record's incl_len (caplen) and orig_len (len) are adjusted by the number
of bytes added or removed. Frames whose EtherType is neither IPv4 (0x0800)
nor IPv6 (0x86DD), e.g. ARP, cannot be represented in RAW/NULL and are
dropped from those outputs (the count is printed).
"""

import struct
import sys

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
TPID_8021Q = 0x8100
TPID_8021AD = 0x88A8

# LINKTYPE_NULL address families (as written by BSD hosts).
AF_INET = 2
AF_INET6 = 24  # NetBSD/OpenBSD value; the one most readers accept

MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", "us"),
    b"\xa1\xb2\xc3\xd4": (">", "us"),
    b"\x4d\x3c\xb2\xa1": ("<", "ns"),
    b"\xa1\xb2\x3c\x4d": (">", "ns"),
}


class PcapError(Exception):
    pass


def read_pcap(path):
    """Return (endian, magic_bytes, header_fields, records).

    header_fields = [ver_major, ver_minor, thiszone, sigfigs, snaplen, network]
    records = list of [ts_sec, ts_frac, incl_len, orig_len, data]
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        raise PcapError(f"{path}: too short for a pcap global header")
    magic = blob[:4]
    if magic not in MAGICS:
        raise PcapError(f"{path}: not a classic pcap file (magic {magic.hex()})")
    endian, _ = MAGICS[magic]
    hdr = list(struct.unpack(endian + "HHiIII", blob[4:24]))
    records = []
    off = 24
    while off < len(blob):
        if off + 16 > len(blob):
            raise PcapError(f"{path}: truncated record header at offset {off}")
        ts_sec, ts_frac, incl, orig = struct.unpack(endian + "IIII", blob[off:off + 16])
        data = blob[off + 16:off + 16 + incl]
        if len(data) != incl:
            raise PcapError(f"{path}: truncated record data at offset {off}")
        records.append([ts_sec, ts_frac, incl, orig, data])
        off += 16 + incl
    return endian, magic, hdr, records


def write_pcap(path, endian, magic, hdr, records):
    with open(path, "wb") as f:
        f.write(magic)
        f.write(struct.pack(endian + "HHiIII", *hdr))
        for ts_sec, ts_frac, _incl, orig, data in records:
            f.write(struct.pack(endian + "IIII", ts_sec, ts_frac, len(data), orig))
            f.write(data)


def _require_ethernet(path, hdr):
    linktype = hdr[5] & 0x03FFFFFF  # low bits; upper bits may carry FCS info
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError(f"{path}: link type {linktype}, expected {LINKTYPE_ETHERNET} (Ethernet)")


def convert(kind, src, dst):
    endian, magic, hdr, records = read_pcap(src)
    _require_ethernet(src, hdr)
    out = []
    dropped = 0
    max_incl = 0
    for ts_sec, ts_frac, incl, orig, data in records:
        if kind in ("vlan", "qinq"):
            if kind == "vlan":
                tag = struct.pack(">HH", TPID_8021Q, 100)
            else:
                tag = struct.pack(">HHHH", TPID_8021AD, 200, TPID_8021Q, 100)
            # Tag goes after the two 6-byte MAC addresses, before the EtherType.
            new = data[:12] + tag + data[12:]
            delta = len(tag)
        else:
            if len(data) < 14:
                dropped += 1
                continue
            (ethertype,) = struct.unpack(">H", data[12:14])
            if ethertype not in (ETH_IPV4, ETH_IPV6):
                dropped += 1
                continue
            payload = data[14:]
            if kind == "raw":
                new = payload
            else:  # null
                af = AF_INET if ethertype == ETH_IPV4 else AF_INET6
                new = struct.pack("<I", af) + payload  # host order, little endian
            delta = len(new) - len(data)
        out.append([ts_sec, ts_frac, len(new), orig + delta, new])
        max_incl = max(max_incl, len(new))
    new_hdr = list(hdr)
    new_hdr[5] = {"vlan": LINKTYPE_ETHERNET, "qinq": LINKTYPE_ETHERNET,
                  "raw": LINKTYPE_RAW, "null": LINKTYPE_NULL}[kind]
    new_hdr[4] = max(new_hdr[4], max_incl)  # snaplen must cover the longest record
    write_pcap(dst, endian, magic, new_hdr, out)
    print(f"{kind}: {src} -> {dst}: {len(out)} records written, "
          f"{dropped} non-IP frames dropped, linktype {new_hdr[5]}")


def truncate(src, dst):
    """Write src cut in the middle of the data of its middle record."""
    with open(src, "rb") as f:
        blob = f.read()
    endian, _magic, _hdr, records = read_pcap(src)
    if len(records) < 3:
        raise PcapError(f"{src}: need at least 3 records to truncate")
    # Find the first record at or after the middle with at least 40 captured bytes.
    offsets = []
    off = 24
    for rec in records:
        offsets.append(off)
        off += 16 + rec[2]
    for idx in range(len(records) // 2, len(records)):
        if records[idx][2] >= 40:
            break
    else:
        raise PcapError(f"{src}: no record large enough to cut")
    rec_off = offsets[idx]
    incl = records[idx][2]
    cut = rec_off + 16 + incl // 2
    with open(dst, "wb") as f:
        f.write(blob[:cut])
    print(f"truncate: {src} -> {dst}: {cut} of {len(blob)} bytes kept; "
          f"{idx} complete records, then record #{idx + 1} (header at offset {rec_off}, "
          f"incl_len {incl}) cut after {incl // 2} of its {incl} data bytes")


def main(argv):
    if len(argv) != 4 or argv[1] not in ("vlan", "qinq", "raw", "null", "all", "truncate"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, src, dst = argv[1:]
    try:
        if kind == "all":
            import os
            for k in ("vlan", "qinq", "raw", "null"):
                convert(k, src, os.path.join(dst, k + ".pcap"))
        elif kind == "truncate":
            truncate(src, dst)
        else:
            convert(kind, src, dst)
    except PcapError as e:
        print(f"linktypes.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
