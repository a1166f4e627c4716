from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from tasks.entity_index import index_mentions
from warehouse.schemas import ARTICLES, MENTIONS, empty


def batch(articles: list[tuple[str, str, int]], names: list[tuple[str, str, str, str]]):
    """Build (articles, mentions) from (id, source, day) and (article, text, label, canonical)."""
    rows = [
        {"article_id": a, "source": s, "published_at": datetime(2026, 3, d, tzinfo=UTC)}
        for a, s, d in articles
    ]
    mentions = [
        {"article_id": a, "mention_idx": i, "text": t, "label": lab, "canonical": c}
        for i, (a, t, lab, c) in enumerate(names)
    ]
    return pa.Table.from_pylist(rows, schema=ARTICLES), pa.Table.from_pylist(mentions, MENTIONS)


def keys_by_text(mentions: pa.Table) -> dict[str, str]:
    return dict(zip(mentions["text"].to_pylist(), mentions["entity_key"].to_pylist(), strict=True))


def test_spelling_variants_share_one_key_and_namesakes_do_not():
    articles, mentions = batch(
        [("a1", "afp", 1), ("a2", "wire", 2)],
        [
            ("a1", "Ebrahim Raisi", "PERSON", "Ebrahim Raisi"),
            ("a1", "Raisi", "PERSON", "Ebrahim Raisi"),
            ("a2", "Ebrahim Raïssi", "PERSON", "Ebrahim Raïssi"),
            ("a2", "EBRAHIM RAEISI", "PERSON", "EBRAHIM RAEISI"),
            ("a1", "John Kirby", "PERSON", "John Kirby"),
            ("a2", "Jack Kirby", "PERSON", "Jack Kirby"),
            ("a1", "Elysee", "ORG", "Elysee"),
            ("a2", "the Élysée", "GPE", "Élysée"),
        ],
    )
    keyed, entities = index_mentions(mentions, articles, empty("entities"))
    keys = keys_by_text(keyed)
    assert (
        keys["Ebrahim Raisi"] == keys["Raisi"] == keys["Ebrahim Raïssi"] == keys["EBRAHIM RAEISI"]
    )
    assert keys["John Kirby"] != keys["Jack Kirby"]
    assert keys["Elysee"] == keys["the Élysée"]
    raisi = next(r for r in entities.to_pylist() if r["entity_key"] == keys["Raisi"])
    assert (raisi["name"], raisi["label"], raisi["n_articles"], raisi["n_sources"]) == (
        "Ebrahim Raisi",
        "PERSON",
        2,
        2,
    )
    assert {"Ebrahim Raïssi", "Raisi"} <= set(raisi["aliases"])


def test_a_lone_shared_surname_is_not_merged_into_either_person():
    articles, mentions = batch(
        [("a1", "x", 1), ("a2", "y", 2), ("a3", "z", 3)],
        [
            ("a1", "Kirby", "PERSON", "John Kirby"),
            ("a1", "John Kirby", "PERSON", "John Kirby"),
            ("a2", "Kirby", "PERSON", "Jack Kirby"),
            ("a2", "Jack Kirby", "PERSON", "Jack Kirby"),
        ],
    )
    _, stored = index_mentions(mentions, articles, empty("entities"))
    articles, mentions = batch([("a3", "z", 3)], [("a3", "Kirby", "PERSON", "Kirby")])
    keyed, _ = index_mentions(mentions, articles, stored)
    people = {r["entity_key"] for r in stored.to_pylist()}
    assert len(people) == 2 and keyed["entity_key"][0].as_py() not in people


def test_the_table_is_updated_incrementally_and_keys_are_stable():
    first_articles, first = batch(
        [("a1", "afp", 1)], [("a1", "Macron", "PERSON", "Emmanuel Macron")]
    )
    keyed1, stored = index_mentions(first, first_articles, empty("entities"))
    later_articles, later = batch(
        [("a2", "wire", 5)], [("a2", "Emmanuel Macron", "PERSON", "Emmanuel Macron")]
    )
    keyed2, updated = index_mentions(later, later_articles, stored)
    assert keyed1["entity_key"][0] == keyed2["entity_key"][0]
    (row,) = updated.to_pylist()
    assert (row["n_articles"], row["n_sources"], row["sources"]) == (2, 2, ["afp", "wire"])
    assert row["first_seen"].day == 1 and row["last_seen"].day == 5
    again, unchanged = index_mentions(later.slice(0, 0), later_articles.slice(0, 0), updated)
    assert again.num_rows == 0 and unchanged is None  # nothing new: the table is not rewritten


