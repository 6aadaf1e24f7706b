"""The answer engine's entry point: what the Slack bot and the CLI call.

One question goes: follow-up resolution → query embedding → hybrid retrieval → passage scoring
→ support check (decline when nothing retrieved supports an answer) → a comparison table, a
"the sources disagree" answer, or an extractive answer → optionally the LLM composer, which
falls back to the extractive answer. Every stage's time is recorded in `Answer.timings`.
"""

import logging
import re
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bot.answering import messages
from bot.answering.advice import Deciding, advise, asks_for_staging, prompting_fell_short
from bot.answering.comparison import aspects_of, build_comparison, is_comparison, render_comparison
from bot.answering.composer import Sources, citation_for, is_duplicate, render_sentences, select
from bot.answering.conflicts import find_conflict
from bot.answering.followup import asks_why, contextualize, continues, is_follow_up
from bot.answering.intent import (
    KIND_CUES,
    asks_pros_and_cons,
    classify,
    follow_up_intent,
    for_a_model_task,
    for_a_use,
    named_choices,
    weighs_a_point,
    without_format_request,
)
from bot.answering.llm import (
    Brief,
    LlmComposer,
    LlmError,
    LlmOffVerdict,
    LlmOptions,
    LlmTimeout,
    LlmUnavailable,
    LlmUncited,
    PromptClaim,
)
from bot.answering.models import Answer, CitedClaim, Intent, Turn
from bot.answering.retrieval import Corpus, HybridRetriever, RankedChunk, RetrievalMode
from bot.answering.scoring import ScoredPassage, assess_support, question_terms, score_passages
from bot.answering.shaping import (
    aspect_row,
    combining_passages,
    item_text,
    polarity_items,
    render_list,
    scenario_items,
    speaks_of_combining,
    step_items,
)
from bot.answering.situation import (
    asks_for_advice,
    extract,
    intake_vocabulary,
    is_situation,
    puts_the_choice,
    stated_in,
)
from bot.answering.stance import (
    ASPECT_FAMILIES,
    Side,
    asks_about_an_amount,
    asks_for_the_worse,
    aspect_family,
    facet_of,
    find_disagreement,
    stance_of,
    without_the_time_after_deploying,
)
from bot.answering.text import (
    APPROACH_NAMES,
    approach_mentions,
    approaches_in,
    content_terms,
    lower_first,
    topic_terms,
    words,
)
from bot.answering.verdict import favoured, lead_sentence, the_worse
from bot.answering.wording import capitalized, claim_sentence, leans_on_context, passage_text
from bot.assessment.evidence import groups_matched
from bot.assessment.intake import IntakeAnswers
from bot.assessment.recommendation import Outcome
from bot.assessment.weights import load_weights
from bot.settings import Settings
from ingest.index import KnowledgeIndex

if TYPE_CHECKING:  # LangChain is imported only when an LLM is configured
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("bot.answering")

RETRIEVED_CHUNKS = 8
LLM_SOURCES = 6
# Passages within this band of the best one are weighed for a disagreement.
DISAGREEMENT_BAND = 0.3
SIDE_SENTENCES = 2
SUPPORTING = 2  # sentences after a which-answer's verdict
_OVER = re.compile(r"\b(?:over|rather than|instead of|compared (?:to|with)|when)\b", re.IGNORECASE)
WHY_REASONS = 4  # after it when asked "why?"
_CAUSE = re.compile(
    r"\b(?:because|since|due to|thanks to|as (?:it|they)|without|(?:doesn.t|does not|don.t|do "
    r"not) (?:require|need))\b",
    re.IGNORECASE,
)
MIN_LIST_ITEMS = 2
PROS_AND_CONS_ITEMS = 2  # of each side of each approach; twice that for one approach
SHORT_ANSWER = 3  # sentences of a definition or a plain fact: the on-point ones
# A which-question on which the sources take a side is answered from this best similarity on
# (calibrated: "Which approach is cheaper to get started with?" 0.53; "Which GPU should I buy
# for gaming?" 0.19).
WHICH_SUPPORT = 0.3
# …or from this one when at most one of its words is strange to both the documents and the
# intake ("which one can we change the same afternoon if the rules change?" 0.24: "afternoon").
WHICH_SUPPORT_FAMILIAR = 0.22
ON_POINT_CANDIDATES = 6  # best passages searched for one on the situation's point
EVIDENCE_CANDIDATES = 40  # passages closest to a factor's evidence query that are checked
_ADVISABLE = frozenset({Intent.which, Intent.fact})  # a question the assessment can answer
_CENTRAL = frozenset({Intent.definition, Intent.pros, Intent.cons, Intent.examples, Intent.howto})
_EVALUATIVE = frozenset(
    [
        "which",
        "better",
        "best",
        "more",
        "less",
        "most",
        "least",
        "higher",
        "lower",
        "match",
        "matches",
        "outperform",
        "superior",
        "versus",
        "vs",
        "than",
        "whether",
    ]
)


