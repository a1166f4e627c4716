from __future__ import annotations

from datetime import UTC, datetime

from tasks.clean import clean_documents
from tasks.common import Batch, Document
from tasks.extract import DEFAULT_MODEL, ModelNotFound, extract_articles, load_nlp

TEXT = (
    "French President Emmanuel Macron spoke to reporters in Paris on Monday.\n\n"
    "“We will not give up,” Macron said. “The talks must go on.”\n\n"
    "He called on the union “to return to talks without preconditions”, according to AFP."
)


def articles(*bodies: str):
    docs = [Document("w", str(i), b) for i, b in enumerate(bodies)]
    return clean_documents(Batch(docs), datetime(2026, 3, 3, tzinfo=UTC))[0]


def test_components_are_in_the_pipeline_and_unused_ones_are_not(nlp):
    components = {"wiredesk_entities", "wiredesk_quotes", "ner", "wiredesk_partial_parser"}
    assert components <= set(nlp.pipe_names)
    assert "lemmatizer" not in nlp.pipe_names
    assert {"tok2vec", "parser"} <= set(nlp.disabled)  # they run inside the partial parser
    assert load_nlp(DEFAULT_MODEL) is nlp  # built once per process


def test_every_model_layer_multiplies_with_numpy_not_blis(nlp):
    layers = [
        node for _, pipe in nlp.components if hasattr(pipe, "model") for node in pipe.model.walk()
    ]
    assert layers
    assert all(layer.ops.use_blis is False for layer in layers)


def test_mentions_offsets_and_canonical_names(nlp):
    table = articles(TEXT)
    mentions, _ = extract_articles(table, DEFAULT_MODEL)
    body = table["body"][0].as_py()
    for row in mentions.to_pylist():
        assert body[row["start_char"] : row["end_char"]] == row["text"]
    people = {r["text"]: r["canonical"] for r in mentions.to_pylist() if r["label"] == "PERSON"}
    assert people.get("Macron") == "Emmanuel Macron"
    assert "AFP" in {r["text"] for r in mentions.to_pylist() if r["label"] == "ORG"}


def test_quotes_with_speaker_and_cue(nlp):
    table = articles(TEXT)
    _, quotes = extract_articles(table, DEFAULT_MODEL)
    body = table["body"][0].as_py()
    rows = quotes.to_pylist()
    for row in rows:  # the text is the quoted pieces, joined by a space
        pieces = [body[s["start_char"] : s["end_char"]] for s in row["segments"]]
        assert " ".join(pieces) == row["text"]
    direct = [r for r in rows if r["text"].startswith("We will not give up")]
    assert direct and direct[0]["speaker"] == "Emmanuel Macron" and direct[0]["cue"] == "said"
    partial = [r for r in rows if r["text"].startswith("to return to talks")]
    assert partial and partial[0]["quote_type"] == "partial"


def test_non_english_articles_are_not_parsed(nlp):
    table = articles(
        "Le ministre a dit que la grève est finie et que les discussions sont ouvertes."
    )
    mentions, quotes = extract_articles(table, DEFAULT_MODEL)
    assert mentions.num_rows == 0 and quotes.num_rows == 0


def test_unknown_model_is_a_clear_error():
    try:
        load_nlp("no_such_pipeline_xyz")
    except ModelNotFound as err:
        assert "no_such_pipeline_xyz" in str(err)
    else:
        raise AssertionError("expected ModelNotFound")
