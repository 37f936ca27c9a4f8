"""What to read of a release's tree for the scope reading, in rounds. Pure: the tree's C
files in (a mapping: in memory, or read from disk as asked, ingest/scopes/spill.py), findings and what was read
out.

Reading every function of the kernel would lex a gigabyte; the question needs far less. Round by round:
1. the files naming GFP_NOFS, GFP_NOIO or a memalloc_* save or restore;
2. openers and closers found so far: the files naming them, so that functions that call an opener and
   leave its scope open become openers too (up to MAX_CALLER_DEPTH rounds);
3. the functions holding a use no scope covers in their own body: the files naming them, for their
   callers; and the callers of those that call them outside a scope, up to MAX_CALLER_DEPTH levels.
A name mentioned in more than MAX_NAME_FILES files is not followed (openers and closers: ten times that).
Each round finds the files naming its new names in one whole-word pass over the tree (ingest/count.py's
matching rule).
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.scope_rules import MAX_CALLER_DEPTH, MAX_NAME_FILES
from ingest.count import Matcher, word_finder
from ingest.scopes.facts import SCOPE_APIS, FileFacts, file_facts
from ingest.scopes.graph import Found, Judgement, ScopeGraph, Use

JUDGED = ("GFP_NOFS", "GFP_NOIO")
OPENER_NAME_FILES = 10 * MAX_NAME_FILES


@dataclass(frozen=True, slots=True)
class ScopeReading:
    findings: list[Found]
    files_read: int
    functions_read: int
    uses: int  # code uses of GFP_NOFS and GFP_NOIO in the tree
    rounds: int
    not_followed: int  # names mentioned in too many files to read all their callers


class FactsCache:
    """What the lexer found in a file's bytes, kept across the releases of one run: most files do not change
    between two releases, and the same bytes give the same facts (keyed by a digest of the content, so that
    the cache holds no file's text)."""

    def __init__(self) -> None:
        self.matcher = Matcher(JUDGED)
        self._facts: dict[bytes, tuple[FileFacts, list[Use]]] = {}
        self._used: set[bytes] = set()

    def of(self, data: bytes) -> tuple[FileFacts, list[Use]]:
        key = hashlib.blake2b(data, digest_size=16).digest()
        self._used.add(key)
        found = self._facts.get(key)
        if found is None:
            scan = self.matcher.scan(data)
            uses = [Use(o.identifier, o.offset, o.line) for o in scan.occurrences if o.kind == "code"]
            found = self._facts[key] = (file_facts(data), uses)
        return found

    def start(self) -> None:
        """A new reading: what it does not use again is forgotten when it ends (a run stays bounded)."""
        self._used = set()

    def end(self) -> None:
        for key in [k for k in self._facts if k not in self._used]:
            del self._facts[key]


def read_scopes(
    files: Mapping[str, bytes], progress: Callable[[str], None] | None = None, cache: "FactsCache | None" = None
) -> ScopeReading:
    """Read the scopes of a tree given as {path: bytes} of its C files."""
    cache = cache or FactsCache()
    cache.start()
    rounds = _Rounds(files, cache, progress or (lambda _message: None))
    rounds.follow({*JUDGED, *SCOPE_APIS}, len(files))
    rounds.follow_scopes()
    cache.end()
    judgement = Judgement(ScopeGraph(rounds.facts), rounds.uses, frozenset(rounds.complete))
    return ScopeReading(
        findings=judgement.findings(),
        files_read=len(rounds.facts),
        functions_read=sum(len(f.functions) for f in rounds.facts.values()),
        uses=sum(len(found) for found in rounds.uses.values()),  # every file naming one was read in the first round
        rounds=rounds.done,
        not_followed=rounds.not_followed,
    )


class _Rounds:
    """The files read so far, a round at a time: each round reads the files naming the names it follows."""

    def __init__(self, files: Mapping[str, bytes], cache: FactsCache, say: Callable[[str], None]) -> None:
        self.files, self.cache, self.say = files, cache, say
        self.facts: dict[str, FileFacts] = {}
        self.uses: dict[str, list[Use]] = {}
        self.searched: set[str] = set()
        self.complete: set[str] = set()  # names every file naming which was read
        self.not_followed = 0
        self.done = 0

    def follow(self, names: set[str], limit: int) -> set[str]:
        """Read the files naming `names`; the names whose every file is now read."""
        names -= self.searched
        self.searched.update(names)
        if not names:
            return set()
        self.done += 1
        mentioned = mentions(self.files, names)
        followed = set()
        for name in names:
            paths = mentioned.get(name, set())
            if len(paths) > limit:
                self.not_followed += 1
                continue
            self.read(paths)
            followed.add(name)
        self.complete.update(followed)
        self.say(f"round {self.done}: {len(names)} names, {len(self.facts)} files read")
        return followed

    def read(self, paths: set[str]) -> None:
        for path in sorted(paths - self.facts.keys()):
            self.facts[path], found = self.cache.of(self.files[path])
            if found:
                self.uses[path] = found

    def follow_scopes(self) -> None:
        """The rounds after the first: openers and closers, then callers, on a graph that grows with the files
        read (and is let go before the judgement builds its own)."""
        graph = ScopeGraph(self.facts)
        self.follow_openers(graph)
        self.follow_callers(graph)

    def follow_openers(self, graph: ScopeGraph) -> None:
        """Openers and closers found so far: the files naming them, until no new one turns up."""
        for _ in range(MAX_CALLER_DEPTH):
            if not self.follow(graph.scope_names(), OPENER_NAME_FILES):
                break
            graph.add(self.facts)
            graph.settle()

    def follow_callers(self, graph: ScopeGraph) -> None:
        """The functions holding a use no scope covers in their own body: the files naming them, for their
        callers; then the callers of those that call them outside a scope."""
        wanted = Judgement(graph, self.uses, frozenset(self.complete)).uncovered_functions()
        for _ in range(MAX_CALLER_DEPTH):
            if not self.follow(set(wanted), MAX_NAME_FILES):
                break
            graph.add(self.facts)  # openers and closers stay as settled: the judgement after settles them again
            wanted = graph.uncovered_callers(wanted) - self.searched


def mentions(files: Mapping[str, bytes], names: set[str]) -> dict[str, set[str]]:
    """The files naming each name as a whole word (in code, comments or strings: the lexer sorts them out)."""
    find = word_finder(tuple(sorted(names)))
    found: dict[str, set[str]] = {}
    for path, data in files.items():
        for name in {hit for _pos, hit in find(data)}:
            found.setdefault(name.decode(), set()).add(path)
    return found