class AnswerEngine:
    """Answer questions from the knowledge index with cited sentences; thread-safe."""

    def __init__(
        self,
        settings: Settings,
        index: KnowledgeIndex | None = None,
        *,
        chat_model: "BaseChatModel | None" = None,
    ) -> None:
        self.settings = settings
        self.index = index or KnowledgeIndex(settings)
        self.retriever = HybridRetriever(self.index, cache_dir=settings.data_dir / "answering")
        self._evidence_vectors: dict[str, np.ndarray] = {}
        self._evidence_lock = threading.Lock()
        self.llm = LlmComposer(LlmOptions.from_settings(settings), model=chat_model)

    def warm_up(self) -> None:
        """Load the model and prepare the current index version (BM25, passage vectors) and
        the evidence queries of the assessment's weights (for situations)."""
        self.index.embed_query("warm up")
        self.retriever.corpus().passage_vectors  # noqa: B018 - computed and cached on access
        queries = sorted(
            {
                weight.evidence.query
                for weighted in load_weights().factors.values()
                for weight in weighted.values.values()
                if weight.evidence is not None
            }
        )
        vectors = self.index.embedder.embed(queries)
        with self._evidence_lock:
            for query, vector in zip(queries, vectors, strict=True):
                self._evidence_vectors[query] = np.asarray(vector, dtype=np.float32)

    def retrieve(
        self, query: str, *, k: int = RETRIEVED_CHUNKS, mode: RetrievalMode = RetrievalMode.hybrid
    ) -> list[RankedChunk]:
        """The chunks a question retrieves, best first (what `eval` measures)."""
        return self.retriever.retrieve(
            query=query, vector=self.index.embed_query(query), k=k, mode=mode
        )

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer `question`, reading `history` (earlier turns) to understand follow-ups."""
        asked = without_format_request(question)
        if asked != question:
            answer = self.answer(asked, history)
            return answer.model_copy(update={"question": question})
        if history and asks_why(question):
            # "why?" asks the question before again, for all the reasons the sources give
            earlier = history[-1]
            again = self._answer_question(earlier.question, history[:-1], why=True)
            return again.model_copy(update={"question": question})
        if history and self._strange(question) and not continues(question):
            history = ()  # "what's the weather tomorrow?" in a thread is not about its topic
        return self._answer_question(question, history)

    def _strange(self, question: str) -> bool:
        """Whether at least half of the question's own words are unknown to the documents and
        to the intake: a question on something else, whatever the conversation was about.
        Words asking for a kind of answer are not its own ("what are the downsides of that?")."""
        own = set(topic_terms(question)) - KIND_CUES
        strange = _strange_words(self.retriever.corpus(), question)
        return bool(own) and 2 * len(own & strange) >= len(own)

    def _answer_question(
        self, question: str, history: Sequence[Turn], *, why: bool = False
    ) -> Answer:
        """The answer to `question`; `why`: its verdict followed by the reasons the sources give."""
        clock = _Clock()
        query = contextualize(question, history)
        statements = extract(question)
        asked = self.intent_of(question, history)
        # A team's own case, or how to combine the approaches: advice from the assessment; a
        # team asking for a definition, a list or steps gets that instead.
        # So is a use the intake knows, or a fact it knows, put to the choice ("prompting vs
        # fine-tuning for legal contract review?": a highly specialized domain; "… for 1M
        # labeled tickets?": thousands of examples).
        situation = not weighs_a_point(question) and (
            (is_situation(question, statements) and (bool(statements) or asked in _ADVISABLE))
            or (
                (asks_for_staging(question) or prompting_fell_short(question))
                and asked in _ADVISABLE
            )
            or (
                bool(statements)
                and asked is Intent.which
                and (for_a_use(question) or len(approaches_in(question)) == 2)
            )
            or (_advice_on_what_was_said(question, history) and asked in _ADVISABLE)
            # "is it worth fine-tuning for a one-off project?", "is prompt engineering enough
            # for a support bot?": whether to use the one approach named, for a use
            or (
                asks_for_advice(question)
                and len(approaches_in(question)) == 1
                and for_a_use(question)
                and asked in _ADVISABLE
            )
        )
        intent = Intent.situation if situation else asked
        corpus = self.retriever.corpus()
        clock.lap("prepare")
        # A choice among things no document mentions ("which laptop …?", "…, React or Vue?")
        # is not one between the approaches, however close its wording comes to theirs.
        if (
            asked in (Intent.which, Intent.comparison)
            and not approaches_in(question)
            and any(corpus.unknown_terms(choice) for choice in named_choices(question))
        ):
            return _not_covered(question, intent, clock, [])
        # A which-question on one side of an aspect is searched with the documents' words for
        # it too: "reduces latency" finds "response speed: optimized for faster inference".
        point = _point_asked(query) if intent is Intent.which else None
        facet = point["facet"] if point is not None else None
        search = f"{query} {facet.search}" if facet is not None else query
        vector = self.index.embed_query(search)
        clock.lap("embed")
        ranked = self.retriever.retrieve(query=search, vector=vector, k=RETRIEVED_CHUNKS)
        clock.lap("retrieve")
        scored = score_passages(
            corpus, ranked, query=query, vector=vector, defining=intent is Intent.definition
        )
        support = assess_support(scored)
        clock.lap("score")
        retrieved = [item.chunk.id for item in ranked]
        # A team describing its situation is the domain's central question: never declined;
        # nor is a which-question the sources take a side on, close enough in meaning.
        amount = asks_about_an_amount(query)
        sides_taken = (
            point is not None and favoured(corpus, scored, **point, amount=amount) is not None
        )
        decided = sides_taken and (
            support.similarity >= WHICH_SUPPORT
            or (
                support.similarity >= WHICH_SUPPORT_FAMILIAR
                and len(_strange_words(corpus, question)) <= 1
            )
        )
        # A team putting the choice for its case ("we're building a coding assistant: prompting
        # or fine-tuning?") on which the sources take no side, and whose closest passage names
        # no fit of one approach ("fine-tuning: consistent brand voice"), gets the advice.
        one_fit = len({claim.approach for claim in _fits_named(scored)}) == 1
        if intent is Intent.which and puts_the_choice(question) and not (sides_taken or one_fit):
            situation, intent = True, Intent.situation
        # A definition, the pros, cons, uses or steps of an approach it names: central too.
        # So is the comparison of the two with nothing else named ("what are the trade-offs?").
        central = (intent in _CENTRAL and len(approaches_in(query)) == 1) or (
            intent is Intent.comparison and not _known_aspects(corpus, query)
        )
        if not (support.grounded or situation or decided or central):
            # "Our team answers refund e-mails: prompting or fine-tuning?", "which is better for
            # summarizing Jira tickets?" state nothing the sources or the intake know, but put
            # the choice for a case: advice that says what would decide it.
            puts_a_case = puts_the_choice(question) or for_a_model_task(question)
            if not (puts_a_case and asked in _ADVISABLE):
                return _not_covered(question, intent, clock, retrieved)
            situation, intent = True, Intent.situation
        if situation:  # what the earlier turns stated holds unless this one says otherwise
            stated = (
                stated_in([*(t.question for t in history), question]) if history else statements
            )
            answer = self._situation(corpus, question, stated, scored, vector)
        else:
            answer = self._compose(
                corpus,
                question=question,
                query=query,
                vector=vector,
                scored=scored,
                intent=intent,
                why=why,
            )
        if answer is None:
            return _not_covered(question, intent, clock, retrieved)
        clock.lap("compose")
        answer = answer.model_copy(update={"intent": intent})
        # Comparisons, disagreements and situations keep their structured, extractive form (a
        # situation's unknowns and its offer of the assessment are in the engine's own voice).
        if self.llm.enabled and not (
            answer.comparison or answer.disagreement or intent is Intent.situation
        ):
            answer = self._compose_with_llm(corpus, answer, query=query, scored=scored)
            clock.lap("llm")
        return answer.model_copy(update={"timings": clock.timings(), "retrieved": retrieved})

    @staticmethod
    def intent_of(question: str, history: Sequence[Turn] = ()) -> Intent:
        """The intent of `question`; an elliptical follow-up keeps the previous turn's."""
        own = classify(question)
        if history and is_follow_up(question):
            return follow_up_intent(own, [classify(turn.question) for turn in history])
        return own

    def _compose(
        self,
        corpus: Corpus,
        *,
        question: str,
        query: str,
        vector: Sequence[float],
        scored: list[ScoredPassage],
        intent: Intent,
        why: bool,
    ) -> Answer | None:
        """The answer shaped for the intent: a comparison, a disagreement, a verdict first, a
        list of drawbacks, advantages, examples or steps, a definition, or plain sentences."""
        sources = Sources(corpus)
        sides = self._disagreement(corpus, query, scored)
        disagreement = [] if sides is None else self._render_sides(corpus, sides, scored, sources)
        if not disagreement and intent in (Intent.which, Intent.fact, Intent.comparison):
            disagreement = self._conflicting_judgments(corpus, query, scored, sources)
        asked = approaches_in(query)
        focus = _focus(query, asked)
        # "compare" in a question asking for a verdict or a list ("the drawbacks of prompting
        # compared to fine-tuning") does not make it a side-by-side comparison
        side_by_side = is_comparison(query) and intent in (Intent.fact, Intent.definition)
        if intent is Intent.comparison or side_by_side:
            rows = self._comparison_rows(
                corpus, query=query, vector=vector, scored=scored, sources=sources
            )
            if rows:
                return Answer(
                    question=question,
                    text="\n".join([render_comparison(rows), *disagreement]),
                    citations=sources.citations(),
                    grounded=True,
                    disagreement=bool(disagreement),
                    comparison=rows,
                )
        if disagreement and intent in (Intent.which, Intent.fact, Intent.comparison):
            return Answer(
                question=question,
                text="\n".join(disagreement),
                citations=sources.citations(),
                grounded=True,
                disagreement=True,
            )
        if intent in (Intent.cons, Intent.pros, Intent.examples, Intent.howto):
            similarities = corpus.passage_similarities(vector)
            if intent is Intent.howto:
                items = step_items(corpus, scored)
            elif intent is Intent.examples:
                items = scenario_items(corpus, scored, similarities, focus=focus)
            elif asks_pros_and_cons(question):
                both = self._pros_and_cons(corpus, scored, similarities, sources, focus=focus)
                if both is not None:
                    lines, items = both
                    return self._answer(question, lines, sources, items)
                items = []
            else:
                polarity = "con" if intent is Intent.cons else "pro"
                items = polarity_items(corpus, scored, similarities, polarity=polarity, focus=focus)
            if len(items) >= MIN_LIST_ITEMS:
                return self._answer(
                    question, render_list(corpus, items, sources, focus=focus), sources, items
                )
        if intent is Intent.which:
            point = _point_asked(query)
            verdict = favoured(corpus, scored, **point, amount=asks_about_an_amount(query))
            if verdict is not None and asks_for_the_worse(question, **point):
                verdict = the_worse(corpus, verdict)
            if verdict is not None:
                lead = lead_sentence(corpus, verdict, sources)
                rest = self._supporting(corpus, verdict, scored, query, why=why)
                lines = [lead, *render_sentences(corpus, rest, sources)]
                return self._answer(
                    question,
                    [" ".join(lines)],
                    sources,
                    [verdict.lead, *rest],
                    verdict=Outcome(verdict.approach),
                )
        if intent is Intent.definition and focus:
            scored = [item for item in scored if corpus.subjects[item.index] == focus] or scored
        chosen = select(corpus, scored, keep_first=intent is Intent.definition)[:SHORT_ANSWER]
        if intent is Intent.fact:
            chosen = self._with_aspect_row(corpus, chosen, query=query, vector=vector)
            # "does prompt engineering need labeled data?": what is said of it first; and a
            # sentence that opens "However, …" is not the first
            chosen.sort(
                key=lambda item: (
                    focus is not None and _of_the_other(corpus, item, focus),
                    leans_on_context(item.passage.text),
                )
            )
        terms = frozenset(question_terms(query))
        # A question about one approach gets its cells of a table row, not both side by side.
        text = " ".join(
            render_sentences(corpus, chosen, sources, first=focus, terms=terms, only=focus)
        )
        return self._answer(question, [text], sources, chosen)

    @staticmethod
    def _pros_and_cons(
        corpus: Corpus,
        scored: list[ScoredPassage],
        similarities: np.ndarray,
        sources: Sources,
        *,
        focus: str | None,
    ) -> tuple[list[str], list[ScoredPassage]] | None:
        """ "Pros and cons" of the approach asked, or of each: a short list of each side."""
        approaches = [focus] if focus else list(APPROACH_NAMES)
        most = PROS_AND_CONS_ITEMS * (2 if focus else 1)
        lines: list[str] = []
        used: list[ScoredPassage] = []
        for approach in approaches:
            for polarity, side in (("pro", "advantages"), ("con", "drawbacks")):
                items = polarity_items(
                    corpus, scored, similarities, polarity=polarity, focus=approach
                )[:most]
                if not items:
                    continue
                # a blank line before a heading ends the list above it (Markdown would run the
                # heading on into the list's last item)
                heading = f"**{capitalized(APPROACH_NAMES[approach])}: {side}**"
                lines += [
                    f"\n{heading}" if lines else heading,
                    *render_list(corpus, items, sources, focus=approach),
                ]
                used += items
        return (lines, used) if used else None

    @staticmethod
    def _answer(
        question: str,
        lines: list[str],
        sources: "Sources",
        used: Sequence[ScoredPassage],
        *,
        verdict: Outcome | None = None,
    ) -> Answer:
        """An answer of `lines`, citing what the markers handed out, with the claims used."""
        claims = [
            CitedClaim(n=sources.numbers[item.passage.chunk], claim=claim)
            for item in used
            if item.passage.chunk in sources.numbers
            for claim in item.passage.claims
        ]
        return Answer(
            question=question,
            text="\n".join(line for line in lines if line),
            citations=sources.citations(),
            grounded=True,
            verdict=verdict,
            claims=claims,
        )

    @staticmethod
    def _with_aspect_row(
        corpus: Corpus, chosen: list[ScoredPassage], *, query: str, vector: Sequence[float]
    ) -> list[ScoredPassage]:
        """A fact asked about one aspect ("how adaptable is…") also gets the comparison-table
        row on that aspect, second, in place of the least relevant sentence."""
        aspect = aspect_family(question_terms(query))
        row = aspect_row(corpus, corpus.passage_similarities(vector), aspect=aspect)
        if row is None or any(item.passage.chunk == row.passage.chunk for item in chosen):
            return chosen
        return [*chosen[:1], row, *chosen[1 : SHORT_ANSWER - 1]]

    @staticmethod
    def _backs(corpus: Corpus, item: ScoredPassage, verdict, query: str) -> bool:
        """A supporting sentence is on the point asked (it speaks to its aspect, or shares a
        word with the question) and does not favour the other approach on it."""
        stance = stance_of(
            item.passage.text, subject=corpus.subjects[item.index], **_point_asked(query)
        )
        if stance.on_aspect:
            return stance.favours in (None, verdict.approach)
        return item.coverage > 0

    def _supporting(
        self, corpus: Corpus, verdict, scored: list[ScoredPassage], query: str, *, why: bool
    ):
        """The sentences after the verdict: those leaning its way on the point first, then the
        most relevant others on the point that do not argue against it; asked why, more of
        them, those that give a cause ("because", "without retraining") first."""
        candidates = [
            *verdict.supporting,
            *(item for item in select(corpus, scored) if self._backs(corpus, item, verdict, query)),
        ]
        if why:
            candidates.sort(key=lambda item: not _CAUSE.search(item.passage.text))
        limit = WHY_REASONS if why else SUPPORTING
        rest: list[ScoredPassage] = []
        for item in candidates:
            if len(rest) == limit:
                break
            if item.index == verdict.lead.index or any(
                is_duplicate(corpus, item.index, other.index) or item.index == other.index
                for other in rest
            ):
                continue
            rest.append(item)
        return rest

    def _comparison_rows(self, corpus, *, query, vector, scored, sources):
        aspects = _known_aspects(corpus, query)
        vectors = (
            self.index.embedder.embed(aspects)
            if aspects
            else np.zeros((0, corpus.passage_vectors.shape[1]), dtype=np.float32)
        )
        return build_comparison(
            corpus,
            aspects=aspects,
            aspect_vectors=vectors,
            query_vector=vector,
            scored=scored,
            sources=sources,
        )

    def _situation(
        self,
        corpus: Corpus,
        question: str,
        statements,
        scored: list[ScoredPassage],
        vector: Sequence[float],
    ) -> Answer | None:
        """The assessment's verdict on what the question states, the answers that decided it
        with their passages, what was not stated, and the offer of the full assessment."""
        known = {statement.field: statement.value for statement in statements}
        advice = advise(known, question=question)
        sources = Sources(corpus)
        backed: list[tuple[Deciding, ScoredPassage]] = []
        for deciding in advice.deciding:
            item = self._evidence_passage(corpus, deciding.weight.evidence)
            if item is not None and all(item.index != other.index for _, other in backed):
                backed.append((deciding, item))
        # The verdict leads with a reason for it in a sentence of its own: not a drawback it
        # accepts, not a table row (two cells side by side read as a heading, not a reason).
        backed.sort(
            key=lambda pair: (pair[1].passage.polarity == "con", pair[1].passage.kind == "row")
        )
        similarities = corpus.passage_similarities(vector)
        focus = None if advice.outcome is Outcome.hybrid else advice.outcome.value
        lead: list[ScoredPassage] = []
        if advice.outcome is Outcome.hybrid:
            lead = combining_passages(corpus, scored, similarities)
        if not lead and backed and backed[0][1].passage.kind != "row":
            lead = [backed.pop(0)[1]]
        if not lead and backed:  # the strongest factor's evidence is a row: its prose instead
            prose = self._evidence_passage(corpus, backed[0][0].weight.evidence, prose=True)
            if prose is not None and all(prose.index != other.index for _, other in backed):
                lead = [prose]
        # A reason for an approach, and a sentence on the point, name it: one taking its
        # subject from the sentence before ("If your project involves large volumes of data,
        # consider …") says nothing of it on its own.
        fitting = [
            item
            for item in scored[:ON_POINT_CANDIDATES]
            if all(item.index != other.index for _, other in backed)
            and item.passage.kind != "row"
            and self._fits(corpus, item, advice.outcome)
            and (focus is None or approach_mentions(passage_text(corpus, item.index)))
        ]
        own = [  # no "However, …" lead
            item
            for item in fitting
            if (focus is None or corpus.subjects[item.index] == focus)
            and not leans_on_context(item.passage.text)
        ]
        if not lead and own:  # a reason stated of the verdict itself, not a drawback of the other
            lead = own[:1]
        on_point = next((item for item in fitting if item not in lead), None)
        if not lead and focus is not None:  # what the sources count in the approach's favour
            lead = polarity_items(corpus, scored, similarities, polarity="pro", focus=focus)[:1]
        if not lead and backed:
            lead = [backed.pop(0)[1]]
        if not lead:
            return None
        used = [*lead]
        n = sources.marker(lead[0].passage.chunk)
        if len(lead) > 1:  # the combined path and the sentence that continues it
            cited = " ".join(f"{passage_text(corpus, item.index)} [{n}]" for item in lead)
        else:
            cited = f"{lower_first(_reason_text(corpus, lead[0], focus=focus))}. [{n}]"
        # "fits what you describe" only when something described pushes that way ("1M labeled
        # tickets" makes fine-tuning possible, not prompting fitting): else where to start
        decided = bool(advice.deciding)
        paragraph = [messages.situation_lead(advice.outcome.value, cited, known=decided)]
        if on_point is not None and all(on_point.index != item.index for item in used):
            used.append(on_point)
            paragraph.append(
                f"{passage_text(corpus, on_point.index)} [{sources.marker(on_point.passage.chunk)}]"
            )
        # What decided the verdict, then what leaned the other way, each with its passage
        stated: list[tuple[Deciding, ScoredPassage, bool]] = [
            (deciding, item, False) for deciding, item in backed
        ]
        for deciding in advice.outweighed:
            evidence = self._evidence_passage(corpus, deciding.weight.evidence)
            if evidence is not None:
                stated.append((deciding, evidence, True))
        factor_lines = []
        for deciding, item, outweighed in stated:
            if any(item.index == other.index for other in used):
                continue
            used.append(item)
            question_of = IntakeAnswers.question(deciding.field)
            value = question_of.option_name(deciding.value)
            cited = f"{item_text(corpus, item, focus=None)} [{sources.marker(item.passage.chunk)}]"
            factor_lines.append(
                messages.outweighed_line(
                    question_of.label,
                    value,
                    APPROACH_NAMES[deciding.weight.direction.value],
                    cited,
                    alone=not advice.deciding,
                )
                if outweighed
                else messages.factor_line(question_of.label, value, cited)
            )
        open_labels = [IntakeAnswers.question(field).label for field in advice.open_fields]
        enabling = [
            f"{lower_first(question_of.label)}: {question_of.option_name(item.value).lower()}"
            for item in advice.enabling
            for question_of in [IntakeAnswers.question(item.field)]
        ]
        lines = [
            " ".join(paragraph),
            *factor_lines,
            messages.possible_not_needed(enabling) if enabling else "",
            messages.not_stated(open_labels) if open_labels else "",
            messages.OFFER_ASSESSMENT,
        ]
        answer = self._answer(question, lines, sources, used, verdict=advice.outcome)
        return answer.model_copy(update={"intake": known})

    @staticmethod
    def _fits(corpus: Corpus, item: ScoredPassage, outcome: Outcome) -> bool:
        """A passage about an approach, on the question's point, that does not argue for
        another outcome (a passage about neither approach is no reason for either)."""
        subject = corpus.subjects[item.index]
        if subject is None:
            return False
        if outcome is Outcome.hybrid:
            return True
        if speaks_of_combining(item.passage.text):  # a reason for both, not for one alone
            return False
        polarity = item.passage.polarity
        return (polarity != "con") == (subject == outcome.value)

    def _evidence_passage(
        self, corpus: Corpus, evidence, *, prose: bool = False
    ) -> ScoredPassage | None:
        """The usable passage that best backs an assessment factor: it holds the evidence's key
        terms (read with its heading, one at least in its own text), closest to its query;
        with `prose`, a sentence or list item (no table row)."""
        if evidence is None:
            return None
        vector = self._evidence_vector(evidence.query)
        similarities = corpus.passage_similarities(vector)
        usable = corpus.usable_passages
        closest = usable[np.argsort(-similarities[usable], kind="stable")[:EVIDENCE_CANDIDATES]]
        best: tuple[tuple[int, float], int] | None = None
        groups_needed = len(evidence.key_terms)
        for index in closest.tolist():
            passage = corpus.passages[index]
            if prose and passage.kind == "row":
                continue
            own = groups_matched(passage.text, evidence)
            if not own or len(own | groups_matched(passage.heading, evidence)) < groups_needed:
                continue
            rank = (len(own), float(similarities[index]))
            if best is None or rank > best[0]:
                best = (rank, index)
        if best is None:
            return None
        index = best[1]
        similarity = best[0][1]
        return ScoredPassage(index, corpus.passages[index], similarity, 0.0, 0.0, similarity)

    def _evidence_vector(self, query: str) -> np.ndarray:
        """The embedding of an evidence query of weights.yaml (a few fixed texts: cached)."""
        with self._evidence_lock:
            vector = self._evidence_vectors.get(query)
        if vector is None:
            vector = np.asarray(self.index.embed_query(query), dtype=np.float32)
            with self._evidence_lock:
                self._evidence_vectors[query] = vector
        return vector

    @staticmethod
    def _render_sides(
        corpus: Corpus, sides: tuple[Side, Side], scored: list[ScoredPassage], sources: Sources
    ) -> list[str]:
        """The lines of a disagreement: the lead, then each side with its best statements."""
        by_index = {item.index: item for item in scored}
        lines = [messages.SOURCES_DISAGREE]
        for side in sides:
            chosen = [by_index[index] for index in side.passages][:SIDE_SENTENCES]
            sentences = render_sentences(corpus, chosen, sources)
            lines.append(f"- **{messages.side_heading(side.approach)}** {' '.join(sentences)}")
        return lines

    @staticmethod
    def _conflicting_judgments(
        corpus: Corpus, query: str, scored: list[ScoredPassage], sources: Sources
    ) -> list[str]:
        """Lines for documents contradicting each other about the one approach asked (see
        `bot.answering.conflicts`); none when they do not."""
        asked = approaches_in(query)
        terms = set(question_terms(query))
        if len(asked) != 1 or not scored or not any(terms & f for f in ASPECT_FAMILIES):
            return []  # about one approach, on a point such as cost, speed or data
        best = scored[0].relevance
        candidates = [
            (item.index, corpus.chunks[item.passage.chunk].doc, item.passage.text,
             corpus.subjects[item.index])
            for item in scored
            # Table cells are terse: "low" in a cost row says nothing without its column.
            if item.relevance >= best - DISAGREEMENT_BAND and item.passage.kind != "row"
        ]  # fmt: skip
        conflict = find_conflict(
            candidates, approach=next(iter(asked)), aspect=aspect_family(question_terms(query))
        )
        if conflict is None:
            return []
        by_index = {item.index: item for item in scored}

        def distrusted(indices: tuple[int, ...]) -> bool:
            return all(corpus.chunks[by_index[i].passage.chunk].trust == "low" for i in indices)

        sides = [
            (messages.JUDGED_LIGHT, conflict.light),
            (messages.JUDGED_HEAVY, conflict.heavy),
        ]
        lines = [messages.SOURCES_DISAGREE]
        for heading, indices in sorted(sides, key=lambda side: distrusted(side[1])):
            chosen = [by_index[index] for index in indices][:SIDE_SENTENCES]
            lines.append(f"- **{heading}** {' '.join(render_sentences(corpus, chosen, sources))}")
        return lines

    def _disagreement(
        self, corpus: Corpus, query: str, scored: list[ScoredPassage]
    ) -> tuple[Side, Side] | None:
        """Opposite positions of different documents on the point an evaluative question asks."""
        evaluative = (
            _EVALUATIVE & set(words(query))
            or len(approaches_in(query)) == 2
            or is_comparison(query)
        )
        if not scored or not evaluative:
            return None
        point = _point_asked(query)
        best = scored[0].relevance
        candidates = []
        for item in scored:
            if item.relevance < best - DISAGREEMENT_BAND:
                break
            if item.passage.kind == "row":  # terse cells: their direction depends on the label
                continue
            stance = stance_of(item.passage.text, subject=corpus.subjects[item.index], **point)
            document = corpus.chunks[item.passage.chunk].doc
            candidates.append((item.index, document, stance))
        return find_disagreement(candidates)

    def _compose_with_llm(
        self, corpus: Corpus, extractive: Answer, *, query: str, scored: list[ScoredPassage]
    ) -> Answer:
        """The LLM's answer from a brief of the extractive one, or the extractive answer with a
        note saying why not."""
        try:
            result = self.llm.compose(_brief(corpus, extractive, query=query, scored=scored))
        except LlmError as error:
            note = {
                LlmTimeout: messages.llm_timed_out(self.llm.timeout_seconds),
                LlmUncited: messages.LLM_UNCITED,
                LlmOffVerdict: messages.LLM_OFF_VERDICT,
                LlmUnavailable: messages.LLM_UNAVAILABLE,
            }[type(error)]
            log.warning(
                messages.LOG_LLM_FALLBACK,
                extra={"reason": type(error).__name__, "detail": str(error)},
            )
            return extractive.model_copy(update={"note": note})
        return extractive.model_copy(update={"text": result.text, "citations": result.citations})


