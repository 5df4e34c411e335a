"""The unified social credit code (统一社会信用代码), GB 32100-2015: pure checks, no database.

18 characters from a 31-character set (digits and capitals without I, O, S, V, Z):
1 the registration authority, 2 the kind of entity it registers, 3-8 the registering
authority's administrative area (GB/T 2260), 9-17 the entity's identifier (组织机构代码),
18 a check character over the first 17. The check catches every single wrong character,
so a mistyped code is refused at the form, not found out at WeChat Pay's onboarding.

The check character is python-stdnum's (`stdnum.cn.uscc`). Its `validate` is not our gate:
it wants the first 8 characters to be digits, so it refuses the authorities written as
letters (Y 其他 in the standard's own table, A and N added since), and it checks neither
the authority's kinds nor the area. Our table does, and says which part is wrong.
"""
from __future__ import annotations

from stdnum.cn import uscc

# stdnum keeps its alphabet private; ours names the characters a code cannot hold.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18

# Authority -> the kinds it registers (GB 32100-2015 table 1, with the codes added since:
# 2 foreign affairs ... 8 trade unions, A the military's establishment office, N agriculture).
KINDS = {
    "1": "1239",    # 机构编制: organs, public institutions, mass organisations, other
    "2": "19",      # 外交
    "3": "123459",  # 司法行政: law firms, notaries, legal services, forensics, arbitration
    "4": "19",      # 文化
    "5": "1239",    # 民政: social organisations, private non-enterprise units, foundations
    "6": "129",     # 旅游
    "7": "129",     # 宗教
    "8": "19",      # 工会
    "9": "123",     # 工商: enterprises, individual businesses, farmers' cooperatives
    "A": "19",      # 中央军委改革和编制办公室
    "N": "1239",    # 农业: collective economic organisations
    "Y": "1",       # 其他
}
# First two digits of a GB/T 2260 area code: the provinces, and 10 for national registrations.
PROVINCES = frozenset({"10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33",
                       "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51",
                       "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"})


class CreditCodeError(ValueError):
    """What is wrong with a code, in words an applicant can act on."""


def normalise(raw: str) -> str:
    """The code as stored (spaces dropped, capitals), or CreditCodeError saying what is wrong."""
    code = "".join(raw.split()).upper()
    if len(code) != LENGTH:
        raise CreditCodeError(f"a unified social credit code has {LENGTH} characters, not {len(code)}")
    bad = sorted(set(code) - set(CHARSET))
    if bad:
        raise CreditCodeError(f"characters not used in credit codes: {' '.join(bad)} "
                              "(I, O, S, V and Z never appear)")
    _check_structure(code)
    if code[17] != uscc.calc_check_digit(code[:17]):
        raise CreditCodeError("the check character (the 18th) does not match: a character is mistyped")
    return code


def _check_structure(code: str) -> None:
    authority, kind, area = code[0], code[1], code[2:8]
    if authority not in KINDS:
        raise CreditCodeError(f"the 1st character (registration authority) cannot be {authority}")
    if kind not in KINDS[authority]:
        raise CreditCodeError(f"the 2nd character (kind of entity) cannot be {kind} after {authority}")
    if not area.isdigit() or area[:2] not in PROVINCES:
        raise CreditCodeError("characters 3 to 8 must be the 6-digit administrative area code")


def is_valid(raw: str) -> bool:
    try:
        normalise(raw)
    except CreditCodeError:
        return False
    return True
