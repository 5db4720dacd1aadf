#!/usr/bin/env python3
"""Write a synthetic data directory in the records format of ``data/`` (docs/data-format.md).

    python3 benchmarks/generate.py --people 10000 --out benchmarks/out/data-10000 [--seed 1]

Every person is obviously synthetic ("Synthetic Person 00042", "Синтетический Человек 00042"),
has no Wikidata ID (link state pending) and builds to about 30 triples: the entity itself, one
claim (occupation or birth date, sometimes a second one), one emigration with its citation, and
now and then a persecution, a membership of a synthetic group or a quotation. A handful of shared
records (places and occupations with real Wikidata IDs from the reference table, the four
emigration waves, synthetic sources, groups and works) complete the references.

The output is deterministic: the same ``--people`` and ``--seed`` give byte-identical files, and
person ``i`` is the same in every size (a data set of 1,000 people is a prefix of one of 10,000).
The YAML is written from templates (not ``yaml.dump``), so 100,000 files take a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# -- shared records -------------------------------------------------------------------------------

#: slug -> (type, English name, Russian name, Wikidata ID or None, country slug or None).
#: Every ID is in reference/wikidata-ids.tsv (verified): these places get the Verified state.
PLACES: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "russia": ("Country", "Russia", "Россия", "Q159", None),
    "soviet-union": ("Country", "Soviet Union", "Советский Союз", "Q15180", None),
    "moscow": ("City", "Moscow", "Москва", "Q649", "russia"),
    "saint-petersburg": ("City", "Saint Petersburg", "Санкт-Петербург", "Q656", "russia"),
    "georgia": ("Country", "Georgia", "Грузия", "Q230", None),
    "tbilisi": ("City", "Tbilisi", "Тбилиси", "Q994", "georgia"),
    "germany": ("Country", "Germany", "Германия", "Q183", None),
    "berlin": ("City", "Berlin", "Берлин", "Q64", "germany"),
    "france": ("Country", "France", "Франция", "Q142", None),
    "paris": ("City", "Paris", "Париж", "Q90", "france"),
    "lithuania": ("Country", "Lithuania", "Литва", "Q37", None),
    "vilnius": ("City", "Vilnius", "Вильнюс", "Q216", "lithuania"),
    "latvia": ("Country", "Latvia", "Латвия", "Q211", None),
    "riga": ("City", "Riga", "Рига", "Q1773", "latvia"),
    "turkey": ("Country", "Turkey", "Турция", "Q43", None),
    "istanbul": ("City", "Istanbul", "Стамбул", "Q406", "turkey"),
    "portugal": ("Country", "Portugal", "Португалия", "Q45", None),
    "finland": ("Country", "Finland", "Финляндия", "Q33", None),
    "israel": ("Country", "Israel", "Израиль", "Q801", None),
    "united-states": ("Country", "United States", "США", "Q30", None),
    "europe": ("Place", "Europe", "Европа", None, None),
}
ORIGINS = ("moscow", "saint-petersburg", "russia")
DESTINATIONS = (
    "tbilisi", "berlin", "paris", "vilnius", "riga", "istanbul",
    "georgia", "germany", "france", "lithuania", "latvia", "turkey", "portugal", "finland",
    "israel", "united-states", "europe",
)  # fmt: skip

#: slug -> (English, Russian, Wikidata ID); every ID is verified in the reference table.
OCCUPATIONS: dict[str, tuple[str, str, str]] = {
    "writer": ("writer", "писатель", "Q36180"),
    "novelist": ("novelist", "романист", "Q6625963"),
    "journalist": ("journalist", "журналист", "Q1930187"),
    "singer": ("singer", "певец", "Q177220"),
    "rapper": ("rapper", "рэпер", "Q2252262"),
    "actor": ("actor", "актёр", "Q33999"),
    "film-director": ("film director", "кинорежиссёр", "Q2526255"),
    "theatre-director": ("theatre director", "театральный режиссёр", "Q3387717"),
    "historian": ("historian", "историк", "Q201788"),
    "biologist": ("biologist", "биолог", "Q864503"),
    "composer": ("composer", "композитор", "Q36834"),
    "sculptor": ("sculptor", "скульптор", "Q1281618"),
    "ballet-dancer": ("ballet dancer", "артист балета", "Q805221"),
    "painter": ("painter", "художник", "Q1028181"),
    "philosopher": ("philosopher", "философ", "Q4964182"),
}

#: slug -> (English, Russian, start, end or None, the range of emigration years).
WAVES: dict[str, tuple[str, str, str, str | None, tuple[int, int]]] = {
    "1917-1922": (
        "Emigration after the 1917 revolution (first wave)", "Первая волна эмиграции",
        "1917", "1922", (1918, 1922),
    ),
    "philosophers-ships-1922": (
        "The philosophers' ships (1922)", "Философские пароходы", "1922", "1922", (1922, 1922),
    ),
    "soviet-defections": (
        "Defections from the Soviet Union", "Невозвращенцы", "1922", "1991", (1961, 1989),
    ),
    "2022": (
        "Emigration after the 2022 invasion of Ukraine", "Эмиграция после 2022 года",
        "2022-02-24", None, (2022, 2024),
    ),
}  # fmt: skip

#: slug -> (type, English title, language, publisher, date). Synthetic: no URL, a locator only.
SOURCES: dict[str, tuple[str, str, str, str, str]] = {
    "synthetic-register-1": ("CreativeWork", "Synthetic Register of Emigres, vol. 1", "en",
                             "Synthetic Press", "2023"),
    "synthetic-register-2": ("CreativeWork", "Synthetic Register of Emigres, vol. 2", "en",
                             "Synthetic Press", "2024"),
    "synthetic-daily-2022": ("NewsArticle", "Synthetic Daily: who left in 2022", "en",
                             "Synthetic Daily", "2022-09-30"),
    "synthetic-gazeta-2023": ("NewsArticle", "Синтетическая газета: кто уехал", "ru",
                              "Синтетическая газета", "2023-02-24"),
    "synthetic-archive-1922": ("CreativeWork", "Synthetic Archive of the First Emigration", "en",
                               "Synthetic Archive", "1999"),
    "synthetic-encyclopedia": ("WebPage", "Synthetic Encyclopedia of the Diaspora", "en",
                               "Synthetic Encyclopedia", "2024-01"),
    "synthetic-registry-ru": ("WebPage", "Синтетический реестр", "ru",
                              "Синтетический реестр", "2024"),
}  # fmt: skip
SOURCES_BY_LANGUAGE = {
    language: tuple(slug for slug, (_, _, lang, _, _) in SOURCES.items() if lang == language)
    for language in ("en", "ru")
}

#: slug -> (type, English, Russian).
GROUPS: dict[str, tuple[str, str, str]] = {
    "synthetic-ensemble": ("MusicGroup", "Synthetic Ensemble", "Синтетический ансамбль"),
    "synthetic-theatre-company": (
        "Organization", "Synthetic Theatre Company", "Синтетическая труппа"),
    "synthetic-passengers": ("PersonGroup", "Synthetic Passengers", "Синтетические пассажиры"),
}  # fmt: skip

#: slug -> (type, English, date).
WORKS: dict[str, tuple[str, str, str]] = {
    "synthetic-novel": ("Book", "Synthetic Novel", "2019"),
    "synthetic-film": ("Movie", "Synthetic Film", "2021"),
    "synthetic-album": ("MusicRecording", "Synthetic Album", "2022-05"),
}

CIRCUMSTANCES = ("fled", "fled", "fled", "relocated", "relocated", "did-not-return")
PERSECUTIONS = (
    ("foreign-agent", "place/russia", None, None),
    ("wanted-list", "place/russia", "discrediting the army", None),
    ("criminal-case", "place/russia", "spreading false information", None),
    ("fine", "place/russia", "discrediting the army", "50,000 roubles"),
    ("sentence-in-absentia", "place/russia", "spreading false information", "8 years"),
    ("dismissal", None, None, None),
    ("event-cancelled", None, None, None),
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def q(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _shared_files() -> dict[str, str]:
    """Relative path -> YAML text of every shared (non-person) record."""
    files: dict[str, str] = {}
    for slug, (kind, en, ru, wikidata, country) in PLACES.items():
        text = f"slug: {slug}\ntype: {kind}\nname:\n  en: {q(en)}\n  ru: {q(ru)}\n"
        text += f"wikidata: {wikidata}\n" if wikidata else "link_state: no-item\n"
        text += f"country: place/{country}\n" if country else ""
        files[f"places/{slug}.yaml"] = text
    for slug, (en, ru, wikidata) in OCCUPATIONS.items():
        files[f"occupations/{slug}.yaml"] = (
            f"slug: {slug}\nname:\n  en: {q(en)}\n  ru: {q(ru)}\nwikidata: {wikidata}\n"
        )
    for slug, (en, ru, start, end, _) in WAVES.items():
        text = f"slug: {q(slug)}\nname:\n  en: {q(en)}\n  ru: {q(ru)}\ndate: {q(start)}\n"
        text += f"end_date: {q(end)}\n" if end else ""
        files[f"waves/{slug}.yaml"] = text
    for slug, (kind, title, language, publisher, date) in SOURCES.items():
        files[f"sources/{slug}.yaml"] = (
            f"slug: {slug}\ntype: {kind}\nname:\n  {language}: {q(title)}\n"
            + (f"  en: {q('Synthetic source ' + slug)}\n" if language != "en" else "")
            + f"title:\n  {language}: {q(title)}\npublisher_name: {q(publisher)}\n"
            f"date: {q(date)}\nlocator: {q('synthetic://' + slug)}\nlanguage: {language}\n"
        )
    for slug, (kind, en, ru) in GROUPS.items():
        files[f"groups/{slug}.yaml"] = (
            f"slug: {slug}\ntype: {kind}\nname:\n  en: {q(en)}\n  ru: {q(ru)}\n"
            f"description:\n  en: {q('A synthetic group for benchmarks')}\n"
            'emigrations:\n- key: "2022"\n  date: "2022-04"\n  from: place/moscow\n'
            "  to:\n  - place/berlin\n  circumstance: relocated\n  wave: wave/2022\n"
            "  cite:\n  - source: source/synthetic-daily-2022\n"
            f"    excerpt: {q(f'{en} moved from Moscow to Berlin in April 2022')}\n"
        )
    for slug, (kind, en, date) in WORKS.items():
        files[f"works/{slug}.yaml"] = (
            f"slug: {slug}\ntype: {kind}\nname:\n  en: {q(en)}\ndate: {q(date)}\n"
        )
    return files


# -- people ---------------------------------------------------------------------------------------


def _date(rng: random.Random, year: int, precision: str) -> str:
    if precision == "year":
        return f"{year:04d}"
    month = rng.randint(1, 12)
    if precision == "month":
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{rng.randint(1, 28):02d}"


def _cite(rng: random.Random, excerpt_en: str, excerpt_ru: str, indent: str = "  ") -> str:
    language = "ru" if rng.random() < 0.3 else "en"
    source = rng.choice(SOURCES_BY_LANGUAGE[language])
    excerpt = excerpt_ru if language == "ru" else excerpt_en
    return f"{indent}cite:\n{indent}- source: source/{source}\n{indent}  excerpt: {q(excerpt)}\n"


def person_yaml(index: int, width: int, seed: int) -> tuple[str, str]:
    """Slug and YAML text of synthetic person ``index``; the same for every data-set size."""
    rng = random.Random(f"{seed}/{index}")
    number = f"{index:0{width}d}"
    slug = f"synthetic-person-{number}"
    en = f"Synthetic Person {number}"
    ru = f"Синтетический Человек {number}"
    wave = rng.choices(tuple(WAVES), weights=(6, 2, 7, 85))[0]
    first_year, last_year = WAVES[wave][4]
    year = rng.randint(first_year, last_year)
    born = year - rng.randint(22, 70)
    occupation = rng.choice(tuple(OCCUPATIONS))
    occupation_en = OCCUPATIONS[occupation][0]

    out = [f"slug: {slug}\nname:\n  en: {q(en)}\n  ru: {q(ru)}\n"]
    if rng.random() < 0.2:
        out.append(f"description:\n  en: {q(f'synthetic {occupation_en} (benchmark record)')}\n")

    claims: list[str] = []
    if rng.random() < 0.6:
        claims.append(
            f"- key: occupation-{occupation}\n  property: occupation\n"
            f"  value: occupation/{occupation}\n"
            + _cite(rng, f"the {occupation_en} {en}", f"{OCCUPATIONS[occupation][1]} {ru}")
        )
        second = rng.random() < 0.08
    else:
        second = rng.random() < 0.15
    if not claims or second:
        date = _date(rng, born, rng.choice(("day", "day", "month", "year")))
        claims.append(
            f"- key: birth-date\n  property: birth_date\n  value: {q(date)}\n"
            + _cite(rng, f"{en} was born in {date}", f"{ru} родился в {date}")
        )
        if rng.random() < 0.02:  # a second source disagrees: the build links the two claims
            other = _date(rng, born + 1, "year")
            claims.append(
                f"- key: birth-date-other\n  property: birth_date\n  value: {q(other)}\n"
                + _cite(rng, f"{en} (born {other})", f"{ru} ({other} г. р.)")
            )
    if rng.random() < 0.02:
        group = rng.choice(tuple(GROUPS))
        claims.append(
            f"- key: member-of-{group}\n  property: member_of\n  value: group/{group}\n"
            + _cite(rng, f"{en}, a member of {GROUPS[group][1]}", f"{ru}, участник группы")
        )
    if rng.random() < 0.015:
        work = rng.choice(tuple(WORKS))
        claims.append(
            f"- key: notable-work\n  property: notable_work\n  value: work/{work}\n"
            + _cite(rng, f"{en}, known for {WORKS[work][1]}", f"{ru}, автор известной работы")
        )
    out.append("claims:\n" + "".join(claims))

    origin = rng.choice(ORIGINS) if rng.random() < 0.5 else None
    destination = rng.choice(DESTINATIONS)
    destination_en = PLACES[destination][1]
    date = _date(rng, year, rng.choice(("day", "month", "month", "year")))
    privacy = "coarse" if rng.random() < 0.05 else None
    circumstance = (
        "defected" if wave == "soviet-defections" else
        "expelled" if wave == "philosophers-ships-1922" else
        rng.choice(CIRCUMSTANCES) if rng.random() < 0.8 else None
    )  # fmt: skip
    emigration = f'- key: "{year}"\n  date: {q(date)}\n'
    if rng.random() < 0.1:
        emigration += "  approximate: true\n"
    if origin:
        emigration += f"  from: place/{origin}\n"
    emigration += f"  to:\n  - place/{destination}\n"
    if circumstance:
        emigration += f"  circumstance: {circumstance}\n"
    emigration += f"  wave: wave/{wave}\n"
    if privacy:
        emigration += f"  privacy: {privacy}\n"
    emigration += _cite(
        rng,
        f"{en} left for {destination_en} in {date}",
        f"{ru}: эмиграция ({PLACES[destination][2]}, {date})",
    )
    out.append("emigrations:\n" + emigration)

    if wave == "2022" and rng.random() < 0.08:
        kind, actor, charge, penalty = rng.choice(PERSECUTIONS)
        when = _date(rng, rng.randint(year, 2024), rng.choice(("day", "month")))
        text = f"- key: {kind}\n  type: {kind}\n  date: {q(when)}\n"
        text += f"  actor: {actor}\n" if actor else ""
        text += f"  charge:\n    en: {q(charge)}\n" if charge else ""
        text += f"  penalty:\n    en: {q(penalty)}\n" if penalty else ""
        text += _cite(rng, f"{en}: {kind.replace('-', ' ')} ({when})", f"{ru}: {kind} ({when})")
        out.append("persecutions:\n" + text)

    if rng.random() < 0.05:
        source = rng.choice(SOURCES_BY_LANGUAGE["en"])
        out.append(
            f"quotes:\n- key: leaving\n  text:\n    en: {q(f'I am {en}, and I left in {year}.')}\n"
            f"  source: source/{source}\n"
        )
    return slug, "".join(out)


def generate(people: int, out: Path, seed: int = 1, reference: Path | None = None) -> Path:
    """Write the data directory ``out`` (replacing it); returns ``out``."""
    reference = reference or REPO / "reference" / "wikidata-ids.tsv"
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    for directory in ("people", "places", "sources", "occupations", "waves", "groups", "works"):
        (tmp / directory).mkdir(parents=True)
    shutil.copyfile(reference, tmp / "wikidata-ids.tsv")
    for relative, text in _shared_files().items():
        (tmp / relative).write_text(text, encoding="utf-8")
    width = max(5, len(str(people - 1)))
    people_dir = tmp / "people"
    for index in range(people):
        slug, text = person_yaml(index, width, seed)
        with open(people_dir / f"{slug}.yaml", "w", encoding="utf-8") as handle:
            handle.write(text)
    if out.exists():
        shutil.rmtree(out)
    os.rename(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, required=True, help="number of synthetic people")
    parser.add_argument("--out", type=Path, required=True, help="data directory to (re)write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.people < 1:
        parser.error("--people must be at least 1")
    start = time.perf_counter()
    generate(args.people, args.out, args.seed)
    print(
        f"wrote {args.people} people to {args.out} in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
