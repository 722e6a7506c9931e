"""Rule-based classifier of group-chat messages (jieba tokens + lexicon rules).

A message is normalised, segmented once by jieba's dictionary with every lexicon word added
(segmenter.py), and the tokens (and runs of up to three tokens) are looked up in a term table.
From those hits the rules score:
  * problem evidence per category: a signal word, an object with a fault word near it;
  * complaint constructions (怎么还没, 能不能管管, 又…了, 几天了 …);
  * what speaks against a complaint: resolution (修好了), thanks, jokes, opinions, ads,
    plain questions, notices, and the sender's role (staff notices and replies);
  * urgency: danger words, or an outage of a whole building.
The result is a frozen `Classification`.  A `Classifier` is immutable after construction and
safe to share between threads.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from .combine import Analysis, category_of, decide, explain
from .labels import CATEGORIES, normalize_role
from .lexicon import load_lexicon, merge_extra
from .location import LocationParser
from .model import MODEL_PATH, LinearModel, message_features
from .normalize import Normalized, Normalizer
from .patterns import any_match
from .result import Classification
from .segmenter import Segmenter

WINDOW = 8  # tokens between an object and its fault word
SCOPE_WINDOW = 5  # tokens between 整栋/全楼 and a scoped outage word (停了, 不热)
MAX_NGRAM = 3  # adjacent tokens joined when looking up lexicon phrases
MAX_KEYWORDS = 8
# A negation before a verb (不出水, 没有燃气) or a negative complement (做不了, 打不开) says that
# something does not work: a generic fault word for whatever object is near.
NEG_HEADS = frozenset(("不", "没", "没有", "没法", "无法"))
NEG_COMPLEMENTS = ("不了", "不上", "不出", "不动", "不开", "不进", "不住", "不下", "不着")
NOT_FAULTS = frozenset(("是", "会", "用", "要", "知道", "过", "少", "错", "好意思", "客气",
                        "一样", "想", "敢", "多", "久", "太", "一定", "如", "但", "仅", "然",
                        "必", "能", "让", "见", "在", "说", "来", "去", "怕", "算", "管", "得",
                        "啥", "事", "什么"))
NEG_TAGS = (("gfault", None),)
AGAIN_ENDS = frozenset(("了", "啦", "咯"))
AGAIN_TAGS = (("again", None),)
A_NOT_A_TAGS = (("a_not_a", None), ("inq_weak", None))
COMPLAINT_THRESHOLD = 2.5
ROLE_PRIOR = {"resident": 0.0, "grid_worker": -1.5, "staff": -5.0, "moderator": -4.0}

# Score weights (see _complaint_score).
W_SIGNAL, W_PAIR_SPECIFIC, W_PAIR_GENERIC, W_FAULT_ALONE, W_OBJECT = 3.5, 3.5, 2.5, 1.0, 0.5
W_CUE_STRONG, W_CUE_WEAK, W_PATTERN, CUE_CAP = 2.0, 0.75, 1.5, 5.0
W_RESOLUTION, W_RESOLUTION_WEAK, W_THANKS, W_JOKE, W_OPINION, W_ADS = 4.0, 1.5, 2.5, 2.5, 3.0, 6.0
W_INQUIRY, W_QUESTION, W_NOTICE, W_URGENT, W_FOLLOWUP, W_APOLOGY = 2.5, 1.0, 1.25, 2.0, 2.0, 2.0
W_NOTICE_RESIDENT = 0.5
STRONG_PROBLEM = 3.0  # evidence at which a question is taken as rhetorical and thanks as irony
# Inquiry words that ask for information even next to a problem word (请问, 停水的话 …).
# Polite information questions stay questions even next to danger words (请问闻到燃气味打哪个电话).
POLITE_INQUIRY = frozenset(("请问", "想问", "想问一下", "问一下", "想了解", "了解一下", "好奇"))
# A sentence-final particle, at the end of the text or before a space or punctuation (…吗 七点).
QUESTION_END = re.compile(r"[吗呢么](?=$|[\s,.!;:~])")
FIRM_INQUIRY = frozenset(("请问", "想问", "想问一下", "问一下", "好奇", "想了解", "了解一下",
                          "有没有人知道", "谁知道", "有人知道", "的话", "一般", "一般是"))


class Hit(NamedTuple):
    """A lexicon term found at tokens [start, end) (a tuple: cheap to make, immutable)."""

    start: int
    end: int
    term: str
    tags: tuple[tuple[str, str | None], ...]  # (kind, category or None)


_NOT_FOUND = (None, False)  # a token that is no lexicon term and starts none
_hit = tuple.__new__  # _hit(Hit, (start, end, term, tags)): a Hit without the Python-level __new__


@dataclass(slots=True)
class Features:
    """What the rules saw in one message."""

    groups: dict[str, list[Hit]]
    objects: dict[str, list[Hit]]
    faults: dict[str, list[Hit]]
    signals: dict[str, list[Hit]]
    patterns: int
    question: bool
    danger: bool = False  # an urgent pattern matched (液化气的味道)
    danger_categories: tuple[str, ...] = ()  # categories the matched urgent patterns name
    alarm: bool = False  # danger now: an unhedged urgent trigger or danger pattern
    resolved: tuple[int, int] = (0, 0)  # (strong, weak) resolution phrases not negated


def _group_terms(lex: dict) -> dict[str, list[str]]:
    """The non-category term groups of a lexicon, keyed by group name."""
    cues, res, inq, urgent = (lex["complaint_cues"], lex["resolution"], lex["inquiry"],
                              lex["urgent"])
    return {
        "gfault": lex["faults"], "urgent": urgent["triggers"], "outage": urgent["outages"],
        "scope": urgent["scope"], "hedge": urgent["hedges"], "cue_strong": cues["strong"],
        "cue_weak": cues["weak"], "res_strong": res["strong"], "res_weak": res["weak"],
        "negator": res["negators"], "notice": lex["notice"], "inq_strong": inq["strong"],
        "inq_weak": inq["weak"], "thanks": lex["thanks"], "opinion": lex["opinion"],
        "joke": lex["joke"], "ads": lex["ads"], "staff_reply": lex["staff_reply"],
        "relay": lex["relay"], "reply_other": lex["reply_other"], "followup": lex["followup"],
        "apology": lex["apology"], "prohibition": res["prohibitions"], "planned": lex["planned"],
        "degree": lex.get("degree", []), "contrast": res.get("contrasts", []),
        "scoped_outage": urgent.get("scoped_outages", []),
        "consequence": urgent.get("consequences", []),
        "hypothetical": urgent.get("hypothetical", []), "greeting": lex.get("greetings", []),
        "neutral": lex.get("neutral", []),
    }


def _build_table(lex: dict) -> dict[str, tuple[tuple[str, str | None], ...]]:
    """Term -> its (kind, category) tags."""
    table: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for code, terms in lex["categories"].items():
        for kind in ("objects", "faults", "signals"):
            for word in terms.get(kind) or []:
                table[str(word)].append((kind, code))
    for group, words in _group_terms(lex).items():
        for word in words:
            table[str(word)].append((group, None))
    _inherit_urgency(table, lex)
    return {term: tuple(dict.fromkeys(tags)) for term, tags in table.items()}


def _inherit_urgency(table: dict, lex: dict) -> None:
    """A longer term that contains an urgent trigger is urgent too (电梯困人 ⊃ 困人): the
    segmenter keeps the longer word as one token, so the trigger inside would go unseen.
    Drills, notices and hedged words (火灾演练, 上次被困) keep their own meaning."""
    triggers = [str(t) for t in lex["urgent"]["triggers"] if len(str(t)) > 1]
    keep_out = {"notice", "hedge", "joke", "planned", "prohibition", "res_strong", "neutral"}
    for term, tags in table.items():
        if any(kind in ("urgent", *keep_out) for kind, _ in tags) or any(
                neg in term for neg in ("不", "没")):
            continue  # 打不着火 is no fire
        if any(t in term and t != term for t in triggers):
            tags.append(("urgent", None))


def _urgent_pattern(entry) -> tuple[re.Pattern, str | None]:
    """An urgent pattern of the lexicon: a regex, or {re: regex, category: code}."""
    if isinstance(entry, dict):
        return re.compile(entry["re"]), entry.get("category")
    return re.compile(entry), None


class Classifier:
    """Classifies messages; `extra_lexicon` is a community lexicon (see lexicon.py)."""

    def __init__(self, extra_lexicon: dict | None = None,
                 model: LinearModel | None | bool = True):
        """`model`: True loads the shipped model file (if present), None or False uses the
        rules alone, a LinearModel uses that one (training and cross-validation)."""
        lex = merge_extra(load_lexicon(), extra_lexicon)
        if model is True:
            model = _shipped_model()
        # a community's own category words: what they name decides the category
        extra = (extra_lexicon or {}).get("lexicon", extra_lexicon) or {}
        self._community_terms: dict[str, frozenset[str]] = {
            code: frozenset(str(w) for kind in terms.values() for w in (kind or []))
            for code, terms in (extra.get("categories") or {}).items()}
        self._model: LinearModel | None = model or None
        self._table = _build_table(lex)
        self._context = frozenset(lex.get("context_objects", []))
        # terms a keyword can be: a category's words, danger words, generic faults
        self._keyword_terms = frozenset(term for term, tags in self._table.items() if any(
            code is not None or kind in ("urgent", "gfault") for kind, code in tags))
        self._suggestions = frozenset(lex.get("suggestions", []))
        self._max_term = max(map(len, self._table))
        prefixes = frozenset(t[:k] for t in self._table for k in range(1, len(t)))
        # token -> (its tags or None, whether a longer lexicon phrase starts with it): one
        # look-up per token where a term table and a prefix set took two; the keys made
        # afresh, shortest first, so that those most tokens are compared with lie together
        self._lookup: dict[str, tuple[tuple | None, bool]] = {
            (term + term)[:len(term)]: (self._table.get(term), term in prefixes)
            for term in sorted({*self._table, *prefixes}, key=lambda t: (len(t), t))}
        self._normalizer = Normalizer(lex["typos"])
        self._locations = LocationParser(lex["places"])
        self._patterns = tuple(re.compile(p) for p in lex["complaint_cues"]["patterns"])
        # one pass over the text tells whether any pattern matches at all (most messages
        # match none), so the per-pattern searches run only when one will (patterns.py)
        self._any_pattern = any_match(self._patterns)
        self._hedges = tuple(str(h) for h in lex["urgent"]["hedges"])
        self._urgent_patterns = tuple(_urgent_pattern(p) for p in lex["urgent"].get("patterns", []))
        self._any_urgent = any_match([p for p, _ in self._urgent_patterns])
        self._segmenter = Segmenter(self._table)
        self._subterms = lru_cache(maxsize=65536)(self._subterms_uncached)

    # -- public -------------------------------------------------------------------------

    def classify(self, text: str, role: str = "resident") -> Classification:
        """Classify one message; `role` is the sender's role hint.  Rules and the learned
        model together (see combine.py); the rules alone when no model is loaded."""
        analysis = self.analyse(text, role)
        if self._model is None:
            return analysis.rules
        return decide(analysis, self._model.score(analysis.features), self._model)

    def guess_category(self, text: str, role: str = "resident") -> str:
        """The category the message would have as a complaint (for /立案 and the question
        asked when unsure), whatever the complaint decision."""
        analysis = self.analyse(text, role)
        if self._model is not None:
            return category_of(analysis, self._model.score(analysis.features),
                               self._model)
        return analysis.named_category or analysis.rules.category or "other"

    def classify_rules(self, text: str, role: str = "resident") -> Classification:
        """What the rules alone say (for evaluation and --explain)."""
        return self.analyse(text, role).rules

    def explain(self, text: str, role: str = "resident") -> dict:
        """The classification with its reasons: rule hits and the model's strongest features."""
        analysis = self.analyse(text, role)
        if self._model is None:
            return {**analysis.rules.to_dict(), "rules": analysis.reasons}
        return explain(analysis, self._model)

    @property
    def model(self) -> LinearModel | None:
        return self._model

    def analyse(self, text: str, role: str = "resident") -> Analysis:
        """The rules' view of one message: their decision, their evidence, the features."""
        role = normalize_role(role)
        norm = self._normalizer.normalize(text)
        tokens = self._segmenter.cut(norm.text)
        hits = self._match(tokens)
        feats = self._features(hits, norm)
        scores = self._category_scores(feats)
        problem = max((s for s, _ in scores.values()), default=0.0)
        score = self._complaint_score(feats, norm, problem, role)
        alarm = feats.alarm
        evidence = (problem > 0 or self._cues(feats) >= 3 or alarm)
        g = feats.groups
        # 请问闻到燃气味打哪个电话: a polite question about danger asks; it raises no alarm
        asks = any(h.term in POLITE_INQUIRY for h in g.get("inq_strong", []))
        # 着火了谁负责, 万一困人: danger words the rules found hedged or supposed
        hedged = bool(g.get("urgent") or g.get("hypothetical")) and not alarm
        is_complaint = score >= COMPLAINT_THRESHOLD and bool(evidence)
        location = self._locations.parse(norm.loc_text)
        # the rules' category matters for a complaint, or as the category they name
        best = self._category(scores, feats) if is_complaint or problem > 0 else None
        category = best if is_complaint else None
        urgent_words = self._urgent(feats, location)
        other_intent = self._intent(feats, norm, role)
        keywords = self._keywords(hits)
        strong, weak = feats.resolved
        sure_not = bool(not alarm and (
            (strong and problem < STRONG_PROBLEM)
            or (role != "resident" and (g.get("notice") or g.get("staff_reply")))
            or g.get("ads")))
        problem_codes = sorted(c for c, (p, _) in scores.items() if p > 0)
        named = best if problem > 0 else None
        community = named if named in self._community_terms and any(
            h.term in self._community_terms[named]
            for kind in (feats.objects, feats.faults, feats.signals)
            for h in kind.get(named, [])) else None
        ev = [f"r:s:{max(-8, min(8, int(score)))}",
              f"r:p:{0 if problem <= 0 else 1 if problem < 2.5 else 2 if problem < 4 else 3}",
              "r:c" if is_complaint else "r:nc", f"r:c:{role}:{int(is_complaint)}"]
        ev.extend("r:g:" + kind for kind in g)
        ev.extend("r:cat:" + code for code in problem_codes)
        if alarm:
            ev.append("r:alarm")
        if urgent_words:
            ev.append("r:urgent")
        if feats.question:
            ev.append("r:q")
        if norm.emphasis:
            ev.append("r:emph")
        if strong or weak:
            ev.append(f"r:res:{min(strong, 1)}{min(weak, 1)}")
        features = message_features(norm.text, tokens, ev, role)
        return Analysis(role, is_complaint, category, features, alarm and not asks, hedged,
                        urgent_words, sure_not, named, community, location, keywords, hits,
                        other_intent)

    def parse_location(self, text: str) -> dict[str, str]:
        """The location written in `text`, after the same normalisation as classify."""
        return self._locations.parse(self._normalizer.normalize(text).loc_text)

    # -- matching -----------------------------------------------------------------------

    def _subterms_uncached(self, token: str) -> tuple[str, ...]:
        """Lexicon terms inside a longer token that is not itself a term (电梯门 -> 电梯)."""
        found = []
        n = len(token)
        for size in range(min(n - 1, self._max_term), 1, -1):
            for i in range(n - size + 1):
                part = token[i:i + size]
                if part in self._table and not any(part in f for f in found):
                    found.append(part)
        return tuple(found)

    def _match(self, tokens: list[str]) -> list[Hit]:
        """All lexicon hits: single tokens, joined runs of tokens, and terms inside tokens."""
        lookup, table = self._lookup.get, self._table
        hits: list[Hit] = []
        add = hits.append
        n = len(tokens)
        for i, token in enumerate(tokens):
            if token == " ":
                continue
            tags, prefix = lookup(token, _NOT_FOUND)
            long = len(token) > 2
            if tags:
                add(_hit(Hit, (i, i + 1, token, tags)))
            elif long and not token.isascii():
                hits.extend(_hit(Hit, (i, i + 1, part, table[part]))
                            for part in self._subterms(token))
            # 不/没 + a verb or noun (不出水, 没有燃气), or a token like 做不了 / 打不开
            if long:
                negative = token.endswith(NEG_COMPLEMENTS)
            elif token in NEG_HEADS:
                following = tokens[i + 1] if i + 1 < n else ""
                negative = bool(following) and not following.isascii() \
                    and following not in NOT_FAULTS
            else:
                negative = False
            if negative:
                add(_hit(Hit, (i, min(i + 2, n), "".join(tokens[i:i + 2]), NEG_TAGS)))
            if i + 2 < n and tokens[i + 2] == token and tokens[i + 1] in ("不", "没") \
                    and not token.isascii():  # 涨不涨, 修没修: an A-not-A question
                add(_hit(Hit, (i, i + 3, "".join(tokens[i:i + 3]), A_NOT_A_TAGS)))
            if token == "又":  # 电梯又挂了, 广场舞又开始了: something went wrong again
                end = next((j for j in range(i + 2, min(i + 4, n)) if tokens[j] in AGAIN_ENDS),
                           None)
                if end is not None:
                    add(_hit(Hit, (i, end + 1, "".join(tokens[i:end + 1]), AGAIN_TAGS)))
            if prefix:  # some lexicon phrase starts with this token
                joined = token
                for j in range(i + 1, min(i + MAX_NGRAM, n)):
                    joined += tokens[j]
                    tags, prefix = lookup(joined, _NOT_FOUND)
                    if tags:
                        add(_hit(Hit, (i, j + 1, joined, tags)))
                    if not prefix:
                        break  # no longer lexicon phrase starts like this
        return hits

    def _features(self, hits: list[Hit], norm: Normalized) -> Features:
        groups: dict[str, list[Hit]] = defaultdict(list)
        objects: dict[str, list[Hit]] = defaultdict(list)
        faults: dict[str, list[Hit]] = defaultdict(list)
        signals: dict[str, list[Hit]] = defaultdict(list)
        per_kind = {"objects": objects, "faults": faults, "signals": signals}
        # 物业费涨不涨: an A-not-A question asks; its words are no fault
        asked = {i for h in hits if h.tags is A_NOT_A_TAGS for i in range(h.start, h.end)}
        if asked:
            hits = [h for h in hits if h.tags is A_NOT_A_TAGS or h.start not in asked]
        for hit in hits:
            for kind, code in hit.tags:
                if code is None:
                    groups[kind].append(hit)
        banned, planned = groups.get("prohibition", []), groups.get("planned", [])
        supposed = groups.get("hypothetical", [])
        for hit in hits:
            if (banned and self._negated(hit, banned)) or (
                    planned and self._is_outage(hit) and self._negated(hit, planned, gap=2)) or (
                    supposed and self._negated(hit, supposed, gap=2)):
                continue  # advice (别乱扔垃圾), a plan (明天停电) or a supposition (万一电梯困人)
            for kind, code in hit.tags:
                if code is not None:
                    per_kind[kind][code].append(hit)
        text = norm.text
        patterns = int(norm.emphasis)
        if self._any_pattern is None or self._any_pattern.search(text):
            patterns += sum(1 for p in self._patterns if p.search(text))
        question = ("?" in text or QUESTION_END.search(text) is not None
                    or bool(groups.get("a_not_a")))
        matched = [code for p, code in self._urgent_patterns for m in p.finditer(text)
                   if self._unhedged(m.start(), text)] if (
            self._any_urgent is None or self._any_urgent.search(text)) else []
        feats = Features(groups, objects, faults, signals, patterns, question, bool(matched),
                         tuple(code for code in matched if code))
        feats.alarm = bool(feats.danger or self._urgent_triggers(feats))
        feats.resolved = self._resolutions(feats)
        return feats

    def _unhedged(self, start: int, text: str) -> bool:
        """No hedge word (上次, 万一 …) in the few characters before `start`."""
        before = text[max(0, start - 6):start]
        return not any(h in before for h in self._hedges)

    # -- complaint ------------------------------------------------------------------------

    @staticmethod
    def _near(a: list[Hit], b: list[Hit]) -> bool:
        """Some hit of `a` lies within WINDOW tokens of some hit of `b`."""
        return any(x.start - WINDOW <= y.start <= x.end + WINDOW for x in a for y in b
                   if x.term != y.term)

    @staticmethod
    def _adjacent(objects: list[Hit], faults: list[Hit]) -> bool:
        """A fault word right after an object (电梯坏了, 道闸又坏了): at most one token between."""
        return any(x.end <= y.start <= x.end + 1 for x in objects for y in faults)

    def _category_scores(self, feats: Features) -> dict[str, tuple[float, float]]:
        """Category -> (problem evidence, total score including bare objects)."""
        scores = {}
        generic = feats.groups.get("gfault", [])
        again = {h.start for h in feats.groups.get("again", [])}
        degree = feats.groups.get("degree", [])
        for code in {*feats.objects, *feats.faults, *feats.signals, *feats.danger_categories}:
            objects, faults = feats.objects.get(code, []), feats.faults.get(code, [])
            signals = {h.term for h in feats.signals.get(code, [])}
            if degree:  # an intensified fault word (太吵, 忒脏, 贼凉) says as much as a signal
                signals.update(h.term for h in faults if self._negated(h, degree))
            problem = W_SIGNAL * len(signals) if signals else 0.0
            # context objects (楼上, 车, 水) name where, not what is broken: no generic pairing
            core = [h for h in objects if h.term not in self._context]
            if objects and faults and self._near(objects, faults):
                # a pair through a context object alone (电瓶 … 停在) is weaker evidence
                problem += W_PAIR_SPECIFIC if core and self._near(core, faults) \
                    else W_PAIR_GENERIC
            elif again and any(h.end in again for h in core):
                problem += W_PAIR_SPECIFIC  # 电梯又挂了: the object right before 又…了
            elif core and generic and self._near(core, generic):
                problem += W_PAIR_SPECIFIC if self._adjacent(core, generic) else W_PAIR_GENERIC
            elif len({h.term for h in faults}) >= 2 and self._near(faults, faults):
                problem += W_PAIR_GENERIC  # two fault words of one category (堵死 … 出不去)
            elif faults:  # a fault word with no object of its category near it
                weight = W_FAULT_ALONE if objects else W_FAULT_ALONE / 2
                problem += weight * min(len({h.term for h in faults}), 2)
            if code in feats.danger_categories:
                problem += W_SIGNAL  # 煤气的味儿: a danger pattern names its category
            total = problem + W_OBJECT * min(len({h.term for h in objects}), 3)
            if total:
                scores[code] = (problem, total)
        return scores

    @staticmethod
    def _negated(hit: Hit, negators: list[Hit], gap: int = 1) -> bool:
        """A negator ends right before the hit, or up to `gap` tokens before it (没 能 修好)."""
        return any(hit.start - gap <= n.end <= hit.start and n.start < hit.start
                   for n in negators)

    @staticmethod
    def _is_outage(hit: Hit) -> bool:
        return any(kind == "outage" for kind, _ in hit.tags)

    def _resolutions(self, feats: Features) -> tuple[int, int]:
        """(strong, weak) resolution phrases that are not negated (没修好 is no resolution)."""
        negators = feats.groups.get("negator", [])
        contrasts = feats.groups.get("contrast", [])

        def holds(h: Hit) -> bool:  # 没修好 / 通了两天还是堵 are no resolution
            return not self._negated(h, negators) and not any(c.start >= h.end
                                                              for c in contrasts)

        strong = [h for h in feats.groups.get("res_strong", []) if holds(h)]
        weak = [h for h in feats.groups.get("res_weak", []) if holds(h)]
        return len(strong), len(weak)

    @staticmethod
    def _cues(feats: Features) -> float:
        strong = len({h.term for h in feats.groups.get("cue_strong", [])})
        weak = len({h.term for h in feats.groups.get("cue_weak", [])})
        return min(W_CUE_STRONG * strong + W_CUE_WEAK * weak + W_PATTERN * feats.patterns,
                   CUE_CAP)

    def _against(self, feats: Features, norm: Normalized, problem: float, role: str) -> float:
        """Evidence that the message is not a complaint."""
        g = feats.groups
        strong, weak = feats.resolved
        settled = strong or weak or g.get("followup")
        score = W_RESOLUTION * min(strong, 2) + W_RESOLUTION_WEAK * min(weak, 2)
        score += W_FOLLOWUP * bool(g.get("followup")) + W_APOLOGY * bool(g.get("apology"))
        thanks = [h for h in g.get("thanks", []) if not self._negated(h, g.get("negator", []))]
        if (thanks or norm.praise_emoji) and (problem < STRONG_PROBLEM or settled):
            score += W_THANKS  # thanks next to a live problem is irony (感谢物业让我爬楼)
        score += W_JOKE * bool(g.get("joke") or norm.joke_emoji)
        # 建议物业把翘起来的地砖修一下: a suggestion about a clear problem is a complaint;
        # votes and views in a deliberation (我赞成, 我觉得) are not
        opinions = [h for h in self._opinions(feats)
                    if h.term not in self._suggestions or problem < STRONG_PROBLEM]
        score += W_OPINION * bool(opinions)
        score += W_ADS * bool(g.get("ads"))
        inquiries = len({h.term for h in g.get("inq_strong", [])})
        if inquiries:
            # with a clear problem, 去哪充 / 在哪 is a rhetorical or follow-up question, unless
            # a firm inquiry word asks for information (请问, 有没有人知道, …的话)
            # an alarm (冒黑烟 有没有人知道是哪户, 整栋停电 有人知道怎么回事吗) asks for help
            asking = problem < STRONG_PROBLEM or any(
                h.term in FIRM_INQUIRY for h in g.get("inq_strong", []))
            asking = asking and not (feats.alarm and not any(
                h.term in POLITE_INQUIRY for h in g.get("inq_strong", [])))
            score += (W_INQUIRY if asking else W_QUESTION) * min(inquiries, 2)
        elif feats.question and problem < STRONG_PROBLEM:
            score += W_QUESTION
        notices = min(len({h.term for h in g.get("notice", [])}), 3)
        score += (W_NOTICE_RESIDENT if role == "resident" else W_NOTICE) * notices
        return score

    @staticmethod
    def _opinions(feats: Features) -> list[Hit]:
        """Opinion words, except in a rhetorical 谁同意的."""
        asked = {h.end for h in feats.groups.get("inq_weak", []) if h.term == "谁"}
        return [h for h in feats.groups.get("opinion", []) if h.start not in asked]

    def _complaint_score(self, feats: Features, norm: Normalized, problem: float,
                         role: str) -> float:
        score = min(problem, 4.0) + self._cues(feats) + ROLE_PRIOR[role]
        if feats.alarm:
            score += W_URGENT
        g = feats.groups
        advice = g.get("notice") and g.get("prohibition")  # 安全提醒: 不要私拉电线 …
        if role == "grid_worker" and g.get("relay") and problem and not advice:
            score += 3.0
        return score - self._against(feats, norm, problem, role)

    def _first_positions(self, feats: Features) -> dict[str, int]:
        """Category -> token index of its first object/fault/signal (the topic comes first)."""
        first: dict[str, int] = {}
        for kind in (feats.objects, feats.faults, feats.signals):
            for code, hits in kind.items():
                starts = [h.start for h in hits if h.term not in self._context]
                if starts:
                    first[code] = min(first.get(code, 10_000), *starts)
        return first

    def _category(self, scores: dict[str, tuple[float, float]], feats: Features) -> str:
        """Best-scoring category; a named object beats generic service words; else other."""
        if not scores:
            return "property_service" if feats.groups.get("cue_strong") else "other"
        order = list(CATEGORIES)
        first = self._first_positions(feats)

        def rank(codes):
            return max(codes, key=lambda c: (scores[c][0] > 0, scores[c][1], scores[c][0],
                                             -first.get(c, 10_000), -order.index(c)))

        best = rank(scores)
        if best == "property_service":
            # 电梯坏了没人修, 楼下占了绿地 物业管不管: the broken object or the nuisance is
            # the case, the service words are a call for action, unless the service is the
            # topic (保安天天睡觉 …) and has the stronger evidence
            concrete = [c for c in scores if c != best and scores[c][0] >= W_PAIR_GENERIC
                        and (scores[c][0] >= scores[best][0]
                             or first.get(c, 10_000) < first.get(best, 10_000))]
            if concrete:
                return rank(concrete)
        if scores[best][0] > 0:
            return best
        if feats.groups.get("cue_strong"):
            # 电梯怎么还没修好: a named (non-context) object is what the complaint is about
            named = [c for c in scores if first.get(c, 10_000) < 10_000]
            return rank(named) if named else "property_service"
        return best

    # -- urgency --------------------------------------------------------------------------

    @staticmethod
    def _hedged(hit: Hit, hedges: list[Hit]) -> bool:
        return any(0 <= hit.start - h.end <= 3 for h in hedges)

    def _urgent_triggers(self, feats: Features) -> list[Hit]:
        hedges = feats.groups.get("hedge", [])
        after = feats.groups.get("consequence", [])
        return [h for h in feats.groups.get("urgent", []) if not self._hedged(h, hedges)
                and not any(0 <= c.start - h.end <= 3 for c in after)]

    def _urgent(self, feats: Features, location: dict) -> bool:
        """Danger words, or an essential service lost for a whole building or unit."""
        if feats.alarm:
            return True
        scoped, scope = feats.groups.get("scoped_outage", []), feats.groups.get("scope", [])
        if any(abs(h.start - s.start) <= SCOPE_WINDOW for h in scoped for s in scope):
            return True  # 整栋楼暖气都不热: whole building said in words, next to the outage
        if not feats.groups.get("outage"):
            return False
        whole = ("building" in location or "unit" in location) and "room" not in location
        return whole or bool(feats.groups.get("scope"))

    # -- intent ---------------------------------------------------------------------------

    def _intent(self, feats: Features, norm: Normalized, role: str) -> str:
        """Intent of a message that is not a complaint."""
        g = feats.groups
        strong, weak = feats.resolved
        if g.get("ads"):
            return "other"
        if role != "resident":
            if g.get("inq_strong") or (feats.question and not g.get("notice")):
                return "inquiry"
            reply = len(g.get("staff_reply", [])) + 2 * strong
            return "feedback" if reply > len(g.get("notice", [])) else "notice"
        if g.get("reply_other") or g.get("greeting"):
            return "other"
        if strong or g.get("thanks") or self._opinions(feats) or norm.praise_emoji:
            return "feedback"
        if g.get("inq_strong") or feats.question:
            return "inquiry"
        if len(g.get("notice", [])) >= 2:
            return "notice"
        return "other"

    # -- keywords -------------------------------------------------------------------------

    def _keywords(self, hits: list[Hit]) -> list[str]:
        """Lexicon words about the problem (objects, faults, signals, danger, a negated verb)
        in text order."""
        terms = self._keyword_terms
        about = [h for h in hits if h.tags is NEG_TAGS or (
            h.term in terms and h.tags is not AGAIN_TAGS and h.tags is not A_NOT_A_TAGS)]
        words: list[str] = []
        for hit in sorted(about, key=lambda h: (h.start, -h.end)):
            if hit.term not in words and not any(hit.term in w for w in words):
                words.append(hit.term)
        return words[:MAX_KEYWORDS]


@lru_cache(maxsize=1)
def _shipped_model() -> LinearModel | None:
    """The committed model file, loaded once per process (None before the first train)."""
    if not MODEL_PATH.exists():
        logging.getLogger(__name__).warning("no model file at %s: rules only", MODEL_PATH)
        return None
    return LinearModel.load(MODEL_PATH)


_default: Classifier | None = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    """The shared classifier with the built-in lexicon, built once."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Classifier()
    return _default


def classify(text: str, role: str = "resident") -> Classification:
    """Classify with the shared default classifier."""
    return default_classifier().classify(text, role)
