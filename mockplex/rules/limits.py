"""The server's rate limits: the per-PAT sliding window and the run-start budgets."""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from datetime import datetime

from mockplex.ids import pg_uuid
from mockplex.responses import ApiError
from mockplex.world.tokens import Identity

PAT_WINDOW_SECONDS = 60.0
PAT_WINDOW_LIMIT = 60
PAT_CACHE_KEYS = 10_000
# Both fixed answers say to come back in a minute, whatever the window holds.
RETRY_AFTER_SECONDS = 60
RUN_START_WINDOWS = (
    (60.0, 10, "External Mogplex run rate limit exceeded"),
    (3600.0, 30, "External Mogplex run rate limit exceeded"),
    (86400.0, 150, "Daily external Mogplex run quota exceeded"),
)


class Limits:
    """Both limiters, in process memory like the real server's; `enabled=False` lifts them."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._pat_windows: OrderedDict[str, deque[float]] = OrderedDict()
        self._run_claims: dict[tuple[str, str], list[float]] = {}
        self.trip_after: int | None = None  # set by the admin API: the window trips after N calls

    def admit_pat(self, key_id: str, now: datetime) -> bool:
        """Count one request for a valid PAT; False (and not counted) when the window is full."""
        if self.trip_after is not None:
            if self.trip_after <= 0:
                return False
            self.trip_after -= 1
        if not self.enabled:
            return True
        moment = now.timestamp()
        window = self._pat_windows.pop(key_id, None) or deque()
        self._pat_windows[key_id] = window
        if len(self._pat_windows) > PAT_CACHE_KEYS:
            self._pat_windows.popitem(last=False)
        while window and window[0] <= moment - PAT_WINDOW_SECONDS:
            window.popleft()
        if len(window) >= PAT_WINDOW_LIMIT:
            return False
        window.append(moment)
        return True

    def claim_run_start(self, identity: Identity, repo_id: str | None, now: datetime) -> None:
        """The non-refundable run-start claim, keyed per (user, key)."""
        if repo_id is not None and pg_uuid(repo_id) is None:
            # The claim RPC casts repoId to uuid; the cast error fails closed.
            raise ApiError(503, "SERVICE_UNAVAILABLE", "External Mogplex run rate limit unavailable",
                           {"Retry-After": str(RETRY_AFTER_SECONDS)})
        if not self.enabled:
            return
        moment = now.timestamp()
        claims = self._run_claims.setdefault((identity.user_id, identity.key_id), [])
        for seconds, limit, message in RUN_START_WINDOWS:
            in_window = [claim for claim in claims if claim > moment - seconds]
            if len(in_window) >= limit:
                retry_after = max(1, math.ceil(in_window[0] + seconds - moment))
                raise ApiError(429, "RATE_LIMITED", message, {"Retry-After": str(retry_after)})
        claims.append(moment)
        cutoff = moment - RUN_START_WINDOWS[-1][0]
        while claims and claims[0] <= cutoff:
            claims.pop(0)

    def reset(self) -> None:
        self._pat_windows.clear()
        self._run_claims.clear()
        self.trip_after = None


def pat_window_full() -> ApiError:
    return ApiError(429, "RATE_LIMITED", f"Rate limit exceeded. Retry after {RETRY_AFTER_SECONDS}s.",
                    {"Retry-After": str(RETRY_AFTER_SECONDS)})
