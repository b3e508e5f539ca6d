"""The synthetic authority's fictional postcodes, as SSDA903 records them (full postcodes).

Westmere's postcode area ``WM`` does not exist, so every ``WM`` postcode is fictional. Children
placed outside Westmere keep the real outward code of the place (``BS4``: Bristol) with an
inward code the ONS postcode directory does not hold: a sector that district does not use, or
one with no ``Z`` units, and a unit ``Z`` + letter (``BS4 7ZA``). ``scripts/dfe_validate_903.py``
checks that none of them is a real postcode before adding them to the validator's directory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth.allocation import unit

WESTMERE_AREA = "WM"
WESTMERE_LA_CODE = "E06000999"  # fictional: no English authority has this code
# outward code -> (sector digit used for the fictional postcodes, LTLA code, UTLA code)
OUTSIDE_CODES = {
    "BS16": ("8", "E06000025", "E06000025"), "BS4": ("7", "E06000023", "E06000023"),
    "BA2": ("9", "E06000022", "E06000022"), "TA6": ("0", "E07000188", "E10000027"),
    "EX4": ("8", "E07000041", "E10000008"), "GL1": ("7", "E07000081", "E10000013"),
    "SN2": ("0", "E06000030", "E06000030"), "CF10": ("9", "W06000015", "W06000015"),
    "B12": ("5", "E08000025", "E08000025"), "PL4": ("3", "E06000026", "E06000026"),
    "BH8": ("5", "E06000058", "E06000058"), "SP1": ("7", "E06000054", "E06000054"),
}  # fmt: skip
UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXY"))
# rough national-grid centres (metres) of Westmere and of each outside district
_CENTRE = {"WM": (352000, 158000), "BS16": (365000, 177000), "BS4": (361000, 170000), "BA2": (375000, 163000),
           "TA6": (330000, 137000), "EX4": (292000, 93000), "GL1": (383000, 218000), "SN2": (415000, 186000),
           "CF10": (318000, 175000), "B12": (408000, 285000), "PL4": (249000, 54000), "BH8": (410000, 93000),
           "SP1": (414000, 130000)}  # fmt: skip


def outward(postcode: pd.Series) -> pd.Series:
    """The outward code ('WM12 3AB' -> 'WM12'; an outward code alone is returned as it is)."""
    return postcode.astype("string").str.strip().str.split(" ").str[0]


def full_postcode(out_code: np.ndarray, key: np.ndarray, salt: int) -> np.ndarray:
    """A fictional full postcode in each outward district, fixed by ``key`` (an integer per row)."""
    out_code = np.asarray(out_code, dtype=object).astype(str)
    key = np.asarray(key, dtype=np.int64)
    digit = np.floor(unit(key, salt) * 10).astype(np.int64).astype(str)
    l1 = UNIT_LETTERS[np.floor(unit(key, salt + 1) * len(UNIT_LETTERS)).astype(np.int64)]
    l2 = UNIT_LETTERS[np.floor(unit(key, salt + 2) * len(UNIT_LETTERS)).astype(np.int64)]
    sector = pd.Series(out_code).map({k: v[0] for k, v in OUTSIDE_CODES.items()}).to_numpy(dtype=object)
    inside = np.char.startswith(out_code, WESTMERE_AREA)
    inward = np.where(
        inside,
        np.char.add(np.char.add(digit, l1), l2),
        np.char.add(np.char.add(np.where(inside, "0", sector).astype(str), "Z"), l2),
    )
    return np.char.add(np.char.add(out_code, " "), inward.astype(str)).astype(object)


def postcode_directory(postcodes: pd.Series) -> pd.DataFrame:
    """Directory rows for the given fictional postcodes, in the form of the ONS directory the DfE
    validator uses: pcd, oseast1m, osnrth1m (metres), laua (district), utla, pcd_abbr."""
    pc = pd.Series(pd.unique(postcodes.dropna().astype(str).str.strip()))
    pc = pc[pc.str.contains(" ")]
    out = outward(pc)
    area = out.where(~out.str.startswith(WESTMERE_AREA), WESTMERE_AREA)
    known = area.isin(list(_CENTRE))
    pc, out, area = pc[known], out[known], area[known]
    key = pc.map(lambda s: sum(ord(c) * 31**i for i, c in enumerate(s)) % 1_000_003).to_numpy(dtype=np.int64)
    ce = area.map(lambda a: _CENTRE[a][0]).to_numpy(dtype=float)
    cn = area.map(lambda a: _CENTRE[a][1]).to_numpy(dtype=float)
    la = out.map(lambda o: OUTSIDE_CODES.get(o, (None, WESTMERE_LA_CODE, WESTMERE_LA_CODE)))
    return (
        pd.DataFrame(
            {
                "pcd": pc.to_numpy(),
                "oseast1m": ce + np.round((unit(key, 1) - 0.5) * 8000),
                "osnrth1m": cn + np.round((unit(key, 2) - 0.5) * 8000),
                "laua": la.map(lambda t: t[1]).to_numpy(),
                "utla": la.map(lambda t: t[2]).to_numpy(),
                "pcd_abbr": pc.str.replace(" ", "").to_numpy(),
            }
        )
        .sort_values("pcd", kind="stable")
        .reset_index(drop=True)
    )
