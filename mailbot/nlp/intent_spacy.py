"""The spaCy pieces of the intent classifier that spaCy does not ship.

Registered in spaCy's registries when this module is imported, so the
config files (``mailbot/nlp/configs/``) can name them and a saved pipeline
can be loaded again. :mod:`mailbot.nlp.intents` and
:mod:`mailbot.nlp.training` import it before touching a config or a model.

- ``mailbot.ThaiTokenizer.v1``: Thai words from :mod:`mailbot.nlp.tokens`
  (pythainlp's newmm, in Rust when nlpo3 is installed), so the classifier
  splits Thai exactly as the wording rules and entities do.
- ``mailbot.HashedNgramBOW.v1``: spaCy's bag-of-words text classifier reads
  case-sensitive ``ORTH`` n-grams. With ~700 hand-written training messages
  per language that wastes data: "Refund"/"refund" and Latvian written
  with/without diacritics ("piegāde"/"piegade") are different features,
  and an inflected Latvian or Dutch word shares nothing with its other
  forms. This architecture hashes *folded* word n-grams (lower-case,
  accents removed, see :func:`mailbot.nlp.tokens.fold`) plus character
  n-grams of each folded word (``<ref``, ``refu``...), with sublinear,
  length-normalised weights like TF-IDF's, into the same sparse linear
  layer and softmax spaCy uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, cast

import numpy as np
from spacy.attrs import IS_PUNCT, IS_SPACE, LOWER, NORM, ORTH
from spacy.language import Language

# spaCy's stable 64-bit MurmurHash of a string (compiled; no type information).
from spacy.strings import hash_string  # type: ignore[attr-defined, unused-ignore]
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab
from thinc.api import Model, SparseLinear_v2, chain, resizable, softmax_activation
from thinc.layers.resizable import resize_linear_weighted, resize_model
from thinc.types import Floats1d, Floats2d

from mailbot.nlp.tokens import fold, tokenize

#: Bias of a label added after training: never predicted until trained.
_NEW_LABEL_BIAS = -5000.0
_UINT64 = np.uint64

Features = tuple[Any, Any, Any]
"""(keys uint64[n], values float32[n], lengths int32[docs]): SparseLinear's input"""


class ThaiTokenizer:
    """A spaCy tokenizer for Thai built on :func:`mailbot.nlp.tokens.tokenize`.

    Whitespace runs become the ``whitespace_`` of the token before them, so
    ``doc.text`` may differ from the input in whitespace only; the classifier
    never needs the exact characters back.
    """

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        tokens = tokenize(text, "th")
        words = [token.text for token in tokens]
        spaces = [
            index + 1 < len(tokens) and tokens[index + 1].start > token.end
            for index, token in enumerate(tokens)
        ]
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
        for text in texts:
            yield self(text)

    # Nothing to save: the segmenter's dictionary comes with pythainlp.
    def to_disk(self, path: Any, **kwargs: Any) -> None:
        return None

    def from_disk(self, path: Any, **kwargs: Any) -> ThaiTokenizer:
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> ThaiTokenizer:
        return self


def create_thai_tokenizer() -> Callable[[Language], ThaiTokenizer]:
    def create(nlp: Language) -> ThaiTokenizer:
        return ThaiTokenizer(nlp.vocab)

    return create


registry.tokenizers.register("mailbot.ThaiTokenizer.v1", func=create_thai_tokenizer)

#: The lexical attributes the classifier reads (NORM is computed from LOWER).
FEATURE_ATTRS = frozenset({NORM, LOWER, IS_PUNCT, IS_SPACE})


