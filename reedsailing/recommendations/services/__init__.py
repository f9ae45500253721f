"""Recommendations for the home page: `{acts: [...], orgs: [...]}`.

How an activity is ranked (everything is deterministic; ties break on begin time, then id):

1. Candidates: activities that have not ended, that the user has not joined and does
   not own.
2. The user's interests, built from what they did, each source with a weight:
   joined activities (3), commented activities (2, plus the score they gave / 5) and the
   recent activities of organizations they follow (1). Every source adds its weight to
   its activity's category and to each of its stored jieba keywords
   (`Activity.keywords`, extracted at write time). Both tallies are normalized to
   shares (0..1).
3. suitability = 4 * category share
               + 6 * sum of the shares of the candidate's keywords (capped at 1)
               + 2 if the candidate belongs to a followed organization
               + 0.6 * ln(1 + participants) + 0.4 * (average score / 5, rated comments only)
               + 1.5 * nearness, nearness = 1 for a running activity, else
                 1 / (1 + days until it begins / 7)
   A brand-new user has no interests, so the ranking falls back to popularity and
   nearness: popular upcoming activities.
4. Organizations the user does not follow are ranked by the suitability of their best
   three candidate activities (their interest part only) plus 0.5 * ln(1 + followers)
   plus 0.3 * ln(1 + upcoming participants). With no interests that is popularity.

Cost (docs/caching.md): what is the same for every user is kept per process: a catalog
(the open activities' answer rows and scoring columns, every organization's answer),
rebuilt when an activity answer's tables change; and a pool over it (popularity:
participants and average score; follower counts), rebuilt when a data version it reads
changes and at least every `POOL_SECONDS`; its build moment is "now" for the ranking
(which activities have ended, nearness), so time moves in steps of at most
`POOL_SECONDS`, while a committed write shows at once. A request reads the versions and
the user's own rows (one UNION query) and ranks the pool in Python; its answer is a pure
function of the pool and the user's rows, so it is also kept per user until a version
changes. 3 SQL statements with the token look-up, whatever the size of the campus.

The modules: `interests` (the user's own rows, one query), `pool` (the catalog and the
pool every user's ranking shares, kept per process) and `ranking` (`recommend()`).
"""

from reedsailing.recommendations.services.ranking import recommend

__all__ = ["recommend"]