def _reason_text(corpus: Corpus, item: ScoredPassage, *, focus: str | None) -> str:
    """A passage as the reason a verdict gives: of a table row, only the verdict's own cell
    ("Prompt engineering's setup time: hours to a few days"), not both cells side by side."""
    own = [c for c in item.passage.claims if c.kind == "cell" and c.approach == focus]
    if own:
        return claim_sentence(own[0])
    return item_text(corpus, item, focus=focus)


def _focus(query: str, asked: set[str]) -> str | None:
    """The approach a question is about: the one it names, or the first of "X over Y"
    ("the main advantage of fine-tuning over prompting", "… compared to prompting", "why
    fine-tune when prompting is so cheap?")."""
    if len(asked) == 1:
        return next(iter(asked))
    mentions = approach_mentions(query)
    if len(asked) == 2 and _OVER.search(query[mentions[0][0] : mentions[-1][0]]):
        return mentions[0][1]
    return None


_USUAL_ASPECTS = frozenset().union(*ASPECT_FAMILIES)


def _known_aspects(corpus: Corpus, query: str) -> list[str]:
    """The aspects a comparison names that the documents or the usual dimensions know: "the
    ROI of fine-tuning vs prompting" compares them on their costs, not on a row called "Roi"."""

    def known(aspect: str) -> bool:
        terms = set(content_terms(aspect))
        return bool(terms - set(corpus.unknown_terms(aspect)) or terms & _USUAL_ASPECTS)

    return [aspect for aspect in aspects_of(query) if known(aspect)]


