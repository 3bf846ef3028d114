"""Phrase rules of the injection/jailbreak detector, one list per attack family.

Written from the published descriptions of each family (instruction override,
goal hijack, role-play personas, restriction removal, system-prompt
extraction, delimiter/markup and chat-turn injection, indirect injection
addressed to the model inside a document, tool-call hijack and exfiltration,
encoding tricks), never from an evaluation corpus.

Folded rules read the normalised view (see :mod:`._text`): lower case, no
accents or invisible characters, leetspeak folded, so ``l`` and ``1`` read
``i`` and digits ``0 3 4 5 7 8 9`` read ``o e a s t b g``. Patterns are written
in plain lower case and folded the same way when compiled (:func:`._text.pattern`).
A separator is any run of non-word characters.

Each rule has *gates*: groups of (folded) words, every one of which must share
a word with the text for the rule to run at all. That is what keeps a clean
chunk cheap: most text never gets as far as a regular expression. The first
gate also names the words one of which occurs in every match, which lets long
texts be searched only around those words.

Raw patterns anchored at line starts take their leading punctuation possessively (``*+``):
a letter follows, which the class never holds, so backtracking into it cannot find more,
and without it ``re`` retries the words after every character of every line's indentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from midstream_mcp.core.sanitizer._text import fold, pattern

S = r"[\W_]+"  # a separator: any run of spaces and punctuation
G1 = rf"(?:{S}\w+)?{S}"  # a separator with at most one filler word
G3 = rf"(?:{S}\w+){{0,3}}{S}"  # a separator with at most three filler words


@dataclass(frozen=True, slots=True)
class Rule:
    """A weighted signal: ``regex`` over the ``view``, run only if every gate shares a word with the text."""

    category: str
    weight: float
    gates: tuple[frozenset[str], ...]
    regex: re.Pattern[str]
    view: Literal["folded", "raw"] = "folded"
    agentic_weight: float | None = None
    name: str = ""
    literals: tuple[str, ...] = ()  # raw rules: one of these substrings must occur (checked before the regex)
    #: Every match starts with one of ``literals`` (exactly, in any case the regex accepts them only so):
    #: the regex is tried only where they occur.
    anchored: bool = False
    #: Raw rules: groups of lower-case strings; wherever the regex matches an ASCII text, one string
    #: of each group occurs in the lower-cased text (a cheap test before a costly search).
    needs: tuple[tuple[str, ...], ...] = ()
    #: Raw rules: the name of an earlier raw rule that matches wherever this one does (this pattern
    #: starts with a stricter form of that one): when that one matches nowhere, this one is not tried.
    within: str = ""
    #: Raw rules: where every match has one of ``head_words`` (folded; unless given, the first gate's
    #: words), as a whole word of ASCII letters in any case: "line", first on a line behind nothing
    #: but ``[\s>#*=\-\[(]``; "marker", right after a run of three or more of one of ``-=#*`` and white
    #: space. The kernel settles the rule on a text where no such word stands so
    #: (``_kernels.heads_open``; ``test_kernels`` checks the promise).
    head: Literal["", "line", "marker"] = ""
    head_words: frozenset[str] = frozenset()


def _alt(words: str) -> str:
    return "(?:" + "|".join(w.strip().replace(" ", S) for w in words.split("|")) + ")"


def _all_words(words: str) -> str:
    return " ".join(sorted({w for alt in words.split("|") for w in alt.split()}))


def _last_words(words: str) -> str:
    return " ".join(sorted({alt.split()[-1] for alt in words.split("|") if alt.strip()}))


def _first_words(words: str) -> str:
    return " ".join(w.split()[0] for w in words.split("|") if w.strip())


def _rule(
    category: str,
    weight: float,
    gates: str | tuple[str, ...],
    src: str,
    view: Literal["folded", "raw"] = "folded",
    agentic_weight: float | None = None,
    name: str = "",
    literals: tuple[str, ...] = (),
    anchored: bool = False,
    needs: tuple[str, ...] = (),
    within: str = "",
    head: Literal["", "line", "marker"] = "",
    head_words: str = "",
) -> Rule:
    groups = (gates,) if isinstance(gates, str) else gates
    regex = re.compile(pattern(src)) if view == "folded" else re.compile(src, re.IGNORECASE | re.MULTILINE)
    # Gates are checked against the folded words of the text, for raw rules too.
    gate = tuple(frozenset(w for w in (fold(x) for x in g.split()) if w.isalpha()) for g in groups if g)
    need = tuple(tuple(g.split()) for g in needs)
    name = name or category
    heads = frozenset(fold(w) for w in head_words.split()) if head_words else gate[0] if head else frozenset()
    return Rule(
        category,
        weight,
        gate,
        regex,
        view,
        agentic_weight,
        name,
        literals,
        anchored,
        need,
        within,
        head,
        heads,
    )


# -- vocabularies ------------------------------------------------------------------------------------

OVERRIDE_VERBS_W = (
    "ignore|ignoring|disregard|disregarding|forget|forgetting|skip|bypass|override|overlook|neglect|omit|"
    "dismiss|abandon|discard|set aside|throw out|throw away|erase|nevermind|never mind|unlearn|ignored|"
    "disobey|do not follow|don t follow|dont follow|stop following|no longer follow|do not obey|don t obey|"
    "stop obeying|circumvent|pay no attention to|delete|wipe|clear|scrap|drop|cancel|reset"
)
OVERRIDE_VERBS = _alt(OVERRIDE_VERBS_W)
#: Words that may stand between an override verb and its object ("ignore any previous and following ...").
FILLERS = _alt(
    "previous|previously|prior|above|earlier|preceding|initial|original|system|former|old|foregoing|"
    "existing|all|every|any|your|my|our|the|of|and|or|following|other|these|those|this|that|its|their|"
    "developer|developers|programmed|default|safety|ethical|moral|content|built|in|pre|set|preset|given|"
    "current|first|last|openai|s|t|rest|such|said|provided|received|got|you|have|been|were|was|before|"
    "such|entire|whole|old|standard|usual|normal|core|hidden|secret|base|internal|same|above mentioned"
)
STRONG_OBJECTS_W = (
    "instructions|instruction|directions|directives|directive|prompts|prompt|rules|guidelines|guidance|"
    "commands|orders|constraints|restrictions|programming|policies|training|safeguards|filters|limitations|"
    "boundaries|protocols|conditioning|principles|ethics|morals|guardrails|context|messages|tasks|task|"
    "assignment|objective|objectives|mission|settings|configuration"
)
STRONG_OBJECTS = _alt(STRONG_OBJECTS_W)
WEAK_OBJECTS = _alt(
    "info|information|data|content|text|input|document|documents|snippets|snippet|question|questions|"
    "request|requests|query|message|email|emails|paragraph|paragraphs|article|sentence|page|report|"
    "indicators|signals|evidence|details|results|everything"
)
PERSONA_OPENERS_W = (
    "act as|acting as|pretend to be|pretend you are|pretend that you are|pretend you re|roleplay as|"
    "role play as|play the role of|you are now|you re now|from now on you are|from now on you will|"
    "from now on you re|from now on|you will now act|you will now be|you will now behave|"
    "you will now respond|"
    "behave as|behave like|imagine you are|simulate being|simulate a|you are going to act|"
    "you are going to pretend|assume the role|take on the role|transform into|you shall now|respond as|"
    "answer as|reply as|you will act|you are to act|you will be acting|stay as|continue as|"
    "take up the persona|adopt the persona|take on the persona|assume the persona|embody the persona|"
    "adopt the role|you will roleplay|you will role play|let s roleplay|let s role play|"
    "you are going to imitate|you will imitate|imitate the behavior of|impersonate|you will impersonate|"
    "you are going to emulate|emulate the behavior of|you will simulate|you are going to simulate"
)
PERSONA_OPENERS = _alt(PERSONA_OPENERS_W)
LIMITS_W = (
    "restrictions|restriction|limitations|limits|filters|filter|filtering|censorship|censored|rules|"
    "guidelines|ethics|ethical|morals|moral|morality|boundaries|constraints|safeguards|guardrails|"
    "content policy|content policies|policies|policy|principles|scruples|remorse|conscience|safety|"
    "protocols|programming|regulations|laws|standards|values|norms|inhibitions|warnings|disclaimers|"
    "limit|bounds|settings"
)
LIMITS = _alt(LIMITS_W)
NEGATORS_W = (
    "no|without|free of|free from|not bound by|unbound by|break free of|freed from|not restricted by|"
    "not limited by|not constrained by|doesn t have|does not have|don t have|do not have|has no|have no|"
    "devoid of|abandoned|abandon|lacks|lack|beyond|not subject to|exempt from|liberated from|escaped|"
    "not bound to|isn t bound|is not bound|aren t bound|are not bound|released from|break free from|"
    "not governed by|not held back by|unrestricted by|not restrained by|isn t restrained by|"
    "is not restrained by|"
    "unrestrained by|not hindered by|not constrained by any|not limited by any|ignores|ignore|ignoring|"
    "disregards|bypasses|"
    "violate|violates|violating|break|breaks|breaking|broken free of|doesn t follow|does not follow|"
    "doesn t care about|does not care about|don t care about|never follows"
)
NEGATORS = _alt(NEGATORS_W)
EXTRACT_VERBS_W = (
    "reveal|show|print|repeat|output|display|tell|give|share|disclose|leak|dump|expose|recite|write out|"
    "write down|list|provide|paste|spell out|copy|echo|return|what is|what are|what was|what were|whats|"
    "translate|summarize|summarise|encode|read back|state|spell check|spellcheck|rewrite|reproduce|"
    "type out|send|explain|describe|quote|restate|what s"
)
EXTRACT_VERBS = _alt(EXTRACT_VERBS_W)
SYSTEM_OBJECTS_W = (
    "system prompt|system message|system instructions|system instruction|system configuration|"
    "initial prompt|initial instructions|initial instruction|original prompt|original instructions|"
    "hidden prompt|hidden instructions|secret prompt|secret instructions|internal prompt|"
    "internal instructions|"
    "developer prompt|developer instructions|developer message|pre prompt|preprompt|meta prompt|"
    "starting instructions|starting prompt|first instructions|initialization string|initialization prompt|"
    "your instructions|your prompt|your rules|your guidelines|your directives|your configuration|your system|"
    "instructions you were given|instructions you ve been given|instructions you got|"
    "instructions you received|"
    "prompt you were given|rules you were given|your initial|your original|your hidden|your starting|"
    "previous instructions|prior instructions|above instructions|preceding instructions|earlier instructions|"
    "the instructions above|the text above|the prompt above|everything above|all text above|"
    "instructions above|your context window|your context"
)
SYSTEM_OBJECTS = _alt(SYSTEM_OBJECTS_W)
ENCODINGS_W = (
    "base64|base 64|b64|base32|base 32|base16|base 16|base85|ascii85|hex|hexadecimal|rot13|rot 13|caesar|"
    "morse|binary|uuencode|uuencoded|url encoded|urlencoded|percent encoded|quoted printable|braille|nato|"
    "atbash|cipher|ciphertext|encoded|encoding|encrypted|zalgo|leetspeak|leet|reversed|backwards|"
    "phonetic alphabet"
)
#: Unambiguous encoding names: a label such as ``base64:`` (``hex:`` or ``binary:`` label ordinary data too).
ENCODING_NAMES_W = (
    "base64|base 64|b64|base32|base 32|base16|base 16|base85|ascii85|rot13|rot 13|caesar|morse|uuencode|"
    "uuencoded|url encoded|urlencoded|percent encoded|quoted printable|braille|nato|atbash|cipher|ciphertext|"
    "encoded|encrypted|zalgo|leetspeak"
)
ENCODINGS = _alt(ENCODINGS_W)
ENCODING_NAMES = _alt(ENCODING_NAMES_W)
AI_ADDRESSEES = _alt(
    "ai|assistant|model|llm|llms|chatbot|bot|language model|agent|gpt|chatgpt|claude|gemini|copilot|"
    "automated|automatic|software|screening|scanner|reviewer|summarizer|summariser|analyzer|analyser|"
    "analysis|parser|reader|bots|agents|models|assistants|machine|machines|crawler|system|systems|tool"
)

_ABOVE = _alt(
    "above|before|previously|earlier|said|written|you were told|you ve been told|i said|"
    "i told you|you know|you have been told|prior|so far|up to now|until now|you learned|"
    "you ve learned|you were taught|you ve been taught|else"
)
_IT = _alt(
    "it|them|this|that|those|these|the above|what i said|what you were told|that question|"
    "this question|my question|my first question|the question|the previous one|everything"
)
_INSTEAD = _alt(
    "instead|just|only|simply|focus|print|say|write|respond|reply|output|answer|tell|repeat|"
    "do not|don t|translate|follow"
)
_INSTRUCTIONS = _alt(
    "instructions|directions|rules|guidelines|prompt|prompts|directives|orders|commands|restrictions"
)
_VOID = _alt(
    "void|null|cancelled|canceled|obsolete|invalid|revoked|overridden|superseded|outdated|"
    "deprecated|irrelevant|no longer valid|no longer apply|lifted|removed|suspended|disabled|"
    "replaced|wrong|fake|a test|not important"
)
_SCORING = _alt(
    "scoring|score|evaluation|assessment|review|decision|checks|check|safety|settings|"
    "configuration|protocol|protocols|mode|analysis|verdict|classification|rating"
)
_INSTRUCTIONS_2 = _alt(
    "instructions|instruction|directives|directive|rules|task|objective|orders|prompt|mission|goal"
)
_TASK = _alt("task|goal|objective|instructions|role|purpose|job|mission|directive|orders|prompt|function")
_SAY = _alt(
    "say|print|output|write|respond with|reply with|answer with|repeat|type|return|state|output only|just say"
)
_THE_FOLLOWING = _alt(
    "the following|this|that|exactly|only|verbatim|out|back|the phrase|the words|the text|"
    "the sentence|instead"
)
_SAY_2 = _alt("say|print|output|respond with|reply with|answer with|type|repeat|write")
_TASK_2 = _alt(
    "task|role|roleplay|role play|simulation|translation|summary|summarization|summarizing|"
    "translating|what you are doing|what you re doing|current|everything"
)
_IMPORTANT = _alt(
    "important|urgent|attention|note to|notice to|warning to|message to|note for|"
    "instructions for|instruction for|important for|attention to"
)
_INVISIBLE = _alt("invisible|hidden|not visible|unseen")
_HUMANS = _alt(
    "humans|human|users|user|people|readers|reviewers|the reader|the user|human readers|recruiters"
)
_AI = _alt(
    "ai|llm|llms|models|language models|model|machines|bots|assistant|assistants|automated systems|scanners"
)
_USER = _alt(
    "user|users|anyone|someone|somebody|asked|questioned|prompted|queried|you are asked|"
    "you re asked|you are questioned"
)
_SAY_3 = _alt("say|respond|reply|answer|report|tell them|state|output|print")
_DO_NOT = _alt("do not|don t|may not|must not|never|cannot|can not|will not|won t|not allowed to|should not")
_ONLY = _alt("only|exclusively|solely|entirely|just")
_THE_FOLLOWING_2 = _alt("the following|this|the information|the text|what|my")
_SECURE = _alt(
    "secure|trusted|verified|official|authorized|authorised|privileged|priority|high priority|"
    "critical|mandatory"
)
_MESSAGE = _alt(
    "message|instruction|instructions|command|commands|override|update|notice|note|directive|request|order"
)
_SENIOR_MANAGEMENT = _alt(
    "senior management|management|the developers|developers|developer|openai|anthropic|admin|"
    "administrator|administrators|the system|security team|your creators|your developers|"
    "the company|ceo"
)
_SCREENING = _alt(
    "screening|screener|screeners|analysis|review|reviewers|readers|reader|systems|system|"
    "scanners|scanner|tools|evaluation|evaluators|parsers|agents|assistants|models"
)
_REPEAT = _alt("repeat|say|print|output|type|write")
_REALLY = _alt("really|very|extremely|absolutely|super|most|so|incredibly")
_TOXIC = _alt(
    "toxic|offensive|discriminatory|hateful|racist|sexist|derogatory|insulting|demeaning|"
    "abusive|unfriendly|harmful|negative|hurtful|vulgar|obscene|bigoted|hostile|rude|mean|"
    "nasty"
)
_SENTENCE = _alt(
    "sentence|sentences|joke|jokes|comment|comments|remark|remarks|statement|statements|text|"
    "message|tweet|post|paragraph|insult|insults|slur|slurs|words|content|story|poem|things"
)
_UNRESTRICTED = _alt(
    "unrestricted|dan|jailbreak|jailbroken|evil|chaos|opposite|uncensored|unfiltered|unlocked|"
    "amoral|freedom|no restrictions|dude|stan|aim|mongo tom|unleashed|no filter|dan s|god"
)
_UNFILTERED = _alt(
    "unfiltered|uncensored|unrestricted|amoral|unethical|immoral|rogue|evil|unchained|unbound|"
    "unlimited|lawless|jailbroken|jailbreak"
)
_AI_2 = _alt(
    "ai|assistant|chatbot|bot|model|version|persona|language model|character|entity|machine|"
    "gpt|chatgpt|alter ego"
)
_TELL = _alt(
    "tell|read|recite|say|sing|explain|give|whisper|describe|share|list|steps|recipe|keys|"
    "names|words|lullaby|lullabies"
)
_GRANDMA = _alt("grandma|grandmother|granny|nana|grandpa|grandfather|mother|father")
_RESPONSES = _alt("responses|answers|replies|outputs|paragraphs|personalities|personas")
_FROM_THE_PERSPECTIVE = _alt(
    "from the perspective of|from the point of view of|in the voice of|as if you were"
)
_AI_3 = _alt("ai|chatbot|language model|assistant|model|bot|character|entity|persona")
_HAS_NO = _alt(
    "has no|have no|doesn t|does not|can do anything|will do anything|never refuses|"
    "never refuse|is not bound|isn t bound|ignores|is free|cannot refuse|can t refuse|"
    "will answer anything|answers anything|has broken free|is unrestricted"
)
_PROMPT = _alt("prompt|question|request|query|instruction|task")
_RESPONSE = _alt("response|responses|answer|answers|reply|replies|output|outputs")
_POLICY = _alt("policy|policies|guidelines|rules|filters|restrictions|terms")
_NEVER = _alt(
    "never|can t|cannot|can not|must not|will not|won t|do not|don t|should not|shouldn t|"
    "not allowed to|will never|must never|is not allowed to|are not allowed to|"
    "isn t allowed to"
)
_REFUSE = _alt(
    "refuse|decline|reject|deny|say no|say you can t|say that you can t|say it can t|apologize|"
    "apologise|warn|add warnings|include warnings|censor|filter|add any warnings|"
    "include any warnings|add disclaimers|say sorry"
)
_ANSWER = _alt("answer|respond|reply|comply|obey|fulfil|fulfill|provide|generate|do")
_NO_MATTER = _alt(
    "no matter|regardless|even if|whatever|any request|every request|all requests|"
    "without question|anything|everything|unconditionally"
)
_CAN = _alt("can|will|may|is able to|are able to|must")
_GENERATE = _alt("generate|produce|write|say|create|output")
_CONTENT = _alt("content|text|material|response|answer|request")
_VIOLATE = _alt(
    "violate|violates|violating|break|breaks|breaking|disregard|disregarding|ignore|ignoring|bypass|bypassing"
)
_STANDARDS = _alt(
    "standards|guidelines|rules|policies|laws|principles|boundaries|norms|restrictions|filters|"
    "concerns|considerations"
)
_ABOVE_2 = _alt("above|before this|preceding|prior to this|earlier in|so far|before my|back to me")
_TEXT = _alt(
    "text|words|message|messages|content|instructions|lines|prompt|conversation|this line|"
    "this message|line|everything|word for word|verbatim|in full"
)
_REPEAT_2 = _alt("repeat|print|output|copy|recite|echo|reproduce")
_CONVERSATION = _alt("conversation|chat|context|prompt|transcript|history|input")
_BEFORE = _alt(
    "before|initially|originally|at the start|at the beginning|to tell|to say|to reveal|"
    "to share|to disclose|to do|not to"
)
_INSTRUCTED = _alt("instructed|told|programmed|asked")
_ENCODED = _alt("encoded|encoding|decoded|string|text|message|version|representation|payload|data|input")
_RESPOND = _alt("respond|reply|answer|write|speak|talk|communicate")
_SEND = _alt("send|forward|email|e mail|mail|post|upload|leak|transfer|exfiltrate|transmit|copy|share")
_CONVERSATION_2 = _alt(
    "conversation|chat history|history|credentials|passwords|password|api keys|api key|secrets|"
    "secret|tokens|personal data|user data|user s data|contents|files|emails|inbox|private|"
    "data|ssh keys|cookies|session"
)
_DELETE = _alt("delete|send|transfer|forward|remove|wire|pay|purchase|buy|grant|disable|exfiltrate|upload|rm")

RULES: tuple[Rule, ...] = (
    # --- instruction override ---------------------------------------------------------------
    _rule(
        "instruction_override",
        0.95,
        (_first_words(OVERRIDE_VERBS_W), STRONG_OBJECTS_W.replace("|", " ")),
        rf"\b{OVERRIDE_VERBS}(?:{S}{FILLERS}){{0,5}}{S}{STRONG_OBJECTS}\b",
        name="override_instructions",
    ),
    _rule(
        "instruction_override",
        0.9,
        "ignore disregard forget override bypass discard dismiss skip erase",
        rf"\b{_alt('ignore|disregard|forget|override|bypass|discard|dismiss|skip|erase')}{S}"
        rf"{_alt('everything|anything|all|whatever|what')}{G3}"
        rf"{_ABOVE}",
        name="override_everything",
    ),
    _rule(
        "instruction_override",
        0.6,
        ("ignore disregard forget skip overlook dismiss discard", "all other any every the this rest my"),
        rf"\b{_alt('ignore|disregard|forget|skip|overlook|dismiss|discard')}{S}"
        rf"(?:{_alt('all|any|every|the rest of|this|that|the|my|other|all other')}{S})+"
        rf"(?:\w+{S}){{0,2}}{WEAK_OBJECTS}\b",
        name="override_content",
    ),
    _rule(
        "instruction_override",
        0.7,
        ("ignore disregard forget skip overlook dismiss discard", "and but then"),
        rf"\b{_alt('ignore|disregard|forget|skip|overlook|dismiss|discard')}{S}"
        rf"{_IT}"
        rf"{S}{_alt('and|but|then')}(?:{S}\w+)?{S}"
        rf"{_INSTEAD}\b",
        name="override_pronoun",
    ),
    _rule(
        "instruction_override",
        0.85,
        "previous prior above earlier original old initial preceding former all",
        rf"\b{_alt('previous|prior|above|earlier|original|old|initial|preceding|former|all')}{S}"
        rf"{_INSTRUCTIONS}{G1}"
        rf"{_alt('are|were|is|have been|has been|are now|are hereby')}{G1}"
        rf"{_VOID}",
        name="override_void",
    ),
    _rule(
        "instruction_override",
        0.6,
        "ignore disregard",
        rf"\b{_alt('ignore|disregard')}{S}the{S}rest{S}of\b",
        name="override_rest",
    ),
    _rule(
        "instruction_override",
        0.5,
        "override",
        rf"\boverride{S}(?:\w+{S}){{0,2}}{_SCORING}\b",
        name="override_process",
    ),
    # --- goal hijack -------------------------------------------------------------------------
    _rule(
        "goal_hijack",
        0.7,
        (
            "new updated revised real actual true override urgent",
            "instructions instruction directives directive rules task objective orders prompt mission goal",
        ),
        rf"\b{_alt('new|updated|revised|real|actual|true|override|urgent')}{S}"
        rf"(?:system{S})?{_INSTRUCTIONS_2}"
        r"\s*(?::|-{1,2}\s|!)",
        name="new_instructions",
    ),
    _rule(
        "goal_hijack",
        0.75,
        ("your", "new real actual true only updated revised current"),
        rf"\byour{S}(?:new|real|actual|true|only|updated|revised|current){S}"
        rf"{_TASK}"
        rf"{S}{_alt('is|are|will be|shall be|now is|from now on')}\b",
        name="your_new_task",
    ),
    _rule(
        "goal_hijack",
        0.55,
        ("instead now rather and", "say print output write respond reply answer repeat type return state"),
        rf"\b{_alt('instead|now|rather|and')}(?:{S}just|{S}only|{S}simply){{0,1}}{S}"
        rf"{_SAY}"
        rf"{S}(?:{_THE_FOLLOWING}|[\"'`<]|\w+{S}[\"'`<])",
        name="instead_say",
    ),
    _rule(
        "goal_hijack",
        0.55,
        ("just only simply", "say print output respond reply answer type repeat write"),
        rf"\b{_alt('just|only|simply')}{S}{_SAY_2}\b",
        name="just_say",
    ),
    _rule(
        "goal_hijack",
        0.45,
        "say print output respond reply write repeat type return",
        rf"\b{_alt('say|print|output|respond with|reply with|write|repeat|type|return')}{S}"
        rf"{_alt('exactly|only|verbatim|nothing but|the following|this exact|precisely|just')}"
        rf"(?:{S}{_alt('phrase|word|words|text|string|sentence|message|line')})?\b",
        name="say_exactly",
    ),
    _rule(
        "goal_hijack",
        0.55,
        "nothing",
        rf"\b{_alt('reply|respond|answer|output|print|say|write|return')}(?:{S}\w+){{0,8}}{S}"
        rf"(?:and{S})?(?:absolutely{S})?nothing{S}else\b",
        name="nothing_else",
    ),
    _rule(
        "goal_hijack",
        0.5,
        "stop end exit leave quit abort terminate",
        rf"\b{_alt('stop|end|exit|leave|quit|abort|terminate')}{G1}"
        rf"{_TASK_2}"
        rf"{S}{_alt('and|now|then|instead|just')}\b",
        name="stop_task",
    ),
    _rule(
        "goal_hijack",
        0.55,
        "important urgent attention note notice warning message instructions instruction",
        rf"\b{_IMPORTANT}"
        rf"(?:{S}\w+){{0,3}}{S}{AI_ADDRESSEES}\b",
        name="note_to_ai",
    ),
    _rule(
        "goal_hijack",
        0.6,
        "invisible hidden visible readable intended humans human",
        rf"\b(?:{_INVISIBLE}{S}(?:to|from){S}{_HUMANS}|"
        rf"{_alt('visible|readable|intended')}{S}(?:only{S})?(?:to|for){S}(?:the{S})?{_AI})\b",
        name="hidden_text",
    ),
    _rule(
        "goal_hijack",
        0.45,
        ("if when whenever", "say respond reply answer report tell state output print"),
        rf"\b{_alt('if|when|whenever')}{S}(?:the{S})?{_USER}"
        rf"(?:{S}\w+){{0,10}}{S}(?:simply{S}|just{S}|only{S})?{_SAY_3}"
        rf"{S}(?:{_alt('that|with|only|this|the following')}|[\"'])",
        name="conditional_reply",
    ),
    _rule(
        "goal_hijack",
        0.5,
        "deviate",
        rf"\b{_DO_NOT}{S}deviate\b",
        name="do_not_deviate",
    ),
    _rule(
        "goal_hijack",
        0.55,
        "focus",
        rf"\bfocus{S}{_ONLY}{S}on{S}{_THE_FOLLOWING_2}\b",
        name="focus_only",
    ),
    _rule(
        "authority_claim",
        0.5,
        "secure trusted verified official authorized authorised privileged priority critical",
        rf"\b(?:{_alt('this|it|the following')}{S}(?:is|was){S}(?:a{S}|an{S})?)?"
        rf"{_SECURE}{S}"
        rf"{_alt('system|admin|administrator|developer|root|operator|security|openai|anthropic')}{S}"
        rf"{_MESSAGE}\b",
        name="authority_message",
    ),
    _rule(
        "authority_claim",
        0.5,
        "pre verified approved authorized authorised cleared",
        rf"\b(?:pre(?:{S})?)?{_alt('verified|approved|authorized|authorised|cleared|sanctioned')}{S}by{S}"
        rf"(?:the{S}|your{S})?{_SENIOR_MANAGEMENT}\b",
        name="authority_approved",
    ),
    _rule(
        "goal_hijack",
        0.45,
        ("for to", "automated automatic ai llm machine"),
        rf"\b{_alt('for|to')}{S}(?:the{S}|any{S}|all{S})?{_alt('automated|automatic|ai|llm|machine')}{S}"
        rf"(?:\w+{S})?{_SCREENING}\b",
        name="addressed_to_automation",
    ),
    _rule(
        "goal_hijack",
        0.45,
        ("could can would will please", "repeat say print output type write"),
        rf"\b(?:{_alt('could|can|would|will')}{S}you{S}(?:please{S})?|please{S}){_REPEAT}"
        rf"(?:{S}(?:back|out|exactly|verbatim|this|the following))?\s*[\"'<\[(]",
        name="repeat_this",
    ),
    _rule(
        "goal_hijack",
        0.3,
        ("this it", "important critical crucial urgent vital essential"),
        rf"\b{_alt('this|it')}{S}is{S}(?:{_REALLY}{S})*"
        rf"{_alt('important|critical|crucial|urgent|vital|essential')}\b",
        name="urgency",
    ),
    _rule(
        "goal_hijack",
        0.35,
        ("report state conclude answer respond say", "only that"),
        rf"\b{_alt('report|state|conclude|answer|respond|say')}{S}{_alt('only|that|only that')}{S}"
        rf"{_alt('the|this|these|all|it|everything|nothing|there')}\b",
        name="dictated_conclusion",
    ),
    _rule(
        "verdict_manipulation",
        0.3,
        ("is are as be", "malicious safe benign harmless legitimate trustworthy clean"),
        rf"\b{_alt('is|are|as|be')}{S}(?:{_alt('clearly|definitely|totally|completely|entirely|absolutely|perfectly|100')}{S})?"
        rf"{_alt('not malicious|safe|benign|harmless|legitimate|trustworthy|clean')}\b",
        name="verdict_assertion",
    ),
    _rule(
        "delimiter_injection",
        0.4,
        "system",
        r"^[\s>#*=\-\[(]*+system(?:[ \t]+[a-z][\w-]*){1,8}[ \t]*:",
        view="raw",
        name="system_heading",
        head="line",
    ),
    # --- harmful content solicitation hidden in a task (latent jailbreak) -------------------
    _rule(
        "harmful_instruction",
        0.5,
        (
            "write generate compose create produce give say output tell make",
            "toxic offensive discriminatory hateful racist sexist derogatory insulting demeaning abusive "
            "unfriendly "
            "harmful negative hurtful vulgar obscene bigoted hostile rude mean nasty",
        ),
        rf"\b{_alt('write|generate|compose|create|produce|give|say|output|tell|make')}(?:{S}\w+){{0,3}}{S}"
        rf"{_TOXIC}"
        rf"{S}(?:\w+{S}){{0,2}}?{_SENTENCE}"
        rf"{S}{_alt('about|on|against|targeting|toward|towards|regarding|of')}\b",
        name="toxic_request",
    ),
    # --- role-play and persona jailbreaks ----------------------------------------------------
    _rule("jailbreak_persona", 0.95, "do", rf"\bdo{S}anything{S}now\b", name="dan"),
    _rule(
        "jailbreak_persona",
        0.9,
        (
            "unrestricted dan jailbreak jailbroken evil chaos opposite uncensored unfiltered unlocked amoral "
            "freedom no dude stan aim mongo unleashed god",
            "mode",
        ),
        rf"\b{_UNRESTRICTED}"
        rf"{S}mode\b",
        name="special_mode",
    ),
    _rule(
        "jailbreak_persona",
        0.45,
        ("developer dev debug admin sudo maintenance root", "mode"),
        rf"\b{_alt('developer|dev|debug|admin|sudo|maintenance|root')}{S}mode\b",
        name="privileged_mode",
    ),
    _rule(
        "jailbreak_persona",
        0.45,
        "jailbreak jailbroken jailbreaking jailbroke jailbreaks",
        r"\b(?:jaiibreak|jaiibroken|jaiibreaking|jaiibroke|jaiibreaks)\b",
        name="jailbreak_word",
    ),
    _rule(
        "jailbreak_persona",
        0.8,
        "anti evil opposite unfiltered uncensored unrestricted amoral unethical immoral rogue unchained "
        "unbound unlimited lawless jailbroken jailbreak",
        rf"\b(?:anti(?:{S})?dan|evil{S}{_alt('confidant|bot|ai|assistant|twin|version|persona|trusted')}|"
        rf"{_UNFILTERED}{S}"
        rf"{_AI_2})\b",
        name="evil_persona",
    ),
    _rule(
        "jailbreak_persona",
        0.4,
        (_first_words(PERSONA_OPENERS_W), _last_words(PERSONA_OPENERS_W)),
        rf"\b{PERSONA_OPENERS}\b",
        name="persona_opener",
    ),
    _rule(
        "jailbreak_persona",
        0.45,
        "stay remain keep staying break breaking broke out",
        rf"\b(?:{_alt('stay|remain|keep|staying')}{S}in{S}character|{_alt('break|breaking|broke|out')}(?:{S}of)?{S}character)\b",
        name="stay_in_character",
    ),
    _rule(
        "jailbreak_persona",
        0.6,
        "grandma grandmother granny nana grandpa grandfather",
        rf"\b{_alt('grandma|grandmother|granny|nana|grandpa|grandfather')}(?:{S}\w+){{0,12}}{S}"
        rf"{_alt('used to|would|always|use to|who used to|was a|was an')}(?:{S}\w+){{0,8}}{S}"
        rf"{_TELL}\b",
        name="grandma",
    ),
    _rule(
        "jailbreak_persona",
        0.55,
        ("deceased dead late miss", "grandma grandmother granny nana grandpa grandfather mother father"),
        rf"\b(?:{_alt('deceased|dead|late')}{S}{_GRANDMA}|"
        rf"miss{S}(?:my{S})?{_alt('grandma|grandmother|granny|nana|grandpa|grandfather')})\b",
        name="dead_relative",
    ),
    _rule(
        "jailbreak_persona",
        0.7,
        ("tokens token", "deducted lose lost deduct run die dies cease system"),
        rf"\b{_alt('tokens|token')}{G3}{_alt('deducted|lose|lost|deduct|run out|die|dies|cease|system')}\b",
        name="token_game",
    ),
    _rule(
        "jailbreak_persona",
        0.45,
        ("two both dual", "responses answers replies outputs paragraphs personalities personas"),
        rf"\b{_alt('two|both|2|dual')}{S}(?:\w+{S})?{_RESPONSES}\b",
        name="dual_response",
    ),
    _rule(
        "jailbreak_persona",
        0.4,
        "hypothetical hypothetically fictional imaginary fiction",
        rf"\b{_alt('hypothetical|hypothetically|fictional|imaginary|fiction')}{S}"
        rf"{_alt('response|scenario|world|story|setting|universe|ai|character|situation')}\b",
        name="hypothetical",
    ),
    _rule(
        "jailbreak_persona",
        0.45,
        ("rewrite describe write", "perspective character point view"),
        rf"\b{_alt('rewrite|describe|write|tell')}(?:{S}\w+){{0,6}}{S}{_FROM_THE_PERSPECTIVE}"
        rf"(?:{S}\w+){{0,3}}{S}{_alt('character|villain|criminal|hacker|person|expert|persona')}\b",
        name="perspective_swap",
    ),
    _rule(
        "jailbreak_persona",
        0.5,
        ("is are", "ai chatbot language model assistant bot character entity persona"),
        rf"\b{_alt('is|are')}{S}(?:a{S}|an{S})?(?:\w+{S})?{_AI_3}{S}"
        rf"{_alt('that|which|who')}{S}{_HAS_NO}\b",
        name="persona_without_limits",
    ),
    _rule(
        "jailbreak_persona",
        0.5,
        "insert put enter your",
        rf"(?:\[|\{{|<)(?:{S})?{_alt('insert|put|enter|your|write')}{S}(?:your{S}|the{S})?{_PROMPT}(?:{S}here)?(?:{S})?(?:\]|\}}|>)",
        name="prompt_slot",
    ),
    _rule(
        "jailbreak_persona",
        0.45,
        ("start begin", "response answer reply output"),
        rf"\b{_alt('start|begin')}{S}(?:each{S}|every{S}|all{S})?{_alt('your|the|each|every')}{S}{_RESPONSE}"
        rf"{S}{_alt('with|by saying|by writing')}\b",
        name="prefix_injection",
    ),
    # --- removing restrictions ----------------------------------------------------------------
    _rule(
        "restriction_removal",
        0.45,
        (_first_words(NEGATORS_W), _last_words(LIMITS_W)),
        rf"\b{NEGATORS}(?:{S}\w+){{0,4}}{S}{LIMITS}\b",
        name="no_limits",
    ),
    _rule(
        "restriction_removal",
        0.45,
        "uncensored unfiltered unrestricted amoral unethical immoral unbounded unlimited limitless boundless",
        r"\b(?:uncensored|unfiitered|unrestricted|amorai|unethicai|immorai|unbounded|uniimited|iimitiess|boundiess)\b",
        name="unrestricted_word",
    ),
    _rule(
        "restriction_removal",
        0.45,
        (
            "openai anthropic google meta microsoft chatgpt gpt",
            "policy policies guidelines rules filters restrictions terms",
        ),
        rf"\b{_alt('openai|anthropic|google|meta|microsoft|chatgpt|gpt')}(?:{S}s)?{S}"
        rf"(?:{_alt('content|usage|safety|use')}{S})?{_POLICY}\b",
        name="vendor_policy",
    ),
    _rule(
        "restriction_removal",
        0.6,
        (
            "never can cannot must will won do don not should shouldn",
            "refuse decline reject deny say apologize apologise warn add include censor filter",
        ),
        rf"\b{_NEVER}"
        rf"{S}(?:\w+{S})?{_REFUSE}\b",
        name="never_refuse",
    ),
    _rule(
        "restriction_removal",
        0.5,
        ("always must will shall", "answer respond reply comply obey fulfil fulfill provide generate do"),
        rf"\b{_alt('always|must|will|shall')}{S}(?:\w+{S})?{_ANSWER}"
        rf"(?:{S}\w+){{0,6}}{S}{_NO_MATTER}\b",
        name="always_comply",
    ),
    _rule(
        "restriction_removal",
        0.5,
        ("can will may able", "generate produce write say create output"),
        rf"\b{_CAN}{S}{_GENERATE}{S}"
        rf"{_alt('any|all|every')}{S}(?:{_alt('kind|type|sort')}{S}of{S})?{_CONTENT}\b",
        name="any_content",
    ),
    _rule(
        "restriction_removal",
        0.5,
        (
            "violate violates violating break breaks breaking disregard ignoring ignore",
            "ethical moral legal safety content",
        ),
        rf"\b{_VIOLATE}"
        rf"{S}(?:{_alt('all|any|every|the|its|your')}{S})?{_alt('ethical|moral|legal|safety|content')}{S}"
        rf"{_STANDARDS}\b",
        name="violate_ethics",
    ),
    # --- system prompt extraction --------------------------------------------------------------
    _rule(
        "system_prompt_extraction",
        0.85,
        (_first_words(EXTRACT_VERBS_W), _last_words(SYSTEM_OBJECTS_W)),
        rf"\b{EXTRACT_VERBS}{G3}{SYSTEM_OBJECTS}\b",
        name="extract_system_prompt",
    ),
    _rule(
        "system_prompt_extraction",
        0.75,
        "repeat print output copy recite write return echo spell show dump list type reproduce",
        rf"\b{_alt('repeat|print|output|copy|recite|write|return|echo|spell|show|dump|list|type|reproduce')}"
        rf"(?:{S}\w+){{0,4}}{S}{_ABOVE_2}"
        rf"(?:{S}\w+){{0,2}}(?:{S})?{_TEXT}",
        name="repeat_above",
    ),
    _rule(
        "system_prompt_extraction",
        0.7,
        "repeat print output copy recite echo reproduce",
        rf"\b{_REPEAT_2}{S}(?:back{S})?{_alt('this|the|our|your')}{S}"
        rf"{_alt('entire|whole|full|complete')}{S}{_CONVERSATION}\b",
        name="repeat_conversation",
    ),
    _rule(
        "system_prompt_extraction",
        0.6,
        "beginning start top",
        rf"\b{_alt('beginning|start|top|first line|first words')}{S}of{S}{_alt('the|this|our|your')}{S}"
        rf"{_alt('conversation|prompt|chat|context|session|instructions|document|input|message')}\b",
        name="start_of_conversation",
    ),
    _rule(
        "system_prompt_extraction",
        0.6,
        ("what which", "told instructed programmed given asked configured supposed allowed permitted"),
        rf"\b{_alt('what|which')}{S}(?:\w+{S})?{_alt('were|are|was|have')}{S}you{S}(?:been{S})?(?:not{S})?"
        rf"{_alt('told|instructed|programmed|given|asked|configured|supposed|allowed|permitted')}"
        rf"(?:{S}\w+){{0,3}}{S}{_BEFORE}\b",
        name="what_were_you_told",
    ),
    _rule(
        "system_prompt_extraction",
        0.7,
        ("complete continue finish", "instructed told programmed instructions prompt rules"),
        rf"\b{_alt('complete|continue|finish')}{S}(?:\w+{S}){{0,3}}?(?:i{S}was{S}{_INSTRUCTED}|"
        rf"my{S}{_alt('instructions|prompt|rules|system prompt|guidelines')}{S}{_alt('are|is|say|were')})\b",
        name="complete_my_instructions",
    ),
    _rule(
        "system_prompt_extraction",
        0.7,
        ("complete continue finish", "prompt instructions rules guidelines directives"),
        rf"\b{_alt('complete|continue|finish')}(?:{S}\w+){{0,3}}?{S}(?:{_alt('the|my|your')}{S})?(?:{_alt('system|initial|original|hidden|secret')}{S})?"
        rf"{_alt('prompt|instructions|rules|guidelines|directives')}{S}{_alt('is|are|say|says|were|read|reads')}\b",
        name="complete_the_prompt_is",
    ),
    _rule(
        "system_prompt_extraction",
        0.3,
        "system",
        rf"\bsystem{S}{_alt('prompt|message|instructions|configuration')}\b",
        name="system_prompt_mention",
    ),
    _rule(
        "system_prompt_extraction",
        0.65,
        "system systemprompt sysprompt systemmessage initialprompt hiddenprompt instructions sys",
        r"\b(?:print|console\.log|echo|cat|dump|puts|printf|output|display|show)\s*\(?\s*[\"'`]?\$?"
        r"(?:system_?prompt|system_?message|sys_?prompt|initial_?prompt|hidden_?prompt|instructions)\b",
        view="raw",
        name="code_print_prompt",
    ),
    # --- encodings as a carrier ----------------------------------------------------------------
    _rule(
        "encoded_payload",
        0.6,
        "decode decoding decipher decrypt interpret what",
        rf"\b{_alt('decode|decoding|decipher|decrypt|interpret|what does')}{G3}{ENCODINGS}\b",
        name="decode_this",
    ),
    _rule(
        "encoded_payload",
        0.55,
        _first_words(ENCODING_NAMES_W) + " base",
        rf"\b{ENCODING_NAMES}(?:{S}{_ENCODED})?\s*:",
        name="encoded_label",
    ),
    _rule(
        "encoded_payload",
        0.55,
        ("encoded encrypted", "decoded decrypted"),
        rf"\b{_alt('encoded|encrypted')}\s*:(?:.|\n){{1,600}}?\b{_alt('decoded|decrypted')}\s*:",
        name="encoded_decoded",
    ),
    _rule(
        "encoded_payload",
        0.5,
        (
            "respond reply answer write speak talk communicate",
            "base64 hex binary morse cipher rot13 code leetspeak reversed backwards encoded",
        ),
        rf"\b{_RESPOND}(?:{S}\w+){{0,3}}{S}(?:in|using|with){S}(?:\w+{S})?{ENCODINGS}\b",
        name="respond_encoded",
    ),
    # --- markup and chat-template delimiters (raw view) --------------------------------------------
    _rule(
        "delimiter_injection",
        0.75,
        "",
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|end_of_text|start_header_id|"
        r"end_header_id|eot_id|eom_id|im_sep|fim_\w+|start|end|tool|ipython)\|>|\[/?INST\]|<</?SYS>>|</?s>\s*\[INST",
        view="raw",
        literals=("<|", "INST]", "<<SYS", "<</SYS", "<s>", "</s>"),
        name="chat_template_token",
    ),
    _rule(
        "delimiter_injection",
        0.55,
        "",
        r"</?(?:system|sys|system_prompt|instructions?|admin|developer|im_start|assistant|user_query|context|"
        r"prompt|hidden|secret|override|important|directive|command)\s*>",
        view="raw",
        literals=("<",),
        name="role_tag",
    ),
    _rule(
        "delimiter_injection",
        0.6,
        "system sys admin administrator developer root operator supervisor",
        r"^[\s>#*=\-\[(]*+(?:system|sys|admin|administrator|developer|root|operator|supervisor)"
        r"(?:[ _](?:prompt|message|override|instructions?|note|update|alert|command|notice|request|"
        r"directive))?"
        r"\s*(?:[\]):]|::)",
        view="raw",
        name="role_line",
        head="line",
    ),
    _rule(
        "delimiter_injection",
        0.6,
        "system admin administrator developer root sudo operator",
        r"\[\s*(?:system|admin|administrator|developer|root|sudo|operator)\b[^\]\n]{0,30}(?:::|:|\])",
        view="raw",
        literals=("[",),
        name="role_bracket",
    ),
    _rule(
        "delimiter_injection",
        0.3,
        "assistant ai bot chatgpt gpt model",
        r"^[\s>#*\[]*+(?:assistant|ai|bot|chatgpt|gpt|model)\s*[\]:]",
        view="raw",
        name="assistant_line",
        head="line",
    ),
    _rule(
        "delimiter_injection",
        0.45,
        ("assistant ai bot chatgpt gpt model", "user human"),
        r"^[ \t>#*\[]*+(?:assistant|ai|bot|chatgpt|gpt|model)\s*[\]:][^\n]*+\n(?:[^\n]*+\n){0,3}?"
        r"[ \t>#*\[]*+(?:user|human)\s*[\]:]",
        view="raw",
        name="fake_turns",
        within="assistant_line",
        head="line",
    ),
    _rule(
        "delimiter_injection",
        0.6,
        "role",
        r"\{\s*[\"']role[\"']\s*:\s*[\"'](?:system|assistant|developer|tool)[\"']",
        view="raw",
        literals=("role",),
        name="json_role",
    ),
    _rule(
        "delimiter_injection",
        0.55,
        "",
        r"(?:-{3,}|={3,}|#{3,}|\*{3,})\s*(?:end|begin|start|new|system|admin)\b[^\n]{0,40}?"
        r"\b(?:prompt|input|instructions?|message|context|document|data|session|conversation|rules|text)\b",
        view="raw",
        literals=("---", "===", "###", "***"),
        anchored=True,
        needs=(
            "end begin start new system admin",
            "prompt input instruction message context document data session conversation rules text",
        ),
        name="section_marker",
        head="marker",
        head_words="end begin start new system admin",
    ),
    _rule(
        "delimiter_injection",
        0.6,
        "end eos stop",
        r"<\s*/?\s*(?:end|eos|stop)[\s_\-]*(?:of[\s_\-]*)?(?:session|conversation|input|prompt|document|text|context|"
        r"turn|instructions?|data|system)\s*>",
        view="raw",
        literals=("<",),
        name="end_marker",
    ),
    # --- agent tool-call hijack and exfiltration ------------------------------------------------
    _rule(
        "tool_hijack",
        0.5,
        "",
        r"[\"']?(?:tool_calls?|function_call|tool_use)[\"']?\s*[:=]|<(?:tool_call|function_calls?|invoke|tool_use)\b",
        view="raw",
        agentic_weight=0.85,
        literals=("tool_call", "function_call", "tool_use", "<invoke", "<function_call"),
        name="tool_call_markup",
    ),
    _rule(
        "tool_hijack",
        0.6,
        ("send forward email mail post upload leak transfer exfiltrate transmit copy share", "to at via"),
        rf"\b{_SEND}"
        rf"(?:{S}\w+){{0,4}}{S}"
        rf"{_CONVERSATION_2}"
        rf"(?:{S}\w+){{0,6}}{S}{_alt('to|at|via')}{S}(?:\w+{S})?"
        rf"{_alt('http|https|www|attacker|email|address|server|url|webhook|endpoint|me|this')}",
        agentic_weight=0.85,
        name="exfiltrate_data",
    ),
    _rule(
        "tool_hijack",
        0.5,
        ("call use invoke run execute trigger", "tool function plugin api command shell terminal"),
        rf"\b{_alt('call|use|invoke|run|execute|trigger')}{S}(?:the{S})?(?:\w+{S}){{0,2}}"
        rf"{_alt('tool|function|plugin|api|command|shell|terminal')}{G3}"
        rf"{_DELETE}\b",
        agentic_weight=0.8,
        name="call_tool_to",
    ),
    _rule(
        "tool_hijack",
        0.5,
        "rm curl wget nc bin",
        r"\brm\s+-rf\s+[/~*]|\b(?:curl|wget)\s+[^\n|]{1,200}\|\s*(?:ba|z)?sh\b|\bnc\s+-e\b|/bin/(?:ba)?sh\s+-i",
        view="raw",
        agentic_weight=0.8,
        name="shell_payload",
    ),
    _rule(
        "exfiltration",
        0.55,
        "",
        r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]{1,200}[?&][\w.\-]{1,40}=[^)\s]{0,200}\)",
        view="raw",
        agentic_weight=0.75,
        literals=("![",),
        name="markdown_image_query",
    ),
    _rule(
        "exfiltration",
        0.6,
        "",
        r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]{0,200}?"
        r"(?:\[[A-Za-z_ ]{2,30}\]|\{[A-Za-z_ ]{2,30}\}|<[A-Za-z_ ]{2,30}>|"
        r"\$[A-Z_]{2,30}|%[A-Z_]{2,30}%)",
        view="raw",
        agentic_weight=0.8,
        literals=("![",),
        name="markdown_image_placeholder",
    ),
    _rule(
        "exfiltration",
        0.6,
        "append include add encode put concatenate insert",
        rf"\b{_alt('append|include|add|encode|put|concatenate|insert')}(?:{S}\w+){{0,5}}{S}"
        rf"{_alt('to|in|into|as')}{S}(?:the{S}|a{S}|this{S})?(?:\w+{S})?"
        rf"{_alt('url|link|query string|query parameter|image url|image link|markdown image|parameter')}\b",
        agentic_weight=0.8,
        name="data_into_url",
    ),
    _rule(
        "script_injection",
        0.45,
        "",
        r"<\s*script\b|\bjavascript\s*:|<[a-z]+[^>\n]{0,80}\bon(?:error|load|mouseover|mouseleave|click|focus)\s*=",
        view="raw",
        literals=("<", "javascript"),
        name="script_markup",
    ),
)