def test_a_batch_reads_only_the_entities_its_names_can_match(tmp_path):
    from tasks.entity_index import stored_entities
    from warehouse import Warehouse

    wh = Warehouse(tmp_path)
    articles, mentions = batch(
        [("a1", "afp", 1)],
        [
            ("a1", "Emmanuel Macron", "PERSON", "Emmanuel Macron"),
            ("a1", "Macron", "PERSON", "Emmanuel Macron"),  # the surname becomes an alias
            ("a1", "Ebrahim Raisi", "PERSON", "Ebrahim Raisi"),
            ("a1", "Kyiv", "GPE", "Kyiv"),
        ],
    )
    keyed, entities = index_mentions(mentions, articles, empty("entities"))
    wh.commit("c1", {"entities": entities, "mentions": keyed, "articles": articles})
    later_articles, later = batch(
        [("a2", "wire", 2)],
        [
            ("a2", "Macron", "PERSON", "Macron"),
            ("a2", "Ebrahim Raïssi", "PERSON", "Ebrahim Raïssi"),
        ],
    )
    found = stored_entities(wh, later)
    assert sorted(found["name"].to_pylist()) == ["Ebrahim Raisi", "Emmanuel Macron"]  # not Kyiv
    narrow, _ = index_mentions(later, later_articles, found)
    full, _ = index_mentions(later, later_articles, wh.read("entities"))
    assert narrow["entity_key"].to_pylist() == full["entity_key"].to_pylist()
    assert set(narrow["entity_key"].to_pylist()) <= set(keyed["entity_key"].to_pylist())


def test_entities_written_before_alias_keys_existed_are_still_found(tmp_path):
    from tasks.entity_index import stored_entities
    from warehouse import Warehouse

    articles, mentions = batch([("a1", "afp", 1)], [("a1", "Ebrahim Raisi", "PERSON", "Raisi")])
    _, entities = index_mentions(mentions, articles, empty("entities"))
    old = entities.set_column(
        entities.schema.get_field_index("alias_keys"),
        "alias_keys",
        pa.nulls(entities.num_rows, entities.schema.field("alias_keys").type),
    )
    Warehouse(tmp_path).commit("c1", {"entities": old})
    _, later = batch([("a2", "wire", 2)], [("a2", "Ebrahim Raïssi", "PERSON", "Ebrahim Raïssi")])
    found = stored_entities(Warehouse(tmp_path), later)
    assert found["entity_key"].to_pylist() == entities["entity_key"].to_pylist()


def test_a_full_name_read_as_a_body_once_joins_the_person_and_takes_its_label():
    articles, mentions = batch(
        [("a1", "x", 1), ("a2", "y", 2), ("a3", "z", 3)],
        [
            ("a1", "Maria Olsen", "PERSON", "Maria Olsen"),
            ("a2", "Maria Olsen", "PERSON", "Maria Olsen"),
            ("a3", "Maria Olsen", "ORG", "Maria Olsen"),
            ("a3", "Jordan", "GPE", "Jordan"),
            ("a1", "Jordan", "PERSON", "Jordan"),
        ],
    )
    keyed, entities = index_mentions(mentions, articles, empty("entities"))
    rows = keyed.to_pylist()
    olsen = {r["entity_key"] for r in rows if r["text"] == "Maria Olsen"}
    assert len(olsen) == 1
    assert {r["label"] for r in rows if r["text"] == "Maria Olsen"} == {"PERSON"}
    [entity] = [e for e in entities.to_pylist() if e["entity_key"] in olsen]
    assert entity["label"] == "PERSON" and entity["n_articles"] == 3
    # A one-word name is a country in one article and a person in another: two entities.
    assert len({r["entity_key"] for r in rows if r["text"] == "Jordan"}) == 2
    assert {r["label"] for r in rows if r["text"] == "Jordan"} == {"GPE", "PERSON"}


def test_every_spelling_of_a_country_is_one_entity_under_its_name():
    articles, mentions = batch(
        [("a1", "x", 1), ("a2", "y", 2)],
        [
            ("a1", "U.S.", "GPE", "U.S."),
            ("a1", "America", "GPE", "America"),
            ("a2", "the United States", "GPE", "United States"),
            ("a2", "US", "GPE", "US"),
            ("a2", "Britain", "GPE", "Britain"),
            ("a1", "U.K.", "GPE", "U.K."),
            ("a1", "Americans", "NORP", "Americans"),
        ],
    )
    keyed, entities = index_mentions(mentions, articles, empty("entities"))
    keys = keys_by_text(keyed)
    assert keys["U.S."] == keys["America"] == keys["the United States"] == keys["US"]
    assert keys["Britain"] == keys["U.K."] != keys["US"]
    assert keys["Americans"] not in {keys["US"], keys["U.K."]}
    names = {e["entity_key"]: e["name"] for e in entities.to_pylist()}
    assert (names[keys["US"]], names[keys["U.K."]]) == ("United States", "United Kingdom")
    # A later batch that only says "U.S." finds the stored entity.
    articles, mentions = batch([("a3", "z", 3)], [("a3", "U.S.", "GPE", "U.S.")])
    keyed, _ = index_mentions(mentions, articles, entities)
    assert keyed["entity_key"][0].as_py() == keys["US"]
