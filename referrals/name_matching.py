"""Scoring a possible match between a child named in a referral and a person record.

Pure functions only: which rows to fetch is decided elsewhere (the database
pre-filters candidates by same date of birth, same :func:`name_key` of the
surname, or same :func:`normalise_postcode`). Every candidate is then scored
with :func:`score_match`, and a social worker confirms anything uncertain.

Weights (points are added up, then capped)
-----------------------------------------

* **CHI number**: the same valid CHI on both sides is certain: score 100,
  ``certain=True``. Two *different* valid CHI numbers mean two different
  people: the score is capped at 20. A missing or invalid CHI on either side
  is ignored.
* **Surname**: same after :func:`normalise_name` 30; sounds alike (same
  :func:`name_key`) 24; spelt similarly (Jaro-Winkler >= 0.9 or one edit,
  counting a swap of adjacent letters as one edit) 20; one part of a
  double-barrelled surname is the same 20.
* **First name**: same 25; a short or long form of the same name, from the
  table below (Jim / James) 22; sounds alike 18; spelt similarly 15; one part
  of a multi-part first name is the same 15.
* **Date of birth** (only when both are known): same 30; one digit different
  or two adjacent digits swapped in DDMMYYYY 15; day and month swapped 15;
  any other difference -20, because two real dates of birth that differ by
  more than a typing error point to different children.
* **Postcode**: same 15; same district (outward code, "IV30") 5.

Without a shared CHI number the total is capped at 99 and floored at 0, so
only a CHI number gives certainty. Suggestions start at
:data:`MATCH_THRESHOLD`.

Two details keep the fuzzy rules honest:

* Spelling closeness is only tried when both names have at least three
  letters ("Al" and "Ed" are not typing errors of each other).
* Phonetic keys drop most vowels, so very short keys collide ("Tim" / "Tom").
  When the key has fewer than three letters, "sounds alike" also needs the
  first vowel of both names to agree.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass

import jellyfish

from referrals.chi import is_valid_chi, normalise_chi

__all__ = [
    "MATCH_THRESHOLD",
    "NAME_KEY_MAX_LENGTH",
    "MatchScore",
    "PersonDetails",
    "first_name_variants",
    "name_key",
    "normalise_name",
    "normalise_postcode",
    "postcode_district",
    "score_match",
]

MATCH_THRESHOLD = 45
"""Scores below this are not suggested to the social worker."""

NAME_KEY_MAX_LENGTH = 40
""":func:`name_key` never returns more characters than this (the database column's length)."""

CHI_SAME = 100
CHI_SAME_NAME_DIFFERS = 90  # strong enough to be confirmed by a person, never linked alone
CHI_DIFFERENT_CAP = 20
NON_CHI_CAP = 99

SURNAME_SAME = 30
SURNAME_SOUNDS_ALIKE = 24
SURNAME_SPELT_SIMILARLY = 20
SURNAME_SHARES_PART = 20

FIRST_NAME_SAME = 25
FIRST_NAME_OTHER_FORM = 22
FIRST_NAME_SOUNDS_ALIKE = 18
FIRST_NAME_SPELT_SIMILARLY = 15
FIRST_NAME_SHARES_PART = 15

DOB_SAME = 30
DOB_TYPO = 15
DOB_DAY_MONTH_SWAPPED = 15
DOB_DIFFERENT = -20

POSTCODE_SAME = 15
POSTCODE_SAME_DISTRICT = 5

_JARO_WINKLER_CLOSE = 0.9
_FUZZY_MIN_LETTERS = 3
_SHORT_KEY = 3


@dataclass(frozen=True)
class PersonDetails:
    first_name: str
    last_name: str
    date_of_birth: datetime.date | None = None
    postcode: str = ""
    chi_number: str = ""


@dataclass(frozen=True)
class MatchScore:
    score: int
    """0..100; 100 only for the same CHI number."""
    reasons: tuple[str, ...]
    """Human-readable, one per factor that added or took away points."""
    certain: bool
    """True only for an exact CHI match."""


# --------------------------------------------------------------------------
# Names


# Letters that NFKD does not split into a base letter and an accent.
_LETTER_FOLDS = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "đ": "d",
        "ı": "i",
        "ß": "ss",
    }
)
# Spaces and hyphen/dash characters separate the parts of a name.
_PART_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
# "M'Donald", the old abbreviation of Mac/Mc.
_M_APOSTROPHE = re.compile(r"m['\u2018\u2019`]")


