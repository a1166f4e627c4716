"""A generated wire corpus: several events, two of each kind, each written up by several outlets.

Events of one kind share their vocabulary (two earthquakes, two club signings...) and differ in
place, people, numbers and day, so only those tell them apart. The files carry no date (as an
undated backfill): the reports name the weekday, not the date. Each outlet rewrites an event
from a shuffled choice of sentences with its own wording: the same story, not a copy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

OUTLETS = ("Northwire", "Harbour Press", "Daily Ledger", "Metro Gazette", "Coastal Times")


@dataclass(frozen=True, slots=True)
class Event:
    """One real-world event: its kind, day and the facts its reports fill in."""

    key: str
    kind: str
    day: str
    facts: dict[str, str]


KINDS: dict[str, list[str]] = {
    "quake": [
        "A magnitude {mag} earthquake struck near {town} in {country} on {weekday}, "
        "{verb} buildings and cutting power to thousands of homes.",
        "{official}, head of {country}'s civil protection agency, said {dead} people had died "
        "and {hurt} were injured.",
        "The quake hit at a depth of {depth} kilometres, according to the national "
        "seismological institute in {capital}.",
        "Rescue teams worked through the night in {town}, where a school and the old market hall "
        "{collapsed}.",
        "“{quote},” said {witness}, a shopkeeper in {town}.",
        "{detail}",
        "Aftershocks of up to magnitude {after} {rattled} the region on {weekday} evening.",
        "{official} said the government would send tents, water and medical teams to the "
        "{province} province.",
    ],
    "signing": [
        "{club} have signed striker {player} from {seller} for a fee of {fee} million euros, "
        "the club said on {weekday}.",
        "{player}, {age}, {agreed} a {years}-year contract and will wear the number {shirt} shirt.",
        "“{quote},” said {club} coach {coach}.",
        "{detail}",
        "{player} scored {goals} goals for {seller} last season and {won} the league's young "
        "player award.",
        "The transfer makes {player} the most expensive signing in {club}'s history.",
        "{coach} said {player} could make his debut against {rival} at the weekend.",
        "{seller} {confirmed} the sale in a short statement and thanked {player} for his service.",
    ],
    "strike": [
        "Workers at {company}'s {plant} plant in {city} walked out on {weekday} in a dispute "
        "over pay, {halting} production of {product}.",
        "The {union} union said {members} of its members had joined the strike and demanded a "
        "raise of {raise} percent.",
        "“{quote},” said union leader {leader}.",
        "{detail}",
        "{company} spokesperson {spokes} said the company had offered {offer} percent and "
        "{called} the walkout unnecessary.",
        "The {plant} plant makes about {units} {product} a week, according to the company.",
        "{leader} said picket lines would stay in place at the gates in {city} until a new offer "
        "was made.",
        "Talks between {company} and the {union} union are {expected} to resume next week.",
    ],
    "election": [
        "Voters in {country} {went} to the polls on {weekday} to elect a new {body}, with "
        "{seats} seats at stake.",
        "Prime Minister {leader} of the {party} is seeking a {term} term in office.",
        "Opposition leader {rival} of the {opposition} has promised to cut fuel taxes.",
        "Turnout in {capital} reached {turnout} percent by midday, the electoral commission said.",
        "“{quote},” {rival} told supporters at a rally in {capital}.",
        "{detail}",
        "Polls {showed} the {party} slightly ahead, with {undecided} percent of voters still "
        "undecided.",
        "Official results are expected on {nextday}, election chief {chief} said.",
    ],
}

WORDING: dict[str, tuple[str, ...]] = {  # each outlet picks its own word for these slots
    "verb": ("damaging", "shaking", "cracking"),
    "collapsed": ("collapsed", "caved in", "fell"),
    "rattled": ("rattled", "shook", "hit"),
    "agreed": ("agreed", "signed", "put pen to"),
    "won": ("won", "took", "collected"),
    "confirmed": ("confirmed", "announced", "completed"),
    "halting": ("halting", "stopping", "freezing"),
    "called": ("called", "described", "labelled"),
    "expected": ("expected", "due", "set"),
    "went": ("went", "headed", "turned out"),
    "showed": ("showed", "have shown", "suggested"),
}

EVENTS = [
    Event(
        "quake-a",
        "quake",
        "2026-03-02",
        {
            "mag": "6.1",
            "town": "Korvana",
            "country": "Estravia",
            "weekday": "Monday",
            "official": "Mira Dobrev",
            "dead": "14",
            "hurt": "120",
            "depth": "10",
            "capital": "Velgrad",
            "witness": "Anton Ilic",
            "after": "4.8",
            "province": "Lusk",
            "quote": "The whole street was swaying and the church bell started ringing by itself",
            "detail": "Volunteers from the Korvana football club carried blankets to families "
            "sleeping in the car park of the stadium.",
        },
    ),
    Event(
        "quake-b",
        "quake",
        "2026-03-03",
        {
            "mag": "5.4",
            "town": "Sanmeri",
            "country": "Portalia",
            "weekday": "Tuesday",
            "official": "Jorge Alcantar",
            "dead": "3",
            "hurt": "45",
            "depth": "33",
            "capital": "Ribeira",
            "witness": "Lucia Ferraz",
            "after": "3.9",
            "province": "Tavora",
            "quote": "My kitchen shelves emptied onto the floor before I could reach the door",
            "detail": "Fishing boats in the Sanmeri harbour were ordered back to port in case of "
            "a small tsunami, which never came.",
        },
    ),
    Event(
        "signing-a",
        "signing",
        "2026-03-02",
        {
            "club": "Redbank United",
            "player": "Tomas Okafor",
            "seller": "Vale Rovers",
            "fee": "42",
            "weekday": "Monday",
            "age": "22",
            "years": "five",
            "shirt": "9",
            "coach": "Hal Brennan",
            "goals": "19",
            "rival": "Castleford",
            "quote": "He presses from the front, he heads the ball well and he is hungry",
            "detail": "Okafor grew up in Lagos and moved at fourteen to join the academy "
            "at Vale Park.",
        },
    ),
    Event(
        "signing-b",
        "signing",
        "2026-03-03",
        {
            "club": "Porto Azul",
            "player": "Emil Sandvik",
            "seller": "Nordby IF",
            "fee": "18",
            "weekday": "Tuesday",
            "age": "25",
            "years": "four",
            "shirt": "11",
            "coach": "Rui Mendonca",
            "goals": "12",
            "rival": "Sporting Leste",
            "quote": "Emil brings calm in front of goal, and our young wingers will love him",
            "detail": "Sandvik had also been courted by clubs in Germany but chose the warmer "
            "climate of the Atlantic coast, his agent said.",
        },
    ),
    Event(
        "strike-a",
        "strike",
        "2026-03-02",
        {
            "company": "Halvorsen Motors",
            "plant": "Eastfield",
            "city": "Brackton",
            "weekday": "Monday",
            "product": "delivery vans",
            "union": "United Auto Workers Guild",
            "members": "3,400",
            "raise": "9",
            "months": "eight",
            "leader": "Dana Kowalski",
            "spokes": "Peter Lindqvist",
            "offer": "4",
            "units": "1,200",
            "quote": "Our members build the vans this country needs, they deserve better",
            "detail": "Dealers said waiting lists for the electric Halvorsen Courier model were "
            "already stretching into the summer.",
        },
    ),
    Event(
        "strike-b",
        "strike",
        "2026-03-03",
        {
            "company": "Meridian Foods",
            "plant": "Riverside",
            "city": "Oldmoor",
            "weekday": "Tuesday",
            "product": "frozen meals",
            "union": "Bakers and Food Union",
            "members": "900",
            "raise": "12",
            "months": "five",
            "leader": "Samir Haddad",
            "spokes": "Claire Dufort",
            "offer": "6",
            "units": "80,000",
            "quote": "Bakers on the night shift earn less today than they did ten years ago",
            "detail": "Supermarkets in Oldmoor reported empty freezer aisles by the afternoon as "
            "deliveries from Riverside stopped.",
        },
    ),
    Event(
        "election-a",
        "election",
        "2026-03-02",
        {
            "country": "Estravia",
            "weekday": "Monday",
            "body": "parliament",
            "seats": "151",
            "leader": "Viktor Halmi",
            "party": "Civic Union",
            "term": "third",
            "rival": "Ana Petrova",
            "opposition": "Green Alliance",
            "capital": "Velgrad",
            "turnout": "38",
            "undecided": "15",
            "nextday": "Wednesday",
            "chief": "Ivo Marek",
            "quote": "Halmi has had twelve years and the hospitals are still falling apart",
            "detail": "Petrova cast her ballot in the village of Dolna Reka, where she was born.",
        },
    ),
    Event(
        "election-b",
        "election",
        "2026-03-03",
        {
            "country": "Kestland",
            "weekday": "Tuesday",
            "body": "national assembly",
            "seats": "90",
            "leader": "Helen Carrow",
            "party": "Labour Front",
            "term": "second",
            "rival": "Owen Tull",
            "opposition": "Liberty Party",
            "capital": "Dunmere",
            "turnout": "44",
            "undecided": "9",
            "nextday": "Thursday",
            "chief": "Rhona Mackie",
            "quote": "Kestland deserves a government that listens to the fishing towns",
            "detail": "Heavy rain in the northern isles delayed the boats carrying ballot boxes to "
            "the counting centre.",
        },
    ),
]


def article(event: Event, outlet: str, rng: random.Random) -> str:
    """Return one outlet's report of an event: a headline, then a choice of its sentences."""
    lines = KINDS[event.kind]
    chosen = [lines[0], *rng.sample(lines[1:], k=rng.randint(4, len(lines) - 1))]
    words = {slot: rng.choice(options) for slot, options in WORDING.items()}
    facts = {**event.facts, **words}
    body = "\n\n".join(line.format(**facts) for line in chosen)
    headline = chosen[0].format(**facts).split(",")[0]
    return f"{headline}\n\n{body}\n\n(Reporting by {outlet} staff)\n"


def write_corpus(folder: Path, per_event: int = 4, seed: int = 7) -> dict[str, str]:
    """Write per_event reports of every event into folder; return each file's event."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    gold = {}
    for event in EVENTS:
        for outlet in rng.sample(OUTLETS, k=per_event):
            name = f"{event.key}-{outlet.split()[0].lower()}.txt"
            (folder / name).write_text(article(event, outlet, rng), encoding="utf-8")
            gold[name] = event.key
    return gold
