"""Judge scope facts across calls (allocation scopes). Pure: the facts of the files read in, findings out.

The rules, as app/scope_rules.py states them to readers:
- a scope is open from a save (or a call of an opener) to the restore (or a call of a closer) in source order;
  an open in a nested block or a braceless conditional does not outlive its block; a close on an exit path
  or in the tail does not close it for the main path; the tail starts with nothing open;
- an opener leaves a scope open at its main exit that it saved into a field some closer restores, or
  returned, or got from an opener it called; a closer closes on its main path what it did not open;
- a function is called only in scope when its name is used only in calls, every file naming it was read, it
  has a call, and every call is inside a covering scope or in a function itself called only in scope (the
  greatest such set).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from app.scope_rules import COVERED_BY, Finding, How
from ingest.scopes.facts import Event, FileFacts, FunctionFacts, Step, Target

FIXPOINT_ROUNDS: Final = 12
SCOPE_API_PREFIX: Final = "memalloc_"
EVIDENCE_CALLERS: Final = 3  # call sites shown per level of a caller chain
EVIDENCE_DEPTH: Final = 4
_BLOCK_STEPS: Final = frozenset((Step.BLOCK, Step.END, Step.TAIL))  # what a walk's frames follow

Key = tuple[str | None, str]  # (file, name) for a static function of a .c file; (None, name) otherwise


@dataclass(frozen=True, slots=True)
class Use:
    identifier: str  # GFP_NOFS or GFP_NOIO
    pos: int  # byte offset in its file, as ingest/count.py reports it
    line: int


@dataclass(frozen=True, slots=True)
class ChainStep:
    function: str
    path: str
    line: int
    why: str
    depth: int = 0


@dataclass(frozen=True, slots=True)
class Found:
    kind: Finding
    identifier: str
    path: str
    line: int
    function: str | None
    how: How
    evidence: tuple[ChainStep, ...] = ()


@dataclass(frozen=True, slots=True)
class _Open:
    scope: str
    path: str
    function: str
    line: int
    why: str
    handed_on: bool  # stored in a field, returned, or an opener's: it may outlive the function
    via: Key | None = None  # the opener called
    sure: bool = True  # False: opened on some paths only (a conditional open, a may-opener's call)


Site = tuple[Key, str, Event, tuple[_Open, ...]]  # a call: the caller, its file, the call, the scopes open at it


@dataclass(slots=True)
class _Walked:
    leaves_open: _Open | None = None
    closes_unopened: Event | None = None
    use_opens: dict[int, tuple[_Open, ...]] = field(default_factory=dict)  # use pos → opens at it
    call_opens: list[tuple[Event, tuple[_Open, ...]]] = field(default_factory=list)  # each call: open at it


@dataclass(slots=True)
class _Definition:
    key: Key
    path: str
    facts: FunctionFacts
    calls: frozenset[str]  # the names it calls
    uses_api: bool  # it saves or restores itself


class ScopeGraph:
    """The functions of the files read, resolved by name, with openers and closers found to a fixpoint."""

    def __init__(self, files: Mapping[str, FileFacts]) -> None:
        self.files: dict[str, FileFacts] = {}
        self.definitions: dict[Key, list[_Definition]] = {}
        self.restored_fields: set[str] = set()
        self.saved_fields: set[str] = set()
        self.openers: dict[Key, _Open] = {}
        # leave a scope open on some paths only (fsnotify_group_lock in 6.1 opens only for FSNOTIFY_GROUP_NOFS
        # groups): a call of one covers nothing, but the closer that follows closes what it opened
        self.may_openers: dict[Key, _Open] = {}
        self.closers: dict[Key, Event] = {}
        self.add(files)
        self.settle()

    def add(self, files: Mapping[str, FileFacts]) -> None:
        """More files read: their functions join the graph (openers and closers as they were until `settle`)."""
        for path, facts in files.items():
            if path in self.files:
                continue
            self.files[path] = facts
            for function in facts.functions:
                if function.name.startswith(SCOPE_API_PREFIX):
                    continue  # the scope API's own definitions (include/linux/sched/mm.h): its calls are events
                key: Key = (path, function.name) if function.static and path.endswith(".c") else (None, function.name)
                calls = frozenset(e.name for e in function.events if e.step is Step.CALL)
                uses_api = False
                for event in function.events:
                    if event.step in (Step.SAVE, Step.RESTORE):
                        uses_api = True
                        if event.target is Target.FIELD:
                            fields = self.saved_fields if event.step is Step.SAVE else self.restored_fields
                            fields.add(event.target_name)
                self.definitions.setdefault(key, []).append(_Definition(key, path, function, calls, uses_api))

    def uncovered_callers(self, names: Iterable[str]) -> set[str]:
        """The functions calling one of `names` somewhere outside a scope: whose callers the reading needs."""
        wanted = set(names)
        scope_names = self.scope_names()
        found = set()
        for key, definitions in self.definitions.items():
            for definition in definitions:
                if definition.calls.isdisjoint(wanted):
                    continue
                if not self.may_scope(definition, scope_names):
                    found.add(key[1])
                    continue
                walked = self.walk(definition.path, definition.facts)
                if any(e.name in wanted and not any(o.sure for o in opens) for e, opens in walked.call_opens):
                    found.add(key[1])
        return found

    def resolve(self, name: str, path: str) -> Key | None:
        if (path, name) in self.definitions:
            return (path, name)
        return (None, name) if (None, name) in self.definitions else None

    def settle(self) -> None:
        """Find openers and closers to a fixpoint over the functions read."""
        for _ in range(FIXPOINT_ROUNDS):
            openers: dict[Key, _Open] = {}
            may_openers: dict[Key, _Open] = {}
            closers: dict[Key, Event] = {}
            names = self.scope_names()
            for key, definitions in self.definitions.items():
                if not any(self.may_scope(d, names) for d in definitions):
                    continue
                walked = [self.walk(d.path, d.facts) for d in definitions]
                left = [w.leaves_open for w in walked if w.leaves_open is not None]
                sure = [o for o in left if o.sure]
                if len(sure) == len(walked) and len({o.scope for o in sure}) == 1:  # every definition, the same scope
                    openers[key] = sure[0]
                elif left:
                    may_openers[key] = left[0]
                closing = next((w.closes_unopened for w in walked if w.closes_unopened is not None), None)
                if closing is not None:
                    closers[key] = closing
            same = (openers.keys(), may_openers.keys(), closers.keys()) == (
                self.openers.keys(),
                self.may_openers.keys(),
                self.closers.keys(),
            )
            self.openers, self.may_openers, self.closers = openers, may_openers, closers
            if same:
                return

    def scope_names(self) -> set[str]:
        """The names of the functions that open, may open or close a scope."""
        return {name for _path, name in (*self.openers, *self.may_openers, *self.closers)}

    @staticmethod
    def may_scope(definition: _Definition, scope_names: set[str]) -> bool:
        """Whether a function can open or close anything: without, every state in it is empty."""
        return definition.uses_api or not definition.calls.isdisjoint(scope_names)

    def walk(self, path: str, function: FunctionFacts, uses: Iterable[Use] = ()) -> _Walked:
        """The function's events in source order with the scopes open at each: what it leaves open, what it
        closes that it did not open, and what is open at each of `uses` and at each call."""
        return _FunctionWalk(self, path, function, uses).run()


class _FunctionWalk:
    """One walk of a function's events: a frame of open scopes per open block, the first the function's own."""

    def __init__(self, graph: ScopeGraph, path: str, function: FunctionFacts, uses: Iterable[Use]) -> None:
        self.graph, self.path, self.function = graph, path, function
        self.walked = _Walked()
        self.frames: list[list[_Open]] = [[]]
        self.opened_any = False
        self.uses = sorted(uses, key=lambda use: use.pos)
        self.next_use = 0
        self.delayed: list[tuple[int, _Open]] = []  # opened by a call, from its closing parenthesis on

    def run(self) -> _Walked:
        walked = self.walked
        for event in self.function.events:
            self.settle(event.pos)
            if event.step in _BLOCK_STEPS:
                self.block(event)
                continue
            callee = self.graph.resolve(event.name, self.path) if event.step is Step.CALL else None
            if not self.open(event, callee):
                self.close(event, callee)
        self.settle(self.function.end + 1)
        if walked.leaves_open is None and not any(e.step is Step.TAIL for e in self.function.events):
            walked.leaves_open = _handed_on(self.frames[0])
        return walked

    def current(self) -> tuple[_Open, ...]:
        return tuple(o for frame in self.frames for o in frame)

    def settle(self, until: int) -> None:
        """Up to `until`: what a call opened opens once its arguments are passed; each use sees what is open."""
        uses, delayed = self.uses, self.delayed
        while True:
            use_pos = uses[self.next_use].pos if self.next_use < len(uses) else until
            if delayed and delayed[0][0] < min(use_pos, until):
                self.frames[-1].append(delayed.pop(0)[1])
            elif self.next_use < len(uses) and use_pos < until:
                self.walked.use_opens[use_pos] = self.current()
                self.next_use += 1
            else:
                return

    def block(self, event: Event) -> None:
        """A block opens or ends; or the tail starts, with nothing open."""
        if event.step is Step.BLOCK:
            self.frames.append([])
        elif event.step is Step.END:
            if len(self.frames) > 1:
                self.frames.pop()
        else:
            if self.walked.leaves_open is None:
                self.walked.leaves_open = _handed_on(self.frames[0])
            self.frames = [[]]

    def open(self, event: Event, callee: Key | None) -> bool:
        """A save, or a call of an opener: what it opens is open from here (a call's: after its arguments), unless
        it is in the tail. Whether the event opens anything."""
        if event.step is Step.CALL:
            self.walked.call_opens.append((event, self.current()))
        opened = self.opened(event, callee)
        if opened is None:
            return False
        if not event.tail:
            if event.conditional:
                opened = replace(opened, sure=False)
            if event.step is Step.CALL:  # a GFP_NOFS passed to the opener is used before it opens
                self.delayed.append((event.end, opened))
            else:
                self.frames[-1].append(opened)
            self.opened_any = True
        return True

    def opened(self, event: Event, callee: Key | None) -> _Open | None:
        """What a save, or a call of `callee`, opens: a scope, and why."""
        graph, path, function = self.graph, self.path, self.function
        if event.step is Step.SAVE and event.scope is not None:
            if event.target is Target.FIELD:
                handed, why = event.target_name in graph.restored_fields, f"saved into ->{event.target_name}"
            elif event.target is Target.RETURN:
                handed, why = True, "returned"
            else:
                handed, why = False, f"saved into {event.target_name or 'nothing'}"
            return _Open(event.scope, path, function.name, event.line, f"{event.name}() {why}", handed)
        if callee is not None and callee in graph.openers:
            inner = graph.openers[callee]
            why = f"calls {event.name}(), which leaves a {inner.scope} scope open"
            return _Open(inner.scope, path, function.name, event.line, why, True, callee)
        if callee is not None and callee in graph.may_openers:
            inner = graph.may_openers[callee]
            why = f"calls {event.name}(), which may leave a {inner.scope} scope open"
            return _Open(inner.scope, path, function.name, event.line, why, True, callee, sure=False)
        return None

    def close(self, event: Event, callee: Key | None) -> None:
        """A restore, or a call of a closer, on the main path: it closes the innermost scope it matches; one that
        closes what the function did not open makes the function a closer."""
        closes = event.step is Step.RESTORE or (callee is not None and callee in self.graph.closers)
        if not closes or event.tail or event.exits:
            return
        unopened = not self.opened_any and (
            callee is not None
            or (event.target is Target.FIELD and event.target_name in self.graph.saved_fields)
            or (event.target is Target.PARAMETER and event.scope is not None)
        )
        if not _close(self.frames, event) and unopened:
            self.walked.closes_unopened = self.walked.closes_unopened or event


def _handed_on(frame: list[_Open]) -> _Open | None:
    return next((o for o in reversed(frame) if o.handed_on), None)


def _close(frames: list[list[_Open]], event: Event) -> bool:
    """Close the innermost open scope this restore or closer call matches; False when none is open."""
    for frame in reversed(frames):
        for index in range(len(frame) - 1, -1, -1):
            if event.scope is None or frame[index].scope == event.scope or event.step is Step.CALL:
                del frame[index]
                return True
    return False


def _covering(identifier: str, opens: tuple[_Open, ...]) -> _Open | None:
    scopes = COVERED_BY.get(identifier, ())
    return next((o for o in reversed(opens) if o.sure and o.scope in scopes), None)


class Judgement:
    """Every finding of a reading: redundant uses (here and through callers), and the scope API's own."""

    def __init__(self, graph: ScopeGraph, uses: Mapping[str, list[Use]], complete: frozenset[str]) -> None:
        self.graph = graph
        self.uses = uses
        self.complete = complete  # names every file mentioning which was read
        self.walks: dict[tuple[str, int], _Walked] = {}
        self.sites: dict[Key, list[Site]] = {}
        self.chains = _Chains(graph, self.sites)
        scope_names = graph.scope_names()
        for key, definitions in graph.definitions.items():
            for definition in definitions:
                if graph.may_scope(definition, scope_names):
                    walked = graph.walk(definition.path, definition.facts, self._uses_in(definition))
                else:
                    walked = _Walked(call_opens=[(e, ()) for e in definition.facts.events if e.step is Step.CALL])
                self.walks[(definition.path, definition.facts.start)] = walked
                for event, opens in walked.call_opens:
                    if event.tail:
                        opens = ()
                    callee = graph.resolve(event.name, definition.path)
                    if callee is not None:
                        self.sites.setdefault(callee, []).append((key, definition.path, event, opens))
        candidates = self.candidates()
        self.in_scope = {scope: self._only_in_scope(scope, candidates) for scope in COVERED_BY}

    def _uses_in(self, definition: _Definition) -> list[Use]:
        facts = definition.facts
        return [u for u in self.uses.get(definition.path, ()) if facts.start <= u.pos < facts.end]

    def candidates(self) -> set[Key]:
        """Functions that could be called only in scope: named only in calls, every mention read, called."""
        referenced: set[str] = set()
        for facts in self.graph.files.values():
            referenced |= facts.references | facts.macro_names
        return {
            key
            for key in self.sites
            if key[1] in self.complete and key[1] not in referenced and key in self.graph.definitions
        }

    def _only_in_scope(self, identifier: str, candidates: set[Key]) -> set[Key]:
        members = set(candidates)
        changed = True
        while changed:
            changed = False
            for key in list(members):
                for caller, _path, _event, opens in self.sites.get(key, ()):
                    if _covering(identifier, opens) is None and caller not in members:
                        members.discard(key)
                        changed = True
                        break
        return members

    def uncovered_functions(self) -> set[str]:
        """Names of functions holding a use not covered in their own body: whose callers matter."""
        names = set()
        for key, definitions in self.graph.definitions.items():
            for definition in definitions:
                walked = self.walks[(definition.path, definition.facts.start)]
                for use in self._uses_in(definition):
                    if _covering(use.identifier, walked.use_opens.get(use.pos, ())) is None:
                        names.add(key[1])
        return names

    def findings(self) -> list[Found]:
        found: list[Found] = []
        for key, definitions in self.graph.definitions.items():
            for definition in definitions:
                found.extend(self._function_findings(key, definition))
        found.sort(key=lambda f: (f.path, f.line, f.kind, f.identifier))
        return found

    def _function_findings(self, key: Key, definition: _Definition) -> list[Found]:
        path, facts = definition.path, definition.facts
        walked = self.walks[(path, facts.start)]
        found = []
        for use in self._uses_in(definition):
            here = _covering(use.identifier, walked.use_opens.get(use.pos, ()))
            if here is not None:
                evidence = (ChainStep(facts.name, path, here.line, here.why, 0), *self.chains.openers(here, 1))
                found.append(Found(Finding.REDUNDANT, use.identifier, path, use.line, facts.name, How.HERE, evidence))
            elif key in self.in_scope.get(use.identifier, set()):
                evidence = tuple(self.chains.callers(key, use.identifier, 0, set()))
                found.append(
                    Found(Finding.REDUNDANT, use.identifier, path, use.line, facts.name, How.CALLERS, evidence)
                )
        found.extend(_api_findings(self.graph, self.chains, key, definition))
        return found


class _Chains:
    """A finding's evidence: the openers its scope came through, or the callers its function is reached through."""

    def __init__(self, graph: ScopeGraph, sites: dict[Key, list[Site]]) -> None:
        self.graph, self.sites = graph, sites

    def openers(self, opened: _Open, depth: int) -> list[ChainStep]:
        chain = []
        while opened.via is not None and depth <= EVIDENCE_DEPTH:
            inner = self.graph.openers.get(opened.via)
            if inner is None:
                break
            chain.append(ChainStep(inner.function, inner.path, inner.line, inner.why, depth))
            opened, depth = inner, depth + 1
        return chain

    def callers(self, key: Key, identifier: str, depth: int, seen: set[Key]) -> list[ChainStep]:
        if depth >= EVIDENCE_DEPTH or key in seen:
            return []
        seen = seen | {key}
        sites = self.sites.get(key, [])
        chain = []
        for caller, path, event, opens in sites[:EVIDENCE_CALLERS]:
            covering = _covering(identifier, opens)
            of = f"{len(sites)} call{'s' if len(sites) != 1 else ''}"
            if covering is not None:
                why = f"calls {key[1]}() inside a scope: {covering.why} at line {covering.line} ({of} in all)"
                chain.append(ChainStep(caller[1], path, event.line, why, depth))
                chain.extend(self.openers(covering, depth + 1))
            else:
                why = f"calls {key[1]}() and is itself called only in scope ({of} in all)"
                chain.append(ChainStep(caller[1], path, event.line, why, depth))
                chain.extend(self.callers(caller, identifier, depth + 1, seen))
        return chain


def _api_findings(graph: ScopeGraph, chains: _Chains, key: Key, definition: _Definition) -> list[Found]:
    """The scope API's own findings in a function: unpaired saves, wrapper scopes, foreign restores, and whether it
    is an opener or a closer."""
    path, facts = definition.path, definition.facts
    found = []
    saved_locals = {e.target_name for e in facts.events if e.step is Step.SAVE and e.target is Target.LOCAL}
    events = [e for e in facts.events if e.step not in (Step.BLOCK, Step.END, Step.TAIL)]
    for index, event in enumerate(events):
        if event.step is Step.SAVE:
            if _unpaired(facts, event, graph.restored_fields):
                why = f"{event.name}() saved into {event.target_name or 'nothing'}, never restored or handed on"
                found.append(_api(Finding.UNPAIRED_SAVE, event, path, facts, why))
            if _wraps_one_call(event, events[index + 1 : index + 3]):
                wrapped = events[index + 1 : index + 3]
                why = f"{event.name}(); {wrapped[0].name}(); {wrapped[1].name}(): a scope around one call"
                found.append(_api(Finding.WRAPPER_SCOPE, event, path, facts, why))
        elif event.step is Step.RESTORE and event.target is Target.LOCAL and event.target_name not in saved_locals:
            why = f"{event.name}({event.target_name}): no save in {facts.name}() produced {event.target_name}"
            found.append(_api(Finding.FOREIGN_RESTORE, event, path, facts, why))
    if key in graph.openers and graph.openers[key].path == path:
        opened = graph.openers[key]
        evidence = (ChainStep(facts.name, path, opened.line, opened.why, 0), *chains.openers(opened, 1))
        found.append(
            Found(Finding.OPENER, f"memalloc_{opened.scope}_save", path, opened.line, facts.name, How.HERE, evidence)
        )
    if key in graph.closers and facts.start <= graph.closers[key].pos < facts.end:
        event = graph.closers[key]
        why = f"{event.name}() closes a scope {facts.name}() did not open"
        found.append(_api(Finding.CLOSER, event, path, facts, why))
    return found


def _wraps_one_call(save: Event, wrapped: list[Event]) -> bool:
    """Whether a save into a local, the call after it and the restore of that local after that all run together."""
    return (
        save.target is Target.LOCAL
        and len(wrapped) == 2
        and not (save.conditional or wrapped[0].conditional or wrapped[1].conditional)
        and not (wrapped[0].exits or wrapped[1].exits)
        and wrapped[0].step is Step.CALL
        and wrapped[1].step is Step.RESTORE
        and wrapped[1].target_name == save.target_name
    )


def _api(kind: Finding, event: Event, path: str, facts: FunctionFacts, why: str) -> Found:
    evidence = (ChainStep(facts.name, path, event.line, why, 0),)
    return Found(kind, event.name, path, event.line, facts.name, How.HERE, evidence)


def _unpaired(facts: FunctionFacts, save: Event, restored_fields: set[str]) -> bool:
    if save.target is Target.RETURN:
        return False
    if save.target is Target.FIELD:
        return save.target_name not in restored_fields
    if save.target is Target.LOCAL:
        return not any(pos > save.pos for pos in facts.mentions.get(save.target_name, ()))
    return True