def _name_parts(name: str) -> list[str]:
    """Normalised parts of a name: "Smith-MacDonald" -> ["smith", "mcdonald"]."""
    if not name:
        return []
    text = unicodedata.normalize("NFKD", name.casefold()).translate(_LETTER_FOLDS)
    parts: list[str] = []
    pending_prefix = ""
    for raw in _PART_SEPARATORS.split(text):
        if _M_APOSTROPHE.match(raw):
            raw = "mc" + raw[2:]
        # Accents became separate combining marks, which are not letters.
        letters = "".join(ch for ch in raw if ch.isalpha())
        if not letters:
            continue
        if letters in ("mac", "mc"):
            pending_prefix = "mc"  # "Mac Donald": joins the next part
            continue
        letters = pending_prefix + letters
        pending_prefix = ""
        # Mac and Mc are the same prefix. Short remainders ("Mack", "Macey")
        # are left alone as they are unlikely to be the prefix.
        if letters.startswith("mac") and len(letters) >= 6:
            letters = "mc" + letters[3:]
        parts.append(letters)
    if pending_prefix:
        parts.append("mac")
    return parts


# Pure functions of a name, asked for the same names over and over (every candidate is scored
# against the child's): remembered per process.
@functools.lru_cache(maxsize=65_536)
def normalise_name(name: str) -> str:
    """Casefold, strip accents, drop everything but letters, and spell Mac as Mc.

    ``"O'Neil-Smith "`` -> ``"oneilsmith"``; ``"MacKenzie"`` and ``"McKenzie"``
    -> ``"mckenzie"``.
    """
    return "".join(_name_parts(name))


@functools.lru_cache(maxsize=65_536)
def _key_from_normalised(normal: str) -> str:
    if not normal:
        return ""
    text = normal
    if text.startswith("mc"):
        text = "mk" + text[2:]  # McIntosh: the c is hard, not "s" before i
    text = text.replace("mps", "ms")  # Thompson / Thomson, Simpson / Simson
    text = text.replace("mpb", "mb")  # Campbell / Cambell
    text = re.sub(r"ew(?=[aeiou])", "u", text)  # Stewart / Stuart, Ewan / Euan, Lewis / Louis
    text = re.sub(r"(?<=[aeiou])h", "", text)  # Graham / Graeme, Mohammed / Muhammad
    key = jellyfish.metaphone(text)
    if not key:
        # Metaphone only knows the Latin alphabet (and gives "" for "Aa").
        return normal
    if key[0] in "AEIOU":
        key = "A" + key[1:]  # Aileen / Eileen
    return key


def name_key(name: str) -> str:
    """Phonetic key of a name, for indexing and pre-filtering candidates.

    Metaphone of :func:`normalise_name` after a few rewrites for British
    spellings; Smith / Smyth, McKenzie / MacKenzie, Thomson / Thompson,
    Reid / Reed and Stewart / Stuart share a key. ``""`` for an empty name;
    never longer than :data:`NAME_KEY_MAX_LENGTH`. Changing this function
    means re-keying stored rows.
    """
    return _key_from_normalised(normalise_name(name))[:NAME_KEY_MAX_LENGTH]


def _first_vowel(normal: str) -> str:
    for ch in normal:
        if ch in "aeiou":
            return ch
        if ch == "y":
            return "i"
    return ""


def _sounds_alike(a: str, b: str) -> bool:
    """``a`` and ``b`` are normalised and differ."""
    key = _key_from_normalised(a)
    if not key or key != _key_from_normalised(b):
        return False
    return len(key) >= _SHORT_KEY or _first_vowel(a) == _first_vowel(b)


def _spelt_similarly(a: str, b: str) -> bool:
    """``a`` and ``b`` are normalised and differ."""
    if min(len(a), len(b)) < _FUZZY_MIN_LETTERS:
        return False
    first, second = sorted((a, b))  # the same answer whichever way round
    return (
        jellyfish.damerau_levenshtein_distance(first, second) == 1
        or jellyfish.jaro_winkler_similarity(first, second) >= _JARO_WINKLER_CLOSE
    )


def _shares_part(a_raw: str, b_raw: str) -> bool:
    a_parts, b_parts = set(_name_parts(a_raw)), set(_name_parts(b_raw))
    if len(a_parts) < 2 and len(b_parts) < 2:
        return False
    return bool(a_parts & b_parts)


