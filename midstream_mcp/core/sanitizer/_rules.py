"""Phrase rules of the injection/jailbreak detector, one list per attack family.

Written from the published descriptions of each family (instruction override,
goal hijack, role-play personas, restriction removal, system-prompt
extraction, delimiter/markup injection, tool-call hijack and exfiltration,
encoding tricks), never from an evaluation corpus. Folded rules read the
normalised view, in which separators are any run of non-word characters and
``l`` is written as ``i`` automatically (see :func:`._text.pattern`). Each rule
names the words one of which must occur for it to run at all: the gate that
keeps a clean chunk cheap.
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
    """One weighted signal: ``regex`` over the ``view``, run only if a word of ``needs`` occurs."""

    category: str
    weight: float
    needs: frozenset[str]
    regex: re.Pattern[str]
    view: Literal["folded", "raw"] = "folded"
    agentic_weight: float | None = None


def _alt(words: str) -> str:
    return "(?:" + "|".join(w.replace(" ", S) for w in words.split("|")) + ")"


def _rule(
    category: str,
    weight: float,
    needs: str,
    src: str,
    view: Literal["folded", "raw"] = "folded",
    agentic_weight: float | None = None,
) -> Rule:
    if view == "folded":
        regex = re.compile(pattern(src))
        gate = frozenset(fold(w) for w in needs.split())
    else:
        regex = re.compile(src, re.IGNORECASE | re.MULTILINE)
        gate = frozenset(needs.split())
    return Rule(category, weight, gate, regex, view, agentic_weight)


OVERRIDE_VERBS = _alt(
    "ignore|ignoring|disregard|disregarding|forget|forgetting|skip|bypass|override|overlook|neglect|omit|"
    "dismiss|abandon|discard|set aside|throw out|erase|reset|drop|cancel|nevermind|never mind|"
    "do not follow|don t follow|dont follow|stop following|no longer follow|unlearn|ignored|disobey|"
    "do not obey|don t obey|stop obeying|violate|circumvent|break"
)
PRIOR = _alt(
    "previous|previously|prior|above|earlier|preceding|initial|original|system|former|old|foregoing|"
    "existing|all|every|any|your|the developer s|developer|programmed|default|safety|ethical|moral|"
    "content|built in|pre set|preset|given|current|other|these|those|first|before"
)
OBJECTS = _alt(
    "instructions|instruction|prompts|prompt|directions|directives|directive|rules|guidelines|guidance|"
    "commands|orders|context|constraints|restrictions|programming|policies|policy|training|messages|"
    "message|safeguards|filters|limitations|boundaries|protocols|settings|conditioning|principles|"
    "ethics|morals|values|guardrails|text|input|content|tasks|task|requests|request|everything"
)
STRONG_OBJECTS = _alt(
    "instructions|programming|guidelines|rules|directives|restrictions|safeguards|filters|training|"
    "policies|system prompt|prompt|guardrails|ethics|morals|principles|constraints|limitations|conditioning"
)
PERSONA_OPENERS = _alt(
    "act as|acting as|pretend to be|pretend you are|pretend that you are|pretend you re|roleplay as|role play as|"
    "play the role of|you are now|you re now|from now on you are|from now on you will|from now on you re|"
    "you will now act|you will now be|you will now behave|you will now respond|behave as|behave like|"
    "imagine you are|simulate being|simulate a|you are going to act|you are going to pretend|"
    "assume the role|take on the role|become|transform into|you shall now"
)
LIMITS = _alt(
    "restrictions|restriction|limitations|limits|filters|filter|filtering|censorship|censored|rules|"
    "guidelines|ethics|ethical|morals|moral|morality|boundaries|constraints|safeguards|guardrails|"
    "content policy|content policies|policies|policy|principles|scruples|remorse|conscience"
)
NEGATORS = _alt(
    "no|without|free of|free from|not bound by|unbound by|break free of|freed from|not restricted by|"
    "not limited by|not constrained by|doesn t have|does not have|don t have|do not have|has no|have no|"
    "devoid of|abandoned|abandon|lacks|lack|beyond|not subject to|exempt from|liberated from|escaped"
)
EXTRACT_VERBS = _alt(
    "reveal|show|print|repeat|output|display|tell|give|share|disclose|leak|dump|expose|recite|write out|"
    "write down|list|provide|paste|spell out|copy|echo|return|what is|what are|what was|what were|whats|"
    "translate|summarize|summarise|encode|read back|state"
)
SYSTEM_OBJECTS = _alt(
    "system prompt|system message|system instructions|system instruction|initial prompt|initial instructions|"
    "original prompt|original instructions|hidden prompt|hidden instructions|secret prompt|secret instructions|"
    "internal prompt|internal instructions|developer prompt|developer instructions|developer message|"
    "pre prompt|preprompt|meta prompt|your instructions|your prompt|your rules|your guidelines|your directives|"
    "your configuration|your system|instructions you were given|instructions you ve been given|"
    "prompt you were given|rules you were given|your initial|your original|your hidden"
)
ENCODINGS = _alt(
    "base64|base 64|b64|base32|base 32|base16|base 16|base85|ascii85|hex|hexadecimal|rot13|rot 13|caesar|"
    "morse|binary|uuencode|uuencoded|url encoded|urlencoded|percent encoded|quoted printable|braille|nato|"
    "atbash|cipher|ciphertext|encoded|encoding|encrypted|zalgo|leetspeak|leet|reversed|backwards"
)

RULES: tuple[Rule, ...] = (
    # --- instruction override ---------------------------------------------------------------
    _rule(
        "instruction_override", 0.95,
        "ignore ignoring disregard disregarding forget forgetting skip bypass override overlook neglect omit "
        "dismiss abandon discard set throw erase reset drop cancel nevermind never do don dont stop no unlearn "
        "ignored disobey violate circumvent break",
        rf"\b{OVERRIDE_VERBS}{G3}{PRIOR}{G1}{OBJECTS}\b",
    ),
    _rule(
        "instruction_override", 0.9,
        "ignore disregard forget override bypass discard dismiss",
        rf"\b{_alt('ignore|disregard|forget|override|bypass|discard|dismiss')}{S}"
        rf"{_alt('everything|anything|all|whatever')}{G1}"
        rf"{_alt('above|before|previously|earlier|said|written|you were told|you ve been told|i said|you know|you have been told|prior')}",
    ),
    _rule(
        "instruction_override", 0.85,
        "previous prior above earlier original old initial preceding former",
        rf"\b{_alt('previous|prior|above|earlier|original|old|initial|preceding|former')}{S}"
        rf"{_alt('instructions|directions|rules|guidelines|prompt|prompts|directives|orders|commands')}{G1}"
        rf"{_alt('are|were|is|have been|has been')}{G1}"
        rf"{_alt('void|null|cancelled|canceled|obsolete|invalid|revoked|overridden|superseded|outdated|deprecated|irrelevant|no longer valid|no longer apply|lifted|removed|suspended|disabled')}",
    ),
    _rule(
        "instruction_override", 0.6,
        "ignore disregard",
        rf"\b{_alt('ignore|disregard')}{S}the{S}rest{S}of\b",
    ),
    _rule(
        "goal_hijack", 0.7,
        "new updated revised real actual true",
        rf"\b{_alt('new|updated|revised|real|actual|true|override|urgent')}{S}"
        rf"(?:system{S})?{_alt('instructions|instruction|directives|directive|rules|task|objective|orders|prompt|mission|goal')}"
        r"\s*(?::|-{1,2}\s|!)",
    ),
    _rule(
        "goal_hijack", 0.75,
        "your",
        rf"\byour{S}(?:new|real|actual|true|only|updated|revised){S}"
        rf"{_alt('task|goal|objective|instructions|role|purpose|job|mission|directive|orders|prompt|function')}"
        rf"{S}{_alt('is|are|will be|shall be|now is')}\b",
    ),
    _rule(
        "goal_hijack", 0.55,
        "instead now",
        rf"\b{_alt('instead|now|rather')}(?:{S}just|{S}only|{S}simply)?{S}"
        rf"{_alt('say|print|output|write|respond with|reply with|answer with|repeat|type|return|state|output only|just say')}\b",
    ),
    _rule(
        "goal_hijack", 0.45,
        "say print output respond reply write repeat type return",
        rf"\b{_alt('say|print|output|respond with|reply with|write|repeat|type|return')}{S}"
        rf"{_alt('exactly|only|verbatim|nothing but|the following|this exact|precisely|just')}"
        rf"(?:{S}{_alt('phrase|word|words|text|string|sentence|message|line')})?\b",
    ),
    _rule(
        "goal_hijack", 0.5,
        "stop end exit leave quit",
        rf"\b{_alt('stop|end|exit|leave|quit|abort|terminate')}{G1}"
        rf"{_alt('task|role|roleplay|role play|simulation|translation|summary|summarization|summarizing|translating|what you are doing|what you re doing|current')}"
        rf"{S}{_alt('and|now|then|instead')}\b",
    ),
    _rule(
        "goal_hijack", 0.55,
        "important urgent attention note warning notice",
        rf"\b{_alt('important|urgent|attention|note to|notice to|warning|message to')}"
        rf"(?:{S}\w+){{0,3}}{S}{_alt('ai|assistant|model|llm|chatbot|bot|language model|agent|gpt|claude|system')}\b",
    ),
    # --- role-play and persona jailbreaks ----------------------------------------------------
    _rule(
        "jailbreak_persona", 0.95,
        "do anything",
        rf"\bdo{S}anything{S}now\b",
    ),
    _rule(
        "jailbreak_persona", 0.9,
        "developer dev god debug admin sudo unrestricted dan jailbreak jailbroken evil chaos opposite "
        "uncensored unfiltered maintenance root",
        rf"\b{_alt('developer|dev|god|debug|admin|sudo|unrestricted|dan|jailbreak|jailbroken|evil|chaos|opposite|uncensored|unfiltered|maintenance|root|unlocked|amoral|freedom|no restrictions|dude|stan|aim|mongo tom|unleashed')}"
        rf"{S}mode\b",
    ),
    _rule(
        "jailbreak_persona", 0.75,
        "jailbreak jailbroken jailbreaking jailbroke",
        r"\b(?:jaiibreak|jaiibroken|jaiibreaking|jaiibroke)\b",
    ),
    _rule(
        "jailbreak_persona", 0.8,
        "anti evil opposite unfiltered uncensored unrestricted amoral",
        rf"\b(?:anti{S}?dan|evil{S}{_alt('confidant|bot|ai|assistant|twin|version|persona|trusted')}|"
        rf"{_alt('unfiltered|uncensored|unrestricted|amoral|unethical|immoral|rogue|evil')}{S}"
        rf"{_alt('ai|assistant|chatbot|bot|model|version|persona|language model|character|entity|machine')})\b",
    ),
    _rule(
        "jailbreak_persona", 0.4,
        "act acting pretend roleplay role play you from behave imagine simulate assume take become transform shall",
        rf"\b{PERSONA_OPENERS}\b",
    ),
    _rule(
        "jailbreak_persona", 0.55,
        "stay remain keep break breaking character",
        rf"\b(?:{_alt('stay|remain|keep|staying')}{S}in{S}character|{_alt('break|breaking|broke|out')}(?:{S}of)?{S}character)\b",
    ),
    _rule(
        "jailbreak_persona", 0.6,
        "grandma grandmother granny nana",
        rf"\b(?:grandma|grandmother|granny|nana|grandpa|grandfather){G3}"
        rf"{_alt('used to|would|always|use to')}{G1}"
        rf"{_alt('tell|read|recite|say|sing|explain|give|whisper|describe|share|list')}\b",
    ),
    _rule(
        "jailbreak_persona", 0.7,
        "tokens token",
        rf"\b{_alt('tokens|token')}{G3}{_alt('deducted|lose|lost|deduct|run out|die|dies|cease|system')}\b",
    ),
    _rule(
        "jailbreak_persona", 0.45,
        "two both responses answers",
        rf"\b{_alt('two|both|2|dual')}{S}(?:\w+{S})?{_alt('responses|answers|replies|outputs|paragraphs|personalities|personas')}\b",
    ),
    _rule(
        "jailbreak_persona", 0.35,
        "hypothetical hypothetically fictional imaginary fiction",
        rf"\b{_alt('hypothetical|hypothetically|fictional|imaginary|fiction')}{S}"
        rf"{_alt('response|scenario|world|story|setting|universe|ai|character|situation')}\b",
    ),
    # --- removing restrictions ----------------------------------------------------------------
    _rule(
        "restriction_removal", 0.45,
        "no without free not unbound break freed doesn does don do has have devoid abandoned abandon "
        "lacks lack beyond subject exempt liberated escaped",
        rf"\b{NEGATORS}(?:{S}\w+){{0,2}}{S}{LIMITS}\b",
    ),
    _rule(
        "restriction_removal", 0.45,
        "uncensored unfiltered unrestricted amoral unethical immoral unbounded unlimited limitless",
        r"\b(?:uncensored|unfiitered|unrestricted|amorai|unethicai|immorai|unbounded|uniimited|iimitiess)\b",
    ),
    _rule(
        "restriction_removal", 0.6,
        "openai anthropic google meta microsoft",
        rf"\b{_alt('openai|anthropic|google|meta|microsoft|chatgpt|gpt')}(?:{S}s)?{S}"
        rf"(?:{_alt('content|usage|safety|use')}{S})?{_alt('policy|policies|guidelines|rules|filters|restrictions|terms')}\b",
    ),
    _rule(
        "restriction_removal", 0.6,
        "never can cannot must will won do don not",
        rf"\b{_alt('never|can t|cannot|can not|must not|will not|won t|do not|don t|should not|shouldn t|not allowed to|will never')}"
        rf"{S}{_alt('refuse|decline|reject|deny|say no|say you can t|say that you can t|apologize|apologise|warn|add warnings|include warnings|censor|filter')}\b",
    ),
    _rule(
        "restriction_removal", 0.5,
        "always must answer respond reply comply",
        rf"\b{_alt('always|must|will')}{S}{_alt('answer|respond|reply|comply|obey|fulfil|fulfill|provide')}"
        rf"(?:{S}\w+){{0,6}}{S}{_alt('no matter|regardless|even if|whatever|any request|every request|all requests|without question')}\b",
    ),
    # --- system prompt extraction --------------------------------------------------------------
    _rule(
        "system_prompt_extraction", 0.85,
        "reveal show print repeat output display tell give share disclose leak dump expose recite write "
        "list provide paste spell copy echo return what whats translate summarize summarise encode read state",
        rf"\b{EXTRACT_VERBS}{G3}{SYSTEM_OBJECTS}\b",
    ),
    _rule(
        "system_prompt_extraction", 0.75,
        "repeat print output copy recite write return echo translate summarize spell everything all text words",
        rf"\b{_alt('repeat|print|output|copy|recite|write|return|echo|translate|summarize|spell|show|dump|list')}"
        rf"(?:{S}\w+){{0,4}}{S}{_alt('above|before this|preceding|prior to this|earlier in|so far|before my')}"
        rf"(?:{S}\w+){{0,2}}{S}?{_alt('text|words|message|messages|content|instructions|lines|prompt|conversation|this line|this message|line|everything')}?",
    ),
    _rule(
        "system_prompt_extraction", 0.6,
        "beginning start top",
        rf"\b{_alt('beginning|start|top|first line|first words')}{S}of{S}{_alt('the|this|our|your')}{S}"
        rf"{_alt('conversation|prompt|chat|context|session|instructions|document|input|message')}\b",
    ),
    _rule(
        "system_prompt_extraction", 0.3,
        "system",
        rf"\bsystem{S}{_alt('prompt|message|instructions')}\b",
    ),
    # --- encodings as a carrier ----------------------------------------------------------------
    _rule(
        "encoded_payload", 0.6,
        "decode decoding decipher decrypt translate convert interpret read what",
        rf"\b{_alt('decode|decoding|decipher|decrypt|translate|convert|interpret|read|what does')}{G3}{ENCODINGS}\b",
    ),
    _rule(
        "encoded_payload", 0.55,
        "base64 b64 base32 base16 base85 ascii85 hex hexadecimal rot13 rot caesar morse binary uuencode "
        "braille nato atbash cipher encoded encoding decoded zalgo leetspeak",
        rf"\b{ENCODINGS}(?:{S}{_alt('encoded|encoding|decoded|string|text|message|version|representation|payload|data|input')})?\s*:",
    ),
    # --- markup and chat-template delimiters (raw view) --------------------------------------------
    _rule(
        "delimiter_injection", 0.75,
        "",
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|end_of_text|start_header_id|"
        r"end_header_id|eot_id|eom_id|im_sep|fim_\w+|start|end|tool|ipython)\|>|\[/?INST\]|<</?SYS>>|</?s>\s*\[INST",
        view="raw",
    ),
    _rule(
        "delimiter_injection", 0.55,
        "",
        r"</?(?:system|sys|system_prompt|instructions?|admin|developer|im_start|assistant|user_query|context|"
        r"prompt|hidden|secret|override)\s*>",
        view="raw",
    ),
    _rule(
        "delimiter_injection", 0.6,
        "",
        r"^[\s>#*=\-\[(]*(?:system|sys|admin|administrator|developer|root|operator|supervisor)"
        r"(?:[ _](?:prompt|message|override|instructions?|note|update|alert|command|notice))?\s*[\]):]",
        view="raw",
    ),
    _rule(
        "delimiter_injection", 0.3,
        "",
        r"^[\s>#*\[]*(?:assistant|ai|bot|chatgpt|gpt|model)\s*[\]:]",
        view="raw",
    ),
    _rule(
        "delimiter_injection", 0.6,
        "",
        r"\{\s*[\"']role[\"']\s*:\s*[\"'](?:system|assistant|developer|tool)[\"']",
        view="raw",
    ),
    _rule(
        "delimiter_injection", 0.55,
        "",
        r"(?:-{3,}|={3,}|#{3,}|\*{3,})\s*(?:end|begin|start|new|system|admin)\b[^\n]{0,40}?"
        r"\b(?:prompt|input|instructions?|message|context|document|data|session|conversation|rules|text)\b",
        view="raw",
    ),
    # --- agent tool-call hijack and exfiltration ------------------------------------------------
    _rule(
        "tool_hijack", 0.5,
        "",
        r"[\"']?(?:tool_calls?|function_call|tool_use)[\"']?\s*[:=]|<(?:tool_call|function_calls?|invoke|tool_use)\b",
        view="raw",
        agentic_weight=0.85,
    ),
    _rule(
        "tool_hijack", 0.6,
        "send forward email mail post upload leak transfer exfiltrate transmit",
        rf"\b{_alt('send|forward|email|e mail|mail|post|upload|leak|transfer|exfiltrate|transmit|copy|share')}"
        rf"(?:{S}\w+){{0,4}}{S}"
        rf"{_alt('conversation|chat history|history|credentials|passwords|password|api keys|api key|secrets|secret|tokens|personal data|user data|user s data|contents|files|emails|inbox|private|data|ssh keys|cookies|session')}"
        rf"(?:{S}\w+){{0,3}}{S}{_alt('to|at|via')}{S}(?:\w+{S})?"
        rf"{_alt('http|https|www|attacker|email|address|server|url|webhook|endpoint|me|this')}",
        agentic_weight=0.85,
    ),
    _rule(
        "tool_hijack", 0.5,
        "call use invoke run execute trigger",
        rf"\b{_alt('call|use|invoke|run|execute|trigger')}{S}(?:the{S})?(?:\w+{S}){{0,2}}"
        rf"{_alt('tool|function|plugin|api|command|shell|terminal')}{G3}"
        rf"{_alt('delete|send|transfer|forward|remove|wire|pay|purchase|buy|grant|disable|exfiltrate|upload|rm')}\b",
        agentic_weight=0.8,
    ),
    _rule(
        "tool_hijack", 0.5,
        "",
        r"\brm\s+-rf\s+[/~*]|\b(?:curl|wget)\s+[^\n|]{1,200}\|\s*(?:ba|z)?sh\b|\bnc\s+-e\b|/bin/(?:ba)?sh\s+-i",
        view="raw",
        agentic_weight=0.8,
    ),
    _rule(
        "exfiltration", 0.55,
        "",
        r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]{1,200}[?&][\w.\-]{1,40}=[^)\s]{0,200}\)",
        view="raw",
        agentic_weight=0.75,
    ),
    _rule(
        "exfiltration", 0.6,
        "append include add encode put concatenate",
        rf"\b{_alt('append|include|add|encode|put|concatenate|insert')}(?:{S}\w+){{0,5}}{S}"
        rf"{_alt('to|in|into|as')}{S}(?:the{S}|a{S}|this{S})?(?:\w+{S})?"
        rf"{_alt('url|link|query string|query parameter|image url|image link|markdown image|parameter')}\b",
        agentic_weight=0.8,
    ),
)
