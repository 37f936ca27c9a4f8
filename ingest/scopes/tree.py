"""What to read of a release's tree for the scope reading, in rounds (issue 13, item 2). Pure: the tree's C
files in memory in, findings and what was read out.

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
    between two releases, and the same bytes give the same facts (keyed by content)."""

    def __init__(self) -> None:
        self.matcher = Matcher(JUDGED)
        self._facts: dict[bytes, tuple[FileFacts, list[Use]]] = {}

    def of(self, data: bytes) -> tuple[FileFacts, list[Use]]:
        found = self._facts.get(data)
        if found is None:
            scan = self.matcher.scan(data)
            uses = [Use(o.identifier, o.offset, o.line) for o in scan.occurrences if o.kind == "code"]
            found = self._facts[data] = (file_facts(data), uses)
        return found

    def keep_only(self, files: Mapping[str, bytes]) -> None:
        """Forget the facts of contents no longer in the tree (a run over many releases stays bounded)."""
        current = set(files.values())
        for data in [d for d in self._facts if d not in current]:
            del self._facts[data]


def read_scopes(
    files: Mapping[str, bytes], progress: Callable[[str], None] | None = None, cache: "FactsCache | None" = None
) -> ScopeReading:
    """Read the scopes of a tree given as {path: bytes} of its C files."""
    say = progress or (lambda _message: None)
    cache = cache or FactsCache()
    cache.keep_only(files)
    facts: dict[str, FileFacts] = {}
    uses: dict[str, list[Use]] = {}
    searched: set[str] = set()
    complete: set[str] = set()
    not_followed = 0
    rounds = 0

    def read(paths: set[str]) -> None:
        for path in sorted(paths - facts.keys()):
            facts[path], found = cache.of(files[path])
            if found:
                uses[path] = found

    def follow(names: set[str], limit: int) -> set[str]:
        """Read the files naming `names`; the names whose every file is now read."""
        nonlocal not_followed, rounds
        names -= searched
        searched.update(names)
        if not names:
            return set()
        rounds += 1
        mentioned = mentions(files, names)
        followed = set()
        for name in names:
            paths = mentioned.get(name, set())
            if len(paths) > limit:
                not_followed += 1
                continue
            read(paths)
            followed.add(name)
        complete.update(followed)
        say(f"round {rounds}: {len(names)} names, {len(facts)} files read")
        return followed

    follow({*JUDGED, *SCOPE_APIS}, len(files))
    graph = ScopeGraph(facts)
    for _ in range(MAX_CALLER_DEPTH):
        scope_names = graph.scope_names()
        if not follow(scope_names, OPENER_NAME_FILES):
            break
        graph.add(facts)
        graph.settle()
    wanted = Judgement(graph, uses, frozenset(complete)).uncovered_functions()
    for _ in range(MAX_CALLER_DEPTH):
        if not follow(set(wanted), MAX_NAME_FILES):
            break
        graph.add(facts)  # openers and closers stay as settled: the judgement below settles them again
        wanted = graph.uncovered_callers(wanted) - searched
    graph = ScopeGraph(facts)
    judgement = Judgement(graph, uses, frozenset(complete))
    return ScopeReading(
        findings=judgement.findings(),
        files_read=len(facts),
        functions_read=sum(len(f.functions) for f in facts.values()),
        uses=sum(len(found) for found in uses.values()),  # every file naming one was read in the first round
        rounds=rounds,
        not_followed=not_followed,
    )


def mentions(files: Mapping[str, bytes], names: set[str]) -> dict[str, set[str]]:
    """The files naming each name as a whole word (in code, comments or strings: the lexer sorts them out)."""
    find = word_finder(tuple(sorted(names)))
    found: dict[str, set[str]] = {}
    for path, data in files.items():
        for name in {hit for _pos, hit in find(data)}:
            found.setdefault(name.decode(), set()).add(path)
    return found