# --------------------------------------------------------------------------
# First names: short forms, long forms and other-language forms
#
# One entry per name: "spellings | other forms | short forms", continued on
# indented lines when long. A name can be in several entries (Alex is in
# Alexander and Alexandra); two first names are forms of the same name when
# one entry holds both.

_FIRST_NAME_TABLE = """
james | seumas hamish | jim jimmy jimmie jamie jem
alexander | alasdair alastair alistair allister alister
    | alex alec alick sandy ally xander lex sasha
alexandra | | alex alexa lexi lexie sandra sandy ally alix sasha
elizabeth elisabeth | elspeth eliza
    | liz lizzie lizzy beth betty bette bess bessie betsy elsie libby lisa
robert | raibeart | rob robbie robby bob bobby bert bertie rab rabbie
roberta | | bobbie berta robbie
william | uilleam | will willie willy bill billy liam wull
margaret | mairead | maggie meg megan peggy maisie mags margo greta rita
catherine katherine kathryn catharine kathrine | catriona caitriona kathleen caitlin
    | cat kate katie kathy cathy kat kay kitty
christina christine kristina kristine | kirsten kirstin
    | kirsty kirstie chrissie chrissy tina chris teenie
john | ian iain sean shaun shawn eoin | jack johnny johnnie jock jon
jonathan | | jon jonny jonnie jonty
thomas | | tom tommy tam
charles | | charlie chas chaz chic chick chuck
charlotte | | charlie lottie lotty
richard | | rick ricky rich richie dick dickie
daniel | | dan danny
danielle | | dani danni
michael | | mike mick mickey micky mikey
christopher | | chris kit topher
andrew | aindrea | andy andie drew
david | | dave davie davy dai
joseph | | joe joey jo
samuel | | sam sammy sammie
samantha | | sam sammy sammie
rebecca | | becky becca bex
jennifer | | jen jenny jenni jennie
victoria | | vicky vicki vikki tori vic
patrick | padraig | pat paddy
patricia | | pat patty patsy tricia trish trisha
edward | | ed eddie eddy ted teddy ned
henry | | harry hal hank
harold | | harry hal
frederick frederic | | fred freddie freddy
alfred | | alf alfie fred freddie
anthony antony | | tony ant
stephen steven | | steve stevie
nicholas | | nick nicky nico
nicola | | nicky nikki nic
matthew | | matt matty
benjamin | | ben benny benji
joshua | | josh
jacob | | jake
zachary | | zach zack zak
timothy | | tim timmy
kenneth | | ken kenny
donald | domhnall | don donnie
ronald | raghnall | ron ronnie
douglas | | doug dougie
gregory gregor | | greg
archibald | | archie
angus | aonghas | gus
roderick | ruairidh ruaridh | rory rod roddy
hugh | | hughie shug
george | | geordie georgie dod
georgina georgia | | georgie gina
isabella isabel isobel isabelle | ishbel iseabail | izzy bella belle isa
mary | mhairi mairi maria marie moira | molly polly mamie may
sarah sara | morag | sally sadie
helen | eilidh ellen elena | nell nellie ellie lena
eleanor elinor | | ellie ella nell nellie nora elle
ann anne anna | | annie nan nancy
jane | jean sine sheena | janey
janet | | jan jenny jessie netta
jessica | | jess jessie
emily | | em emmy millie milly
amelia | | millie milly
abigail | | abby abbie abi gail
deborah debra | | deb debbie debs
susan suzanne susanna | | sue susie suzie suzy
teresa theresa | | terri terry tess tessa
terence | | terry tel
jacqueline | | jackie jacqui
josephine | | jo josie
joanne joanna johanna | | jo
louise louisa | | lou lulu
louis lewis | | lou
oliver | | ollie olly
olivia | | liv livvy ollie olly
philip phillip | | phil pip
lawrence laurence | | larry laurie lawrie
leonard | | len lenny leo
dorothy | | dot dottie dolly
frances | | fran frankie
francis | | frank frankie
gerald gerard | | gerry ged jerry
geraldine | | gerry geri
raymond | | ray
maximilian maxwell | | max
evelyn | | evie eve
penelope | | penny
rosemary rosalind rosalyn | | rose rosie ros roz
theodore | | theo ted teddy
caroline carolyn | | carrie caro
gabriel | | gabe
gabriella gabrielle | | gabby gabi
kimberley kimberly | | kim
natasha | | tasha tash nat
natalie | | nat
nathaniel nathan | | nat nate
ewan euan ewen | eoghan |
neil neal neill niall | |
graham graeme grahame | |
callum calum | |
kieran ciaran | |
connor conor | |
sophie sophia sofia | |
mohammed muhammad mohamed muhammed mohammad | | mo
stuart stewart | | stu
lachlan | | lachie lachy
alison allison | | ally ali
fiona | | fi
gillian | | gill jill gilly
vincent | | vince vinny
bernard | | bernie
albert | | al bert bertie
alan allan allen | | al
reginald | | reg reggie
walter | | walt wattie
agnes | | nessie senga
grace | | gracie
madeleine madeline | | maddie maddy
matilda mathilda | | tilly tilda
valerie | | val
barbara | | babs barbie
cameron | | cammy
"""


