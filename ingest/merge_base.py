"""Merge bases for conflict resolutions: settled from the interval's own ancestry where that is exact,
else asked of `git merge-base` (which uses the commit-graph's generation numbers; libgit2 1.9 does not,
and took 5-35 ms a merge on histories whose topic branches fork before the previous release)."""

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

Pair = tuple[str, str]  # (first parent, other parent)


class Reach:
    """Ancestry inside one interval `older..newer` as bitsets: which interval commits each commit reaches,
    and which commits just outside it (all of them ancestors of `older`) it reaches through the interval.

    That settles the merge base whenever it is unique and found without looking below the interval's
    edge, which is the usual case: a topic branch forked before `older` merged into a line from `older`,
    or one forked inside the interval. Anything else (criss-cross merges, several fork points on one
    side, a line that does not start at `older`) is left to git.
    """

    def __init__(self, parents: Mapping[str, Sequence[str]], older: str | None) -> None:
        """`parents`: each interval commit's parents, parents before children (a reverse topological walk)."""
        self._order = list(parents)
        self._index = {oid: i for i, oid in enumerate(self._order)}
        self._outside: dict[str, int] = {}
        self._inside: list[int] = []  # bit i: reaches interval commit i (itself included)
        self._edge: list[int] = []  # bit j: reaches outside commit j through the interval
        for i, commit_parents in enumerate(parents.values()):
            inside, edge = 1 << i, 0
            for parent in commit_parents:
                j = self._index.get(parent)
                if j is None:
                    edge |= 1 << self._outside.setdefault(parent, len(self._outside))
                else:
                    inside |= self._inside[j]
                    edge |= self._edge[j]
            self._inside.append(inside)
            self._edge.append(edge)
        self._older = older
        self._older_bit = 1 << self._outside[older] if older in self._outside else 0
        self._outside_oids = {j: oid for oid, j in self._outside.items()}

    def _reaches(self, oid: str) -> tuple[int, int] | None:
        i = self._index.get(oid)
        if i is not None:
            return self._inside[i], self._edge[i]
        j = self._outside.get(oid)
        return (0, 1 << j) if j is not None else None

    def _covers_outside(self, edge: int) -> bool:
        """Whether a commit reaching `edge` reaches every ancestor of `older`, so every commit outside."""
        return self._older is None or bool(edge & self._older_bit)

    def settle(self, first: str, other: str) -> tuple[bool, str | None]:
        """(True, the merge base or None for none) when the interval decides it; (False, None) when not."""
        one, two = self._reaches(first), self._reaches(other)
        if one is None or two is None:
            return False, None
        common = one[0] & two[0]
        if common:
            # The newest common interval commit in topological order has no common descendant; it is the
            # only base when it reaches the other common ones and, through `older`, everything outside.
            top = common.bit_length() - 1
            if common & ~self._inside[top] == 0 and self._covers_outside(self._edge[top]):
                return True, self._order[top]
            return False, None
        if not one[1] or not two[1]:  # nothing in common inside, and one side reaches nothing outside
            return True, None
        # Every outside commit is an ancestor of `older`: if one side reaches `older`, the common ancestors
        # are exactly the other side's, and one edge commit there is the only base.
        for reaching, edge in ((one[1], two[1]), (two[1], one[1])):
            if reaching & self._older_bit and edge & (edge - 1) == 0:
                return True, self._outside_oids[edge.bit_length() - 1]
        return False, None


class MergeBases:
    """The merge base of each (first parent, other parent) pair, as `git merge-base A B` prints it (with
    several, the one it prints without --all), remembered for the run."""

    def __init__(self, repo_dir: str, jobs: int = 1) -> None:
        self._repo_dir = repo_dir
        self._jobs = max(1, jobs)
        self._known: dict[Pair, str | None] = {}
        self.asked_git = 0  # pairs the interval could not settle

    def find(self, pairs: Iterable[Pair], reach: Reach) -> dict[Pair, str | None]:
        wanted = list(dict.fromkeys(pairs))
        unsettled = []
        for pair in wanted:
            if pair in self._known:
                continue
            settled, base = reach.settle(*pair)
            if settled:
                self._known[pair] = base
            else:
                unsettled.append(pair)
        if unsettled:
            self.asked_git += len(unsettled)
            # Each call is a process of its own (git 2.39 has no batch merge-base): run them side by side.
            with ThreadPoolExecutor(min(self._jobs, len(unsettled))) as pool:
                self._known.update(zip(unsettled, pool.map(self._git, unsettled), strict=True))
        return {pair: self._known[pair] for pair in wanted}

    def _git(self, pair: Pair) -> str | None:
        result = subprocess.run(
            ["git", "-C", self._repo_dir, "merge-base", *pair], capture_output=True, text=True, check=False
        )
        if result.returncode == 1 and not result.stdout.strip():  # unrelated histories
            return None
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
        return result.stdout.strip()
