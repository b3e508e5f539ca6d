"""The errors a statistical fit raises on degenerate data (all zeros, separation, a singular
design): callers report these as "could not be fitted"; anything else is a bug and propagates."""

from __future__ import annotations

import numpy as np
from statsmodels.tools.sm_exceptions import MissingDataError, PerfectSeparationError

FIT_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    ZeroDivisionError,
    FloatingPointError,
    OverflowError,
    np.linalg.LinAlgError,
    PerfectSeparationError,
    MissingDataError,
)
