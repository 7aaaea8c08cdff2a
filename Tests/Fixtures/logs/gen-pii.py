#!/usr/bin/env python3
"""gen-pii.py — clearly synthetic Chinese PII for Vigil's test fixtures.

Deterministic (fixed seed, own LCG, no `random` module) so every run of
make-logs.sh / make-pii-capture.sh produces the same values.

  gen-pii.py values SEED N     -> N lines "id_card,<18 chars>" and N lines "mobile,<11 digits>"
  gen-pii.py check ID...       -> exit 1 unless every ID has a valid GB 11643 check char

Resident identity numbers (GB 11643-1999): 6-digit region code, 8-digit
birth date YYYYMMDD, 3-digit sequence, 1 check character computed with
ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11, check = "10X98765432"[sum % 11]).
Mobile numbers: 11 digits starting 13x/15x/18x. The values are generated,
not taken from any real person; they only look real so detectors fire.
"""
import sys

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
# Real district codes (public GB/T 2260), used only to make the format plausible.
REGIONS = ["110105", "310104", "440305", "330106", "510107", "420106"]
PREFIXES = ["138", "139", "150", "186", "135", "158"]


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def valid(idn: str) -> bool:
    return (len(idn) == 18 and idn[:17].isdigit()
            and check_char(idn[:17]) == idn[17].upper())


class LCG:
    def __init__(self, seed: int):
        self.x = seed & 0x7FFFFFFF

    def below(self, n: int) -> int:
        self.x = (self.x * 1103515245 + 12345) % 2**31
        return (self.x >> 8) % n


def ids(seed: int, n: int):
    r, out = LCG(seed), []
    want_x = True          # make sure one value ends in the check char 'X'
    while len(out) < n:
        region = REGIONS[len(out) % len(REGIONS)]
        y, m, d = 1960 + r.below(45), 1 + r.below(12), 1 + r.below(28)
        body = f"{region}{y:04d}{m:02d}{d:02d}{r.below(1000):03d}"
        c = check_char(body)
        if want_x and len(out) == n - 1 and c != "X":
            continue       # re-draw the last one until its check char is X
        if c == "X":
            want_x = False
        out.append(body + c)
    return out


def mobiles(seed: int, n: int):
    r = LCG(seed ^ 0x5A5A5A)
    return [PREFIXES[i % len(PREFIXES)] + "".join(str(r.below(10)) for _ in range(8))
            for i in range(n)]


def main(argv):
    if len(argv) >= 2 and argv[1] == "check":
        bad = [a for a in argv[2:] if not valid(a)]
        for b in bad:
            print(f"invalid id: {b}", file=sys.stderr)
        return 1 if bad or len(argv) < 3 else 0
    if len(argv) == 4 and argv[1] == "values":
        seed, n = int(argv[2]), int(argv[3])
        for v in ids(seed, n):
            assert valid(v), v
            print(f"id_card,{v}")
        for v in mobiles(seed, n):
            print(f"mobile,{v}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