def keep_feature_attrs(nlp: Language) -> Language:
    """Compute only the lexical attributes the classifier reads for new words.

    spaCy computes some twenty attributes (shape, stop word, like_url...)
    in Python for every string it has not seen; customer mail is full of
    those (order numbers, names, e-mail addresses), and the unused ones
    cost about two thirds of the time of a new word. The classifier's
    features use norms and the punctuation and space flags only, so
    predictions are unchanged.
    """
    vocab: Any = nlp.vocab  # the compiled Vocab declares no lex_attr_getters for type checkers
    getters = vocab.lex_attr_getters
    vocab.lex_attr_getters = {attr: get for attr, get in getters.items() if attr in FEATURE_ATTRS}
    return nlp


def word_features(word: str, language: str, char_min: int, char_max: int) -> tuple[int, tuple[int, ...]]:
    """Hash of the folded word, and hashes of its character n-grams.

    Not cached here: :func:`doc_feature_blocks` caches the result per string hash.
    """
    folded = fold(word, language)
    grams: list[int] = []
    if char_min > 0 and any(ch.isalpha() for ch in folded):
        padded = f"<{folded}>"
        for size in range(char_min, char_max + 1):
            grams.extend(hash_string("c" + padded[i : i + size]) for i in range(len(padded) - size + 1))
    return hash_string("w" + folded), tuple(grams)


@lru_cache(maxsize=200_000)
def chunk_features(chunk: str, language: str, char_min: int, char_max: int) -> Any:
    """Hashes of the character n-grams of one whitespace-delimited chunk, folded and padded.

    A read-only uint64 array (it is cached and shared).
    """
    padded = f" {fold(chunk, language)} "
    grams: list[int] = []
    for size in range(char_min, char_max + 1):
        grams.extend(hash_string("k" + padded[i : i + size]) for i in range(len(padded) - size + 1))
    array = np.asarray(grams, dtype=_UINT64)
    array.flags.writeable = False
    return array


def doc_features(
    doc: Doc, word_ngrams: int, char_min: int, char_max: int, char_scope: str = "word"
) -> tuple[Any, Any]:
    """Unique feature keys of one doc and their sublinear counts (1 + log count).

    Both blocks of :func:`doc_feature_blocks` in one array.
    """
    (word_keys, word_tf), (char_keys, char_tf) = doc_feature_blocks(
        doc, word_ngrams, char_min, char_max, char_scope
    )
    return np.concatenate([word_keys, char_keys]), np.concatenate([word_tf, char_tf])


