"""How big a demo campus is: the presets and the shares by block."""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

DEFAULT_SEED = 20211227
SEMESTER_DAYS = 126  # 18 weeks


@dataclass(frozen=True)
class Sizes:
    users: int
    orgs: int
    activities: int
    participations: int
    comments: int
    follows: int
    notices: int


PRESETS = {
    "small": Sizes(
        users=2000, orgs=100, activities=1000, participations=10000, comments=3000, follows=3000, notices=1000
    ),
}
PRESETS["large"] = Sizes(**{name: value * 10 for name, value in asdict(PRESETS["small"]).items()})


def split(total, weights):
    """Share `total` out by `weights` (largest remainder, deterministic): [(key, n)]."""
    whole = sum(weight for _, weight in weights)
    exact = [(key, total * weight / whole) for key, weight in weights]
    counts = {key: int(share) for key, share in exact}
    rest = total - sum(counts.values())
    for key, _share in sorted(exact, key=lambda item: (-(item[1] - int(item[1])), item[0]))[:rest]:
        counts[key] += 1
    return [(key, counts[key]) for key, _ in weights]


def default_start():
    """Nine weeks ago: the demo semester is half over, so every status has activities."""
    return date.today() - timedelta(days=63)