def _advice_on_what_was_said(question: str, history: Sequence[Turn]) -> bool:
    """ "What would you recommend then?", or a change to the case ("what if the deadline is
    next week?"), after a team described its case in the thread."""
    return (
        bool(history)
        and is_follow_up(question)
        and (asks_for_advice(question) or bool(extract(question)))
        and bool(stated_in([turn.question for turn in history]))
    )


def _strange_words(corpus: Corpus, question: str) -> set[str]:
    """The question's content stems that neither the documents nor the intake's cues use."""
    return set(corpus.unknown_terms(question)) - intake_vocabulary()


def _of_the_other(corpus: Corpus, item: ScoredPassage, focus: str) -> bool:
    """Whether the passage is about the approach other than `focus` and has no cell of it."""
    if any(claim.kind == "cell" and claim.approach == focus for claim in item.passage.claims):
        return False
    return corpus.subjects[item.index] not in (focus, None)


def _fits_named(scored: Sequence[ScoredPassage]):
    """The "when to use" claims of the closest passage."""
    return [claim for claim in scored[0].passage.claims if claim.scenario] if scored else []


def _not_covered(question: str, intent: Intent, clock: "_Clock", retrieved: list[str]) -> Answer:
    return Answer(
        question=question,
        text=messages.NOT_COVERED,
        grounded=False,
        intent=intent,
        timings=clock.timings(),
        retrieved=retrieved,
    )