def doc_feature_blocks(
    doc: Doc, word_ngrams: int, char_min: int, char_max: int, char_scope: str = "word"
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Word n-gram keys and character n-gram keys of one doc, each with sublinear counts.

    Each block is ``(unique keys, 1 + log count)``. Word and character keys
    are hashed with different prefixes, so the two blocks never share a key.

    ``char_scope`` says where character n-grams come from: ``"word"``, each
    token (what inflected Dutch and Latvian need); ``"chunk"``, each run of
    text between whitespace, across token boundaries. Thai writes no spaces
    between words, so its chunks are phrases, and n-grams across the
    segmenter's word boundaries survive the segmenter's mistakes.
    """
    language = doc.lang_
    words: list[int] = []
    grams: list[Any] = []
    strings = doc.vocab.strings
    word_char_min = char_min if char_scope == "word" else 0
    # spaCy's norm expands contractions (n't -> not); Thai has no norms to add.
    # One array call instead of a Token object per word: this loop runs per message.
    rows = doc.to_array([ORTH if language == "th" else NORM, IS_PUNCT, IS_SPACE]).tolist()
    cache = _KEY_CACHES.setdefault((language, word_char_min, char_max), {})
    for key, is_punct, is_space in rows:
        if is_punct or is_space:
            continue
        found = cache.get(key)
        if found is None:
            found = _cache_features(cache, strings[key], key, language, word_char_min, char_max)
        words.append(found[0])
        grams.append(found[1])
    if char_scope == "chunk" and char_min > 0:
        grams.extend(chunk_features(chunk, language, char_min, char_max) for chunk in doc.text.split())
    unigrams = np.asarray(words, dtype=_UINT64)
    parts = [unigrams]
    for size in range(2, word_ngrams + 1):
        if len(words) >= size:
            parts.append(_ngrams(unigrams, size))
    char_keys = np.concatenate(grams) if grams else np.zeros(0, dtype=_UINT64)
    return _sublinear_counts(np.concatenate(parts)), _sublinear_counts(char_keys)


#: Per (language, char_min, char_max): string hash -> (word key, character n-gram keys).
_KEY_CACHES: dict[tuple[str, int, int], dict[int, tuple[int, Any]]] = {}
_KEY_CACHE_SIZE = 200_000


def _cache_features(
    cache: dict[int, tuple[int, Any]], text: str, key: int, language: str, char_min: int, char_max: int
) -> tuple[int, Any]:
    """:func:`word_features` of ``text``, the n-grams as a read-only array, stored under ``key``."""
    word, chars = word_features(text, language, char_min, char_max)
    array = np.asarray(chars, dtype=_UINT64)
    array.flags.writeable = False  # cached and shared
    if len(cache) >= _KEY_CACHE_SIZE:
        cache.clear()
    cache[key] = (word, array)
    return word, array


def _sublinear_counts(keys: Any) -> tuple[Any, Any]:
    unique, counts = np.unique(keys, return_counts=True)
    return unique, 1.0 + np.log(counts.astype(np.float32))


def _ngrams(unigrams: Any, size: int) -> Any:
    """Order-sensitive hashes of consecutive keys (with wrap-around multiplication)."""
    out = unigrams[: len(unigrams) - size + 1].copy()
    for offset in range(1, size):
        out = out * _UINT64(1_000_003) ^ unigrams[offset : len(unigrams) - size + 1 + offset]
    return out


FEATURES_LAYER = "mailbot_ngram_features"


def ngram_features(
    word_ngrams: int,
    char_min: int,
    char_max: int,
    idf_buckets: int,
    char_scope: str = "word",
    block_norm: bool = False,
) -> Model[list[Doc], Features]:
    """Docs -> hashed features weighted like TF-IDF: (1 + log tf) * idf, L2-normalised.

    With ``block_norm`` the word block and the character block are each
    normalised to length 1 (as scikit-learn's ``FeatureUnion`` of two TF-IDF
    vectorisers does); otherwise the whole vector is. A message has many
    more character n-grams than words, so under one norm the characters
    drown the words; separate norms give each block equal say.

    The inverse document frequencies live in the ``idf`` parameter, one per
    hash bucket (``key % idf_buckets``), set from the whole training set by
    :func:`fit_idf`. A bucket no training message had gets weight 0, so words
    never seen in training neither score nor dilute the ones that were. The
    layer starts with every weight 1 (plain sublinear counts).
    """

    def init(model: Model[list[Doc], Features], X: Any = None, Y: Any = None) -> None:
        if not model.has_param("idf") or model.get_param("idf") is None:
            model.set_param("idf", cast(Floats1d, np.ones((idf_buckets,), dtype=np.float32)))

    def forward(model: Model[list[Doc], Features], docs: list[Doc], is_train: bool) -> tuple[Features, Any]:
        idf: Any = model.get_param("idf")
        keys: list[Any] = []
        values: list[Any] = []
        for doc in docs:
            (word_keys, word_tf), (char_keys, char_tf) = doc_feature_blocks(
                doc, word_ngrams, char_min, char_max, char_scope
            )
            doc_keys = np.concatenate([word_keys, char_keys])
            weights = np.concatenate([word_tf, char_tf]) * idf[doc_keys % _UINT64(idf_buckets)]
            if block_norm:
                split = len(word_keys)
                weights = np.concatenate([_normalised(weights[:split]), _normalised(weights[split:])])
            else:
                weights = _normalised(weights)
            keys.append(doc_keys)
            values.append(weights.astype(np.float32))
        lengths = np.asarray([len(k) for k in keys], dtype=np.int32)
        empty = not keys
        out = (
            np.concatenate(keys) if not empty else np.zeros(0, dtype=_UINT64),
            np.concatenate(values) if not empty else np.zeros(0, dtype=np.float32),
            lengths,
        )
        return out, lambda d_out: []

    return Model(
        FEATURES_LAYER,
        forward,
        init=init,
        params={"idf": None},
        attrs={
            "word_ngrams": word_ngrams,
            "char_min": char_min,
            "char_max": char_max,
            "char_scope": char_scope,
            "block_norm": block_norm,
        },
    )


def _normalised(weights: Any) -> Any:
    """``weights`` scaled to Euclidean length 1 (unchanged when all zero)."""
    norm = math.sqrt(float(np.dot(weights, weights))) or 1.0
    return weights / norm


def fit_idf(model: Model[Any, Any], docs: Iterable[Doc]) -> bool:
    """Set the idf weights of every features layer in ``model`` from the training docs.

    Smoothed like scikit-learn's: ``ln((1 + n) / (1 + df)) + 1``; 0 where
    ``df`` is 0. Returns False when the model has no such layer (an
    architecture without IDF), so callers can skip it.
    """
    layers = [node for node in model.walk() if node.name == FEATURES_LAYER]
    if not layers:
        return False
    docs = list(docs)
    for layer in layers:
        attrs = layer.attrs
        buckets = len(layer.get_param("idf"))
        df = np.zeros((buckets,), dtype=np.float64)
        for doc in docs:
            keys, _ = doc_features(
                doc, attrs["word_ngrams"], attrs["char_min"], attrs["char_max"], attrs["char_scope"]
            )
            np.add.at(df, np.unique(keys % _UINT64(buckets)), 1.0)
        idf = np.where(df > 0, np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0, 0.0)
        layer.set_param("idf", cast(Floats1d, idf.astype(np.float32)))
    return True


def build_hashed_ngram_bow(
    exclusive_classes: bool,
    word_ngrams: int = 2,
    char_min: int = 3,
    char_max: int = 5,
    length: int = 2**16,
    idf_buckets: int = 2**18,
    char_scope: str = "word",
    block_norm: bool = False,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Sparse linear text classifier over folded word and character n-grams.

    Mirrors the structure of spaCy's ``TextCatBOW`` (a resizable sparse
    linear layer with an ``output_layer`` reference and ``resize_output``)
    so the ``textcat`` component and ``TextCatEnsemble`` accept it.
    """
    if exclusive_classes is not True:
        raise ValueError("mailbot.HashedNgramBOW.v1 supports exclusive classes only (one intent)")
    if char_scope not in ("word", "chunk"):
        raise ValueError(
            f"mailbot.HashedNgramBOW.v1: char_scope must be 'word' or 'chunk', not {char_scope!r}"
        )
    sparse_linear: Model[Features, Floats2d] = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Features, Floats2d] = resizable(
        sparse_linear,
        resize_layer=lambda layer, new_nO: resize_linear_weighted(
            layer, new_nO, fill_defaults={"b": _NEW_LABEL_BIAS, "W": 0}
        ),
    )
    model: Model[list[Doc], Floats2d] = chain(
        ngram_features(word_ngrams, char_min, char_max, idf_buckets, char_scope, block_norm),
        resizable_layer,
        softmax_activation(),
    )
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = False

    def resize_output(whole: Model[list[Doc], Floats2d], new_nO: int) -> Model[list[Doc], Floats2d]:
        resized = resize_model(resizable_layer, new_nO)
        whole.set_ref("output_layer", resized.layers[0])
        whole.set_dim("nO", new_nO, force=True)
        return whole

    model.attrs["resize_output"] = resize_output
    return model


registry.architectures.register("mailbot.HashedNgramBOW.v1", func=build_hashed_ngram_bow)