@dataclass(frozen=True)
class _NameGroup:
    full: frozenset[str]  # spellings and other-language forms
    short: frozenset[str]
    everything: frozenset[str]


def _parse_first_name_table(table: str) -> tuple[_NameGroup, ...]:
    entries: list[str] = []
    for line in table.strip().splitlines():
        if line[:1].isspace():
            entries[-1] += " " + line.strip()  # continuation of a long entry
        else:
            entries.append(line)
    groups = []
    for entry in entries:
        spellings, other_forms, short_forms = entry.split("|")
        full = frozenset(normalise_name(n) for n in (spellings + " " + other_forms).split())
        short = frozenset(normalise_name(n) for n in short_forms.split())
        groups.append(_NameGroup(full=full, short=short, everything=full | short))
    return tuple(groups)


_NAME_GROUPS = _parse_first_name_table(_FIRST_NAME_TABLE)
_GROUPS_BY_NAME: dict[str, tuple[_NameGroup, ...]] = {}
for _group in _NAME_GROUPS:
    for _name in _group.everything:
        _GROUPS_BY_NAME[_name] = (*_GROUPS_BY_NAME.get(_name, ()), _group)


def first_name_variants(name: str) -> frozenset[str]:
    """The normalised name with every short, long and other form of it.

    ``"Jim"`` -> ``{"jim", "james", "jimmy", "jamie", "hamish", ...}``. A name
    in several groups gets all of them (``"Alex"`` gives Alexander's and
    Alexandra's forms), so two *other* names in the result are not
    necessarily forms of each other.
    """
    normal = normalise_name(name)
    if not normal:
        return frozenset()
    variants = {normal}
    for group in _GROUPS_BY_NAME.get(normal, ()):
        variants |= group.everything
    return frozenset(variants)


def _other_form_reason(a: str, b: str, a_raw: str, b_raw: str) -> str | None:
    """Reason text if the normalised first names ``a`` and ``b`` share a group."""
    shared = [g for g in _GROUPS_BY_NAME.get(a, ()) if b in g.everything]
    if not shared:
        return None
    names = f"({a_raw} / {b_raw})"
    if any((a in g.short and b in g.full) or (b in g.short and a in g.full) for g in shared):
        return f"First name is a short form {names}"
    return f"First names are forms of the same name {names}"


# --------------------------------------------------------------------------
# Postcodes

_INWARD_CODE = re.compile(r"[0-9][A-Z]{2}")
_OUTWARD_CODE = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")


def normalise_postcode(value: str) -> str:
    """Upper case with one space before the inward code: ``"iv301ab"`` -> ``"IV30 1AB"``.

    Anything that does not end in an inward code (a district on its own, or
    something that is not a postcode) is returned upper-cased without spaces.
    ``""`` for an empty value.
    """
    if not value:
        return ""
    compact = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    if 5 <= len(compact) <= 7 and _INWARD_CODE.fullmatch(compact[-3:]):
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def postcode_district(postcode: str) -> str:
    """The outward code (district): ``"IV30 1AB"`` -> ``"IV30"``; ``""`` if there is none."""
    normal = normalise_postcode(postcode)
    outward = normal.split(" ", 1)[0]
    return outward if _OUTWARD_CODE.fullmatch(outward) else ""


# --------------------------------------------------------------------------
# Scoring

_Factor = tuple[int, str]


def _surname_factor(a_raw: str, b_raw: str) -> _Factor | None:
    a, b = normalise_name(a_raw), normalise_name(b_raw)
    if not a or not b:
        return None
    names = f"({a_raw.strip()} / {b_raw.strip()})"
    if a == b:
        return SURNAME_SAME, f"Same surname {names}"
    if _sounds_alike(a, b):
        return SURNAME_SOUNDS_ALIKE, f"Surname sounds alike {names}"
    if _spelt_similarly(a, b):
        return (
            SURNAME_SPELT_SIMILARLY,
            f"Surname spelt similarly (typing error?) {names}",
        )
    if _shares_part(a_raw, b_raw):
        return SURNAME_SHARES_PART, f"Surname shares a part {names}"
    return None


