"""Switch for the numba kernels of :mod:`._kernels`: off until :func:`load` has compiled them.

The sanitizer never imports numba at import time and never compiles on a request:
:func:`load` runs in the background warm-up (``midstream_mcp.core.warmup`` calls the
package's ``warmup()``). Until it has finished, :data:`KERNELS` is None and every
caller takes its pure-Python path, which gives exactly the same findings.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from types import ModuleType
from typing import Any

logger = logging.getLogger(__name__)

#: The loaded :mod:`._kernels` module, or None (pure-Python paths).
KERNELS: ModuleType | None = None
#: Texts shorter than this take the pure-Python paths even with the kernels loaded: there a kernel
#: call costs more than the few Python operations it replaces (decoded payloads are often short).
MIN_CHARS = 64
#: ``injection._PROSE_CLUSTERS`` as the sorted int64 codes :func:`._kernels.suffix_marks` takes.
PROSE_CODES: object = None
#: The keywords of ``injection._CODE_RE``, concatenated, and where each starts (for ``code_hits``).
CODE_WORDS: object = None
CODE_STARTS: object = None
#: The arguments of ``gate_view`` after the text (see :func:`_gate_args`).
GATE_ARGS: tuple[Any, ...] = ()
#: The arguments of ``raw_scan`` after the text and the limit.
RAW_ARGS: tuple[Any, ...] = ()
#: ``_text.fold`` of each ASCII byte (``text_scan`` folds in the kernel).
FOLD_TABLE: Any = None
#: The packed arguments of ``text_scan`` after the text and the limit.
TEXT_ARGS: tuple[Any, ...] = ()
#: The arguments of ``triage`` after the text (see :func:`_triage_args`).
TRIAGE_ARGS: tuple[Any, ...] = ()
#: The module once :func:`load` has prepared it: :func:`unload` keeps it, so switching back is free.
_PREPARED: ModuleType | None = None
_LOCK = threading.Lock()
#: The text every kernel is first called on (compiled for, or loaded from numba's cache).
_SAMPLE = b"x [a ab{c} abcDef !! -- {q}"
#: How long :func:`load` waits for the helper process (see :func:`_start_helper`) before it compiles
#: the helper's kernels itself; the helper needs about 20 s on two cores.
HELPER_TIMEOUT = 300.0


def load() -> ModuleType:
    """Import the kernels, compile (or load from the cache) each of them, then switch them on.

    With an empty cache and two cores, a helper process compiles part of them meanwhile (see
    :func:`_start_helper`); whatever it did not compile is compiled here.
    """
    global KERNELS, _PREPARED
    with _LOCK:
        if KERNELS is not None:
            return KERNELS
        if _PREPARED is not None:  # prepared before an unload(): the arguments are still set
            KERNELS = _PREPARED
            return KERNELS
        from midstream_mcp.core.sanitizer import _kernels as k
        from midstream_mcp.core.sanitizer import injection

        helper = _start_helper(k)
        try:
            return _load(k, injection, helper)
        finally:
            if helper is not None and helper.poll() is None:  # only when _load failed
                helper.kill()
                helper.wait()


def _load(k: ModuleType, injection: ModuleType, helper: subprocess.Popen[bytes] | None) -> ModuleType:
    """:func:`load` with the lock held: set the arguments, compile (or load) each kernel, switch them on."""
    global KERNELS, _PREPARED, PROSE_CODES, CODE_WORDS, CODE_STARTS, GATE_ARGS, RAW_ARGS, FOLD_TABLE
    global TEXT_ARGS, TRIAGE_ARGS
    import numpy as np

    # ``_kernels._settled`` reads the word sets' counts in this order.
    assert injection._WORD_SETS == (
        injection._COMMON_FOLDED, injection._NATO_FOLDED, injection._ROT13_TRIGGERS,
        injection._REVERSED_TRIGGERS, injection._CIPHERED_COMMON, injection._LETTERS,
    )  # fmt: skip
    GATE_ARGS = _gate_args(k, injection)
    RAW_ARGS = _raw_args(k, injection)
    *_, PROSE_CODES, CODE_WORDS, CODE_STARTS = RAW_ARGS
    sample = np.frombuffer(_SAMPLE, np.uint8)
    # Only the kernels called from Python are compiled (or loaded) here, and triage for text_scan;
    # the others are parts of these (tests call them on their own).
    for with_starts in (True, False):
        k.gate_view(sample.copy(), *(*GATE_ARGS, with_starts))  # writable, as text_scan's: one compile
    TRIAGE_ARGS = _triage_args()
    k.triage(sample, *TRIAGE_ARGS)  # for text_scan, here: the helper has the longer part
    _wait(helper)  # the kernels it compiled now load from the cache
    k.payload_scan(sample, 10, 8192)
    k.raw_scan(sample, len(sample), *RAW_ARGS)
    from midstream_mcp.core.sanitizer._text import fold

    FOLD_TABLE = np.frombuffer(
        fold("".join(map(chr, range(128)))).encode("ascii") + bytes(range(128, 256)), np.uint8
    )
    lit_bytes, lit_starts, lit_first, prose, code_words, code_starts = RAW_ARGS
    (
        table,
        vocab,
        vstarts,
        vsets,
        nsets,
        rgroups_ptr,
        always,
        rl_ptr,
        rl,
        _found,
        rlits,
        pw2,
        pexact,
        pgap,
        pbytes,
        vrec,
        rmasks,
        glue5,
        fbits,
        vlptr,
        vlead,
    ) = GATE_ARGS
    hint_bytes, hint_starts, hint_next, nkeys, free_keys, nbirth, discord_min = TRIAGE_ARGS
    byte_arrays = [lit_bytes, code_words, vocab, FOLD_TABLE, hint_bytes, pbytes]
    ends = np.cumsum([len(a) for a in byte_arrays])
    where = np.array([x for e, a in zip(ends, byte_arrays, strict=True) for x in (e - len(a), e)], np.int64)
    counts = np.array([nsets, len(injection._FOLDED_RULES)], np.int64)
    TEXT_ARGS = (
        k.pack(
            [lit_starts, lit_first, prose, code_starts, table, vstarts, vsets, rgroups_ptr, always, rl_ptr,
             rl, counts, where, hint_starts, hint_next,
             np.array([nkeys, free_keys, nbirth, discord_min], np.int64), rlits, pw2, pexact, pgap, vrec,
             rmasks, glue5, np.array([fbits], np.int64), *_head_args(injection), vlptr, vlead],
            np.int64,
        ),
        np.concatenate(byte_arrays).astype(np.uint8),
    )  # fmt: skip
    for with_starts in (True, False):
        k.text_scan(sample, len(sample), *TEXT_ARGS, with_starts)
    KERNELS = _PREPARED = k
    return k


def _head_args(injection: ModuleType) -> list[Any]:
    """For ``_kernels.heads_open``, per rule (folded rules first, then raw ones): its head (0 none, 1
    "line", 2 "marker"; see ``Rule.head``), and the vocabulary indices of its head words (CSR)."""
    import numpy as np

    index = {w: i for i, w in enumerate(injection._VOCAB_LIST)}
    kinds = {"": 0, "line": 1, "marker": 2}
    rules = (*injection._FOLDED_RULES, *injection._RAW_RULES)
    head = np.zeros(len(rules), np.int64)
    ptr = [0]
    words: list[int] = []
    for r, rule in enumerate(rules):
        if rule.head and rule.view == "raw" and all(w in index for w in rule.head_words):
            head[r] = kinds[rule.head]
            words.extend(sorted(index[w] for w in rule.head_words))
        ptr.append(len(words))
    return [head, np.array(ptr, np.int64), np.array(words, np.int64)]


def _raw_args(k: ModuleType, injection: ModuleType) -> tuple[Any, ...]:
    """The arguments of ``raw_scan`` after the text and the limit: the raw rules' literals (bytes, starts,
    by first and second byte), :data:`PROSE_CODES`, :data:`CODE_WORDS` and :data:`CODE_STARTS`."""
    import numpy as np

    lits = [lit.encode("ascii") for lit in injection._ALL_LITERALS]
    assert len(lits) < 63
    # Per byte, the literals starting with it; then per byte, those it can follow as the second
    # byte (every one-byte literal can); then the one-byte literals (at the last byte).
    first = np.zeros(513, np.int64)
    for i, lit in enumerate(lits):
        first[lit[0]] |= 1 << i
        if len(lit) == 1:
            first[256:] |= 1 << i
        else:
            first[256 + lit[1]] |= 1 << i
    prose = np.array(
        sorted(int.from_bytes(c.encode("ascii"), "little") for c in injection._PROSE_CLUSTERS if len(c) <= 8),
        np.int64,
    )
    # Writable arrays (``np.frombuffer`` gives read-only ones) throughout: numba compiles a kernel
    # once per argument types, and ``text_scan`` passes its callees writable parts of its packs.
    return (
        np.array(bytearray(b"".join(lits)), np.uint8),
        np.cumsum([0] + [len(lit) for lit in lits]).astype(np.int64),
        first,
        prose,
        np.array(bytearray(b"".join(k._CODE_WORDS)), np.uint8),
        np.cumsum([0] + [len(w) for w in k._CODE_WORDS]).astype(np.int64),
    )


def _start_helper(k: ModuleType) -> subprocess.Popen[bytes] | None:
    """Start a process that compiles ``raw_scan`` into numba's cache (see :func:`_helper`) while
    :func:`load` compiles ``gate_view`` and ``triage``: on two cores a cold start takes about half the time.

    None (``load`` compiles everything itself) with one core, when the cache already holds the
    kernels, or when the process does not start. The process reads and writes nothing of ours:
    stdout may carry the MCP protocol.
    """
    if (os.cpu_count() or 1) < 2 or _cached(k.raw_scan):
        return None
    # The same interpreter and import path ("" is the current directory), so that it compiles this
    # very source file; -P below keeps Python from putting anything else first.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path)}
    code = "import sys; from midstream_mcp.core.sanitizer import _fast; _fast._helper(sys.argv[1])"
    try:
        return subprocess.Popen(
            [sys.executable, "-P", "-c", code, k.__file__ or ""],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    except Exception:  # no process: compile here, as without a second core
        logger.warning("kernel compile helper did not start", exc_info=True)
        return None


def _cached(dispatcher: Any) -> bool:
    """Whether numba's cache holds compiled code of ``dispatcher`` for its current source (True when
    that cannot be told: then no helper is started)."""
    try:
        return bool(dispatcher._cache._cache_file._load_index())  # numba internals: hence the fallback
    except Exception:
        return True


def _wait(helper: subprocess.Popen[bytes] | None) -> None:
    """Wait for the helper process; stop it after :data:`HELPER_TIMEOUT` seconds (the caller then
    compiles what it had not cached yet)."""
    if helper is None:
        return
    try:
        code = helper.wait(HELPER_TIMEOUT)
    except subprocess.TimeoutExpired:
        helper.kill()
        code = helper.wait()
    if code != 0:
        logger.info("kernel compile helper exited with %s; compiling its kernels here", code)


def _helper(source: str) -> None:
    """In the helper process: compile ``raw_scan`` (``payload_scan`` with it) into numba's cache with the
    argument types :func:`load` and ``text_scan`` call it with, if the kernels imported here are those
    of ``source`` (the file of the process that started this one)."""
    import numpy as np

    from midstream_mcp.core.sanitizer import _kernels as k
    from midstream_mcp.core.sanitizer import injection

    if os.path.realpath(k.__file__ or "") != os.path.realpath(source):
        sys.exit(3)
    sample = np.frombuffer(_SAMPLE, np.uint8)
    k.raw_scan(sample, len(sample), *_raw_args(k, injection))


def _triage_args() -> tuple[Any, ...]:
    """The arguments of ``_kernels.triage`` after the text: the literals it looks for (the secrets
    detector's key hints, the birth words, then the token prefixes), the literals by their first,
    second and third byte (either case), how many key hints come first, the mask of those that count anywhere
    (``bearer`` starts no key/value pair: its own pattern follows it), where the birth words end,
    and the shortest Discord token."""
    import numpy as np

    from midstream_mcp.core.sanitizer import pii, secrets

    lits = [w.encode("ascii") for w in (*secrets._KEY_HINTS, *pii._DOB_WORDS, *secrets._TOKEN_PREFIXES)]
    assert len(lits) < 63 and all(w == w.lower() and len(w) >= 3 for w in lits)
    table = np.zeros(3 * 256, np.int64)
    for i, lit in enumerate(lits):
        for j in range(3):  # in either case: the kernel reads the text's bytes as they are
            for c in {lit[j], ord(chr(lit[j]).upper())}:
                table[256 * j + c] |= 1 << i
    starts = np.cumsum([0] + [len(w) for w in lits]).astype(np.int64)
    return (
        np.array(bytearray(b"".join(lits)), np.uint8), starts, table, len(secrets._KEY_HINTS),
        1 << secrets._KEY_HINTS.index("bearer"), len(secrets._KEY_HINTS) + len(pii._DOB_WORDS),
        secrets._DISCORD_MIN,
    )  # fmt: skip


def pair_leads(
    injection: ModuleType,
) -> tuple[list[int], list[int], list[int], list[int], list[int], bytearray]:
    """The pair leads (first word, start of the next one) of the folded rules whose leads the kernel
    finds, grouped by the first word: per rule a run (``pptr`` CSR) of pairs, each the first word's
    vocabulary index (``pw1``), where its next word ends in ``pbytes`` (``pw2``, CSR), whether that is
    the whole next word (``pexact``) and how many filler words may come first (``pgap``).

    Derived here rather than at import: only the kernel reads them, and deriving takes a while.
    """
    from midstream_mcp.core.sanitizer._leads import lead_pairs

    index = {w: i for i, w in enumerate(injection._VOCAB_LIST)}
    pptr, pw1, pw2, pexact, pgap = [0], [], [0], [], []
    pbytes = bytearray()
    for i in range(len(injection._FOLDED_RULES)):
        pairs = lead_pairs(injection._FOLDED_RULES[i].regex) if injection._KERNEL_LEADS[i] else None
        if pairs is not None and {w1 for w1, _, _, _ in pairs} == injection._LEAD_SETS[i][0]:
            for w1, w2, whole, gap in sorted(pairs, key=lambda p: (index[p[0]], p[1], p[3])):
                pw1.append(index[w1])
                pbytes += w2.encode("ascii")
                pw2.append(len(pbytes))
                pexact.append(int(whole))
                pgap.append(gap)
        pptr.append(len(pw1))
    return pptr, pw1, pw2, pexact, pgap, pbytes


def _gate_args(k: ModuleType, injection: ModuleType) -> tuple[Any, ...]:
    """The injection detector's vocabulary, word sets and rule gates as the arrays ``gate_view`` takes."""
    import numpy as np

    from midstream_mcp.core.sanitizer._glue import GLUE_MIN

    words = injection._VOCAB_LIST
    index = {w: i for i, w in enumerate(words)}
    vocab = [w.encode("ascii") for w in words]
    vbytes = np.array(bytearray(b"".join(vocab)), np.uint8)  # writable: see ``load``
    vstarts = np.cumsum([0] + [len(w) for w in vocab]).astype(np.int64)
    table = k.vocab_table(vocab, 1 << max(10, (4 * len(vocab)).bit_length()))
    vsets = np.zeros(len(words), np.int64)
    for bit, group in enumerate(injection._WORD_SETS):
        for w in group:
            if w in index:
                vsets[index[w]] |= 1 << bit
    for w in injection._GLUE_WORDS:  # the bit after the word sets' (see ``_kernels._glue_split``)
        vsets[index[w]] |= 1 << len(injection._WORD_SETS)
    # Gate groups: one per (rule, gate), numbered in rule order; folded rules first, then raw rules.
    rules = list(injection._FOLDED_RULES) + list(injection._RAW_RULES)
    rgroups_ptr = [0]
    by_word: list[list[int]] = [[] for _ in words]
    group = 0
    for rule in rules:
        for gate in rule.gates:
            for w in gate:
                if w in index:
                    by_word[index[w]].append(group)
            group += 1
        rgroups_ptr.append(group)
    always = np.array(
        [0] * len(injection._FOLDED_RULES) + [0 if r.gates else 1 for r in injection._RAW_RULES], np.int64
    )
    # Lead words of the folded rules whose leads are all whole words of the vocabulary (the
    # others find their own start positions).
    rleads_ptr = [0]
    rleads: list[int] = []
    for i in range(len(injection._FOLDED_RULES)):
        if injection._KERNEL_LEADS[i]:
            rleads.extend(sorted(index[w] for w in injection._LEAD_SETS[i][0]))
        rleads_ptr.append(len(rleads))
    rleads_ptr += [len(rleads)] * len(injection._RAW_RULES)  # raw rules: no leads
    pptr, pw1, pw2, pexact, pgap, pbytes = pair_leads(injection)
    # Raw rules with literals: the mask of the literal bits of ``raw_scan`` (one must be found).
    rlits = [0] * len(injection._FOLDED_RULES) + [
        injection._RAW_LITERAL_MASKS[i] if lits is not None else 0
        for i, lits in enumerate(injection._RAW_LITERAL_CHECK)
    ]
    # Per vocabulary word, one record: the word sets' counts it adds (fbits bits per set), then the mask
    # of its gate groups; per rule, the mask of its gate groups (one or per word, one and per rule).
    nsets = len(injection._WORD_SETS)
    fbits = max(len(s) for s in injection._WORD_SETS).bit_length()  # a count is at most the set's size
    assert fbits * nsets <= 63
    nw = max(1, (group + 63) // 64)
    vrec = np.zeros((len(words), 1 + nw), np.uint64)
    for v in range(len(words)):
        vrec[v, 0] = sum(1 << (fbits * bit) for bit in range(nsets) if (vsets[v] >> bit) & 1)
        for g in by_word[v]:
            vrec[v, 1 + g // 64] |= np.uint64(1 << (g % 64))
    rmasks = np.zeros((len(rules), nw), np.uint64)
    for r in range(len(rules)):
        for g in range(rgroups_ptr[r], rgroups_ptr[r + 1]):
            rmasks[r, g // 64] |= np.uint64(1 << (g % 64))
    # The glue words by their first (last) GLUE_MIN letters: the bit set of their lengths, so that
    # gate_view looks up only the prefixes (suffixes) of a long word that can be glue words.
    half = 4096  # (1024 let through twice as many words to split as this)
    glue5 = np.zeros(2 * half, np.int64)
    for w in injection._GLUE_WORDS:
        if len(w) >= GLUE_MIN:
            assert len(w) < 63
            for at, part in ((0, w[:GLUE_MIN]), (half, w[-GLUE_MIN:])):
                glue5[at + (k.word_hash(part.encode("ascii")) & (half - 1))] |= 1 << len(w)
    # Per vocabulary word, the rules it leads (in rule order), five numbers each: the rule, its pairs
    # with that first word (lo, hi: a run of pw1), the most filler words any of them allows (-1: one
    # allows any next word, or the rule has no pairs or none for this word: every place is kept),
    # and the first bytes of their next words as a bit set (by the low five bits: a quick filter).
    by_lead: list[list[int]] = [[] for _ in words]
    for r in range(len(rules)):
        for v in rleads[rleads_ptr[r] : rleads_ptr[r + 1]]:
            js = [j for j in range(pptr[r], pptr[r + 1]) if pw1[j] == v] if r + 1 < len(pptr) else []
            lo, hi, most, first = (js[0], js[-1] + 1, 0, 0) if js else (0, 0, -1, 0)
            assert hi - lo == len(js)  # pairs sorted by first word
            for j in js:
                if pw2[j + 1] == pw2[j]:
                    most = -1
                else:
                    first |= 1 << (pbytes[pw2[j]] & 31)
                    if most >= 0:
                        most = max(most, pgap[j])
            by_lead[v] += [r, lo, hi, most, first]
    vlptr = np.cumsum([0] + [len(e) // 5 for e in by_lead]).astype(np.int64)
    vlead = np.array([x for e in by_lead for x in e], np.int64)
    return (
        table, vbytes, vstarts, vsets, len(injection._WORD_SETS), np.array(rgroups_ptr, np.int64), always,
        np.array(rleads_ptr, np.int64), np.array(rleads, np.int64), -1, np.array(rlits, np.int64),
        np.array(pw2, np.int64), np.array(pexact, np.int64), np.array(pgap, np.int64),
        np.array(pbytes, np.uint8), vrec.reshape(-1).view(np.int64), rmasks.reshape(-1).view(np.int64),
        glue5, fbits, vlptr, vlead,
    )  # fmt: skip


def unload() -> None:
    """Back to the pure-Python paths (tests compare the two)."""
    global KERNELS
    with _LOCK:
        KERNELS = None