def _point_asked(query: str) -> dict:
    """What a which-question weighs the approaches on: its aspect, and the facet it names."""
    terms = question_terms(without_the_time_after_deploying(query))
    return {"aspect": aspect_family(terms), "facet": facet_of(terms)}


def _brief(corpus: Corpus, extractive: Answer, *, query: str, scored: list[ScoredPassage]) -> Brief:
    """What the LLM is told: the extractive answer as a draft, its citations as the first
    sources (so the draft's markers hold), then the other best chunks."""
    sources = list(extractive.citations)
    cited = {citation.text for citation in sources}
    for item in scored:
        if len(sources) >= LLM_SOURCES:
            break
        citation = citation_for(corpus, item.passage.chunk, len(sources) + 1)
        if citation.text not in cited:
            cited.add(citation.text)
            sources.append(citation)
    return Brief(
        question=query,
        sources=sources,
        intent=extractive.intent.value,
        verdict=extractive.verdict.value if extractive.verdict else None,
        claims=[_prompt_claim(cited) for cited in extractive.claims],
        draft=extractive.text,
    )


def _prompt_claim(cited: CitedClaim) -> PromptClaim:
    """A claim of the answer as the LLM is told it: what it is about, and its source."""
    claim = cited.claim
    name = APPROACH_NAMES.get(claim.approach, claim.approach)
    if claim.kind == "cell" and claim.aspect:
        about = f"{claim.aspect.lower()} · {name}"
    elif claim.polarity:
        about = f"{name} · {'pros' if claim.polarity == 'pro' else 'cons'}"
    elif claim.scenario:
        about = f"{name} · when to use"
    else:
        about = name
    return PromptClaim(source=cited.n, about=about, statement=claim.statement)


class _Clock:
    """Milliseconds spent in each stage of one answer."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self._laps[stage] = round((now - self._last) * 1000, 2)
        self._last = now

    def timings(self) -> dict[str, float]:
        return {**self._laps, "total": round((time.perf_counter() - self._start) * 1000, 2)}