def _first_name_factor(a_raw: str, b_raw: str) -> _Factor | None:
    a, b = normalise_name(a_raw), normalise_name(b_raw)
    if not a or not b:
        return None
    a_shown, b_shown = a_raw.strip(), b_raw.strip()
    names = f"({a_shown} / {b_shown})"
    if a == b:
        return FIRST_NAME_SAME, f"Same first name {names}"
    other_form = _other_form_reason(a, b, a_shown, b_shown)
    if other_form:
        return FIRST_NAME_OTHER_FORM, other_form
    if _sounds_alike(a, b):
        return FIRST_NAME_SOUNDS_ALIKE, f"First name sounds alike {names}"
    if _spelt_similarly(a, b):
        return (
            FIRST_NAME_SPELT_SIMILARLY,
            f"First name spelt similarly (typing error?) {names}",
        )
    if _shares_part(a_raw, b_raw):
        return FIRST_NAME_SHARES_PART, f"First name shares a part {names}"
    return None


def _ddmmyyyy(value: datetime.date) -> str:
    return f"{value.day:02d}{value.month:02d}{value.year:04d}"


def _date_of_birth_factor(a: datetime.date | None, b: datetime.date | None) -> _Factor | None:
    if a is None or b is None:
        return None
    if a == b:
        return DOB_SAME, "Date of birth matches"
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return DOB_DAY_MONTH_SWAPPED, "Day and month swapped in date of birth"
    a_digits, b_digits = _ddmmyyyy(a), _ddmmyyyy(b)
    differ = [i for i, (x, y) in enumerate(zip(a_digits, b_digits, strict=True)) if x != y]
    if len(differ) == 1:
        return DOB_TYPO, "Date of birth differs by one digit (typing error?)"
    if (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and a_digits[differ[0]] == b_digits[differ[1]]
        and a_digits[differ[1]] == b_digits[differ[0]]
    ):
        return DOB_TYPO, "Two digits swapped in date of birth (typing error?)"
    return DOB_DIFFERENT, "Dates of birth differ"


def _postcode_factor(a_raw: str, b_raw: str) -> _Factor | None:
    a, b = normalise_postcode(a_raw), normalise_postcode(b_raw)
    if not a or not b:
        return None
    if a == b and " " in a:
        return POSTCODE_SAME, "Same postcode"
    district = postcode_district(a)
    if district and district == postcode_district(b):
        return POSTCODE_SAME_DISTRICT, f"Same postcode area ({district})"
    return None


def score_match(query: PersonDetails, candidate: PersonDetails) -> MatchScore:
    """How likely ``candidate`` is the person described by ``query``, and why.

    The score does not depend on which side is the query.
    """
    factors = [
        _surname_factor(query.last_name, candidate.last_name),
        _first_name_factor(query.first_name, candidate.first_name),
        _date_of_birth_factor(query.date_of_birth, candidate.date_of_birth),
        _postcode_factor(query.postcode, candidate.postcode),
    ]
    points = sum(f[0] for f in factors if f is not None)
    reasons = tuple(f[1] for f in factors if f is not None)

    query_chi, candidate_chi = (
        normalise_chi(query.chi_number),
        normalise_chi(candidate.chi_number),
    )
    both_valid = is_valid_chi(query_chi) and is_valid_chi(candidate_chi)
    if both_valid and query_chi == candidate_chi:
        # Certain only when the names agree too: a CHI number with another name (a typing
        # error, or someone probing for a child's record) is a match for a person to confirm.
        if factors[0] is not None and factors[1] is not None:
            return MatchScore(score=CHI_SAME, reasons=("Same CHI number", *reasons), certain=True)
        return MatchScore(
            score=CHI_SAME_NAME_DIFFERS,
            reasons=("Same CHI number, but the name differs", *reasons),
            certain=False,
        )

    score = max(0, min(points, NON_CHI_CAP))
    if both_valid:
        score = min(score, CHI_DIFFERENT_CAP)
        reasons = ("Different CHI numbers", *reasons)
    return MatchScore(score=score, reasons=reasons, certain=False)
